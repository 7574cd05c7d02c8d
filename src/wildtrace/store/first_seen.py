"""The queue sorted by "first seen": one query on ``queue.first_seen`` (revision 0018).

``queue.first_seen`` is each listing's first sighting, the smallest ``listings.first_seen`` of its
versions, kept by every write of a listing version (``store/batch.py``, ``save_one_by_one``); the
page reads it and never joins ``listings``. Two forms, as the kept counts say (``start``):

- the walk (most filters): ``queue_first_seen (first_seen, listing_id, posted_at)`` newest first,
  the keyset cursor a seek in it, the posted date tested on the index entry itself: a listing first
  seen after a "posted before" date costs an index entry, not a row ("posted before April" at 1M
  listings passes 350,000 of them: tens of ms, where the old ways read them as rows, 1-2 s);
- few rows (a seller, a rare species or product, a posted range, label or platform of fewer than
  ``FEW`` rows): read from that column's index and sorted, as the walk would read the whole
  index to find them (an empty range: all of it).

SQLite's planner is told which (``COLUMNS``); PostgreSQL's weighs them itself.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from wildtrace.store import counts
from wildtrace.store import queue as q
from wildtrace.store.schema import queue

#: Filters that select fewer rows than this are read from their own index and sorted (at 1M
#: listings on SQLite the walk passes about 10,000 index entries a ms; a row read and sorted
#: costs about 3 µs: 20,000 rows ~60 ms, the whole index ~100 ms).
FEW = 20_000


#: The columns ``q.where`` compares: on SQLite all but the one a page starts from are hidden from
#: the planner (it weighs a value by its column's average: one label of three looked like
#: 333,000 rows, "posted before April" like a quarter of the queue, and it took the wrong one).
COLUMNS = ("species", "products", "appendices", "lang", "platform", "verdict", "seller", "label", "posted_at")


def start(conn: sa.Connection, filters: q.Filters) -> str | None:
    """The column whose index the page starts from when the filters select few rows (fewer than
    ``FEW``) by what is kept: a seller, a rare species or product (``q.few``: ``id``, the tag
    index), a posted range (the day counts: ``posted_at``), a label or platform, else a verdict
    (``counts.count``). None: the walk (a language or an appendix have no counts or no index)."""
    if filters.seller:
        return "seller"
    for column, value in (("species", filters.species), ("products", filters.product)):
        if value and q.few(conn, column, (value,)):
            return "id"
    if (filters.posted_from or filters.posted_to) and q.posted_held(conn, filters) < FEW:
        return "posted_at"
    rest = {k: v for k, v in filters.active().items() if k not in ("posted_from", "posted_to")}
    first = next((k for k in ("label", "platform", "verdict") if k in rest), None)
    kept = counts.count(conn, rest) if first else None
    return first if kept is not None and kept < FEW else None


def page(conn: sa.Connection, filters: q.Filters, limit: int,
         after: tuple[Any, str] | None) -> list[dict[str, Any]]:
    """The ``limit + 1`` rows of ``queue.page(sort="first_seen")`` after ``after`` (first seen,
    listing id), newest first, ties by listing id descending; each with its ``sort_value``."""
    key, ident = queue.c.first_seen, queue.c.listing_id
    begin = start(conn, filters)
    hide = [c for c in COLUMNS if c != begin] if conn.dialect.name == "sqlite" else []
    cond = q.where(filters, hide=hide)
    if begin == "id":  # a rare tag: from its index
        for column, value in (("species", filters.species), ("products", filters.product)):
            if value and q.few(conn, column, (value,)):
                cond += q.tag_index(conn, column, (value,))
    order = q.unindexed(key) if begin else key  # few rows: from their index, then sorted
    if after is not None:
        cond.append(q._beyond(order, ident, after, True))
    stmt = (sa.select(*q._columns(), key.label("sort_value")).where(*cond)
            .order_by(order.desc(), ident.desc()).limit(limit + 1))
    return q._rows(conn, stmt)
