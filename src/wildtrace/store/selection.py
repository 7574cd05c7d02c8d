"""A chosen set of listings, read in one query each: the image references of a page's rows
(the queue's thumbnails) and the seller accounts of a bulk selection ("add their sellers").

Read-only; the queue (``wildtrace.store.queue``) stays the owner of triage order.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson
import sqlalchemy as sa

from wildtrace.store.schema import listings, queue

#: the most listings one call reads (a page or a bulk selection, not an export)
MAX_IDS = 1_000


def _ids(listing_ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(listing_ids))[:MAX_IDS]


def image_refs(engine: sa.Engine, listing_ids: Iterable[str]) -> dict[str, list[str]]:
    """Each listing's image references (``images`` of its newest version's record), listings
    without any left out."""
    ids = _ids(listing_ids)
    if not ids:
        return {}
    stmt = (sa.select(queue.c.listing_id, listings.c.record)
            .join(listings, (listings.c.listing_id == queue.c.listing_id)
                  & (listings.c.content_sha256 == queue.c.content_sha256))
            .where(queue.c.listing_id.in_(ids)))
    out: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for listing_id, record in conn.execute(stmt):
            images = orjson.loads(record).get("images")
            refs = [x for x in images if isinstance(x, str)] if isinstance(images, list) else []
            if refs:
                out[listing_id] = refs
    return out


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
