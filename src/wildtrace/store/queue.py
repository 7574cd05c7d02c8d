"""Reading the derived queue: triage order with filters, search, sellers, charts, export.

Everything here reads ``queue`` (one row per listing id, newest version and result), so the
triage queue is one indexed query even with a million listings: ordered by risk (or posted
date, first seen, "uncertain first": see ``SORTS``), paged by a keyset cursor (no OFFSET).
``count`` is the one COUNT, for the page's total under a filter.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Collection, Iterator
from dataclasses import asdict, dataclass, fields
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from wildtrace.store import counts, first_seen, grams
from wildtrace.store.derive import iso_week
from wildtrace.store.schema import queue, queue_day_counts, scan_results

#: Columns returned for each queue row (the API's queue item).
ROW_COLUMNS = ("listing_id", "version", "verdict", "risk_score", "wildlife_score", "lang",
               "platform", "seller", "title", "posted_at", "scanned_at", "species", "products",
               "appendices", "label")
LABEL_STATES = ("unlabelled", "labelled")
#: The wildlife score at which the verdict flips: "uncertain first" sorts by distance to it.
VERDICT_THRESHOLD = 0.5
#: Queue orders: risk (default), posted date and first seen (newest first), uncertain first.
SORTS = ("risk", "posted", "first_seen", "uncertain")


@dataclass(frozen=True)
class Filters:
    """Queue filters; empty means "any". ``label``: unlabelled, labelled or a label name."""

    species: str = ""
    product: str = ""
    appendix: str = ""
    lang: str = ""
    platform: str = ""
    verdict: str = ""
    label: str = ""
    seller: str = ""
    posted_from: str = ""  # ISO date, inclusive
    posted_to: str = ""  # ISO date, inclusive

    def active(self) -> dict[str, str]:
        return {k: v for k, v in asdict(self).items() if v}

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _member(column: sa.ColumnElement[Any], value: str) -> sa.ColumnElement[bool]:
    return column.like(f"%|{_like_escape(value.replace('|', '/'))}|%", escape="\\")


#: A text search with at most this many hits always reads them all (then sorts): see ``_common``.
FEW_HITS = 2_000
#: A species or product lookup the kept counts expect to match fewer rows than this starts from
#: the tag index (SQLite: ``queue_tags``, PostgreSQL: trigram indexes; revision 0009) instead of
#: walking the whole queue in sort order to find them.
FEW = 20_000
_DIMS = {"species": "species", "products": "product"}


def members(conn: sa.Connection, column: str, values: tuple[str, ...]) -> int:
    """At most how many rows hold any of ``values`` in ``column`` (species or products): the kept
    counts of each, summed."""
    return counts.members(conn, _DIMS[column], values) if values else 0


def few(conn: sa.Connection, column: str, values: tuple[str, ...]) -> bool:
    """Whether rows holding any of ``values`` in ``column`` (species or products) are few."""
    return bool(values) and members(conn, column, values) < FEW


def tag_index(conn: sa.Connection, column: str, values: tuple[str, ...], *,
              walk: bool = False) -> list[sa.ColumnElement[bool]]:
    """On SQLite, ``queue.id IN`` the rows that ``queue_tags`` finds holding one of ``values`` in
    ``column``: a superset of what ``_member`` matches (it folds all case), so callers keep that
    condition; nothing on PostgreSQL (its trigram index serves the LIKE itself). ``walk``: as
    ``queue.id + 0``, a test on each row of a walk in another order, not the rows to start from."""
    if conn.dialect.name != "sqlite" or not values:
        return []
    phrases = " OR ".join('"' + f"|{v.replace('|', '/')}|".replace('"', '""') + '"' for v in values)
    found: sa.Select[Any] = (sa.select(sa.column("rowid")).select_from(sa.table("queue_tags"))
             .where(sa.literal_column("queue_tags").op("MATCH")(sa.bindparam(None, f"{column} : ({phrases})"))))
    return [(queue.c.id + 0 if walk else queue.c.id).in_(found)]


def unindexed(key: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """The same value, hidden from the planner's ORDER BY index choice (start from a tag index)."""
    return sa.func.coalesce(key, key)


