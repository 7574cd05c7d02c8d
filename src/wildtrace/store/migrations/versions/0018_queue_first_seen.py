"""The queue sorted by "first seen" reads each listing's first sighting from its queue row (issue 27):

- ``queue.first_seen``: the listing's first sighting, the smallest ``listings.first_seen`` of its
  versions (same format), kept by every write of a listing version from now on
  (``store/batch.py``, ``SQLStore.save_one_by_one``) and back-filled here from ``listings``;
- ``queue_first_seen (first_seen, listing_id, posted_at)``: the sort walks it newest first. The
  first two columns are the page's whole order (ties by listing id, descending) and its keyset
  cursor, ``(first_seen, listing_id) < (value, id)``, a seek; ``posted_at`` last, so that a
  posted date range is tested on the index entry without reading the row ("posted before April"
  at 1M listings passes 350,000 entries of listings first seen after it). Leading with
  ``(first_seen, posted_at)`` would order ties by posted date, not listing id: a sort after the
  walk, and a cursor that seeks on the first sighting alone.

Back-fill: SQLite writes the column in place, each row's smallest ``first_seen`` from
``listings_first`` (revision 0016): 8.5-21.5 s at 1M listings (load 7-11 on 2 cores).
PostgreSQL would give an UPDATE of every row a new row version and an entry in each of the
queue's 17 indexes (three GIN: 282 s at 1M), so the column is rewritten instead (``ALTER COLUMN
... TYPE ... USING``: one pass over the table, each index rebuilt once; the value from a function
kept only for the migration): 151-185 s, most of it rebuilding the GIN indexes of search.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_FIRST = "SELECT min(l.first_seen) FROM listings AS l WHERE l.listing_id = {}"


def upgrade() -> None:
    bind = op.get_bind()
    op.add_column("queue", sa.Column("first_seen", sa.String, nullable=False, server_default=""))
    if bind.dialect.name == "postgresql":
        op.execute("CREATE FUNCTION wildtrace_first_sighting(text) RETURNS varchar LANGUAGE sql STABLE AS "
                   f"$$ {_FIRST.format('$1')} $$")
        op.execute("ALTER TABLE queue ALTER COLUMN first_seen TYPE varchar "
                   "USING coalesce(wildtrace_first_sighting(listing_id), '')")
        op.execute("DROP FUNCTION wildtrace_first_sighting(text)")
    else:
        op.execute(f"UPDATE queue SET first_seen = coalesce(({_FIRST.format('queue.listing_id')}), '')")
    op.create_index("queue_first_seen", "queue", ["first_seen", "listing_id", "posted_at"], if_not_exists=True)
    # the planner sees the new index now (SQLite: that index alone, not the whole queue again)
    op.execute("ANALYZE queue" if bind.dialect.name == "postgresql" else "ANALYZE queue_first_seen")


def downgrade() -> None:
    op.drop_index("queue_first_seen", table_name="queue", if_exists=True)
    op.drop_column("queue", "first_seen")
