"""The workbench's slowest pages at a million listings (issue 27, item 6):

- ``queue_day_counts``: the dashboard counts per posted day (``wildtrace.store.counts``), kept
  by every queue write beside ``queue_counts``, back-filled here by one GROUP BY over the queue.
  The dashboard over a date range sums them: a quarter of 2026 grouped 130,000 queue rows.
- ``queue_seller_risk`` (seller, risk_score, listing_id) replaces ``queue_seller`` (seller): the
  seller page reads a prolific seller's 500 riskiest listings in index order instead of joining
  and sorting all 4,000 of them.
- ``audit_log_target`` (target, id): a case's timeline and last verification read its own
  entries, not the whole audit log (every label is an entry).

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from wildtrace.store import counts

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "queue_day_counts",
        sa.Column("day", sa.String, primary_key=True),
        sa.Column("verdict", sa.String, primary_key=True),
        sa.Column("dim", sa.String, primary_key=True),
        sa.Column("value", sa.String, primary_key=True),
        sa.Column("n", sa.Integer, nullable=False),
    )
    counts.rebuild_days(op.get_bind())
    op.create_index("queue_seller_risk", "queue", ["seller", "risk_score", "listing_id"], if_not_exists=True)
    op.drop_index("queue_seller", table_name="queue", if_exists=True)
    op.create_index("audit_log_target", "audit_log", ["target", "id"], if_not_exists=True)
    for table in ("queue", "queue_day_counts", "audit_log"):  # the planner sees the new indexes now
        op.execute(f"ANALYZE {table}")


def downgrade() -> None:
    op.drop_index("audit_log_target", table_name="audit_log", if_exists=True)
    op.create_index("queue_seller", "queue", ["seller"], if_not_exists=True)
    op.drop_index("queue_seller_risk", table_name="queue", if_exists=True)
    op.drop_table("queue_day_counts")