def where(f: Filters, posted: sa.ColumnElement[Any] = queue.c.posted_at, *,
          hide: Collection[str] = ()) -> list[sa.ColumnElement[bool]]:
    """The conditions of the filters on queue rows; ``posted``: what the date range compares
    (``unindexed(posted_at)`` keeps the planner off ``queue_posted``: see ``_wide``); ``hide``:
    the columns compared ``unindexed`` (``posted_at`` included), so that the planner starts from
    another index (``store/first_seen.py``)."""
    def col(name: str) -> sa.ColumnElement[Any]:
        return unindexed(queue.c[name]) if name in hide else queue.c[name]

    if "posted_at" in hide and posted is queue.c.posted_at:
        posted = unindexed(posted)
    out: list[sa.ColumnElement[bool]] = []
    if f.species:
        out.append(_member(col("species"), f.species))
    if f.product:
        out.append(_member(col("products"), f.product))
    if f.appendix:
        out.append(_member(col("appendices"), f.appendix))
    for name in ("lang", "platform", "verdict", "seller"):
        value = getattr(f, name)
        if value:
            out.append(col(name) == value)
    if f.label == "unlabelled":
        out.append(col("label") == "")
    elif f.label == "labelled":
        out.append(col("label") != "")
    elif f.label:
        out.append(col("label") == f.label)
    if f.posted_from:
        out.append(posted >= f.posted_from[:10])
    if f.posted_to:
        out.append(posted < f.posted_to[:10] + "\uffff")
    return out


def encode_cursor(value: Any, listing_id: str) -> str:
    return orjson.dumps([value, listing_id]).decode()


def decode_cursor(cursor: str, sort: str = "risk") -> tuple[Any, str] | None:
    """A cursor's (sort value, listing id): a number for risk and uncertain, text otherwise."""
    try:
        value, listing_id = orjson.loads(cursor)
        if sort in ("risk", "uncertain"):
            return float(value), str(listing_id)
        if not isinstance(value, str):
            raise TypeError(value)
        return value, str(listing_id)
    except (orjson.JSONDecodeError, TypeError, ValueError):
        raise ValueError("bad cursor") from None


def _rows(conn: sa.Connection, stmt: sa.Select[Any]) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(stmt)]


def _columns() -> list[sa.ColumnElement[Any]]:
    return [queue.c[n] for n in ROW_COLUMNS]


#: "uncertain first" orders by this expression; migration 0009 indexes it (the literal, not a
#: bound parameter, so the planner can match the index)
UNCERTAINTY = sa.func.abs(queue.c.wildlife_score - sa.literal_column(repr(VERDICT_THRESHOLD)))


def sort_key(sort: str) -> tuple[sa.ColumnElement[Any], bool]:
    """The value a sort orders by and whether it runs descending (ties: listing id, descending)."""
    c = queue.c
    if sort == "posted":
        return c.posted_at, True
    if sort == "first_seen":
        return c.first_seen, True
    if sort == "uncertain":
        return UNCERTAINTY, False
    if sort == "risk":
        return c.risk_score, True
    raise ValueError(f"unknown sort {sort!r}; one of {', '.join(SORTS)}")


def _beyond(key: sa.ColumnElement[Any], ident: sa.ColumnElement[Any], cursor: tuple[Any, str],
            desc: bool) -> sa.ColumnElement[bool]:
    """Rows after ``cursor`` in (key, id) order, both descending or (key ascending, id descending).

    Where both run the same way, one row-value comparison ``(key, id) < (value, id)``: both
    backends seek in the (key, id) index to the cursor and read on (the spelled-out OR, with
    its bound on the key, made SQLite seek on the key alone and read every row of the same risk:
    0.24 ms against 0.004 ms in the middle of a million rows, where 12,668 share one risk)."""
    value, listing_id = cursor
    if desc:  # no bound on the key alone beside it: SQLite would seek on that and read every tie
        return sa.tuple_(key, ident) < sa.tuple_(sa.literal(value, key.type), sa.literal(listing_id))
    # the bound is implied by the OR, and lets both backends seek in the index to the cursor
    return sa.and_(key >= value, sa.or_(key > value, sa.and_(key == value, ident < listing_id)))


