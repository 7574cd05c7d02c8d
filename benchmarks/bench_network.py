"""Benchmark: seller-network metrics (igraph, exact) beside igraph's bare betweenness.

    python benchmarks/bench_network.py --accounts 100000 --repeat 3

The accounts are bench_investigations' synthetic sellers (phones and WeChat ids shared from
small pools; SYNTHETIC, none real), linked by ``NetworkBuilder``. Timed, CPU seconds of this
process, medians of ``--repeat`` runs:

- ``metrics``: ``Network.metrics()`` from the built networkx graph (conversion to igraph,
  components, degree, weighted degree, exact betweenness, key players);
- ``entities``: ``Network.entities()``;
- the floor: igraph's own ``betweenness()`` on the same graph, already converted.

Prints one JSON object with the times and ``metrics_over_floor``. Target: metrics and
entities at 100k accounts < 10 s in all, exact.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import igraph

sys.path.insert(0, str(Path(__file__).parent))
from bench_investigations import synth_results  # noqa: E402

from wildtrace.sellers.network import NetworkBuilder  # noqa: E402


def cpu(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.process_time()
        fn()
        times.append(time.process_time() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    t = time.perf_counter()
    builder = NetworkBuilder()
    for r in synth_results(args.accounts):
        builder.add_result(r)
    net = builder.build()
    out: dict[str, Any] = {"accounts": args.accounts, "links": net.graph.number_of_edges(),
                           "build_s": round(time.perf_counter() - t, 1), "repeat": args.repeat}

    def metrics() -> None:
        net._metrics = None
        net.metrics()

    out["metrics_cpu_s"] = round(cpu(metrics, args.repeat), 3)
    out["entities_cpu_s"] = round(cpu(net.entities, args.repeat), 3)
    names = list(net.graph.nodes)
    index = {v: i for i, v in enumerate(names)}
    bare = igraph.Graph(n=len(names), edges=[(index[a], index[b]) for a, b in net.graph.edges])
    out["floor_igraph_betweenness_cpu_s"] = round(cpu(lambda: bare.betweenness(directed=False), args.repeat), 3)
    m = net.metrics()
    out["linked_accounts"] = m["linked_accounts"]
    out["components"] = len(m["components"])
    out["betweenness_method"] = m["betweenness_method"]
    out["key_players"] = len(m["key_players"])
    out["metrics_and_entities_cpu_s"] = round(out["metrics_cpu_s"] + out["entities_cpu_s"], 3)
    out["metrics_over_floor"] = round(out["metrics_cpu_s"] / max(out["floor_igraph_betweenness_cpu_s"], 1e-9), 1)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
