"""Every analyst decision in the store: seller judgements, the local lexicon's changes, built
seller networks, and the marketplace monitor's crawl state.

- ``judgements``: append-only same/different/unsure/retract records on pairs of accounts
  (were ``DATA_DIR/judgements.jsonl``); ``seq`` keeps their order, ``id`` is the record's own id.
- ``lexicon_changes``: the local lexicon's append-only change log, one row per version (was
  ``DATA_DIR/local_lexicon.jsonl``).
- ``networks``: each network ``wildtrace network build`` made, whole, with its provenance.
- ``crawl_state``: one row per (source, url key): what the monitor last saw there.
- ``legacy_imports``: which JSON Lines files (by content hash) were imported, so each is
  imported once; the files themselves are never changed.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "judgements",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String, nullable=False, unique=True),
        sa.Column("a", sa.String, nullable=False),
        sa.Column("b", sa.String, nullable=False),
        sa.Column("judgement", sa.String, nullable=False),
        sa.Column("retracts", sa.String, nullable=True),
        sa.Column("author", sa.String, nullable=False),
        sa.Column("at", sa.String, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("judgements_pair", "judgements", ["a", "b", "seq"])
    op.create_table(
        "lexicon_changes",
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("op", sa.String, nullable=False),
        sa.Column("term", sa.Text, nullable=False),
        sa.Column("kind", sa.String, nullable=True),
        sa.Column("lang", sa.String, nullable=True),
        sa.Column("means_product", sa.String, nullable=True),
        sa.Column("means_taxon", sa.String, nullable=True),
        sa.Column("context_required", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("author", sa.String, nullable=False),
        sa.Column("at", sa.String, nullable=False),
        sa.Column("note", sa.Text, nullable=True),
    )
    op.create_table(
        "networks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("built_at", sa.String, nullable=False),
        sa.Column("input_sha256", sa.String, nullable=False),
        sa.Column("accounts", sa.Integer, nullable=False),
        sa.Column("links", sa.Integer, nullable=False),
        sa.Column("provenance", sa.Text, nullable=False),
        sa.Column("network", sa.Text, nullable=False),
    )
    op.create_table(
        "crawl_state",
        sa.Column("source", sa.String, primary_key=True),
        sa.Column("url_key", sa.String, primary_key=True),
        sa.Column("canonical_url", sa.Text, nullable=False),
        sa.Column("content_sha256", sa.String, nullable=False, server_default=""),
        sa.Column("first_seen", sa.String, nullable=False),
        sa.Column("last_seen", sa.String, nullable=False),
        sa.Column("last_changed", sa.String, nullable=False),
        sa.Column("last_status", sa.Integer, nullable=True),
        sa.Column("etag", sa.String, nullable=True),
        sa.Column("last_modified", sa.String, nullable=True),
    )
    op.create_index("crawl_state_due", "crawl_state", ["source", "last_seen"])
    op.create_table(
        "legacy_imports",
        sa.Column("what", sa.String, primary_key=True),
        sa.Column("sha256", sa.String, primary_key=True),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("records", sa.Integer, nullable=False),
        sa.Column("imported_at", sa.String, nullable=False),
    )
    op.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")


def downgrade() -> None:
    for table in ("legacy_imports", "crawl_state", "networks", "lexicon_changes", "judgements"):
        op.drop_table(table)
    op.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
