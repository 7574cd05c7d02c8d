"""Schema changes never lose data: databases made by the previous version are upgraded."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa

from wildtrace import Scanner
from wildtrace.errors import DataError
from wildtrace.store import db, open_store
from wildtrace.store.sql import SQLStore, model_key

from .v01_sqlite_store import SQLiteStore


def _results(scanner: Scanner):  # type: ignore[no-untyped-def]
    return [r for r in scanner.scan([
        {"id": "A", "title": "Rhino horn for sale, WhatsApp me", "seller": "s1", "posted_at": "2026-11-02"},
        {"id": "B", "title": "出售 犀角 杯 老货 保真", "seller": "老张"},
        {"id": "C", "title": "Plush toy tiger"},
    ])]


def test_a_database_made_by_wildtrace_0_1_is_upgraded_without_loss(tmp_path: Path, scanner: Scanner) -> None:
    path = tmp_path / "old.sqlite"
    old = SQLiteStore(path)
    old.save(_results(scanner))
    changed = list(scanner.scan([{"id": "A", "title": "Rhino horn for sale, WhatsApp me", "price": "9"}]))
    old.save(changed)  # a second version of A
    before = {i: (old.versions(i), old.latest_result(i)) for i in "ABC"}
    old.close()

    store = open_store(path)
    assert isinstance(store, SQLStore)
    assert db.current_revision(store.engine) == db.head_revision()
    for listing_id, (versions, latest) in before.items():
        assert store.versions(listing_id) == versions, listing_id
        assert store.latest_result(listing_id) == latest, listing_id
    with store.engine.connect() as conn:
        rows = dict(conn.execute(sa.text("SELECT listing_id, version FROM queue")).all())
        assert rows == {"A": 2, "B": 1, "C": 1}, "the queue is back-filled from the stored results"
        hits = conn.execute(sa.text("SELECT q.listing_id FROM queue_fts f JOIN queue q ON q.id = f.rowid "
                                    "WHERE queue_fts MATCH '\"老货 保\"'")).scalars().all()
        assert hits == ["B"], "search works on upgraded data"
    store.save(list(scanner.scan([{"id": "D", "title": "Ivory bangle"}])))
    assert store.count_listings() == 4
    store.close()
    # the 0.1 code refuses the upgraded database instead of misreading it
    with pytest.raises(DataError, match="newer"):
        SQLiteStore(path)


def test_upgrade_from_revision_0001_on_each_backend(db_url: str, scanner: Scanner) -> None:
    engine = db.make_engine(db_url)
    db.migrate(engine, "0001")
    results = _results(scanner)
    with engine.begin() as conn:
        for r in results:
            conn.execute(sa.text("INSERT INTO listings VALUES (:i, :h, 1, :t, :t, :rec)"),
                         {"i": r.id, "h": r.input_sha256, "t": r.scanned_at, "rec": orjson.dumps(r.listing).decode()})
            conn.execute(sa.text("INSERT INTO scan_results VALUES (:i, :h, :m, :t, :v, :w, :s, :res)"),
                         {"i": r.id, "h": r.input_sha256, "m": model_key(r.model), "t": r.scanned_at,
                          "v": r.verdict, "w": r.wildlife_score, "s": r.risk_score,
                          "res": orjson.dumps(r.to_dict()).decode()})
    engine.dispose()
    store = SQLStore(db_url)
    assert store.count_listings() == 3
    with store.engine.connect() as conn:
        queue = dict(conn.execute(sa.text("SELECT listing_id, risk_score FROM queue")).all())
    assert queue == {r.id: r.risk_score for r in results}
    assert store.latest_result("B") == results[1].to_dict()
    store.close()
    store = SQLStore(db_url)  # opening again is a no-op
    assert store.count_listings() == 3
    store.close()


def test_a_database_from_a_newer_wildtrace_is_refused(db_url: str) -> None:
    store = SQLStore(db_url)
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    store.close()
    with pytest.raises(DataError, match="newer than this WildTrace"):
        SQLStore(db_url)