def page(engine: sa.Engine, filters: Filters, *, limit: int = 50,
         after: tuple[Any, str] | None = None,
         sort: str = "risk") -> tuple[list[dict[str, Any]], str | None]:
    """One page of the triage queue in ``sort`` order (default: highest risk first); returns
    (rows, cursor of the next page). The cursor holds the last row's sort value and id."""
    key, desc = sort_key(sort)
    ident = queue.c.listing_id
    with engine.connect() as conn:
        if sort == "first_seen":  # store/first_seen.py
            return _paged(first_seen.page(conn, filters, limit, after), limit)
        conds = where(filters, unindexed(queue.c.posted_at)) if _wide(conn, filters, sort) else where(filters)
        stmt = sa.select(*_columns(), key.label("sort_value")).where(*conds)
        if after is not None:
            stmt = stmt.where(_beyond(key, ident, after, desc))
        order = key
        for column, value in (("species", filters.species), ("products", filters.product)):
            if value and few(conn, column, (value,)):  # a rare tag: from its index, then sorted
                stmt = stmt.where(*tag_index(conn, column, (value,)))
                order = unindexed(key)
        stmt = stmt.order_by(order.desc() if desc else order.asc(), ident.desc()).limit(limit + 1)
        rows = _rows(conn, stmt)
    return _paged(rows, limit)


def _paged(rows: list[dict[str, Any]], limit: int) -> tuple[list[dict[str, Any]], str | None]:
    """A page of ``limit`` rows (of the ``limit + 1`` read) and the next page's cursor."""
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = encode_cursor(rows[-1]["sort_value"], rows[-1]["listing_id"]) if more and rows else None
    for row in rows:
        del row["sort_value"]
    return rows, cursor


def _wide(conn: sa.Connection, filters: Filters, sort: str) -> bool:
    """Whether a date range (SQLite, sorted by risk or uncertainty) holds more than ``FEW`` rows:
    then the page walks its sort order, skipping rows posted outside the range (at 1M listings a
    month holds 44,000 rows: reading and sorting them all took 90 ms, the walk reads ~1,200)
    instead of reading the range from ``queue_posted`` and sorting it. SQLite's planner takes the
    range whatever its size; PostgreSQL's weighs it itself. Not for "first seen": it follows the
    posted date, so its walk would read every listing first seen after the range (seconds)."""
    if conn.dialect.name != "sqlite" or sort not in ("risk", "uncertain") \
            or not (filters.posted_from or filters.posted_to):
        return False
    return posted_held(conn, filters) > FEW


def posted_held(conn: sa.Connection, filters: Filters, verdict: str = "") -> int:
    """How many queue rows (of ``verdict``, if given) were posted in the filters' date range, any
    other filter aside: the kept day counts summed (``counts.in_range``), not the rows counted."""
    days = where(Filters(posted_from=filters.posted_from, posted_to=filters.posted_to), queue_day_counts.c.day)
    held = counts.in_range(conn, [*days, queue_day_counts.c.dim == "all"])
    return sum(n for (v, _, _), n in held.items() if not verdict or v == verdict)


def count(engine: sa.Engine, filters: Filters) -> int:
    """How many queue rows match the filters: from ``queue_counts`` when the filters are at most
    a verdict and one counted dimension (exact: the counts are kept with every queue write), from
    ``queue_day_counts`` when they are a posted date range and at most a verdict ("posted before
    April" at 1M listings: a COUNT of 650,000 rows, 40-150 ms), else a COUNT over the queue."""
    with engine.connect() as conn:
        kept = counts.count(conn, filters.active())
        if kept is None and not set(filters.active()) - {"posted_from", "posted_to", "verdict"}:
            kept = posted_held(conn, filters, filters.verdict)
        if kept is not None:
            return kept
        return int(conn.execute(sa.select(sa.func.count()).select_from(queue)
                                .where(*where(filters))).scalar() or 0)


def neighbour(engine: sa.Engine, listing_id: str, filters: Filters, *, forward: bool = True) -> str | None:
    """The listing after (or before) this one in queue order, within the filters."""
    c = queue.c
    with engine.connect() as conn:
        risk = conn.execute(sa.select(c.risk_score).where(c.listing_id == listing_id)).scalar()
        if risk is None:
            return None
        here = (sa.tuple_(c.risk_score, c.listing_id), sa.tuple_(sa.literal(risk, c.risk_score.type),
                                                                   sa.literal(listing_id)))
        if forward:  # a row-value comparison: the (risk_score, listing_id) index seeks to it
            cond = [here[0] < here[1]]
            order = [c.risk_score.desc(), c.listing_id.desc()]
        else:
            cond = [here[0] > here[1]]
            order = [c.risk_score.asc(), c.listing_id.asc()]
        found = conn.execute(sa.select(c.listing_id).where(*cond, *where(filters))
                             .order_by(*order).limit(1)).scalar()
    return str(found) if found is not None else None


