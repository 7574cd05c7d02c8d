"""Benchmark: generate, load and analyse a synthetic CITES database.

    python benchmarks/bench_trade.py --rows 30000000 --repeat 3 --workdir /tmp/bench_trade

The floor is DuckDB's own ``read_csv`` of the same bulk files into a table (all columns as
text), timed in the same run; ``load_over_floor`` is the load's time over it (target <= 3).

Reports wall time of generation and load, the median wall time of each analysis over
``--repeat`` runs, rows/s, database size and the process's peak resident memory
(ru_maxrss: Python + DuckDB, which runs in-process). DuckDB's memory_limit bounds it.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wildtrace.trade.load import load_paths
from wildtrace.trade.reconcile import reconcile
from wildtrace.trade.routes import routes
from wildtrace.trade.schema import connect
from wildtrace.trade.screen import read_ranges, screen
from wildtrace.trade.synth import generate
from wildtrace.trade.trends import spikes


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/bench_trade"))
    ap.add_argument("--memory-limit", default="4GB")
    ap.add_argument("--keep", action="store_true", help="reuse generated files if present")
    args = ap.parse_args()
    data, db = args.workdir / "data", args.workdir / "trade.duckdb"
    out: dict[str, Any] = {"rows_requested": args.rows, "memory_limit": args.memory_limit}
    if not (args.keep and (data / "truth.json").exists()):
        shutil.rmtree(args.workdir, ignore_errors=True)
        out["generate_s"], res = timed(lambda: generate(data, args.rows, seed=args.seed))
        out["rows_generated"] = res.rows
    db.unlink(missing_ok=True)
    con = connect(db, memory_limit=args.memory_limit)
    bulk = sorted(data.glob("trade_db_*.csv"))
    out["files"] = len(bulk)
    # the floor: DuckDB's own read_csv of the same files into a table, in the same run and process
    floor = connect(args.workdir / "floor.duckdb", memory_limit=args.memory_limit)
    files = "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in bulk) + "]"
    out["floor_read_csv_s"], _ = timed(lambda: floor.execute(
        f"CREATE OR REPLACE TABLE raw AS SELECT * FROM read_csv({files}, header=true, all_varchar=true)"))
    floor.close()
    (args.workdir / "floor.duckdb").unlink(missing_ok=True)
    out["load_s"], loads = timed(lambda: load_paths(con, bulk))
    out["rows_loaded"] = sum(x.rows_loaded for x in loads)
    out["load_rows_per_s"] = round(out["rows_loaded"] / out["load_s"])
    out["load_over_floor"] = round(out["load_s"] / out["floor_read_csv_s"], 2)
    out["reload_noop_s"], again = timed(lambda: load_paths(con, bulk))
    assert all(x.status == "unchanged" for x in again), "reload was not a no-op"
    out["peak_rss_mb_after_load"] = round(peak_mb())
    print(json.dumps(out), flush=True)
    ranges = read_ranges(data / "ranges.csv")
    analyses: dict[str, Callable[[], Any]] = {
        "reconcile": lambda: reconcile(con),
        "screen": lambda: screen(con, ranges=ranges),
        "spikes": lambda: spikes(con),
        "routes": lambda: routes(con),
    }
    for name, fn in analyses.items():
        times = []
        for _ in range(args.repeat):
            t, res = timed(fn)
            times.append(t)
        out[f"{name}_median_s"] = round(statistics.median(times), 2)
        out[f"{name}_runs_s"] = [round(x, 2) for x in times]
        out[f"{name}_flag_counts"] = res.get("flag_counts")
        print(name, out[f"{name}_runs_s"], flush=True)
    con.close()
    out["db_mb"] = round(db.stat().st_size / 2**20)
    out["csv_mb"] = round(sum(f.stat().st_size for f in bulk) / 2**20)
    out["peak_rss_mb"] = round(peak_mb())
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
