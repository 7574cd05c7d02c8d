"""``SQLStore.save`` (a few plain statements a batch, store/batch.py) stores exactly the rows the
statement-per-listing path (``save_one_by_one``) stores: on the demo listings, on SQLite and on a
real PostgreSQL cluster, through rescans, changed listings, a listing twice in one batch and an
older version arriving after a newer one."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from wildtrace import Scanner
from wildtrace.manifest import path as data_path
from wildtrace.scan.result import ScanResult
from wildtrace.store import counts
from wildtrace.store.sql import SQLStore

from .conftest import drop_pg_database, fresh_pg_database

TABLES = {  # table -> its key columns (rows compared in this order, every column)
    "listings": "listing_id, content_sha256",
    "scan_results": "listing_id, content_sha256, model",
    "listing_identifiers": "listing_id, content_sha256, kind, value",
    "queue": "listing_id",
    "queue_counts": "verdict, dim, value",
}


def _demo() -> list[dict[str, Any]]:
    lines = data_path("demo_listings").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _results(scanner: Scanner, records: list[dict[str, Any]], at: str) -> list[ScanResult]:
    out = []
    for r in scanner.scan(copy.deepcopy(records)):
        assert isinstance(r, ScanResult)
        r.scanned_at = at
        out.append(r)
    return out


def _batches(scanner: Scanner) -> list[list[ScanResult]]:
    demo = _demo()
    changed = [{**d, "title": d.get("title", "") + " (reduced)", "price": "1"} for d in demo[::3]]
    first = _results(scanner, demo, "2026-12-01T00:00:00Z")
    again = _results(scanner, demo, "2026-12-02T00:00:00Z")  # same content: last_seen and results move
    new = _results(scanner, changed, "2026-12-03T00:00:00Z")  # a new version of every third listing
    back = _results(scanner, demo[::3], "2026-12-04T00:00:00Z")  # the older content comes back
    # one batch holding a listing's new version, its old one and the new one again
    mixed = new[:2] + back[:2] + new[:2] + _results(scanner, [{**demo[0], "text": "other words"}],
                                                      "2026-12-05T00:00:00Z")
    return [first[:5], first[5:], again, new, back, mixed, mixed]


def _rows(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    with engine.connect() as conn:
        for table, key in TABLES.items():
            out[table] = [tuple(r) for r in conn.execute(sa.text(f"SELECT * FROM {table} ORDER BY {key}"))]
        if engine.dialect.name == "sqlite":
            out.update(_search_index(conn))
    return out


def _search_index(conn: sa.Connection) -> dict[str, list[tuple[Any, ...]]]:
    """SQLite's search indexes, which the queue's triggers keep (``save`` writes the queue in one
    statement a batch, ``save_one_by_one`` one a row): what each finds, as the workbench asks
    them (every word of the queue rows, every tag), after FTS5's own integrity check."""
    for fts in ("queue_fts", "queue_tags"):
        conn.exec_driver_sql(f"INSERT INTO {fts}({fts}) VALUES ('integrity-check')")
    out = {"queue_grams": [tuple(r) for r in conn.exec_driver_sql("SELECT gram, id FROM queue_grams ORDER BY 1, 2")]}
    words = sorted({w for (text,) in conn.exec_driver_sql("SELECT search_text FROM queue")
                    for w in text.split() if len(w) >= 3})
    out["queue_fts"] = [(w, *sorted(i for (i,) in conn.exec_driver_sql(
        "SELECT rowid FROM queue_fts WHERE queue_fts MATCH ?", ('"' + w.replace('"', '""') + '"',))))
        for w in words]
    tags = sorted({t for (s, p) in conn.exec_driver_sql("SELECT species, products FROM queue")
                   for t in (s + p).split("|") if len(t) >= 3})
    out["queue_tags"] = [(t, *sorted(i for (i,) in conn.exec_driver_sql(
        "SELECT rowid FROM queue_tags WHERE queue_tags MATCH ?", ('"' + t.replace('"', '""') + '"',))))
        for t in tags]
    return out


@pytest.fixture
def second_db(db_url: str, tmp_path: Any) -> Iterator[str]:
    """Another empty database on the same backend as ``db_url``."""
    if "://" not in db_url:
        yield str(tmp_path / "other.sqlite")
        return
    url, server = fresh_pg_database()
    yield url
    drop_pg_database(url, server)


def test_batched_save_stores_the_rows_of_the_old_path(db_url: str, second_db: str, scanner: Scanner) -> None:
    old, new = SQLStore(db_url), SQLStore(second_db)
    try:
        for batch in _batches(scanner):
            old.save_one_by_one(batch)
            new.save(batch)
            assert _rows(new.engine) == _rows(old.engine)
        rows = _rows(new.engine)
        assert len(rows["listings"]) > len(_demo()) and rows["listing_identifiers"] and rows["queue_counts"]
        if "queue_fts" in rows:  # the index comparison compared something
            assert rows["queue_grams"] and all(len(hit) > 1 for hit in rows["queue_fts"] + rows["queue_tags"])
        assert {r[2] for r in rows["listings"]} == {1, 2, 3}  # versions 1..3 were made
        with new.engine.connect() as conn:
            assert counts.stored(conn) == counts.recount(conn)
    finally:
        old.close()
        new.close()


def test_a_listing_seen_again_in_the_same_batch_moves_last_seen(db_url: str, scanner: Scanner) -> None:
    store = SQLStore(db_url)
    try:
        [a] = _results(scanner, [{"id": "X1", "title": "Rhino horn, WhatsApp me"}], "2026-12-01T00:00:00Z")
        b = copy.copy(a)
        b.scanned_at = "2026-12-09T00:00:00Z"
        store.save([a, b])
        [version] = store.versions("X1")
        assert (version["version"], version["first_seen"], version["last_seen"]) == (
            1, "2026-12-01T00:00:00Z", "2026-12-09T00:00:00Z")
        store.save([a])  # an older scan of stored content: last_seen follows the save, as before
        assert store.versions("X1")[0]["last_seen"] == "2026-12-01T00:00:00Z"
    finally:
        store.close()