def get(engine: sa.Engine, listing_id: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        rows = _rows(conn, sa.select(*_columns(), queue.c.content_sha256)
                     .where(queue.c.listing_id == listing_id))
    return rows[0] if rows else None


def search(engine: sa.Engine, text: str, filters: Filters | None = None, *,
           limit: int = 50, columns: tuple[str, ...] = ROW_COLUMNS) -> list[dict[str, Any]]:
    """Listings whose title, text, seller or seller description contain ``text`` (``columns``
    of their queue rows), highest risk first.

    SQLite: FTS5 with the trigram tokenizer (substrings of 3+ characters, any script:
    Chinese and Thai need no word breaks); shorter queries scan with LIKE. A text with many
    hits (``_common``) walks the queue in risk order, looking rows up in the hits.
    PostgreSQL: ILIKE, served by a pg_trgm GIN index (3+ characters), the hits then sorted.
    One or two CJK or Thai characters (象牙): from the gram index of revision 0014 on both
    (``store/grams.py``), the LIKE kept as the check; other 1-2 character queries scan with
    LIKE in risk order (they are common: the first page of hits comes early).
    """
    # control characters (NUL ends an FTS5 string) never occur in listings as stored: drop them
    text = "".join(ch for ch in text if ch.isprintable() or ch == " ").strip()
    if not text:
        return []
    c = queue.c
    stmt = sa.select(*(c[n] for n in columns)).where(*where(filters or Filters()))
    pattern = f"%{_like_escape(text)}%"
    risk: sa.ColumnElement[Any] = c.risk_score
    if grams.servable(text):  # from the gram index, the LIKE as the check
        hits = _gram_hits(engine, text)
        like = c.search_text.ilike if engine.dialect.name == "postgresql" else c.search_text.like
        stmt = stmt.where(like(pattern, escape="\\"))
        if _common(engine, hits, limit):  # walk in risk order, looking each row up in the hits
            stmt = stmt.where((c.id + 0).in_(hits))
        else:  # the few hits, then sorted
            stmt = stmt.where(c.id.in_(hits))
            risk = unindexed(c.risk_score)
    elif engine.dialect.name == "sqlite" and len(text) >= 3:
        phrase = '"' + text.replace('"', '""') + '"'
        ids: sa.Select[Any] = sa.select(sa.column("rowid")).select_from(sa.table("queue_fts")).where(
            sa.text("queue_fts MATCH :phrase").bindparams(phrase=phrase))
        # a common text: walk in risk order, looking each row up in the hits; else from the hits
        stmt = stmt.where((c.id + 0).in_(ids) if _common(engine, ids, limit) else c.id.in_(ids))
    elif engine.dialect.name == "postgresql":
        found = c.search_text.ilike(pattern, escape="\\")
        stmt = stmt.where(found)
        if len(text) >= 3:  # from the trigram index, then sorted: a walk in risk order reads the
            risk = unindexed(c.risk_score)  # whole queue when the hits are low risk ("ivory" dresses)
    else:
        stmt = stmt.where(c.search_text.like(pattern, escape="\\"))
    stmt = stmt.order_by(risk.desc(), c.listing_id.desc()).limit(limit)
    with engine.connect() as conn:
        return _rows(conn, stmt)


def _gram_hits(engine: sa.Engine, text: str) -> sa.Select[Any]:
    """The ids of the queue rows holding ``text`` (one or two CJK or Thai characters) as a gram."""
    if engine.dialect.name == "postgresql":
        keys = sa.func.wildtrace_grams(queue.c.search_text, type_=ARRAY(sa.Text))
        return sa.select(queue.c.id).where(keys.contains(sa.literal([text], ARRAY(sa.Text))))
    return (sa.select(sa.column("id")).select_from(sa.table("queue_grams"))
            .where(sa.column("gram") == text))


def _common(engine: sa.Engine, hits: sa.Select[Any], limit: int) -> bool:
    """Whether a text search's ``hits`` are so many that walking the queue in risk order (about
    ``limit * rows / hits`` rows read to find the first ``limit``) beats reading every hit and
    sorting them: when hits exceed sqrt(limit * rows). At 1M listings the first 2,000 of 27,000
    "ivory" hits took 138 ms by the walk and 57 ms from the hits; 200 of them (a batch search's
    share), the walk wins. Counting stops at the bound."""
    with engine.connect() as conn:
        rows = counts.count(conn, {}) or 0
        bound = max(FEW_HITS, math.isqrt(max(1, limit) * rows))
        return int(conn.execute(sa.select(sa.func.count()).select_from(hits.limit(bound + 1).subquery()))
                   .scalar() or 0) > bound


def split(joined: str) -> list[str]:
    return [p for p in joined.split("|") if p]


#: Most weeks the dashboard's weekly axis shows (the latest ones).
MAX_WEEKS = 260


def weeks(first: str, last: str) -> list[tuple[str, str, str]]:
    """Every ISO week from ``first`` to ``last`` (``2026-W45``), each with its Monday and Sunday."""
    def monday(week: str) -> dt.date:
        year, number = week.split("-W")
        return dt.date.fromisocalendar(int(year), int(number), 1)

    out: list[tuple[str, str, str]] = []
    day, end = monday(first), monday(last)
    while day <= end:
        year, number, _ = day.isocalendar()
        out.append((f"{year}-W{number:02d}", day.isoformat(), (day + dt.timedelta(days=6)).isoformat()))
        day += dt.timedelta(days=7)
    return out


def stats(engine: sa.Engine, verdict: str = "wildlife_offer") -> dict[str, Any]:
    """Flagged listings (verdict) per week, species, product, platform and CITES appendix.

    Read from ``queue_counts`` (a few hundred rows, kept by every queue write), not from the
    queue itself; ``counts.recount`` gives the same figures the slow way.
    """
    with engine.connect() as conn:
        return counts.summary(counts.stored(conn), verdict)


def dashboard(engine: sa.Engine, verdict: str = "wildlife_offer", *, posted_from: str = "",
              posted_to: str = "") -> dict[str, Any]:
    """``stats`` plus a continuous weekly axis, for a date range or all time.

    Without a range: the kept counts (``stats``). With one (``posted_from``/``posted_to``, ISO
    dates): the kept counts of the days in it (``counts.in_range``: the same figures as counting
    the queue rows posted in it, ``counts.recount``). ``weeks`` is the axis, (week, monday,
    sunday, n) with empty weeks at 0; ``undated`` counts the flagged rows with no week.
    """
    with engine.connect() as conn:
        if posted_from or posted_to:
            days = where(Filters(posted_from=posted_from, posted_to=posted_to), queue_day_counts.c.day)
            out = counts.summary(counts.in_range(conn, days, only=verdict), verdict)
        else:
            out = counts.summary(counts.stored(conn), verdict)
    per_week = {w: n for w, n in out["by_week"] if w != "(none)"}
    out["undated"] = dict(out["by_week"]).get("(none)", 0)
    first = iso_week(posted_from) or min(per_week, default="")
    last = iso_week(posted_to) or max(per_week, default="")
    axis = weeks(first, last)[-MAX_WEEKS:] if first and last else []
    out["weeks"] = [(w, mon, sun, per_week.get(w, 0)) for w, mon, sun in axis]
    return out


def facets(engine: sa.Engine) -> dict[str, list[str]]:
    """Values offered in the queue's filter menus (small columns only), most frequent first:
    platforms and verdicts from ``queue_counts``, languages from their index."""
    c = queue.c
    with engine.connect() as conn:
        kept = counts.stored(conn)
        out = {"lang": [v for v in conn.execute(
            sa.select(c.lang).where(c.lang != "").group_by(c.lang)
            .order_by(sa.func.count().desc(), c.lang).limit(50)).scalars()]}
    for name, dim in (("platform", "platform"), ("verdict", "all")):
        tally: Counter[str] = Counter()
        for (verdict, d, value), n in kept.items():
            if d == dim:
                tally[verdict if name == "verdict" else value] += n
        out[name] = [v for v, _ in sorted(tally.items(), key=lambda kv: (-kv[1], kv[0])) if v][:50]
    return out


def export(engine: sa.Engine, filters: Filters, *, limit: int | None = None) -> Iterator[dict[str, Any]]:
    """The newest result of each listing in the queue (the public JSON plus its label)."""
    c = queue.c
    s = scan_results.c
    stmt = (sa.select(s.result, c.label)
            .join(scan_results, (s.listing_id == c.listing_id) & (s.content_sha256 == c.content_sha256)
                  & (s.scanned_at == c.scanned_at))
            .where(*where(filters)).order_by(c.risk_score.desc(), c.listing_id.desc()))
    if limit:
        stmt = stmt.limit(limit)
    seen: set[str] = set()
    with engine.connect() as conn:
        for result, label in conn.execution_options(stream_results=True, yield_per=500).execute(stmt):
            record = orjson.loads(result)
            if record["id"] in seen:  # two models scanned at the same second
                continue
            seen.add(record["id"])
            record["label"] = label or None
            yield record
