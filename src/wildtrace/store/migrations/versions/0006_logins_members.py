"""The login throttle in the database, and case members.

- ``login_attempts``: failed logins counted per client address and per (account, client
  address), updated atomically by every login attempt, so concurrent attempts and several
  workbench processes share one count.
- ``case_members``: the users a case is restricted to (a case without members is open to
  every role as before).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("key", sa.String, primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_at", sa.Float, nullable=False, server_default="0"),
    )
    op.create_table(
        "case_members",
        sa.Column("case_id", sa.Integer, primary_key=True),
        sa.Column("user_name", sa.String, primary_key=True),
        sa.Column("added_by", sa.String, nullable=False),
        sa.Column("added_at", sa.String, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("case_members")
    op.drop_table("login_attempts")
