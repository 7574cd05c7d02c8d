"""Finding stored listings by what a query means: the rows of a search, ranked, with facets.

``find(engine, meaning, filters)`` reads the derived ``queue`` (and, for the page shown, each
hit's listing record and newest scan result). A ``Meaning`` is what ``wildtrace.search`` made
of the query with the scanner's own lexicon; this module only looks it up. Hits come in this
order, each group by risk:

1. ``tagged``: the scanner named one of the query's taxa (or their members) and product types;
2. ``identifier``: the listing holds the phone number of the query (in any format), or the
   identifier the query is (a handle, wallet, e-mail, URL: ``Meaning.handles``); when the query
   is an identifier these come first, before any taxon the token happens to spell ("hk_horn_88");
3. ``broader``: the scanner named a taxon that contains the query's (a family-level pangolin
   listing for ``Manis``);
4. ``product``: a product word that implies a taxon ("犀角": rhino horn) matched the product type
   of a listing tagged with another taxon (a hornbill casque is bone-like too);
5. ``text``: the query's text is in the title, text or seller, and the scanner did not tag it.
   For a query the lexicon understands, a listing the scanner read and ruled ``not_wildlife``
   is left out: "ivory" as a colour of a dress is not an ivory hit.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.sql.util import ClauseAdapter

from wildtrace.sellers import identifiers
from wildtrace.store import queue as q
from wildtrace.store.derive import PHONE_KINDS as _PHONE_KINDS
from wildtrace.store.derive import identifier_key
from wildtrace.store.schema import listing_identifiers, listings, queue, scan_results

#: The most rows read per kind of hit (the facets count these).
MAX_HITS = 2000
#: The most listings read to confirm a phone number (digits in order, then parsed).
MAX_PHONE_CANDIDATES = 5000
#: Facets of the result set, in the order shown.
FACETS = ("species", "product", "appendix", "lang", "platform", "verdict", "label")
KINDS = ("tagged", "identifier", "broader", "product", "text")
_HIGHLIGHT_FIELDS = ("title", "text")
#: What ranking, the species filter and the facets read of every hit; the page shown reads the
#: whole queue row (``q.ROW_COLUMNS``) of its hits only.
LEAN = ("listing_id", "risk_score", "verdict", "species", "products", "appendices", "lang", "platform", "label")


@dataclass(frozen=True)
class Meaning:
    """What a query means, in the terms the store keeps."""

    text: str  # the query as typed, searched as plain text
    named: tuple[str, ...] = ()  # the taxa the query names (before their members are added)
    taxa: tuple[str, ...] = ()  # scientific names: the query's taxa and their members
    broader: tuple[str, ...] = ()  # taxa that contain the query's taxa
    products: tuple[str, ...] = ()  # product types
    implied: tuple[str, ...] = ()  # taxa the product words imply ("犀角": rhino), with members
    code_words: tuple[str, ...] = ()  # code words that mean one of them (highlighted)
    phones: tuple[str, ...] = ()  # national significant digits of a phone number
    handles: tuple[str, ...] = ()  # canonical identifier values the query may be (not phones)
    within: tuple[str, ...] = ()  # the species filter, resolved: hits must name one of these

    @property
    def understood(self) -> bool:
        """Whether the lexicon recognised a taxon or a product type in the query."""
        return bool(self.taxa or self.products)


@dataclass
class Hit:
    """One listing found: its queue row, why it was found, and the spans to highlight."""

    row: dict[str, Any]
    kind: str  # tagged, identifier, broader or text
    matched: list[str] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)  # title and text, as stored
    spans: list[dict[str, Any]] = field(default_factory=list)  # field, span, kind, ref


@dataclass
class Found:
    """A search's hits (one page), their total, and the facets of every hit."""

    total: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]]
    truncated: bool  # a kind of hit reached MAX_HITS: counts are lower bounds


def _any(column: str, values: tuple[str, ...]) -> sa.ColumnElement[bool]:
    one = {"species": "species", "products": "product"}[column]
    return sa.or_(*(q.where(q.Filters(**{one: v}))[0] for v in values))


#: PostgreSQL: a walk in risk order for common tags reads at most this many queue rows before
#: it gives up and lets the planner choose (see ``_tagged``).
WALK_ROWS = 250_000
#: A tag of more values than this is looked up in the tag index by a walk (see ``_tagged``).
MANY = 16
#: What a batch search shares between its terms: a query's rows by the query (``find``'s memo).
Memo = dict[tuple[Any, ...], list[dict[str, Any]]]


