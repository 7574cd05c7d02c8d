"""Saved searches: each user's named searches of the workbench's search page.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_searches",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("owner", sa.String, nullable=False),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("created_at", sa.String, nullable=False),
        sa.UniqueConstraint("owner", "name", name="uq_saved_searches_owner_name"),
    )


def downgrade() -> None:
    op.drop_table("saved_searches")
