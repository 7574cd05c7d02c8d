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

Metrics: connected components, degree (plain and weighted), betweenness (exact up
to ``exact_betweenness_max`` nodes, else sampled with a fixed seed), and a greedy
key-player ranking: the accounts whose removal fragments the network most
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
    exact_betweenness_max: int = 3000
    betweenness_samples: int = 300
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

    def entities(self) -> dict[str, str]:
        """account -> entity id (the smallest account id of its entity)."""
        strong = nx.Graph()
        strong.add_nodes_from(self.graph.nodes)
        for a, b, data in self.graph.edges(data=True):
            if any(e["type"] in ("identifier", "judgement") for e in data["evidence"]):
                strong.add_edge(a, b)
        out = {}
        for comp in nx.connected_components(strong):
            entity = min(comp)
            for node in comp:
                out[node] = entity
        return out

    def metrics(self) -> dict[str, Any]:
        if self._metrics is not None:
            return self._metrics
        g = self.graph
        comps = sorted((sorted(c) for c in nx.connected_components(g)), key=lambda c: (-len(c), c[0]))
        component_of = {n: i for i, comp in enumerate(comps) for n in comp}
        linked = nx.Graph(g.subgraph([n for n in g if g.degree(n) > 0]))  # a copy: views are slow
        n = linked.number_of_nodes()
        if n <= self.options.exact_betweenness_max:
            betweenness = nx.betweenness_centrality(linked, normalized=True)
            method = "exact"
        else:
            betweenness = nx.betweenness_centrality(linked, k=self.options.betweenness_samples,
                                                    normalized=True, seed=0)
            method = f"sampled (k={self.options.betweenness_samples}, seed 0)"
        key_players = self._key_players(linked, betweenness)
        self._metrics = {
            "accounts": g.number_of_nodes(), "links": g.number_of_edges(),
            "linked_accounts": n,
            "components": [{"id": i, "size": len(c), "accounts": c[:50]} for i, c in enumerate(comps) if len(c) > 1],
            "component_of": component_of,
            "degree": dict(g.degree()), "weighted_degree": dict(g.degree(weight="weight")),
            "betweenness": betweenness, "betweenness_method": method,
            "key_players": key_players,
        }
        return self._metrics

    def _key_players(self, linked: nx.Graph, betweenness: dict[str, float]) -> list[dict[str, Any]]:
        """Greedy: repeatedly remove the candidate whose removal raises fragmentation most."""
        n = linked.number_of_nodes()
        if n < 3:
            return []
        g = nx.Graph(linked)
        sizes = {frozenset(c): len(c) for c in nx.connected_components(g)}
        pairs = sum(s * (s - 1) for s in sizes.values())
        total = n * (n - 1)
        ranking = []
        candidates = set(sorted(betweenness, key=lambda v: -betweenness[v])[: self.options.key_player_candidates])
        candidates |= set(nx.articulation_points(g)) if n <= 20000 else set()
        for rank in range(1, self.options.key_players + 1):
            best: tuple[int, str, list[int]] | None = None
            for v in candidates:
                if v not in g:
                    continue
                comp = nx.node_connected_component(g, v)
                sub = g.subgraph(comp - {v})
                parts = [len(c) for c in nx.connected_components(sub)]
                gain = len(comp) * (len(comp) - 1) - sum(s * (s - 1) for s in parts)
                if best is None or gain > best[0] or (gain == best[0] and v < best[1]):
                    best = (gain, v, parts)
            if best is None or best[0] <= 0:
                break
            gain, v, parts = best
            g.remove_node(v)
            candidates.discard(v)
            pairs -= gain
            ranking.append({"rank": rank, "account": v, "fragmentation": round(1 - pairs / total, 6),
                            "split_into": sorted(parts, reverse=True)[:10]})
        return ranking

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
