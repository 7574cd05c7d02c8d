"""SQLite's full-text triggers re-index a queue row only when its indexed text changed:

``queue_fts_au`` (``search_text``) and ``queue_tags_au`` (``species``, ``products``) fired on every
UPDATE that named the column, so a rescan that wrote the same text, or any write that set the
column to its value, deleted and re-inserted the row's trigrams for nothing. They now carry the
``WHEN old.x IS NOT new.x`` clause ``queue_grams_au`` has had since revision 0014. PostgreSQL
keeps its indexes itself; nothing changes there.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_FTS = ("INSERT INTO queue_fts(queue_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); "
        "INSERT INTO queue_fts(rowid, search_text) VALUES (new.id, new.search_text);")
_TAGS = ("INSERT INTO queue_tags(queue_tags, rowid, species, products) "
         "VALUES ('delete', old.id, old.species, old.products); "
         "INSERT INTO queue_tags(rowid, species, products) VALUES (new.id, new.species, new.products);")


def _exists(name: str) -> bool:
    row = op.get_bind().exec_driver_sql(
        "SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ?", (name,)).first()
    return row is not None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    if _exists("queue_fts_au"):
        op.execute("DROP TRIGGER queue_fts_au")
        op.execute("CREATE TRIGGER queue_fts_au AFTER UPDATE OF search_text ON queue "
                   f"WHEN old.search_text IS NOT new.search_text BEGIN {_FTS} END")
    if _exists("queue_tags_au"):
        op.execute("DROP TRIGGER queue_tags_au")
        op.execute("CREATE TRIGGER queue_tags_au AFTER UPDATE OF species, products ON queue "
                   f"WHEN old.species IS NOT new.species OR old.products IS NOT new.products BEGIN {_TAGS} END")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    if _exists("queue_fts_au"):
        op.execute("DROP TRIGGER queue_fts_au")
        op.execute(f"CREATE TRIGGER queue_fts_au AFTER UPDATE OF search_text ON queue BEGIN {_FTS} END")
    if _exists("queue_tags_au"):
        op.execute("DROP TRIGGER queue_tags_au")
        op.execute(f"CREATE TRIGGER queue_tags_au AFTER UPDATE OF species, products ON queue BEGIN {_TAGS} END")
