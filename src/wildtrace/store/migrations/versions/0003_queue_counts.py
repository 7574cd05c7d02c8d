"""Dashboard counts: ``queue_counts``, back-filled from the queue by a full recount.

The dashboard read the whole queue for each request (seconds at a million rows); from now on
every queue write keeps these counts in the same transaction (``wildtrace.store.counts``).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from wildtrace.store import counts

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queue_counts",
        sa.Column("verdict", sa.String, primary_key=True),
        sa.Column("dim", sa.String, primary_key=True),
        sa.Column("value", sa.String, primary_key=True),
        sa.Column("n", sa.Integer, nullable=False),
    )
    counts.rebuild(op.get_bind())
    op.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")


def downgrade() -> None:
    op.drop_table("queue_counts")
    op.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
