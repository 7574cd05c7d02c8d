"""The seller network as GEXF and GraphML (Gephi) and as node/edge CSV (Maltego, i2 Analyst's Notebook)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

import networkx as nx

from wildtrace.csvcell import safe_cell
from wildtrace.export.clean import xml_text

if TYPE_CHECKING:
    from wildtrace.cases import Case

NODE_COLUMNS = ["Entity ID", "Entity Type", "Label", "Platform", "Seller", "Identifiers", "Listings",
                "Max Risk", "Entity", "Component", "Degree", "Betweenness", "Key Player Rank"]
EDGE_COLUMNS = ["Source ID", "Target ID", "Link Type", "Weight", "Evidence", "Judgement"]


def _flat_graph(case: Case) -> nx.Graph:
    """Node and edge attributes as scalars (GEXF/GraphML hold no lists), every text XML-safe."""
    net = case.network().to_dict()
    g = nx.Graph()
    for n in net["nodes"]:
        g.add_node(xml_text(n["id"]), label=xml_text(n["seller"] or n["id"]), platform=xml_text(n["platform"]),
                   identifiers=xml_text(" ".join(f"{i['kind']}:{i['value']}" for i in n["identifiers"])),
                   listings=len(n["listings"]), max_risk=float(n["max_risk"]), entity=xml_text(n["entity"]),
                   component=int(n["component"]), degree=int(n["degree"]),
                   betweenness=float(n["betweenness"]), key_player_rank=int(n["key_player_rank"] or 0))
    for e in net["edges"]:
        g.add_edge(xml_text(e["a"]), xml_text(e["b"]), weight=float(e["weight"]),
                   evidence=xml_text(_evidence(e["evidence"])), judgement=xml_text(e["judgement"] or ""))
    return g


def _evidence(items: list[dict[str, object]]) -> str:
    return "; ".join(str(i.get("value") or f"{i['type']} distance {i.get('distance')}") for i in items)


def write_gexf(case: Case, path: Path) -> int:
    g = _flat_graph(case)
    nx.write_gexf(g, path)
    return g.number_of_nodes()


def write_graphml(case: Case, path: Path) -> int:
    g = _flat_graph(case)
    nx.write_graphml(g, path)
    return g.number_of_nodes()


def write_csv(case: Case, path: Path) -> int:
    """``path`` is a folder: nodes.csv and edges.csv."""
    path.mkdir(parents=True, exist_ok=True)
    g = _flat_graph(case)
    with open(path / "nodes.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(NODE_COLUMNS)
        for node, d in g.nodes(data=True):
            w.writerow([safe_cell(x) for x in (node, "Online Account", d["label"], d["platform"], d["label"],
                        d["identifiers"], d["listings"], d["max_risk"], d["entity"], d["component"],
                        d["degree"], round(d["betweenness"], 6), d["key_player_rank"] or "")])
    with open(path / "edges.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(EDGE_COLUMNS)
        for a, b, d in g.edges(data=True):
            w.writerow([safe_cell(x) for x in (a, b, "Linked accounts", d["weight"], d["evidence"], d["judgement"])])
    return g.number_of_nodes()