def _tagged(conn: sa.Connection, taxa: tuple[str, ...], m: Meaning,
            filters: q.Filters, cap: int = MAX_HITS) -> list[dict[str, Any]]:
    """The first ``cap`` queue rows (risk order) tagged with one of ``taxa`` and one of the
    products of ``m`` (and within ``m.within``).

    A rare tag (the kept counts say fewer than ``q.FEW`` rows) is read from its index, then
    sorted. Common tags walk the queue in risk order, testing each row with one LIKE per value:
    with more than ``MANY`` values (a parrot is any of 125 taxa) SQLite first looks the row up in
    the tag index (the 32,874 parrots' ids: 62 ms; the walk then 76 ms in all, LIKEs only 548
    ms). On PostgreSQL the walk reads at most ``WALK_ROWS`` rows (``_walk``): its planner took
    the trigram indexes for "ivory" (it multiplies the tags' shares: 2,967 rows estimated, 49,964
    found, all read and sorted: 127 ms; the walk: 38 ms), and two common tags may hold few rows
    together or rank low; when the walk finds fewer than ``cap``, the planner chooses, kept off
    the risk order (a walk through the rest). Either way the rows are the first ``cap`` in
    (risk, listing id) order."""
    cond = list(q.where(filters))
    tags: list[tuple[int, int, str, tuple[str, ...], sa.ColumnElement[bool]]] = []
    for k, (column, values) in enumerate((("species", taxa), ("products", m.products), ("species", m.within))):
        if values:
            tags.append((q.members(conn, column, values), k, column, values, _any(column, values)))
    # the rarest tag first: SQLite tests the conditions of a walk in the order given ("ivory":
    # the one product LIKE before the five species ones, 52 ms -> 20 ms at 1M listings)
    tags.sort(key=lambda t: (t[0], t[1]))
    cond += [t[4] for t in tags]
    risk: sa.ColumnElement[Any] = queue.c.risk_score
    many = [t for t in tags if len(t[3]) > MANY]
    if tags and tags[0][0] < q.FEW:  # rare: from the tag index, then sorted
        cond += q.tag_index(conn, tags[0][2], tags[0][3])
        risk = q.unindexed(risk)
    elif many and conn.dialect.name == "sqlite":
        cond = [*q.tag_index(conn, many[0][2], many[0][3], walk=True), *cond]
    elif tags and not many and conn.dialect.name == "postgresql" and not (
            filters.seller or filters.posted_from or filters.posted_to):
        walked = _walk(conn, cond, cap)
        if len(walked) >= cap:
            return walked
        risk = q.unindexed(risk)
    stmt = (sa.select(*(queue.c[n] for n in LEAN)).where(*cond)
            .order_by(risk.desc(), queue.c.listing_id.desc()).limit(cap))
    return [dict(r._mapping) for r in conn.execute(stmt)]


def _walk(conn: sa.Connection, cond: list[sa.ColumnElement[bool]], cap: int) -> list[dict[str, Any]]:
    """The first ``cap`` rows meeting ``cond`` (on ``LEAN`` columns only) among the first
    ``WALK_ROWS`` of the queue in (risk, listing id) order, read from the ``queue_risk_lean``
    index alone (PostgreSQL). Fewer than ``cap`` means: maybe not all of them."""
    top = (sa.select(*(queue.c[n] for n in LEAN))
           .order_by(queue.c.risk_score.desc(), queue.c.listing_id.desc()).limit(WALK_ROWS).subquery("walk"))
    adapt = ClauseAdapter(top)
    stmt = (sa.select(*top.c).where(*(adapt.traverse(c) for c in cond))
            .order_by(top.c.risk_score.desc(), top.c.listing_id.desc()).limit(cap))
    return [dict(r._mapping) for r in conn.execute(stmt)]


