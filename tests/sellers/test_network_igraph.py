"""The network metrics computed in igraph mean what networkx's exact metrics meant.

The reference below is the networkx code the metrics ran on before igraph (exact betweenness,
the same greedy key-player search), kept here to compare with: components, degree, weighted
degree, betweenness and the key-player ranking must agree on graphs shaped like real seller
networks (many small components of accounts sharing phones and messenger handles, plus a
larger one with brokers between clusters).
"""

from __future__ import annotations

import random
from typing import Any

import networkx as nx
import pytest

from wildtrace.sellers.network import Network, NetworkBuilder, NetworkOptions


def _reference(g: nx.Graph, options: NetworkOptions) -> dict[str, Any]:
    """The networkx metrics as they were computed before igraph (always exact here)."""
    comps = sorted((sorted(c) for c in nx.connected_components(g)), key=lambda c: (-len(c), c[0]))
    linked = nx.Graph(g.subgraph([n for n in g if g.degree(n) > 0]))
    betweenness = nx.betweenness_centrality(linked, normalized=True)
    return {"components": comps, "degree": dict(g.degree()),
            "weighted_degree": dict(g.degree(weight="weight")), "betweenness": betweenness,
            "key_players": _reference_key_players(linked, betweenness, options)}


def _reference_key_players(linked: nx.Graph, betweenness: dict[str, float],
                           options: NetworkOptions) -> list[dict[str, Any]]:
    n = linked.number_of_nodes()
    if n < 3:
        return []
    g = nx.Graph(linked)
    pairs = sum(len(c) * (len(c) - 1) for c in nx.connected_components(g))
    total = n * (n - 1)
    ranking = []
    candidates = set(sorted(betweenness, key=lambda v: -betweenness[v])[: options.key_player_candidates])
    candidates |= set(nx.articulation_points(g)) if n <= 20000 else set()
    for rank in range(1, options.key_players + 1):
        best: tuple[int, str, list[int]] | None = None
        for v in candidates:
            if v not in g:
                continue
            comp = nx.node_connected_component(g, v)
            parts = [len(c) for c in nx.connected_components(g.subgraph(comp - {v}))]
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


def _results(n: int, seed: int) -> list[dict[str, Any]]:
    """Listings of n sellers sharing phones and WeChat ids from small pools, as sellers do."""
    rng = random.Random(seed)
    phones = [f"+84 9{rng.randrange(10**8):08d}" for _ in range(n // 3)]
    wechats = [f"wx_{rng.randrange(10**9):09d}" for _ in range(n // 4)]
    out = []
    for i in range(n):
        parts = ["vảy tê tê sừng tê giác hàng thật"]
        if rng.random() < 0.6:
            parts.append(f"Zalo {rng.choice(phones)}")
        if rng.random() < 0.3:
            parts.append(f"wx: {rng.choice(wechats)}")
        out.append({"id": str(i), "risk_score": rng.random(), "lang": "vi",
                    "listing": {"seller": f"s{i}", "platform": rng.choice(["fb", "zalo", "shopee"]),
                                "text": " ".join(parts), "url": f"https://m.example/{i}"}})
    return out


def _brokered(seed: int) -> nx.Graph:
    """Dense clusters of sellers joined by a few brokers, plus chains and isolated accounts."""
    rng = random.Random(seed)
    g = nx.Graph()
    clusters = []
    for c in range(12):
        members = [f"fb:c{c}_{i}" for i in range(rng.randint(4, 15))]
        g.add_nodes_from(members)
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                if rng.random() < 0.4:
                    g.add_edge(a, b)
        for a, b in zip(members, members[1:], strict=False):
            g.add_edge(a, b)
        clusters.append(members)
    for k in range(6):
        broker = f"zalo:broker{k}"
        for members in rng.sample(clusters, 3):
            g.add_edge(broker, rng.choice(members))
    for k in range(30):
        g.add_edge(f"wechat:chain{k}", f"wechat:chain{k + 1}")
    g.add_edge("wechat:chain0", "zalo:broker0")
    g.add_nodes_from(f"fb:alone{k}" for k in range(20))
    for a, b in g.edges:
        w = rng.randint(1, 3)
        g.edges[a, b].update(weight=w, evidence=[{"type": "identifier", "value": f"x{i}"} for i in range(w)],
                             judgement=None, judgement_id=None)
    return g


def _compare(net: Network) -> None:
    ref = _reference(net.graph, net.options)
    m = net.metrics()
    assert [c["accounts"] for c in m["components"]] == [c[:50] for c in ref["components"] if len(c) > 1]
    assert m["component_of"] == {v: i for i, c in enumerate(ref["components"]) for v in c}
    assert m["degree"] == ref["degree"]
    assert m["weighted_degree"] == ref["weighted_degree"]
    assert m["betweenness"].keys() == ref["betweenness"].keys()
    for v, b in ref["betweenness"].items():
        assert m["betweenness"][v] == pytest.approx(b, rel=1e-9, abs=1e-12), v
    assert m["betweenness_method"] == "exact"
    assert m["key_players"] == ref["key_players"]
    assert m["linked_accounts"] == len(ref["betweenness"])


@pytest.mark.parametrize("seed", [1, 2])
def test_igraph_metrics_equal_networkx_on_sellers_sharing_contacts(seed: int) -> None:
    builder = NetworkBuilder()
    for r in _results(1000, seed):
        builder.add_result(r)
    net = builder.build()
    assert net.graph.number_of_edges() > 300
    _compare(net)


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_igraph_metrics_equal_networkx_with_brokers_between_clusters(seed: int) -> None:
    net = Network(_brokered(seed), {}, NetworkOptions(), [], "test")
    _compare(net)
    assert net.metrics()["key_players"][0]["account"].startswith(("zalo:broker", "wechat:chain"))


def test_entities_are_the_strong_components() -> None:
    builder = NetworkBuilder()
    for r in _results(600, 9):
        builder.add_result(r)
    net = builder.build()
    strong = nx.Graph()
    strong.add_nodes_from(net.graph.nodes)
    strong.add_edges_from((a, b) for a, b, d in net.graph.edges(data=True)
                          if any(e["type"] in ("identifier", "judgement") for e in d["evidence"]))
    expected = {v: min(c) for c in nx.connected_components(strong) for v in c}
    assert net.entities() == expected
