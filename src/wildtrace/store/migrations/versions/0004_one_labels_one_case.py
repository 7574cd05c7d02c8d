"""One labels table and one case model.

- ``labels``: the workbench's table and ``wildtrace label import``'s own table (created by
  ``learn/labels.py`` before this revision, renamed to ``labels_learn_v01`` by ``db.migrate``)
  become one table with ``reviewer``, ``labelled_at``, ``source`` and ``source_sha256``.
  Every row of both is kept, in their old order (workbench rows first).
- ``cases`` gains a unique ``name`` (existing cases get ``case-<id>``); ``case_listings`` keeps
  the content hash of the version added; ``case_sellers`` and ``case_captures`` hold what the
  CLI's case folders held.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

LEGACY = "labels_learn_v01"


def _insert_ignore(dialect: str, sql: str) -> str:
    """``INSERT ... SELECT`` that skips rows breaking the uniqueness of a label."""
    if dialect == "postgresql":
        return sql + " ON CONFLICT DO NOTHING"
    return sql.replace("INSERT INTO", "INSERT OR IGNORE INTO", 1)


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    tables = set(sa.inspect(bind).get_table_names())
    op.create_table(
        "labels_new",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("listing_id", sa.String, nullable=False),
        sa.Column("content_sha256", sa.String, nullable=False, server_default=""),
        sa.Column("label", sa.String, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("reviewer", sa.String, nullable=False),
        sa.Column("labelled_at", sa.String, nullable=False),
        sa.Column("source", sa.String, nullable=False, server_default="workbench"),
        sa.Column("source_sha256", sa.String, nullable=False, server_default=""),
        sa.Column("imported_at", sa.String, nullable=False),
        sa.UniqueConstraint("listing_id", "reviewer", "labelled_at", "label", name="labels_unique"),
    )
    op.execute(_insert_ignore(dialect,
        "INSERT INTO labels_new (listing_id, content_sha256, label, note, reviewer, labelled_at, source, "
        "source_sha256, imported_at) SELECT listing_id, content_sha256, label, note, author, created_at, "
        "'workbench', '', created_at FROM labels ORDER BY id"))
    if LEGACY in tables:
        op.execute(_insert_ignore(dialect,
            f"INSERT INTO labels_new (listing_id, content_sha256, label, note, reviewer, labelled_at, source, "
            f"source_sha256, imported_at) SELECT listing_id, '', label, COALESCE(note, ''), reviewer, "
            f"labelled_at, source, source_sha256, imported_at FROM {LEGACY} ORDER BY seq"))
        op.drop_table(LEGACY)
    op.drop_table("labels")
    op.rename_table("labels_new", "labels")
    op.create_index("labels_listing", "labels", ["listing_id", "id"])

    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("name", sa.String, nullable=True))
    op.execute("UPDATE cases SET name = 'case-' || CAST(id AS VARCHAR)")
    op.create_index("cases_name", "cases", ["name"], unique=True)
    with op.batch_alter_table("case_listings") as batch:
        batch.add_column(sa.Column("content_sha256", sa.String, nullable=False, server_default=""))
    op.create_table(
        "case_sellers",
        sa.Column("case_id", sa.Integer, primary_key=True),
        sa.Column("seller", sa.String, primary_key=True),
        sa.Column("added_by", sa.String, nullable=False),
        sa.Column("added_at", sa.String, nullable=False),
    )
    op.create_table(
        "case_captures",
        sa.Column("case_id", sa.Integer, primary_key=True),
        sa.Column("capture_id", sa.String, primary_key=True),
        sa.Column("evidence_dir", sa.Text, nullable=False),
        sa.Column("entry", sa.Text, nullable=False),  # the custody-log entry as JSON
        sa.Column("added_by", sa.String, nullable=False),
        sa.Column("added_at", sa.String, nullable=False),
    )
    op.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")


def downgrade() -> None:
    raise NotImplementedError("0004 merges two label tables; restore a backup to go back")
