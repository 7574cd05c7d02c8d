"""A chosen set of listings, read in one query: the seller accounts of a bulk selection ("add
their sellers").

Read-only; the queue (``wildtrace.store.queue``) stays the owner of triage order.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from wildtrace.store.schema import queue

#: the most listings one call reads (a page or a bulk selection, not an export)
MAX_IDS = 1_000


def _ids(listing_ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(listing_ids))[:MAX_IDS]


def sellers(engine: sa.Engine, listing_ids: Iterable[str]) -> list[tuple[str, str]]:
    """The distinct (platform, seller) of the listings that name a seller, by platform and seller."""
    ids = _ids(listing_ids)
    if not ids:
        return []
    c = queue.c
    stmt = (sa.select(c.platform, c.seller).distinct()
            .where(c.listing_id.in_(ids), c.seller != "").order_by(c.platform, c.seller))
    with engine.connect() as conn:
        return [(str(p), str(s)) for p, s in conn.execute(stmt)]
