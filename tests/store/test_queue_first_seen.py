"""``queue.first_seen`` (revision 0018) is each listing's first sighting, the smallest
``listings.first_seen`` of its versions: after new listings, a later version, an earlier one (an
older capture stored after), a rescan and a batch holding a listing's new and older versions, by
both writers (``save``: store/batch.py; ``save_one_by_one``), on SQLite and PostgreSQL; and after
the migration's back-fill of a store made before 0018. The migrated queue matches schema.py."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from wildtrace import Scanner
from wildtrace.scan.result import ScanResult
from wildtrace.store import db
from wildtrace.store.schema import listings, queue
from wildtrace.store.sql import SQLStore

from .conftest import stored_at_0001

RECORDS = [{"id": "A", "title": "Rhino horn for sale, WhatsApp me", "seller": "s1", "posted_at": "2026-11-02"},
           {"id": "B", "title": "Ivory bangle, old stock", "seller": "s2", "posted_at": "2026-10-01"},
           {"id": "C", "title": "Plush toy tiger", "seller": "s3"}]


def _scan(scanner: Scanner, records: list[dict[str, Any]], at: str) -> list[ScanResult]:
    out = [r for r in scanner.scan(records) if isinstance(r, ScanResult)]
    return [dataclasses.replace(r, scanned_at=at) for r in out]


def _changed(listing_id: str, words: str) -> dict[str, Any]:
    base = next(r for r in RECORDS if r["id"] == listing_id)
    return {**base, "text": words}


def _state(engine: sa.Engine) -> tuple[dict[str, str], dict[str, str]]:
    """(queue.first_seen, the smallest listings.first_seen) per listing id."""
    with engine.connect() as conn:
        kept: dict[str, str] = dict(conn.execute(sa.text("SELECT listing_id, first_seen FROM queue")).all())
        least: dict[str, str] = dict(conn.execute(sa.text("SELECT listing_id, min(first_seen) FROM listings GROUP BY listing_id")).all())
    return kept, least


@pytest.mark.parametrize("writer", ["save", "save_one_by_one"])
def test_every_write_keeps_the_first_sighting(db_url: str, scanner: Scanner, writer: str) -> None:
    store = SQLStore(db_url)
    save: Callable[[list[ScanResult]], None] = getattr(store, writer)

    def check(expected: dict[str, str]) -> None:
        kept, least = _state(store.engine)
        assert kept == least, "queue.first_seen is the smallest first_seen of the listing's versions"
        assert kept == expected

    save(_scan(scanner, RECORDS, "2026-11-10T00:00:00Z"))  # new listings
    check({"A": "2026-11-10T00:00:00Z", "B": "2026-11-10T00:00:00Z", "C": "2026-11-10T00:00:00Z"})
    save(_scan(scanner, [_changed("A", "now with a certificate")], "2026-11-12T00:00:00Z"))  # a later version
    check({"A": "2026-11-10T00:00:00Z", "B": "2026-11-10T00:00:00Z", "C": "2026-11-10T00:00:00Z"})
    # an older capture of B, stored after: its version is seen earlier than B's first
    save(_scan(scanner, [_changed("B", "as captured in October")], "2026-10-05T00:00:00Z"))
    check({"A": "2026-11-10T00:00:00Z", "B": "2026-10-05T00:00:00Z", "C": "2026-11-10T00:00:00Z"})
    save(_scan(scanner, RECORDS, "2026-11-20T00:00:00Z"))  # a rescan of the first contents
    check({"A": "2026-11-10T00:00:00Z", "B": "2026-10-05T00:00:00Z", "C": "2026-11-10T00:00:00Z"})
    # one batch: a new version of C, then an older capture of it, then C's first content again
    batch = (_scan(scanner, [_changed("C", "two of them")], "2026-11-25T00:00:00Z")
             + _scan(scanner, [_changed("C", "as it was in September")], "2026-09-01T00:00:00Z")
             + _scan(scanner, [RECORDS[2]], "2026-11-26T00:00:00Z"))
    save(batch)
    check({"A": "2026-11-10T00:00:00Z", "B": "2026-10-05T00:00:00Z", "C": "2026-09-01T00:00:00Z"})
    with store.engine.connect() as conn:
        versions: dict[str, int] = dict(conn.execute(sa.text("SELECT listing_id, version FROM queue")).all())
    assert versions == {"A": 2, "B": 2, "C": 3}, "the queue row is the newest stored version's"
    store.close()


def test_the_migration_back_fills_a_store_made_before_0018(db_url: str, scanner: Scanner) -> None:
    engine = db.make_engine(db_url)
    stored_at_0001(engine, _scan(scanner, RECORDS, "2026-11-10T00:00:00Z"))
    db.migrate(engine, "0017")
    with engine.begin() as conn:  # an older capture of B and a later version of C, as 0017 stored them
        for listing_id, sha, version, seen in (("B", "b-older", 2, "2026-10-05T00:00:00Z"),
                                               ("C", "c-later", 2, "2026-11-12T00:00:00Z")):
            conn.execute(sa.text("INSERT INTO listings VALUES (:i, :h, :v, :t, :t, '{}')"),
                         {"i": listing_id, "h": sha, "v": version, "t": seen})
        columns = {c["name"] for c in sa.inspect(conn).get_columns("queue")}
    assert "first_seen" not in columns
    engine.dispose()
    store = SQLStore(db_url)  # migrates to the head revision
    kept, least = _state(store.engine)
    assert kept == least == {"A": "2026-11-10T00:00:00Z", "B": "2026-10-05T00:00:00Z", "C": "2026-11-10T00:00:00Z"}
    store.save(_scan(scanner, [_changed("A", "an older capture")], "2026-11-01T00:00:00Z"))
    kept, least = _state(store.engine)
    assert kept == least and kept["A"] == "2026-11-01T00:00:00Z"
    store.close()


def test_the_migrated_queue_is_the_queue_of_schema_py(db_url: str) -> None:
    store = SQLStore(db_url)
    with store.engine.connect() as conn, warnings.catch_warnings():
        warnings.simplefilter("ignore", sa.exc.SAWarning)  # SQLite: "skipped ... expression-based index"
        inspector = sa.inspect(conn)
        columns = {c["name"]: c for c in inspector.get_columns("queue")}
        indexes = {i["name"]: i["column_names"] for i in inspector.get_indexes("queue")}
        kept = {i["name"]: i["column_names"] for i in inspector.get_indexes("listings")}
    store.close()
    # revision 0019 dropped the listings indexes only the old first-seen sort read
    assert kept == {i.name: [c.name for c in i.columns] for i in listings.indexes}
    assert not {"listings_first", "listings_first_seen"} & set(kept)
    assert set(columns) == {c.name for c in queue.c}
    assert columns["first_seen"]["nullable"] is False
    for index in queue.indexes:  # the plain ones (not an expression's, not PostgreSQL's GIN)
        if all(isinstance(e, sa.Column) for e in index.expressions) and not index.dialect_kwargs:
            assert indexes.get(index.name) == [c.name for c in index.columns], index.name
    assert indexes["queue_first_seen"] == ["first_seen", "listing_id", "posted_at"]
