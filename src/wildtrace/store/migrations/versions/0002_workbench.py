"""Workbench: the derived triage queue (+ full-text search), users, sessions, API tokens,
append-only labels, the audit log and cases.

The queue is back-filled from the listings and results already stored, so upgrading a
database made by 0.1 loses nothing and shows its listings in the queue at once.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import orjson
import sqlalchemy as sa
from alembic import op

from wildtrace.store.derive import queue_row

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    queue = op.create_table(
        "queue",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("listing_id", sa.String, nullable=False, unique=True),
        sa.Column("content_sha256", sa.String, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("verdict", sa.String, nullable=False),
        sa.Column("risk_score", sa.Float, nullable=False),
        sa.Column("wildlife_score", sa.Float, nullable=False),
        sa.Column("lang", sa.String, nullable=False, server_default=""),
        sa.Column("platform", sa.String, nullable=False, server_default=""),
        sa.Column("seller", sa.String, nullable=False, server_default=""),
        sa.Column("title", sa.Text, nullable=False, server_default=""),
        sa.Column("posted_at", sa.String, nullable=False, server_default=""),
        sa.Column("scanned_at", sa.String, nullable=False),
        sa.Column("week", sa.String, nullable=False, server_default=""),
        sa.Column("species", sa.Text, nullable=False, server_default=""),
        sa.Column("products", sa.Text, nullable=False, server_default=""),
        sa.Column("appendices", sa.String, nullable=False, server_default=""),
        sa.Column("label", sa.String, nullable=False, server_default=""),
        sa.Column("search_text", sa.Text, nullable=False, server_default=""),
    )
    for name, cols in {
        "queue_risk": ["risk_score", "listing_id"],
        "queue_verdict_risk": ["verdict", "risk_score"],
        "queue_seller": ["seller"],
        "queue_label_risk": ["label", "risk_score"],
        "queue_platform_risk": ["platform", "risk_score"],
        "queue_lang_risk": ["lang", "risk_score"],
    }.items():
        op.create_index(name, "queue", cols)
    op.create_table(
        "users",
        sa.Column("name", sa.String, primary_key=True),
        sa.Column("role", sa.String, nullable=False),
        sa.Column("password_hash", sa.String, nullable=False),
        sa.Column("created_at", sa.String, nullable=False),
        sa.Column("disabled", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "sessions",
        sa.Column("token_sha256", sa.String, primary_key=True),
        sa.Column("user_name", sa.String, nullable=False),
        sa.Column("csrf_token", sa.String, nullable=False),
        sa.Column("created_at", sa.String, nullable=False),
        sa.Column("expires_at", sa.String, nullable=False),
    )
    op.create_table(
        "api_tokens",
        sa.Column("token_sha256", sa.String, primary_key=True),
        sa.Column("user_name", sa.String, nullable=False),
        sa.Column("label", sa.String, nullable=False, server_default=""),
        sa.Column("created_at", sa.String, nullable=False),
        sa.Column("revoked_at", sa.String, nullable=True),
    )
    op.create_table(
        "labels",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("listing_id", sa.String, nullable=False),
        sa.Column("content_sha256", sa.String, nullable=False),
        sa.Column("label", sa.String, nullable=False),
        sa.Column("note", sa.Text, nullable=False, server_default=""),
        sa.Column("author", sa.String, nullable=False),
        sa.Column("created_at", sa.String, nullable=False),
    )
    op.create_index("labels_listing", "labels", ["listing_id", "id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.String, nullable=False),
        sa.Column("actor", sa.String, nullable=False),
        sa.Column("action", sa.String, nullable=False),
        sa.Column("target", sa.String, nullable=False),
        sa.Column("before", sa.Text, nullable=True),
        sa.Column("after", sa.Text, nullable=True),
    )
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("title", sa.String, nullable=False),
        sa.Column("status", sa.String, nullable=False, server_default="open"),
        sa.Column("created_by", sa.String, nullable=False),
        sa.Column("created_at", sa.String, nullable=False),
    )
    op.create_table(
        "case_listings",
        sa.Column("case_id", sa.Integer, primary_key=True),
        sa.Column("listing_id", sa.String, primary_key=True),
        sa.Column("added_by", sa.String, nullable=False),
        sa.Column("added_at", sa.String, nullable=False),
    )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # Trigram FTS5 over the queue: finds Chinese and Thai substrings (no word breaks needed).
        op.execute("CREATE VIRTUAL TABLE queue_fts USING fts5(search_text, content='queue', "
                   "content_rowid='id', tokenize='trigram')")
        op.execute("CREATE TRIGGER queue_fts_ai AFTER INSERT ON queue BEGIN "
                   "INSERT INTO queue_fts(rowid, search_text) VALUES (new.id, new.search_text); END")
        op.execute("CREATE TRIGGER queue_fts_ad AFTER DELETE ON queue BEGIN "
                   "INSERT INTO queue_fts(queue_fts, rowid, search_text) "
                   "VALUES ('delete', old.id, old.search_text); END")
        op.execute("CREATE TRIGGER queue_fts_au AFTER UPDATE OF search_text ON queue BEGIN "
                   "INSERT INTO queue_fts(queue_fts, rowid, search_text) "
                   "VALUES ('delete', old.id, old.search_text); "
                   "INSERT INTO queue_fts(rowid, search_text) VALUES (new.id, new.search_text); END")
    elif bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX queue_search_trgm ON queue USING gin (search_text gin_trgm_ops)")
    _backfill(bind, queue)
    op.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")


def _backfill(bind: sa.Connection, queue: sa.Table) -> None:
    """One queue row per listing: its newest version's newest result."""
    rows = bind.execute(sa.text(
        "SELECT l.listing_id, l.version, s.result FROM listings l "
        "JOIN (SELECT listing_id, MAX(version) AS v FROM listings GROUP BY listing_id) m "
        "  ON m.listing_id = l.listing_id AND m.v = l.version "
        "JOIN scan_results s ON s.listing_id = l.listing_id AND s.content_sha256 = l.content_sha256 "
        "ORDER BY l.listing_id, s.scanned_at DESC"))
    batch: list[dict[str, object]] = []
    last = None
    for listing_id, version, result in rows:
        if listing_id == last:
            continue
        last = listing_id
        batch.append(queue_row(version, orjson.loads(result)))
        if len(batch) >= 1000:
            bind.execute(queue.insert(), batch)
            batch = []
    if batch:
        bind.execute(queue.insert(), batch)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for trigger in ("queue_fts_ai", "queue_fts_ad", "queue_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS queue_fts")
    for table in ("case_listings", "cases", "audit_log", "labels", "api_tokens", "sessions",
                  "users", "queue"):
        op.drop_table(table)
    op.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")