def _carriers(conn: sa.Connection, keys: list[str], kinds: frozenset[str] | None,
              filters: q.Filters) -> list[dict[str, Any]]:
    """Queue rows whose current version carries an identifier with one of ``keys`` (of one of
    ``kinds``): an indexed lookup in ``listing_identifiers``, highest risk first."""
    li = listing_identifiers.c
    # driven from the identifier index (a few rows), then each listing's queue row by its key
    stmt = (sa.select(*(queue.c[n] for n in LEAN)).distinct()
            .select_from(listing_identifiers.join(queue, (queue.c.listing_id == li.listing_id)
                                                  & (queue.c.content_sha256 == li.content_sha256)))
            .where(li.key.in_(keys), *q.where(filters)))
    if kinds is not None:
        stmt = stmt.where(li.kind.in_(sorted(kinds)))
    stmt = stmt.order_by(queue.c.risk_score.desc(), queue.c.listing_id.desc()).limit(MAX_PHONE_CANDIDATES)
    return [dict(r._mapping) for r in conn.execute(stmt)]


def _phone_hits(conn: sa.Connection, m: Meaning, filters: q.Filters) -> list[dict[str, Any]]:
    """Listings holding one of the query's phone numbers, whatever its format in the listing
    (the stored identifiers are keyed by their national digits)."""
    return _carriers(conn, list(m.phones), _PHONE_KINDS, filters)


def _identifier_hits(conn: sa.Connection, m: Meaning, filters: q.Filters) -> list[dict[str, Any]]:
    """Listings that carry one of ``m.handles`` as an identifier (exactly: a piece of a longer
    handle is not a hit)."""
    return _carriers(conn, sorted({identifier_key("", h) for h in m.handles}), None, filters)


def _allowed(row: dict[str, Any], m: Meaning) -> bool:
    return not m.within or bool(set(q.split(row["species"])) & set(m.within))


