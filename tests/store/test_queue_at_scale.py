"""The queue's fast paths (revision 0009's indexes, counts from queue_counts, the first-seen join,
the dashboard's grouped date range) return what the plain queries return, on each backend."""

from __future__ import annotations

import dataclasses
import importlib.util
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from wildtrace import Scanner
from wildtrace.store import counts, db
from wildtrace.store import queue as q
from wildtrace.store.labels import add_labels
from wildtrace.store.schema import listings, queue
from wildtrace.store.sql import SQLStore

ROOT = Path(__file__).resolve().parents[2]
FILTERS = [q.Filters(), q.Filters(verdict="wildlife_offer"), q.Filters(platform="zalo"),
           q.Filters(label="unlabelled"), q.Filters(label="labelled"), q.Filters(label="not_wildlife"),
           q.Filters(verdict="wildlife_offer", label="unlabelled"), q.Filters(species="Manis javanica"),
           q.Filters(species="manis JAVANICA"), q.Filters(product="ivory products"), q.Filters(appendix="I"),
           q.Filters(verdict="not_wildlife", appendix="II"), q.Filters(platform="zalo", label="unlabelled"),
           q.Filters(lang="en"), q.Filters(posted_from="2026-03-01", posted_to="2026-05-31"),
           q.Filters(verdict="wildlife_offer", posted_from="2026-02-02", posted_to="2026-02-08")]


def _generated(n: int) -> list[dict[str, Any]]:
    spec = importlib.util.spec_from_file_location("wt_generate", ROOT / "benchmarks" / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.listings(n, seed=3))


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    return _generated(160)


@pytest.fixture
def store(db_url: str, scanner: Scanner, records: list[dict[str, Any]]) -> Iterator[SQLStore]:
    s = SQLStore(db_url)
    results = list(scanner.scan(records))
    for k, r in enumerate(results):  # first seen spread over days, some ties
        results[k] = dataclasses.replace(r, scanned_at=f"2026-06-{1 + k % 20:02d}T00:00:00Z")
    s.save(results)
    # new versions of a few listings, one of them scanned "earlier" than its first version
    again = list(scanner.scan([{**records[i], "text": "changed"} for i in (3, 7, 11)]))
    again[0] = dataclasses.replace(again[0], scanned_at="2026-01-01T00:00:00Z")
    s.save(again)
    add_labels(s.engine, [r["id"] for r in records[:10]], "not_wildlife", "ann")
    add_labels(s.engine, [r["id"] for r in records[10:14]], "wildlife_offer", "ann")
    yield s
    s.close()


def test_migration_0009_indexes(store: SQLStore) -> None:
    sql = ("SELECT name FROM sqlite_master WHERE type = 'index'" if store.dialect == "sqlite"
           else "SELECT indexname FROM pg_indexes")
    with store.engine.connect() as conn:
        names = set(conn.execute(sa.text(sql)).scalars())
    expected = {"queue_posted", "queue_dated", "queue_risk_lean", "queue_uncertain"}  # listings_first_seen: 0019
    if store.dialect == "postgresql":
        expected |= {"queue_species_trgm", "queue_products_trgm"}
    assert expected <= names, names
    assert db.current_revision(store.engine) == db.head_revision()


def test_count_equals_a_plain_count(store: SQLStore) -> None:
    for f in FILTERS:
        with store.engine.connect() as conn:
            plain = conn.execute(sa.select(sa.func.count()).select_from(queue).where(*q.where(f))).scalar_one()
        assert q.count(store.engine, f) == plain, f


def _walk(store: SQLStore, f: q.Filters, sort: str) -> list[str]:
    out: list[str] = []
    after = None
    while True:
        rows, cursor = q.page(store.engine, f, limit=7, after=after, sort=sort)
        out += [r["listing_id"] for r in rows]
        if cursor is None:
            return out
        after = q.decode_cursor(cursor, sort)


