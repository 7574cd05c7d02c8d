"""Seller networks: accounts linked by shared identifiers, near-duplicate images and text.

An *account* is ``platform:seller`` (a listing without a seller is its own account,
``platform:?listing-ID``). Edges carry their evidence:

- ``identifier``: both accounts give the same phone, e-mail, messenger handle,
  wallet or URL (canonical values from :mod:`wildtrace.sellers.identifiers`);
- ``image``: photos within ``image_distance`` bits of pHash;
- ``text``: listing texts within ``text_distance`` bits of SimHash.

Entity resolution (our documented stand-in for splink): accounts are the same
*entity* when joined by a path of shared strong identifiers or analyst "same"
judgements; "different" judgements cut the pair's edge. Near-duplicate photos and
text link accounts in the network but do not merge entities by themselves.
Judgements are applied at build time and never written into the source records.

Metrics, computed in igraph (C; part of the investigations extra): connected components,
degree (plain and weighted), exact betweenness (never sampled: sampling named the wrong
brokers), and a greedy key-player ranking: the accounts whose removal fragments the network most
(Borgatti's KPP-Neg fragmentation, F = 1 - sum s_i(s_i - 1) / (n(n - 1))).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import networkx as nx

from wildtrace import clock, provenance
from wildtrace.sellers.fingerprints import near_pairs, simhash
from wildtrace.sellers.identifiers import STRONG_KINDS, Identifier, from_listing
from wildtrace.sellers.judgements import Judgement, pair_key

if TYPE_CHECKING:
    import sqlalchemy as sa

    from wildtrace.store.network import StoredNetwork

#: Identifier kinds that link accounts (a shared domain, like the marketplace's own, does not).
LINK_KINDS = STRONG_KINDS | {"url"}
MIN_TEXT_WORDS = 8


@dataclass
class Account:
    id: str
    platform: str
    seller: str
    listings: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    identifiers: dict[str, Identifier] = field(default_factory=dict)  # key -> identifier
    image_hashes: list[int] = field(default_factory=list)
    text_hashes: list[int] = field(default_factory=list)
    max_risk: float = 0.0


def account_id(listing: dict[str, Any]) -> str:
    platform = str(listing.get("platform") or "unknown").strip().lower()
    seller = listing.get("seller")
    if isinstance(seller, str) and seller.strip():
        return f"{platform}:{seller.strip()}"
    return f"{platform}:?listing-{listing.get('id', '')}"


@dataclass
class NetworkOptions:
    image_distance: int = 6
    text_distance: int = 3
    max_shared: int = 200  # an identifier shared by more accounts is boilerplate, not a link
    key_players: int = 10
    key_player_candidates: int = 50


class NetworkBuilder:
    """Collects accounts from scan results, then links them."""

    def __init__(self, options: NetworkOptions | None = None):
        self.options = options or NetworkOptions()
        self.accounts: dict[str, Account] = {}
        self._input = hashlib.sha256()

    def add_result(self, result: dict[str, Any], *, extra_text: dict[str, str] | None = None,
                   image_phashes: Iterable[int] = ()) -> Account:
        """Add one ``wildtrace scan`` result (``listing`` inside it), with OCR text and image hashes if any."""
        listing = result.get("listing") or {}
        listing = {"id": result.get("id"), **listing}
        self._input.update(str(result.get("input_sha256") or result.get("id")).encode())
        aid = account_id(listing)
        acc = self.accounts.get(aid)
        if acc is None:
            acc = Account(aid, str(listing.get("platform") or "unknown"),
                          str(listing.get("seller") or ""))
            self.accounts[aid] = acc
        acc.listings.append(str(listing.get("id")))
        if isinstance(listing.get("url"), str):
            acc.urls.append(listing["url"])
        risk = result.get("risk_score")
        if isinstance(risk, int | float):
            acc.max_risk = max(acc.max_risk, float(risk))
        ocr = result.get("ocr") or {}
        if ocr.get("text"):
            extra_text = {**(extra_text or {}), "image_text": str(ocr["text"])}
        for ident in from_listing(listing, lang=result.get("lang"), extra_text=extra_text):
            if ident.kind in LINK_KINDS:
                acc.identifiers.setdefault(ident.key, ident)
        acc.image_hashes.extend(image_phashes)
        text = " ".join(str(listing.get(f) or "") for f in ("title", "text"))
        if len(text.split()) >= MIN_TEXT_WORDS:
            acc.text_hashes.append(simhash(text))
        return acc

    def build(self, judgements: dict[tuple[str, str], Judgement] | None = None) -> Network:
        opts = self.options
        graph = nx.Graph()
        for acc in self.accounts.values():
            graph.add_node(acc.id, platform=acc.platform, seller=acc.seller, listings=len(acc.listings),
                           max_risk=acc.max_risk)
        evidence: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        by_key: dict[str, list[str]] = defaultdict(list)
        for acc in self.accounts.values():
            for key in acc.identifiers:
                by_key[key].append(acc.id)
        skipped_keys = []
        for key, members in by_key.items():
            if len(members) < 2:
                continue
            if len(members) > opts.max_shared:
                skipped_keys.append({"identifier": key, "accounts": len(members)})
                continue
            for i, a in enumerate(members):
                for b in members[i + 1:]:
                    evidence[pair_key(a, b)].append({"type": "identifier", "value": key})
        for kind, attr, dist in (("image", "image_hashes", opts.image_distance),
                                 ("text", "text_hashes", opts.text_distance)):
            items = [(f"{acc.id}\x00{i}", h) for acc in self.accounts.values()
                     for i, h in enumerate(getattr(acc, attr))]
            best: dict[tuple[str, str], int] = {}
            for ka, kb, d in near_pairs(items, dist):
                a, b = ka.split("\x00")[0], kb.split("\x00")[0]
                if a != b:
                    pk = pair_key(a, b)
                    best[pk] = min(d, best.get(pk, 64))
            for pk, d in best.items():
                evidence[pk].append({"type": kind, "distance": d})
        judgements = judgements or {}
        for pk, judgement in judgements.items():
            if judgement.judgement == "same" and pk[0] in graph and pk[1] in graph:
                evidence[pk].append({"type": "judgement", "value": "same", "author": judgement.author})
        for (a, b), found in evidence.items():
            j = judgements.get((a, b))
            graph.add_edge(a, b, weight=len(found), evidence=found,
                           judgement=j.judgement if j else None, judgement_id=j.id if j else None)
        return Network(graph, self.accounts, opts, skipped_keys, self._input.hexdigest())


class Network:
    def __init__(self, graph: nx.Graph, accounts: dict[str, Account], options: NetworkOptions,
                 skipped_identifiers: list[dict[str, Any]], input_sha256: str):
        self.full = graph
        self.accounts = accounts
        self.options = options
        self.skipped_identifiers = skipped_identifiers
        self.input_sha256 = input_sha256
        self.built_at = clock.stamp()
        # The working graph: edges judged "different" are cut.
        self.graph = graph.copy()
        self.graph.remove_edges_from([(a, b) for a, b, j in graph.edges(data="judgement") if j == "different"])
        self._metrics: dict[str, Any] | None = None

    def _indexed(self, strong_only: bool = False) -> tuple[list[str], Any]:
        """The working graph in igraph: vertex i is the i-th account of ``self.graph`` (its
        order), edges carry their weight; with ``strong_only`` only identifier and judgement edges."""
        ig = _igraph()
        names = list(self.graph.nodes)
        index = {v: i for i, v in enumerate(names)}
        edges, weights = [], []
        for a, b, data in self.graph.edges(data=True):
            if strong_only and not any(e["type"] in ("identifier", "judgement") for e in data["evidence"]):
                continue
            edges.append((index[a], index[b]))
            weights.append(data["weight"])
        graph = ig.Graph(n=len(names), edges=edges)
        graph.es["weight"] = weights
        return names, graph

    def entities(self) -> dict[str, str]:
        """account -> entity id (the smallest account id of its entity)."""
        names, strong = self._indexed(strong_only=True)
        out = {}
        for comp in strong.connected_components():
            entity = min(names[i] for i in comp)
            for i in comp:
                out[names[i]] = entity
        return {n: out[n] for n in names}

    def metrics(self) -> dict[str, Any]:
        """Components, degree (plain and weighted), exact betweenness and key players, computed
        in igraph (C): exact betweenness of 100k accounts takes well under a second, where
        networkx needed sampling, and sampling named the wrong brokers (4 of the exact top 20 at
        20k accounts). Betweenness is networkx's normalised value: each linked account's share of
        the shortest paths between pairs of other linked accounts, times 2 / ((n - 1)(n - 2)),
        n the linked accounts (paths never leave a component, so this is exact per component)."""
        if self._metrics is not None:
            return self._metrics
        names, g = self._indexed()
        comps = sorted((sorted(names[i] for i in c) for c in g.connected_components()),
                       key=lambda c: (-len(c), c[0]))
        component_of = {v: i for i, comp in enumerate(comps) for v in comp}
        degree = g.degree()
        strength = g.strength(weights="weight")
        linked = [i for i, d in enumerate(degree) if d > 0]
        n = len(linked)
        raw = g.betweenness(directed=False)
        scale = 2 / ((n - 1) * (n - 2)) if n > 2 else 1.0
        betweenness = {names[i]: raw[i] * scale for i in linked}
        key_players = _key_players(g, names, linked, raw, self.options)
        self._metrics = {
            "accounts": g.vcount(), "links": g.ecount(),
            "linked_accounts": n,
            "components": [{"id": i, "size": len(c), "accounts": c[:50]} for i, c in enumerate(comps) if len(c) > 1],
            "component_of": component_of,
            "degree": dict(zip(names, degree, strict=True)),
            "weighted_degree": {v: int(s) if float(s).is_integer() else s
                                for v, s in zip(names, strength, strict=True)},
            "betweenness": betweenness, "betweenness_method": "exact",
            "key_players": key_players,
        }
        return self._metrics

    def to_dict(self) -> dict[str, Any]:
        m = self.metrics()
        entities = self.entities()
        kp = {k["account"]: k["rank"] for k in m["key_players"]}
        nodes = []
        for acc in self.accounts.values():
            nodes.append({
                "id": acc.id, "platform": acc.platform, "seller": acc.seller, "listings": acc.listings,
                "urls": acc.urls, "max_risk": acc.max_risk,
                "identifiers": [i.to_dict() for i in acc.identifiers.values()],
                "entity": entities[acc.id], "component": m["component_of"][acc.id],
                "degree": m["degree"][acc.id], "weighted_degree": m["weighted_degree"][acc.id],
                "betweenness": round(m["betweenness"].get(acc.id, 0.0), 6), "key_player_rank": kp.get(acc.id),
            })
        edges = [{"a": a, "b": b, "weight": d["weight"], "evidence": d["evidence"], "judgement": d["judgement"],
                  "judgement_id": d["judgement_id"]} for a, b, d in self.full.edges(data=True)]
        return {
            "provenance": provenance.stamp(
                "sellers.network", input_sha256=self.input_sha256,
                params={k: getattr(self.options, k) for k in vars(self.options)}, built_at=self.built_at),
            "summary": {k: m[k] for k in ("accounts", "links", "linked_accounts", "betweenness_method")}
            | {"components": len(m["components"]), "entities": len(set(entities.values()))},
            "components": m["components"], "key_players": m["key_players"],
            "skipped_identifiers": self.skipped_identifiers, "nodes": nodes, "edges": edges,
        }


def _igraph() -> Any:
    """igraph, imported when metrics are computed (part of the investigations extra)."""
    import igraph

    return igraph


#: Articulation points join the key-player candidates up to this many linked accounts.
ARTICULATION_CANDIDATES_MAX = 20000


def _key_players(g: Any, names: list[str], linked: list[int], raw: list[float],
                 options: NetworkOptions) -> list[dict[str, Any]]:
    """Greedy: repeatedly remove the candidate whose removal raises fragmentation most (ties:
    the smaller account id). Candidates: the ``key_player_candidates`` accounts of highest
    betweenness (equal values, to 9 decimals of the raw path count, in account order) and, up to
    ``ARTICULATION_CANDIDATES_MAX`` linked accounts, every articulation point. A candidate's
    gain is recomputed only after a removal in its own component."""
    n = len(linked)
    if n < 3:
        return []
    g = g.copy()
    pairs = sum(s * (s - 1) for s in g.connected_components().sizes() if s > 1)
    total = n * (n - 1)
    top = sorted(linked, key=lambda i: -round(raw[i], 9))[: options.key_player_candidates]
    candidates = set(top)
    if n <= ARTICULATION_CANDIDATES_MAX:
        candidates |= set(g.articulation_points())
    cached: dict[int, tuple[int, list[int], frozenset[int]]] = {}
    ranking: list[dict[str, Any]] = []
    for rank in range(1, options.key_players + 1):
        best: tuple[int, str, int, list[int]] | None = None
        for v in candidates:
            if v not in cached:
                comp = g.subcomponent(v)
                rest = [u for u in comp if u != v]
                parts = g.induced_subgraph(rest).connected_components().sizes() if rest else []
                gain = len(comp) * (len(comp) - 1) - sum(s * (s - 1) for s in parts)
                cached[v] = (gain, parts, frozenset(comp))
            gain, parts, _ = cached[v]
            if best is None or gain > best[0] or (gain == best[0] and names[v] < best[1]):
                best = (gain, names[v], v, parts)
        if best is None or best[0] <= 0:
            break
        gain, name, v, parts = best
        touched = cached[v][2]
        g.delete_edges(g.incident(v))
        candidates.discard(v)
        cached = {u: c for u, c in cached.items() if u not in touched}
        pairs -= gain
        ranking.append({"rank": rank, "account": name, "fragmentation": round(1 - pairs / total, 6),
                        "split_into": sorted(parts, reverse=True)[:10]})
    return ranking


def save_network(engine: sa.Engine, network: dict[str, Any], judgements: dict[tuple[str, str], Judgement], *,
                 source: str) -> int:
    """Store a built network (``Network.to_dict()``) in the database with its provenance: the
    builder's options and input hash, the judgements in force and where the results came from.
    Returns its id; ``wildtrace.store.network.latest`` reads it back."""
    from wildtrace.store import network as stored

    built = network.get("provenance") or {}
    stamp = provenance.stamp("sellers.network", input_sha256=str(built.get("input_sha256") or ""),
                             params=dict(built.get("params") or {}), source=source,
                             built_at=built.get("built_at"), judgements=len(judgements),
                             judgements_sha256=provenance.sha256_of(sorted(j.id for j in judgements.values())))
    return stored.save(engine, network, stamp)


def latest_network(engine: sa.Engine) -> StoredNetwork | None:
    """The network ``wildtrace network build`` stored last (None when none was): what the
    workbench and case exports read instead of rebuilding; ``to_dict()`` as when it was built."""
    from wildtrace.store import network as stored

    return stored.latest(engine)
