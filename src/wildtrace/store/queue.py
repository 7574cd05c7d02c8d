"""Reading the derived queue: triage order with filters, search, sellers, charts, export.

Everything here reads ``queue`` (one row per listing id, newest version and result), so the
triage queue is one indexed query even with a million listings: ordered by risk, paged by a
keyset cursor (no OFFSET, no COUNT).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from typing import Any

import orjson
import sqlalchemy as sa

from wildtrace.store import counts
from wildtrace.store.schema import queue, scan_results

#: Columns returned for each queue row (the API's queue item).
ROW_COLUMNS = ("listing_id", "version", "verdict", "risk_score", "wildlife_score", "lang",
               "platform", "seller", "title", "posted_at", "scanned_at", "species", "products",
               "appendices", "label")
LABEL_STATES = ("unlabelled", "labelled")


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


def where(f: Filters) -> list[sa.ColumnElement[bool]]:
    c = queue.c
    out: list[sa.ColumnElement[bool]] = []
    if f.species:
        out.append(_member(c.species, f.species))
    if f.product:
        out.append(_member(c.products, f.product))
    if f.appendix:
        out.append(_member(c.appendices, f.appendix))
    for name in ("lang", "platform", "verdict", "seller"):
        value = getattr(f, name)
        if value:
            out.append(c[name] == value)
    if f.label == "unlabelled":
        out.append(c.label == "")
    elif f.label == "labelled":
        out.append(c.label != "")
    elif f.label:
        out.append(c.label == f.label)
    if f.posted_from:
        out.append(c.posted_at >= f.posted_from[:10])
    if f.posted_to:
        out.append(c.posted_at < f.posted_to[:10] + "\uffff")
    return out


def encode_cursor(risk: float, listing_id: str) -> str:
    return orjson.dumps([risk, listing_id]).decode()


def decode_cursor(cursor: str) -> tuple[float, str] | None:
    try:
        risk, listing_id = orjson.loads(cursor)
        return float(risk), str(listing_id)
    except (orjson.JSONDecodeError, TypeError, ValueError):
        raise ValueError("bad cursor") from None


def _rows(conn: sa.Connection, stmt: sa.Select[Any]) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(stmt)]


def _columns() -> list[sa.ColumnElement[Any]]:
    return [queue.c[n] for n in ROW_COLUMNS]


def page(engine: sa.Engine, filters: Filters, *, limit: int = 50,
         after: tuple[float, str] | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the triage queue, highest risk first; returns (rows, cursor of the next page)."""
    c = queue.c
    stmt = sa.select(*_columns()).where(*where(filters))
    if after is not None:
        risk, listing_id = after
        stmt = stmt.where(sa.or_(c.risk_score < risk,
                                 sa.and_(c.risk_score == risk, c.listing_id < listing_id)))
    stmt = stmt.order_by(c.risk_score.desc(), c.listing_id.desc()).limit(limit + 1)
    with engine.connect() as conn:
        rows = _rows(conn, stmt)
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = encode_cursor(rows[-1]["risk_score"], rows[-1]["listing_id"]) if more and rows else None
    return rows, cursor


def neighbour(engine: sa.Engine, listing_id: str, filters: Filters, *, forward: bool = True) -> str | None:
    """The listing after (or before) this one in queue order, within the filters."""
    c = queue.c
    with engine.connect() as conn:
        risk = conn.execute(sa.select(c.risk_score).where(c.listing_id == listing_id)).scalar()
        if risk is None:
            return None
        if forward:
            cond = sa.or_(c.risk_score < risk, sa.and_(c.risk_score == risk, c.listing_id < listing_id))
            order = [c.risk_score.desc(), c.listing_id.desc()]
        else:
            cond = sa.or_(c.risk_score > risk, sa.and_(c.risk_score == risk, c.listing_id > listing_id))
            order = [c.risk_score.asc(), c.listing_id.asc()]
        found = conn.execute(sa.select(c.listing_id).where(cond, *where(filters))
                             .order_by(*order).limit(1)).scalar()
    return str(found) if found is not None else None


def get(engine: sa.Engine, listing_id: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        rows = _rows(conn, sa.select(*_columns(), queue.c.content_sha256)
                     .where(queue.c.listing_id == listing_id))
    return rows[0] if rows else None


def search(engine: sa.Engine, text: str, filters: Filters | None = None, *,
           limit: int = 50) -> list[dict[str, Any]]:
    """Listings whose title, text, seller or seller description contain ``text``.

    SQLite: FTS5 with the trigram tokenizer (substrings of 3+ characters, any script:
    Chinese and Thai need no word breaks); shorter queries scan with LIKE.
    PostgreSQL: ILIKE, served by a pg_trgm GIN index.
    """
    # control characters (NUL ends an FTS5 string) never occur in listings as stored: drop them
    text = "".join(ch for ch in text if ch.isprintable() or ch == " ").strip()
    if not text:
        return []
    c = queue.c
    stmt = sa.select(*_columns()).where(*where(filters or Filters()))
    pattern = f"%{_like_escape(text)}%"
    if engine.dialect.name == "sqlite" and len(text) >= 3:
        phrase = '"' + text.replace('"', '""') + '"'
        ids: sa.Select[Any] = sa.select(sa.column("rowid")).select_from(sa.table("queue_fts")).where(
            sa.text("queue_fts MATCH :phrase").bindparams(phrase=phrase))
        stmt = stmt.where(c.id.in_(ids))
    elif engine.dialect.name == "postgresql":
        stmt = stmt.where(c.search_text.ilike(pattern, escape="\\"))
    else:
        stmt = stmt.where(c.search_text.like(pattern, escape="\\"))
    stmt = stmt.order_by(c.risk_score.desc(), c.listing_id.desc()).limit(limit)
    with engine.connect() as conn:
        return _rows(conn, stmt)


def split(joined: str) -> list[str]:
    return [p for p in joined.split("|") if p]


def stats(engine: sa.Engine, verdict: str = "wildlife_offer") -> dict[str, Any]:
    """Flagged listings (verdict) per week, species, product, platform and CITES appendix.

    Read from ``queue_counts`` (a few hundred rows, kept by every queue write), not from the
    queue itself; ``counts.recount`` gives the same figures the slow way.
    """
    with engine.connect() as conn:
        return counts.summary(counts.stored(conn), verdict)


def facets(engine: sa.Engine) -> dict[str, list[str]]:
    """Values offered in the queue's filter menus (small columns only)."""
    c = queue.c
    out: dict[str, list[str]] = {}
    with engine.connect() as conn:
        for name in ("lang", "platform", "verdict"):
            out[name] = [v for v in conn.execute(
                sa.select(c[name]).where(c[name] != "").group_by(c[name])
                .order_by(sa.func.count().desc()).limit(50)).scalars()]
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
