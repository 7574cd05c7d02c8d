"""The queue sorted by "first seen" (``queue.first_seen``, revision 0018; ``store/first_seen.py``),
read by the walk of ``queue_first_seen`` or from the filters' own index (few rows), page by page
and with or without a posted date range, is the order counted row by row, on each backend."""

from __future__ import annotations

import dataclasses
import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from wildtrace import Scanner
from wildtrace.scan.result import ScanResult
from wildtrace.store import first_seen
from wildtrace.store import queue as q
from wildtrace.store.labels import add_labels
from wildtrace.store.schema import listings, queue
from wildtrace.store.sql import SQLStore

ROOT = Path(__file__).resolve().parents[2]
RANGES = [q.Filters(posted_from="2026-03-01", posted_to="2026-05-31"), q.Filters(posted_to="2026-04-15"),
          q.Filters(posted_from="2026-04-01", posted_to="2026-04-01"),
          q.Filters(posted_from="2031-01-01", posted_to="2031-02-01"),
          q.Filters(posted_from="2000-01-01", posted_to="2030-12-31"),
          q.Filters(verdict="wildlife_offer", posted_from="2026-02-01", posted_to="2026-06-30"),
          q.Filters(label="unlabelled", posted_from="2026-01-01", posted_to="2026-12-31"),
          q.Filters(species="Manidae", posted_from="2026-01-01", posted_to="2026-12-31"),
          q.Filters(product="ivory products", posted_to="2026-12-31"),
          # posted before a date, no start (issue 27): very early, mid, very late, with other filters
          q.Filters(posted_to="2000-01-01"), q.Filters(posted_to="2026-02-15"), q.Filters(posted_to="2030-12-31"),
          q.Filters(verdict="wildlife_offer", posted_to="2026-05-01"),
          q.Filters(label="unlabelled", posted_to="2026-06-30"), q.Filters(platform="ebay", posted_to="2026-09-30"),
          # no date range (revision 0018: the same column and index)
          q.Filters(), q.Filters(platform="ebay"), q.Filters(species="Manidae"), q.Filters(product="ivory products"),
          q.Filters(label="not_wildlife"), q.Filters(verdict="wildlife_offer", lang="en"),
          q.Filters(posted_from="2026-04-01")]


@pytest.fixture(scope="module")
def scanner(tmp_path_factory: pytest.TempPathFactory) -> Scanner:
    from wildtrace import Settings

    return Scanner(Settings(data_dir=tmp_path_factory.mktemp("data")))


@pytest.fixture(scope="module")
def records() -> list[dict[str, Any]]:
    spec = importlib.util.spec_from_file_location("wt_generate", ROOT / "benchmarks" / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.listings(160, seed=3))


@pytest.fixture
def store(db_url: str, scanner: Scanner, records: list[dict[str, Any]]) -> Iterator[SQLStore]:
    s = SQLStore(db_url)
    results = [r for r in scanner.scan(records) if isinstance(r, ScanResult)]
    for k, r in enumerate(results):  # first seen spread over days, some ties
        results[k] = dataclasses.replace(r, scanned_at=f"2026-06-{1 + k % 20:02d}T00:00:00Z")
    s.save(results)
    # new versions of a few listings, one of them scanned "earlier" than its first version
    again = [r for r in scanner.scan([{**records[i], "text": "changed"} for i in (3, 7, 11)])
             if isinstance(r, ScanResult)]
    again[0] = dataclasses.replace(again[0], scanned_at="2026-01-01T00:00:00Z")
    s.save(again)
    add_labels(s.engine, [r["id"] for r in records[:10]], "not_wildlife", "ann")
    yield s
    s.close()


def pages(store: SQLStore, f: q.Filters, limit: int) -> list[str]:
    out: list[str] = []
    after = None
    while True:
        rows, cursor = q.page(store.engine, f, limit=limit, after=after, sort="first_seen")
        out += [r["listing_id"] for r in rows]
        if cursor is None:
            return out
        after = q.decode_cursor(cursor, "first_seen")


def counted(store: SQLStore, f: q.Filters) -> list[str]:
    """The order row by row: each listing's smallest first_seen, newest first, then its id."""
    with store.engine.connect() as conn:
        ids = list(conn.execute(sa.select(queue.c.listing_id).where(*q.where(f))).scalars())
        first: dict[str, str] = {}
        for lid, seen in conn.execute(sa.select(listings.c.listing_id, listings.c.first_seen)):
            first[lid] = min(first.get(lid, seen), seen)
    return sorted(ids, key=lambda i: (first[i], i), reverse=True)


def test_indexes_0018_0019(store: SQLStore) -> None:
    sql = ("SELECT name FROM sqlite_master WHERE type = 'index'" if store.dialect == "sqlite"
           else "SELECT indexname FROM pg_indexes")
    with store.engine.connect() as conn:
        names = set(conn.execute(sa.text(sql)).scalars())
    assert "queue_first_seen" in names
    assert not {"listings_first", "listings_first_seen"} & names


@pytest.mark.parametrize("begin", ["walk", "posted_at", "label", "counts"])
def test_both_ways_page_through_the_counted_order(store: SQLStore, monkeypatch: pytest.MonkeyPatch,
                                                  begin: str) -> None:
    """Each way of reading the page: the walk of ``queue_first_seen`` (on SQLite every filter
    hidden from its index), the rows read from one column's index and sorted (``posted_at``,
    ``label``: the others hidden on SQLite), or as the store's counts decide; pages of 1, 7 and
    500 rows by the keyset cursor."""
    if begin != "counts":
        monkeypatch.setattr(first_seen, "start", lambda conn, f: None if begin == "walk" else begin)
    seen = 0
    for f in RANGES:
        want = counted(store, f)
        seen += len(want)
        for limit in (1, 7, 500):
            assert pages(store, f, limit) == want, (f, limit)
    assert seen > 100, "the ranges hold rows"


def test_the_counts_choose_where_a_page_starts(store: SQLStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """A seller, a rare tag, a narrow range or a rare label start from their index; the rest walk."""
    monkeypatch.setattr(first_seen, "FEW", 15)  # 10 listings are labelled not_wildlife
    wide = "2030-12-31"
    with store.engine.connect() as conn:
        assert q.posted_held(conn, q.Filters(posted_to=wide)) >= 15
        assert first_seen.start(conn, q.Filters(seller="someone", posted_to=wide)) == "seller"
        assert first_seen.start(conn, q.Filters(species="Manidae")) == "id"
        assert first_seen.start(conn, q.Filters(posted_from="2026-04-01", posted_to="2026-04-01")) == "posted_at"
        assert first_seen.start(conn, q.Filters(label="not_wildlife", posted_to=wide)) == "label"
        assert first_seen.start(conn, q.Filters(label="unlabelled", posted_to=wide)) is None
        assert first_seen.start(conn, q.Filters(lang="en", posted_to=wide)) is None
        assert first_seen.start(conn, q.Filters()) is None


def test_the_count_of_each_filter_set_is_its_rows(store: SQLStore) -> None:
    """``q.count``: a posted range with at most a verdict from the day counts, the rest as before."""
    for f in [*RANGES, q.Filters(verdict="wildlife_offer", posted_from="2026-03-01"), q.Filters(posted_to="2026-06-05")]:
        assert q.count(store.engine, f) == len(counted(store, f)), f
