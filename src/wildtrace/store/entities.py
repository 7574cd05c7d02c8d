"""Reading one seller's listings for the entity pages: each listing's queue row with the
record of its newest version and when it was first seen, oldest first (a timeline).

Read-only; the queue (``wildtrace.store.queue``) stays the owner of triage order.
"""

from __future__ import annotations

from typing import Any

import orjson
import sqlalchemy as sa

from wildtrace.store.queue import ROW_COLUMNS
from wildtrace.store.schema import listings, queue

#: The most listings one seller page reads (a timeline, not an export).
MAX_SELLER_LISTINGS = 500


def seller_listings(engine: sa.Engine, seller: str, *,
                    limit: int = MAX_SELLER_LISTINGS) -> list[dict[str, Any]]:
    """The seller's listings (queue rows) with ``record`` (newest version's input record),
    ``first_seen`` (of the listing's first version) and ``when`` (posted_at, else first seen),
    oldest first."""
    first = (sa.select(listings.c.listing_id, sa.func.min(listings.c.first_seen).label("first_seen"))
             .group_by(listings.c.listing_id).subquery())
    c = queue.c
    stmt = (sa.select(*[c[n] for n in ROW_COLUMNS], first.c.first_seen, listings.c.record)
            .join(listings, (listings.c.listing_id == c.listing_id)
                  & (listings.c.content_sha256 == c.content_sha256))
            .join(first, first.c.listing_id == c.listing_id)
            .where(c.seller == seller)
            .order_by(c.risk_score.desc(), c.listing_id.desc()).limit(limit))
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    for row in rows:
        row["record"] = orjson.loads(row["record"])
        row["when"] = (row["posted_at"] or row["first_seen"] or "")[:10]
    rows.sort(key=lambda r: (r["when"], r["listing_id"]))
    return rows
