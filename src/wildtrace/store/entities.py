"""Reading for the entity pages: one seller's listings (each listing's queue row with the record
of its newest version and when it was first seen, oldest first: a timeline), the links of the
newest stored seller network touching some accounts, and the analyst judgements on them.

Read-only; the queue (``wildtrace.store.queue``), the networks (``store/network.py``) and the
judgements (``store/judgements.py``) keep their tables. The newest network is read whole once per
process and kept as an index by account (a network is an immutable snapshot: a new build has a
new id), so a page costs one indexed query for the newest id, not a parse of the whole network.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa

from wildtrace.store import network as stored_network
from wildtrace.store.queue import ROW_COLUMNS
from wildtrace.store.schema import judgements, listing_identifiers, listings, networks, queue

#: The most listings one seller page reads (a timeline, not an export).
MAX_SELLER_LISTINGS = 500


def seller_listings(engine: sa.Engine, seller: str, *,
                    limit: int = MAX_SELLER_LISTINGS) -> list[dict[str, Any]]:
    """The seller's listings (queue rows with ``content_sha256``) with ``record`` (newest version's input record),
    ``first_seen`` (of the listing's first version) and ``when`` (posted_at, else first seen),
    oldest first."""
    c = queue.c
    versions = listings.alias("versions")
    # per row, not a GROUP BY over every listing: the page reads at most ``limit`` rows
    first = (sa.select(sa.func.min(versions.c.first_seen)).where(versions.c.listing_id == c.listing_id)
             .scalar_subquery().label("first_seen"))
    stmt = (sa.select(*[c[n] for n in ROW_COLUMNS], c.content_sha256, first, listings.c.record)
            .join(listings, (listings.c.listing_id == c.listing_id)
                  & (listings.c.content_sha256 == c.content_sha256))
            .where(c.seller == seller)
            .order_by(c.risk_score.desc(), c.listing_id.desc()).limit(limit))
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    for row in rows:
        row["record"] = orjson.loads(row["record"])
        row["when"] = (row["posted_at"] or row["first_seen"] or "")[:10]
    rows.sort(key=lambda r: (r["when"], r["listing_id"]))
    return rows


@dataclass(frozen=True)
class LinkIndex:
    """One stored network's edges by account, strongest first, with the other side's node."""

    id: int
    built_at: str
    by_account: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def links(self, accounts: Iterable[str]) -> list[dict[str, Any]]:
        """Edges touching ``accounts``: ``account`` (ours), ``other``, ``platform``, ``seller``,
        ``weight``, ``evidence``, ``judgement``; strongest first."""
        mine = set(accounts)
        out = [dict(e, account=a) for a in sorted(mine) for e in self.by_account.get(a, [])
               if e["other"] not in mine or e["other"] > a]
        out.sort(key=lambda e: (-float(e["weight"] or 0), e["other"], e["account"]))
        return out


def _index(network_id: int, built_at: str, data: dict[str, Any]) -> LinkIndex:
    nodes = {n.get("id"): n for n in data.get("nodes", []) if isinstance(n, dict)}
    by_account: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for edge in data.get("edges", []):
        a, b = edge.get("a"), edge.get("b")
        for mine, other in ((a, b), (b, a)):
            node = nodes.get(other, {})
            by_account[str(mine)].append({
                "other": other, "platform": node.get("platform", ""), "seller": node.get("seller", ""),
                "weight": edge.get("weight", 0), "evidence": edge.get("evidence", []),
                "judgement": edge.get("judgement")})
    return LinkIndex(network_id, built_at, dict(by_account))


_cache: dict[str, LinkIndex] = {}
_cache_lock = threading.Lock()


def network_links(engine: sa.Engine) -> LinkIndex | None:
    """The newest stored network as a ``LinkIndex`` (None when none was built); parsed once per
    network id per process."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(networks.c.id, networks.c.built_at)
                           .order_by(networks.c.id.desc()).limit(1)).first()
    if row is None:
        return None
    key = str(engine.url)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and hit.id == row.id:
            return hit
    found = _index(int(row.id), str(row.built_at), stored_network.get(engine, int(row.id)).to_dict())
    with _cache_lock:
        _cache[key] = found
    return found


def judgements_on(engine: sa.Engine, accounts: Iterable[str], *, limit: int = 500) -> list[dict[str, Any]]:
    """Judgement records (``same``, ``different``, ``unsure``, ``retract``) naming any of
    ``accounts``, oldest first; ``retracted`` when a later ``retract`` withdrew one, ``in_force``
    on each pair's latest record not retracted (the rule of ``sellers.judgements.in_force``)."""
    names = sorted(set(accounts))
    if not names:
        return []
    j = judgements.c
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(
            sa.select(j.id, j.a, j.b, j.judgement, j.retracts, j.author, j.at, j.note)
            .where(j.a.in_(names) | j.b.in_(names)).order_by(j.seq).limit(limit))]
    withdrawn = {r["retracts"] for r in rows if r["judgement"] == "retract" and r["retracts"]}
    latest: dict[tuple[str, ...], dict[str, Any]] = {}
    for row in rows:
        row["retracted"] = row["judgement"] != "retract" and row["id"] in withdrawn
        row["in_force"] = False
        if row["judgement"] != "retract" and not row["retracted"]:
            latest[tuple(sorted((row["a"], row["b"])))] = row
    for row in latest.values():
        row["in_force"] = True
    return rows


def identifiers_of(engine: sa.Engine, versions: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """The stored identifiers of these listing versions ((listing_id, content_sha256) pairs):
    ``kind``, ``value`` and the ``listings`` that carry it, by kind and value."""
    pairs = list(versions)
    li = listing_identifiers.c
    found: dict[tuple[str, str], dict[str, Any]] = {}
    with engine.connect() as conn:
        current = set(pairs)
        for start in range(0, len(pairs), 500):
            chunk = sorted({listing_id for listing_id, _ in pairs[start:start + 500]})
            stmt = (sa.select(li.kind, li.value, li.listing_id, li.content_sha256)
                    .where(li.listing_id.in_(chunk)))  # the primary key's first column
            for kind, value, listing_id, sha in conn.execute(stmt):
                if (listing_id, sha) not in current:
                    continue  # an older version's identifier
                entry = found.setdefault((kind, value), {"kind": kind, "value": value, "listings": []})
                entry["listings"].append(listing_id)
    for entry in found.values():
        entry["listings"].sort()
    return [found[k] for k in sorted(found)]
