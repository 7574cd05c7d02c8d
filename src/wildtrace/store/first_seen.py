"""The queue sorted by "first seen": one query on ``queue.first_seen`` (revision 0018).

``queue.first_seen`` is each listing's first sighting, the smallest ``listings.first_seen`` of its
versions, kept by every write of a listing version (``store/batch.py``, ``save_one_by_one``); the
page reads it and never joins ``listings``. Two forms, as the kept counts say:

- the walk (most filters): ``queue_first_seen (first_seen, listing_id, posted_at)`` newest first,
  the keyset cursor a seek in it, the posted date tested on the index entry itself: a listing first
  seen after a "posted before" date costs an index entry, not a row ("posted before April" at 1M
  listings passes 350,000 of them: tens of ms, where the old ways read them as rows, 1-2 s).
  On SQLite the other filters are hidden from their indexes (``q.where(hide=True)``): its planner
  took ``queue_platform_risk`` for one platform and sorted 100,000 rows (300 ms);
- few rows (``few``: a rare species or product, a posted range of fewer than ``FEW`` rows, a
  seller, a rare label or platform): read from their own index and sorted, as the walk would read
  the whole index to find them (an empty range: all of it).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from wildtrace.store import counts
from wildtrace.store import queue as q
from wildtrace.store.schema import queue, queue_day_counts

#: Filters that select fewer rows than this are read from their own index and sorted (at 1M
#: listings on SQLite the walk passes about 10,000 index entries a ms; a row read and sorted
#: costs about 3 µs: 20,000 rows ~60 ms, the whole index ~100 ms).
FEW = 20_000


def held(conn: sa.Connection, filters: q.Filters) -> int:
    """How many queue rows the filters' posted date range holds (any other filter aside), from
    the kept day counts."""
    days = q.where(q.Filters(posted_from=filters.posted_from, posted_to=filters.posted_to),
                   queue_day_counts.c.day)
    return sum(counts.in_range(conn, [*days, queue_day_counts.c.dim == "all"]).values())


def few(conn: sa.Connection, filters: q.Filters) -> bool:
    """Whether the filters select few rows (fewer than ``FEW``) by what is kept: a seller, a rare
    species or product (``q.few``), a posted range (the day counts) or a verdict with one counted
    dimension (``counts.count``); a language or several dimensions are not counted (the walk)."""
    if filters.seller:
        return True
    for column, value in (("species", filters.species), ("products", filters.product)):
        if value and q.few(conn, column, (value,)):
            return True
    if (filters.posted_from or filters.posted_to) and held(conn, filters) < FEW:
        return True
    rest = {k: v for k, v in filters.active().items() if k not in ("posted_from", "posted_to")}
    kept = counts.count(conn, rest) if rest else None
    return kept is not None and kept < FEW


def page(conn: sa.Connection, filters: q.Filters, limit: int,
         after: tuple[Any, str] | None) -> list[dict[str, Any]]:
    """The ``limit + 1`` rows of ``queue.page(sort="first_seen")`` after ``after`` (first seen,
    listing id), newest first, ties by listing id descending; each with its ``sort_value``."""
    key, ident = queue.c.first_seen, queue.c.listing_id
    read_few = few(conn, filters)
    cond = q.where(filters, hide=not read_few and conn.dialect.name == "sqlite")
    for column, value in (("species", filters.species), ("products", filters.product)):
        if value and q.few(conn, column, (value,)):  # a rare tag: from its index
            cond += q.tag_index(conn, column, (value,))
    order = q.unindexed(key) if read_few else key  # few rows: from their index, then sorted
    if after is not None:
        cond.append(q._beyond(order, ident, after, True))
    stmt = (sa.select(*q._columns(), key.label("sort_value")).where(*cond)
            .order_by(order.desc(), ident.desc()).limit(limit + 1))
    return q._rows(conn, stmt)
