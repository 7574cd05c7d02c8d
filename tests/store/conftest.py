"""Backends for the store tests: SQLite in a temp folder, PostgreSQL in a throwaway cluster."""

from __future__ import annotations

import importlib.util
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def pg_cluster():  # type: ignore[no-untyped-def]
    """scripts/pg_test_cluster.py, imported once per process (it holds the shared cluster)."""
    name = "wildtrace_pg_test_cluster"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / "pg_test_cluster.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def fresh_pg_database() -> tuple[str, str]:
    """Create an empty database on the test server; returns (its URL, the server URL)."""
    import psycopg

    server = pg_cluster().shared_url()
    name = "wt_" + uuid.uuid4().hex[:12]
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server.rsplit("/", 1)[0] + "/" + name, server


def drop_pg_database(url: str, server: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each backend."""
    if request.param == "sqlite":
        yield str(tmp_path / "w.sqlite")
        return
    url, server = fresh_pg_database()
    yield url
    drop_pg_database(url, server)


@pytest.fixture(scope="module")
def scanner(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One scanner per test module (the demo listings' store is scanned with it)."""
    from wildtrace import Scanner, Settings

    return Scanner(Settings(data_dir=tmp_path_factory.mktemp("data")))


@pytest.fixture
def demo(db_url: str, scanner):  # type: ignore[no-untyped-def]
    """The demo listings stored on each backend, and a Searcher reading queries with the scanner's
    lexicon: (store, searcher)."""
    from wildtrace.search import Searcher
    from wildtrace.store.sql import SQLStore
    from wildtrace.web.demo import load_demo

    store = SQLStore(db_url)
    load_demo(store, scanner)
    yield store, Searcher(scanner.detector)
    store.close()


def stored_at_0001(engine, results) -> None:  # type: ignore[no-untyped-def]
    """Migrate an empty database to revision 0001 and store ``results`` (ScanResults) as that
    schema held them: later revisions derive the queue, its counts and indexes from these rows.
    (Today's ``save`` writes tables an old revision lacks: a test of an upgrade starts here.)"""
    import orjson
    import sqlalchemy as sa

    from wildtrace.store import db
    from wildtrace.store.sql import model_key

    db.migrate(engine, "0001")
    with engine.begin() as conn:
        for r in results:
            conn.execute(sa.text("INSERT INTO listings VALUES (:i, :h, 1, :t, :t, :rec)"),
                         {"i": r.id, "h": r.input_sha256, "t": r.scanned_at, "rec": orjson.dumps(r.listing).decode()})
            conn.execute(sa.text("INSERT INTO scan_results VALUES (:i, :h, :m, :t, :v, :w, :s, :res)"),
                         {"i": r.id, "h": r.input_sha256, "m": model_key(r.model), "t": r.scanned_at,
                          "v": r.verdict, "w": r.wildlife_score, "s": r.risk_score,
                          "res": orjson.dumps(r.to_dict()).decode()})
