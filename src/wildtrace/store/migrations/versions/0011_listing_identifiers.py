"""Listing identifiers: the contact identifiers of each stored listing version (phones, messenger
handles, wallets, e-mails, URLs), written once when the version is stored, so search and the
seller page look them up by key instead of re-reading every record. Existing current versions
(the queue's) are back-filled here, in batches.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import orjson
import sqlalchemy as sa
from alembic import op

from wildtrace.store.derive import identifier_rows

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

BATCH = 2000


def upgrade() -> None:
    table = op.create_table(
        "listing_identifiers",
        sa.Column("listing_id", sa.String, primary_key=True),
        sa.Column("content_sha256", sa.String, primary_key=True),
        sa.Column("kind", sa.String, primary_key=True),
        sa.Column("value", sa.String, primary_key=True),
        sa.Column("key", sa.String, nullable=False),
        sa.Column("raw", sa.Text, nullable=False, server_default=""),
    )
    assert table is not None
    op.create_index("ix_listing_identifiers_key", "listing_identifiers", ["key"])
    conn = op.get_bind()
    page = sa.text(
        "SELECT q.listing_id, q.content_sha256, q.lang, l.record FROM queue q JOIN listings l "
        "ON l.listing_id = q.listing_id AND l.content_sha256 = q.content_sha256 "
        "WHERE q.listing_id > :after ORDER BY q.listing_id LIMIT :n")
    after = ""
    while True:  # keyset pages: never the whole table in memory, on either backend
        rows = conn.execute(page, {"after": after, "n": BATCH}).all()
        if not rows:
            break
        pending: list[dict[str, str]] = []
        for listing_id, sha, lang, record in rows:
            try:
                pending += identifier_rows(listing_id, sha, orjson.loads(record), lang or None)
            except (orjson.JSONDecodeError, TypeError, ValueError):
                pass  # a record that cannot be read has no identifiers to index
        if pending:
            conn.execute(table.insert(), pending)
        after = rows[-1][0]


def downgrade() -> None:
    op.drop_index("ix_listing_identifiers_key", table_name="listing_identifiers")
    op.drop_table("listing_identifiers")
