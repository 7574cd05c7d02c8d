"""The marketplace monitor's runs and frontier, and what crawl state says about each URL.

- ``crawl_runs``: one row per pass over a source (counts, errors; unfinished while running or
  after a kill, so the next pass resumes it);
- ``crawl_frontier``: the URLs a pass has to fetch, ``pending``, ``fetched`` (the response kept
  until the listing is stored and captured) or ``done``, so a killed pass resumes without fetching
  anything twice;
- ``crawl_state`` gains the URL's kind, the listing it gave, the last run that fetched it, when it
  was found gone, the hash of its extracted fields, the listing it duplicates and its last capture.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_NEW_STATE_COLUMNS = ("kind", "listing_id", "last_run", "gone_at", "listing_sha256", "duplicate_of", "last_capture")


def upgrade() -> None:
    with op.batch_alter_table("crawl_state") as batch:
        for name in _NEW_STATE_COLUMNS:
            batch.add_column(sa.Column(name, sa.String, nullable=True))
    op.create_index("crawl_state_listing_sha256", "crawl_state", ["listing_sha256"])
    op.create_index("crawl_state_listing_id", "crawl_state", ["listing_id"])
    op.create_table(
        "crawl_runs",
        sa.Column("run_id", sa.String, primary_key=True),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("source_sha256", sa.String, nullable=False),
        sa.Column("started_at", sa.String, nullable=False),
        sa.Column("finished_at", sa.String, nullable=True),
        sa.Column("state", sa.String, nullable=False),
        sa.Column("counts", sa.Text, nullable=False, server_default="{}"),
        sa.Column("errors", sa.Text, nullable=False, server_default="[]"),
    )
    op.create_index("crawl_runs_source", "crawl_runs", ["source", "started_at"])
    op.create_table(
        "crawl_frontier",
        sa.Column("run_id", sa.String, primary_key=True),
        sa.Column("url_key", sa.String, primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("depth", sa.Integer, nullable=False, server_default="0"),
        sa.Column("state", sa.String, nullable=False),
        sa.Column("added_at", sa.String, nullable=False),
        sa.Column("done_at", sa.String, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("response", sa.LargeBinary, nullable=True),
        sa.Column("outcome", sa.Text, nullable=True),
    )
    op.create_index("crawl_frontier_state", "crawl_frontier", ["run_id", "state"])


def downgrade() -> None:
    op.drop_table("crawl_frontier")
    op.drop_table("crawl_runs")
    op.drop_index("crawl_state_listing_sha256", "crawl_state")
    op.drop_index("crawl_state_listing_id", "crawl_state")
    with op.batch_alter_table("crawl_state") as batch:
        for name in _NEW_STATE_COLUMNS:
            batch.drop_column(name)
