"""Drop the two ``listings`` indexes that only the old "first seen" sort read (issue 27):

- ``listings_first_seen (first_seen, listing_id)`` (revision 0009): the sort walked it newest
  first;
- ``listings_first (listing_id, first_seen, version)`` (revision 0016): each row's first
  sighting by one lookup.

Since revision 0018 the sort reads ``queue.first_seen`` and its index, and no query reads
these; each still cost a B-tree entry on every stored version. A listing's first sighting
(``SQLStore.save_one_by_one``, the batch writer) is read through the primary key
``(listing_id, content_sha256)``: a few versions a listing.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("listings_first", table_name="listings", if_exists=True)
    op.drop_index("listings_first_seen", table_name="listings", if_exists=True)


def downgrade() -> None:
    op.create_index("listings_first_seen", "listings", ["first_seen", "listing_id"], if_not_exists=True)
    op.create_index("listings_first", "listings", ["listing_id", "first_seen", "version"], if_not_exists=True)
