"""Text models trained in the workbench from the analysts' labels: ``text_models`` (one row per
model folder, its label counts, its evaluation beside the model then in use, and its status:
candidate, active or retired, with who accepted it and when).

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "text_models",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("version", sa.String, nullable=False),
        sa.Column("created_at", sa.String, nullable=False),
        sa.Column("created_by", sa.String, nullable=False),
        sa.Column("labels", sa.Integer, nullable=False),
        sa.Column("positives", sa.Integer, nullable=False),
        sa.Column("evaluation", sa.Text, nullable=False, server_default="{}"),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("accepted_by", sa.String, nullable=True),
        sa.Column("accepted_at", sa.String, nullable=True),
    )
    op.create_index("text_models_status", "text_models", ["status"])


def downgrade() -> None:
    op.drop_index("text_models_status", table_name="text_models")
    op.drop_table("text_models")
