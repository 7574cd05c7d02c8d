"""Indexes for the workbench's pages at a million listings (``benchmarks/bench_workbench.py``).

- ``queue_posted`` (posted_at, listing_id): the "posted" sort and its keyset pages, date ranges;
- ``queue_dated`` (verdict, posted_at, then the counted columns): the dashboard over a date
  range (an index-only GROUP BY) and its bars' links (flagged listings posted in a week);
- ``queue_risk_lean`` (risk_score, listing_id, then what search ranks and counts facets by): the
  search by meaning walks the queue in risk order without reading the rows;
- ``queue_uncertain`` (abs(wildlife_score - 0.5), listing_id DESC): "uncertain first";
- ``listings_first_seen`` (first_seen, listing_id): the "first seen" sort walks it newest first;
- the species and product filters (``LIKE '%|name|%'``) and the search by meaning, when the kept
  counts say few rows match: on PostgreSQL trigram GIN indexes on ``queue.species`` and
  ``queue.products``; on SQLite ``queue_tags``, a trigram FTS5 index of the same two columns
  (external content, kept by triggers as ``queue_fts`` is), back-filled here.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

#: (name, table, columns) on both backends
INDEXES: list[tuple[str, str, list[str | sa.TextClause]]] = [
    ("queue_posted", "queue", ["posted_at", "listing_id"]),
    ("queue_dated", "queue", ["verdict", "posted_at", "label", "week", "platform", "species", "products",
                              "appendices"]),
    ("queue_risk_lean", "queue", ["risk_score", "listing_id", "verdict", "label", "lang", "platform", "species",
                                  "products", "appendices"]),
    ("queue_uncertain", "queue", [sa.text("abs(wildlife_score - 0.5)"), sa.text("listing_id DESC")]),
    ("listings_first_seen", "listings", ["first_seen", "listing_id"]),
]
TRIGRAM = [("queue_species_trgm", "species"), ("queue_products_trgm", "products")]
TAGS = "queue_tags"
_ROW = "new.id, new.species, new.products"
_OLD = "'delete', old.id, old.species, old.products"


def upgrade() -> None:
    for name, table, cols in INDEXES:
        op.create_index(name, table, cols, if_not_exists=True)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, column in TRIGRAM:
            op.create_index(name, "queue", [column], postgresql_using="gin",
                            postgresql_ops={column: "gin_trgm_ops"}, if_not_exists=True)
    else:
        op.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {TAGS} USING fts5(species, products, content='queue', "
                   "content_rowid='id', tokenize='trigram')")
        op.execute(f"CREATE TRIGGER IF NOT EXISTS {TAGS}_ai AFTER INSERT ON queue BEGIN "
                   f"INSERT INTO {TAGS}(rowid, species, products) VALUES ({_ROW}); END")
        op.execute(f"CREATE TRIGGER IF NOT EXISTS {TAGS}_ad AFTER DELETE ON queue BEGIN "
                   f"INSERT INTO {TAGS}({TAGS}, rowid, species, products) VALUES ({_OLD}); END")
        op.execute(f"CREATE TRIGGER IF NOT EXISTS {TAGS}_au AFTER UPDATE OF species, products ON queue BEGIN "
                   f"INSERT INTO {TAGS}({TAGS}, rowid, species, products) VALUES ({_OLD}); "
                   f"INSERT INTO {TAGS}(rowid, species, products) VALUES ({_ROW}); END")
        op.execute(f"INSERT INTO {TAGS}({TAGS}) VALUES ('rebuild')")
    op.execute("ANALYZE")  # let the planner see the new indexes' statistics now


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, _column in TRIGRAM:
            op.drop_index(name, table_name="queue", if_exists=True)
    else:
        for trigger in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS {TAGS}_{trigger}")
        op.execute(f"DROP TABLE IF EXISTS {TAGS}")
    for name, table, _cols in INDEXES:
        op.drop_index(name, table_name=table, if_exists=True)