def find(engine: sa.Engine, m: Meaning, filters: q.Filters | None = None, *,
         limit: int = 50, offset: int = 0, cap: int = MAX_HITS, with_facets: bool = True,
         memo: Memo | None = None) -> Found:
    """The listings ``m`` points to, ranked (see the module), one page of them with spans.
    At most ``cap`` hits of each kind are read (``truncated`` says when one reached it).
    ``memo``: the rows of each query already run (a batch search: "ivory", "象牙" and "marfil"
    mean the same tags), filled here; ``with_facets=False``: no facets (a batch shows none)."""
    filters = filters or q.Filters()
    memo = {} if memo is None else memo

    def memoised(key: tuple[Any, ...], read: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
        if key not in memo:
            memo[key] = read()
        return memo[key]

    groups: dict[str, list[dict[str, Any]]] = {k: [] for k in KINDS}
    with engine.connect() as conn:
        if m.understood:
            taxa = m.taxa or m.implied
            tags = (m.products, m.within, filters, cap)
            groups["tagged"] = memoised(("tags", taxa, *tags), lambda: _tagged(conn, taxa, m, filters, cap))
            if m.broader:
                groups["broader"] = memoised(("tags", m.broader, *tags), lambda: _tagged(conn, m.broader, m, filters, cap))
            if taxa != m.taxa:
                groups["product"] = memoised(("tags", (), *tags), lambda: _tagged(conn, (), m, filters, cap))
        if m.phones:
            groups["identifier"] = list(memoised(("phones", m.phones, filters), lambda: _phone_hits(conn, m, filters)))
        if m.handles:
            groups["identifier"] += memoised(("handles", m.handles, filters), lambda: _identifier_hits(conn, m, filters))
    if m.text.strip():
        texts = memoised(("text", m.text, filters, cap),
                     lambda: q.search(engine, m.text, filters, limit=cap, columns=LEAN))
        groups["text"] = [r for r in texts if not (m.understood and r["verdict"] == "not_wildlife")]
    truncated = any(len(rows) >= cap for rows in groups.values())
    seen: set[str] = set()
    ranked: list[tuple[str, dict[str, Any]]] = []
    order = ("identifier", *(k for k in KINDS if k != "identifier")) if groups["identifier"] else KINDS
    for kind in order:
        for row in groups[kind]:
            if row["listing_id"] not in seen and _allowed(row, m):
                seen.add(row["listing_id"])
                ranked.append((kind, row))
    shown = [Hit(row, kind) for kind, row in ranked[offset:offset + limit]]
    _whole_rows(engine, shown)
    _explain(engine, shown, m)
    return Found(len(ranked), shown, facets([row for _, row in ranked]) if with_facets else {}, truncated)


def facets(rows: list[dict[str, Any]]) -> dict[str, list[tuple[str, int]]]:
    """Counts per value of each facet over ``rows`` (most first, ties by name)."""
    counts: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
    for row in rows:
        counts["species"].update(q.split(row["species"]))
        counts["product"].update(q.split(row["products"]))
        counts["appendix"].update(q.split(row["appendices"]))
        for name in ("lang", "platform", "verdict"):
            if row[name]:
                counts[name][row[name]] += 1
        counts["label"][row["label"] or "unlabelled"] += 1
    return {name: sorted(c.items(), key=lambda kv: (-kv[1], kv[0])) for name, c in counts.items()}


def _whole_rows(engine: sa.Engine, hits: list[Hit]) -> None:
    """Replace each shown hit's lean row by its whole queue row."""
    if not hits:
        return
    with engine.connect() as conn:
        rows = {r.listing_id: dict(r._mapping) for r in conn.execute(
            sa.select(*(queue.c[n] for n in q.ROW_COLUMNS))
            .where(queue.c.listing_id.in_([h.row["listing_id"] for h in hits])))}
    for hit in hits:
        hit.row = rows.get(hit.row["listing_id"], hit.row)


def _explain(engine: sa.Engine, hits: list[Hit], m: Meaning) -> None:
    """Fill each hit's fields, what matched and the spans to highlight (from its stored result)."""
    if not hits:
        return
    c, s = queue.c, scan_results.c
    stmt = (sa.select(c.listing_id, listings.c.record, s.result)
            .join(listings, (listings.c.listing_id == c.listing_id) & (listings.c.content_sha256 == c.content_sha256))
            .join(scan_results, (s.listing_id == c.listing_id) & (s.content_sha256 == c.content_sha256)
                  & (s.scanned_at == c.scanned_at))
            .where(c.listing_id.in_([h.row["listing_id"] for h in hits])))
    stored: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    with engine.connect() as conn:
        for listing_id, record, result in conn.execute(stmt):
            stored.setdefault(listing_id, (orjson.loads(record), orjson.loads(result)))
    refs = {("taxon", t) for t in (*m.taxa, *m.broader, *m.implied)} | {("product", p) for p in m.products} \
        | {("code_word", w) for w in m.code_words}
    for hit in hits:
        record, result = stored.get(hit.row["listing_id"], ({}, {}))
        hit.fields = {f: str(record.get(f) or "") for f in _HIGHLIGHT_FIELDS}
        if hit.kind in ("tagged", "broader", "product"):
            hit.spans = [x for x in result.get("matches", []) if (x.get("kind"), x.get("ref")) in refs]
            tags = {("taxon", t) for t in q.split(hit.row["species"])} | {
                ("product", p) for p in q.split(hit.row["products"])}
            hit.matched = sorted({f"{k}: {r}" for k, r in tags & refs})
        elif hit.kind == "identifier":
            found = identifiers.from_listing(record, lang=hit.row["lang"] or None)
            wanted = {h.lower() for h in m.handles}
            mine = [i for i in found if (i.kind in _PHONE_KINDS and any(i.value.endswith(d) for d in m.phones))
                    or i.value.lower() in wanted]
            hit.spans = _innermost(_occurrences(hit.fields, sorted({i.raw for i in mine}), "identifier"))
            hit.matched = sorted({f"{'phone' if i.kind in _PHONE_KINDS else i.kind}: {i.value}" for i in mine})
        if hit.kind == "text" or not hit.spans:
            hit.spans += _occurrences(hit.fields, [m.text.strip()], "text")
            if hit.kind == "text":
                hit.matched = [f"text: {m.text.strip()}"]


def _occurrences(fields: dict[str, str], needles: list[str], kind: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for needle in needles:
        if not needle:
            continue
        regex = re.compile(re.escape(needle), re.IGNORECASE)
        for name, value in fields.items():
            out += [{"field": name, "span": [x.start(), x.end()], "kind": kind, "ref": needle}
                    for x in regex.finditer(value)]
    return out


def _innermost(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Spans that hold no other span ("0812-3456-7890", not "WA 0812-3456-7890")."""
    def holds(a: dict[str, Any], b: dict[str, Any]) -> bool:
        return a is not b and a["field"] == b["field"] and a["span"][0] <= b["span"][0] \
            and b["span"][1] <= a["span"][1] and a["span"] != b["span"]
    return [a for a in spans if not any(holds(a, b) for b in spans)]
