"""Schema changes never lose data: databases made by the previous version are upgraded."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from wildtrace import Scanner
from wildtrace.errors import DataError
from wildtrace.store import db, open_store
from wildtrace.store.sql import SQLStore

from .conftest import stored_at_0001
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
    results = _results(scanner)
    stored_at_0001(engine, results)
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


# -- 0004: one labels table, one case model -------------------------------------------------

#: The table ``wildtrace label import`` created on today's main (learn/labels.py before 0004), frozen here.
LEARN_LABELS_V01 = """
CREATE TABLE IF NOT EXISTS labels (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, listing_id TEXT NOT NULL, label TEXT NOT NULL,
    reviewer TEXT NOT NULL, note TEXT, labelled_at TEXT NOT NULL, imported_at TEXT NOT NULL,
    source TEXT NOT NULL, source_sha256 TEXT NOT NULL, UNIQUE (listing_id, reviewer, labelled_at, label));
CREATE INDEX IF NOT EXISTS labels_listing ON labels (listing_id);
"""


def test_workbench_labels_and_cases_at_0003_survive_0004(db_url: str, scanner: Scanner) -> None:
    engine = db.make_engine(db_url)
    stored_at_0001(engine, _results(scanner))  # (today's save writes tables 0003 lacked)
    db.migrate(engine, "0003")  # the schema of today's main
    old_labels = [("A", "h1", "wildlife_offer", "seen before", "ana", "2026-11-01T10:00:00.000Z"),
                  ("A", "h1", "not_wildlife", "", "bob", "2026-11-01T11:00:00.000Z"),
                  ("B", "h2", "unsure", "", "ana", "2026-11-02T09:00:00.000Z")]
    with engine.begin() as conn:
        for row in old_labels:
            conn.execute(sa.text("INSERT INTO labels (listing_id, content_sha256, label, note, author, created_at) "
                                 "VALUES (:a, :b, :c, :d, :e, :f)"),
                         dict(zip("abcdef", row, strict=True)))
        conn.execute(sa.text("INSERT INTO cases (title, status, created_by, created_at) "
                             "VALUES ('Horn ring', 'open', 'ana', '2026-11-03')"))
        conn.execute(sa.text("INSERT INTO case_listings (case_id, listing_id, added_by, added_at) "
                             "VALUES (1, 'A', 'ana', '2026-11-03')"))
    engine.dispose()

    store = SQLStore(db_url)  # migrates to head
    with store.engine.connect() as conn:
        got = conn.execute(sa.text("SELECT listing_id, content_sha256, label, note, reviewer, labelled_at, source "
                                   "FROM labels ORDER BY id")).all()
        case = conn.execute(sa.text("SELECT id, name, title FROM cases")).one()
    assert [tuple(r) for r in got] == [(*row, "workbench") for row in old_labels], "no workbench label lost"
    assert tuple(case) == (1, "case-1", "Horn ring")
    store.close()


def test_label_import_table_of_today_is_merged_into_the_one_table(tmp_path: Path, scanner: Scanner) -> None:
    import sqlite3

    path = tmp_path / "labels-first.sqlite"  # `label import --unchecked` ran before any `scan --save`
    con = sqlite3.connect(path)
    con.executescript(LEARN_LABELS_V01)
    rows = [("A", "wildlife_offer", "ana", "horn", "2026-01-01", "2026-02-01T00:00:00Z", "l.csv", "ab12"),
            ("B", "not_wildlife", "ana", None, "2026-01-01", "2026-02-01T00:00:00Z", "l.csv", "ab12"),
            ("A", "not_wildlife", "bob", None, "2026-01-05", "2026-02-02T00:00:00Z", "m.jsonl", "cd34")]
    con.executemany("INSERT INTO labels (listing_id, label, reviewer, note, labelled_at, imported_at, source, "
                    "source_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.commit()
    con.close()

    store = open_store(path)  # used to fail: "table labels already exists"
    assert isinstance(store, SQLStore)
    store.save(_results(scanner))
    with store.engine.connect() as conn:
        got = conn.execute(sa.text("SELECT listing_id, label, reviewer, note, labelled_at, source, source_sha256 "
                                   "FROM labels ORDER BY id")).all()
        tables = set(sa.inspect(conn).get_table_names())
    assert [tuple(r) for r in got] == [(a, b, c, d or "", e, g, h) for a, b, c, d, e, _, g, h in rows]
    assert "labels_learn_v01" not in tables
    from wildtrace.learn.labels import resolve, stored

    assert resolve(stored(store.engine))["A"].conflict, "both reviewers' labels reach the conflict rule"
    store.close()
