"""The scan store of WildTrace 0.1: listings (versioned by content hash) and scan results.

Identical to the schema that ``store/sqlite.py`` (sqlite3, before Alembic) created, so a
database made by that version is stamped at this revision and upgraded from here.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meta",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "listings",
        sa.Column("listing_id", sa.Text, primary_key=True),
        sa.Column("content_sha256", sa.Text, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("first_seen", sa.Text, nullable=False),
        sa.Column("last_seen", sa.Text, nullable=False),
        sa.Column("record", sa.Text, nullable=False),
    )
    op.create_index("listings_version", "listings", ["listing_id", "version"])
    op.create_table(
        "scan_results",
        sa.Column("listing_id", sa.Text, primary_key=True),
        sa.Column("content_sha256", sa.Text, primary_key=True),
        sa.Column("model", sa.Text, primary_key=True),
        sa.Column("scanned_at", sa.Text, nullable=False),
        sa.Column("verdict", sa.Text, nullable=False),
        sa.Column("wildlife_score", sa.Float, nullable=False),
        sa.Column("risk_score", sa.Float, nullable=False),
        sa.Column("result", sa.Text, nullable=False),
        sa.ForeignKeyConstraint(["listing_id", "content_sha256"],
                                ["listings.listing_id", "listings.content_sha256"]),
    )
    op.create_index("results_risk", "scan_results", ["risk_score"])
    op.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '1')")


def downgrade() -> None:
    op.drop_table("scan_results")
    op.drop_table("listings")
    op.drop_table("meta")
