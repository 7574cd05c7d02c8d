"""Search of one or two CJK or Thai characters (象牙, งา) from an index instead of a LIKE scan of
every row: the trigram indexes (``queue_fts``, pg_trgm) need 3 characters.

The keys are ``wildtrace.store.grams.grams(search_text)``: each character of those scripts and
each pair of them side by side.

- SQLite: ``queue_grams`` (gram, queue id; WITHOUT ROWID, so the primary key is the index),
  kept by triggers on ``queue`` as ``queue_fts`` is; the triggers call ``wildtrace_grams``,
  which ``wildtrace.store.db`` registers on every connection it opens. Back-filled here.
- PostgreSQL: the same function in SQL (IMMUTABLE) and a GIN index over
  ``wildtrace_grams(search_text)``, kept by PostgreSQL itself (stock PostgreSQL 15, no pg_bigm).

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlite3

from alembic import op

from wildtrace.store import grams

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

F = grams.FUNCTION
_INSERT = (f"INSERT OR IGNORE INTO queue_grams(gram, id) SELECT value, new.id "
           f"FROM json_each({F}(new.search_text));")
_DELETE = (f"DELETE FROM queue_grams WHERE id = old.id AND gram IN "
           f"(SELECT value FROM json_each({F}(old.search_text)));")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(grams.PG_FUNCTION)
        op.execute(f"CREATE INDEX IF NOT EXISTS queue_grams_gin ON queue USING gin ({F}(search_text))")
        op.execute("ANALYZE queue")
        return
    raw = bind.connection.driver_connection
    assert isinstance(raw, sqlite3.Connection), type(raw)
    grams.register(raw)  # the back-fill below calls it
    op.execute("CREATE TABLE IF NOT EXISTS queue_grams (gram TEXT NOT NULL, id INTEGER NOT NULL, "
               "PRIMARY KEY (gram, id)) WITHOUT ROWID")
    op.execute(f"CREATE TRIGGER IF NOT EXISTS queue_grams_ai AFTER INSERT ON queue BEGIN {_INSERT} END")
    op.execute(f"CREATE TRIGGER IF NOT EXISTS queue_grams_ad AFTER DELETE ON queue BEGIN {_DELETE} END")
    op.execute("CREATE TRIGGER IF NOT EXISTS queue_grams_au AFTER UPDATE OF search_text ON queue "
               f"WHEN old.search_text IS NOT new.search_text BEGIN {_DELETE} {_INSERT} END")
    op.execute(f"INSERT OR IGNORE INTO queue_grams(gram, id) SELECT j.value, q.id "
               f"FROM queue AS q, json_each({F}(q.search_text)) AS j")
    op.execute("ANALYZE queue_grams")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS queue_grams_gin")
        op.execute(f"DROP FUNCTION IF EXISTS {F}(text)")
        return
    for trigger in ("ai", "ad", "au"):
        op.execute(f"DROP TRIGGER IF EXISTS queue_grams_{trigger}")
    op.execute("DROP TABLE IF EXISTS queue_grams")