def _expected(store: SQLStore, f: q.Filters, sort: str) -> list[str]:
    with store.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.select(queue).where(*q.where(f)))]
        first: dict[str, str] = {}
        for lid, seen in conn.execute(sa.select(listings.c.listing_id, listings.c.first_seen)):
            first[lid] = min(first.get(lid, seen), seen)
    def key(r: dict[str, Any]) -> Any:
        return {"risk": r["risk_score"], "posted": r["posted_at"], "first_seen": first[r["listing_id"]],
                "uncertain": -abs(r["wildlife_score"] - q.VERDICT_THRESHOLD)}[sort]
    rows.sort(key=lambda r: (key(r), r["listing_id"]), reverse=True)
    return [r["listing_id"] for r in rows]


@pytest.mark.parametrize("sort", q.SORTS)
def test_every_sort_pages_through_the_same_order(store: SQLStore, sort: str) -> None:
    for f in (q.Filters(), q.Filters(verdict="wildlife_offer"), q.Filters(label="unlabelled", platform="fb"),
              q.Filters(species="Manidae"), q.Filters(species="manidae"), q.Filters(product="ivory products"),
              q.Filters(species="Manidae", product="scales or spines")):  # few: from the tag index
        assert _walk(store, f, sort) == _expected(store, f, sort), (sort, f)


def test_dashboard_range_equals_counting_row_by_row(store: SQLStore) -> None:
    f = q.Filters(posted_from="2026-02-01", posted_to="2026-07-31")
    delta: Counter[counts.DayKey] = Counter()
    with store.engine.connect() as conn:
        for row in conn.execute(sa.select(*[queue.c[n] for n in counts.COLUMNS]).where(*q.where(f))):
            counts.change(delta, None, dict(row._mapping))
        assert counts.recount(conn, q.where(f)) == counts.totals(delta)
    for verdict in ("wildlife_offer", "not_wildlife"):
        got = q.dashboard(store.engine, verdict, posted_from=f.posted_from, posted_to=f.posted_to)
        want = counts.summary(counts.totals(delta), verdict)
        assert {k: got[k] for k in want} == want, verdict


def test_the_tag_index_follows_rescans(store: SQLStore, scanner: Scanner, records: list[dict[str, Any]]) -> None:
    tagged = [r for r in records if "pangolin" in str(r["title"]).lower() or "trenggiling" in str(r["title"])]
    assert tagged, "the generated listings hold pangolin offers"
    store.save(list(scanner.scan([{**tagged[0], "title": "oak table", "text": ""}])))
    assert _walk(store, q.Filters(species="Manidae"), "risk") == _expected(store, q.Filters(species="Manidae"), "risk")
    assert tagged[0]["id"] not in _walk(store, q.Filters(species="Manidae"), "risk")


def test_filter_menus(store: SQLStore) -> None:
    with store.engine.connect() as conn:
        for name in ("lang", "platform", "verdict"):
            col = queue.c[name]
            tally = dict(conn.execute(sa.select(col, sa.func.count()).where(col != "").group_by(col)).all())
            want = sorted(tally, key=lambda v: (-tally[v], v))
            assert q.facets(store.engine)[name] == want, name


@pytest.mark.parametrize("sort", q.SORTS)
def test_a_wide_date_range_walks_the_sort_order_to_the_same_pages(store: SQLStore, sort: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A date range holding more than ``q.FEW`` rows is read by walking the sort order (SQLite)
    instead of from ``queue_posted``: the same pages either way, keyset cursors included."""
    ranges = [q.Filters(posted_from="2026-01-01", posted_to="2026-12-31"), q.Filters(posted_from="2026-03-01"),
              q.Filters(posted_to="2026-04-30"), q.Filters(verdict="wildlife_offer", posted_from="2026-02-01")]
    with store.engine.connect() as conn:
        assert not any(q._wide(conn, f, sort) for f in ranges)  # a few rows: from the index
    monkeypatch.setattr(q, "FEW", 3)
    with store.engine.connect() as conn:
        walks = [q._wide(conn, f, sort) for f in ranges]
    assert any(walks) == (store.dialect == "sqlite" and sort in ("risk", "uncertain")), walks
    for f in ranges:
        assert _walk(store, f, sort) == _expected(store, f, sort), (sort, f)
