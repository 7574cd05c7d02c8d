"""Listing images: the server's own image files of each listing, fingerprinted (pHash in five
indexed bands, for near-duplicates) and read by OCR once, so the listing page looks them up.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "listing_images",
        sa.Column("listing_id", sa.String, primary_key=True),
        sa.Column("ref", sa.String, primary_key=True),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String, nullable=True),
        sa.Column("phash", sa.String, nullable=True),
        *[sa.Column(f"band{i}", sa.Integer, nullable=True) for i in range(5)],
        sa.Column("width", sa.Integer, nullable=True),
        sa.Column("height", sa.Integer, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("ocr_text", sa.Text, nullable=True),
        sa.Column("ocr_tool", sa.String, nullable=True),
        sa.Column("ocr_at", sa.String, nullable=True),
        sa.Column("provenance", sa.Text, nullable=False),
        sa.Column("seen_at", sa.String, nullable=False),
    )
    for i in range(5):
        op.create_index(f"listing_images_band{i}", "listing_images", [f"band{i}"])


def downgrade() -> None:
    op.drop_table("listing_images")
