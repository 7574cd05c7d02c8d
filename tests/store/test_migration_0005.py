"""Revision 0005 adds the decision tables to a database at 0004 without touching what is there."""

from __future__ import annotations

import sqlalchemy as sa

from wildtrace.store import db

NEW = {"judgements", "lexicon_changes", "networks", "crawl_state", "legacy_imports"}


def test_0004_to_0005_keeps_what_is_there(db_url: str) -> None:
    engine = db.make_engine(db_url)
    try:
        db.migrate(engine, "0004")
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO cases (name, title, status, created_by, created_at) "
                                 "VALUES ('op', 'Op', 'open', 'ana', '2026-01-01T00:00:00Z')"))
        assert not NEW & set(sa.inspect(engine).get_table_names())
        db.migrate(engine)
        assert db.current_revision(engine) == db.head_revision()
        assert NEW <= set(sa.inspect(engine).get_table_names())
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT name FROM cases")).scalars().all() == ["op"]
            assert conn.execute(sa.text("SELECT value FROM meta WHERE key = 'schema_version'")).scalar() == "5"
    finally:
        engine.dispose()
