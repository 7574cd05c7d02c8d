"""The queue sorted by "first seen" within a posted date range, read from the range first.

``queue.page(sort="first_seen")`` walks ``listings_first_seen`` newest first, skipping rows
posted outside the range; where that walk would read many more rows than the range holds, the
page is read from the range instead (``range_first``, ``page``): each row's first sighting from
``listings_first`` (revision 0016), the ``limit + 1`` newest, then their whole rows.

Neither serves a wide range that ends well before the newest listings ("posted before
2026-03-31" at 1M listings: 650,000 rows in it, 350,000 first seen after it): both read
hundreds of thousands of rows (about a second). No index holds the posted date and the first
sighting together; see issue 27.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from wildtrace.store import counts
from wildtrace.store import queue as q
from wildtrace.store.schema import listings, queue, queue_day_counts

#: On SQLite, a range holding at most this many rows reads each row's first sighting by its own
#: lookup in ``listings_first``, the range from ``queue_posted`` (the GROUP BY made SQLite walk
#: the whole queue by listing id: 1M listings, posted before 2025-02-01, 45,000 rows: 0.32 s ->
#: 0.11 s); a larger range joins and groups them (650,000 rows: 0.95 s, 1.7 s by a lookup
#: each), as PostgreSQL always does (it merges the two indexes; a lookup each was no faster).
FEW_RANGE = 100_000


def held(conn: sa.Connection, filters: q.Filters) -> int:
    """How many queue rows the filters' posted date range holds (any other filter aside), from
    the kept day counts."""
    days = q.where(q.Filters(posted_from=filters.posted_from, posted_to=filters.posted_to),
                   queue_day_counts.c.day)
    return sum(counts.in_range(conn, [*days, queue_day_counts.c.dim == "all"]).values())


def range_first(conn: sa.Connection, filters: q.Filters) -> bool:
    """Whether "first seen" within a posted date range reads the range first: when the walk of
    ``listings_first_seen`` would read half as many listings first seen after the range as it
    holds (a walked row costs more; March 2026 at 1M listings: 44,000 rows in it, 344,000 after
    it: 1.6 s on PostgreSQL). Else the walk (SQLite took the range whatever its size: all of
    2025-2026 sorted, 8.4 s); a range with no end starts at the newest."""
    if not filters.posted_to:
        return False
    after = sa.select(listings.c.listing_id).where(listings.c.first_seen >= filters.posted_to[:10] + "\uffff")
    bound = held(conn, filters) // 2
    later = conn.execute(sa.select(sa.func.count()).select_from(after.limit(bound).subquery())).scalar_one()
    return int(later) >= bound


def page(conn: sa.Connection, filters: q.Filters, limit: int,
         after: tuple[Any, str] | None) -> list[dict[str, Any]]:
    """The page of ``queue.page(sort="first_seen")`` read from the rows the filters select (their
    date range from ``queue_posted``): each row's first sighting is the smallest ``first_seen``
    of its listing's versions (the first version's, which ``queue._first_seen`` joins), read
    from ``listings_first`` alone; the ``limit + 1`` newest, then their whole rows."""
    c, cur = queue.c, listings.c
    cond = q.where(filters)
    for column, value in (("species", filters.species), ("products", filters.product)):
        if value and q.few(conn, column, (value,)):
            cond += q.tag_index(conn, column, (value,))
    if conn.dialect.name == "sqlite" and held(conn, filters) <= FEW_RANGE:  # a lookup each
        first = sa.select(sa.func.min(cur.first_seen)).where(cur.listing_id == c.listing_id)
        ranged = (sa.select(c.listing_id, first.scalar_subquery().label("first_seen")).where(*cond)
                  .subquery("ranged"))
    else:
        ranged = (sa.select(c.listing_id, sa.func.min(cur.first_seen).label("first_seen"))
                  .join(listings, cur.listing_id == c.listing_id).where(*cond).group_by(c.listing_id)
                  .subquery("ranged"))
    key, ident = ranged.c.first_seen, ranged.c.listing_id
    top = sa.select(ranged).where(*([q._beyond(key, ident, after, True)] if after is not None else []))
    newest = top.order_by(key.desc(), ident.desc()).limit(limit + 1).subquery("newest")
    stmt = (sa.select(*q._columns(), newest.c.first_seen.label("sort_value"))
            .join(newest, newest.c.listing_id == c.listing_id)
            .order_by(newest.c.first_seen.desc(), newest.c.listing_id.desc()))
    return q._rows(conn, stmt)
