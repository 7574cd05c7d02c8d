"""Case notes, and cases deleted without losing their rows.

- ``case_notes``: append-only notes on a case, each with its author and time.
- ``cases.deleted_at``: when an admin deleted the case (null: not deleted). A deleted case is
  gone from every list and lookup, but its rows and its audit trail stay.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_notes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("author", sa.String, nullable=False),
        sa.Column("created_at", sa.String, nullable=False),
    )
    op.create_index("ix_case_notes_case_id", "case_notes", ["case_id"])
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("deleted_at", sa.String, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("deleted_at")
    op.drop_index("ix_case_notes_case_id", table_name="case_notes")
    op.drop_table("case_notes")
