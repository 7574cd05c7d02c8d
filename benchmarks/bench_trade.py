"""Benchmark: generate, load and analyse a synthetic CITES database.

    python benchmarks/bench_trade.py --rows 3000000 --repeat 3 --threads 1 --workdir /tmp/bench_trade

Floors, timed in the same run and process, as CPU seconds of the process (DuckDB runs in it;
``--threads`` pins DuckDB, 1 by default: the machine is shared and wall time is noise):

- load: DuckDB's own ``read_csv`` of the same bulk files into a table (all columns as text);
  ``load_over_read_csv`` is the load's CPU over it (issue 27 target <= 1.5); with
  ``--load-repeat N`` both run N times, alternately, and the medians are compared;
- reconcile: one permit join giving the same permit pairs (each side's bulk records summed
  per permit, taxon, term, unit, exporter and importer, then joined with the year within one);
  ``reconcile_over_permit_join`` is reconcile's median CPU over the join's (target <= 2); after one
  untimed run of the join, each run of reconcile is timed beside one of the join, alternately.

Reports CPU time of generation and load, the median CPU time of each analysis over
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
from functools import partial
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
    """CPU seconds of the whole process (every DuckDB thread) and the result."""
    t = time.process_time()
    out = fn()
    return time.process_time() - t, out


#: the floor of reconcile: the permit pairs alone, from the records
PERMIT_JOIN = """CREATE OR REPLACE TEMP TABLE floor_pairs AS
    WITH s AS (SELECT reporter_type AS side, export_permit, taxon, term, coalesce(unit, '') AS unit, exporter,
                      importer, coalesce(source = 'I', false) AS seized, sum(quantity) AS q, min(year) AS year
               FROM records WHERE dataset = 'cites_bulk' AND export_permit IS NOT NULL GROUP BY ALL)
    SELECT * FROM (FROM s WHERE side = 'E') e JOIN (FROM s WHERE side = 'I') i
      USING (export_permit, taxon, term, unit, exporter, importer, seized) WHERE abs(i.year - e.year) <= 1"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/bench_trade"))
    ap.add_argument("--memory-limit", default="4GB")
    ap.add_argument("--threads", type=int, default=1, help="DuckDB threads (0: DuckDB's default)")
    ap.add_argument("--keep", action="store_true", help="reuse generated files if present")
    ap.add_argument("--analyses", default="reconcile,screen,spikes,routes", help="which analyses to time")
    ap.add_argument("--load-repeat", type=int, default=1,
                    help="load (into a fresh database) and its floor this many times; medians")
    args = ap.parse_args()
    data, db = args.workdir / "data", args.workdir / "trade.duckdb"
    out: dict[str, Any] = {"rows_requested": args.rows, "memory_limit": args.memory_limit,
                           "threads": args.threads or "default", "times": "CPU seconds of the process"}
    if not (args.keep and (data / "truth.json").exists()):
        shutil.rmtree(args.workdir, ignore_errors=True)
        out["generate_s"], res = timed(lambda: generate(data, args.rows, seed=args.seed))
        out["rows_generated"] = res.rows
    bulk = sorted(data.glob("trade_db_*.csv"))
    out["files"] = len(bulk)
    files = "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in bulk) + "]"
    floors, load_times = [], []
    for _ in range(args.load_repeat):
        # the floor: DuckDB's own read_csv of the same files into a table, in the same run and process
        floor = connect(args.workdir / "floor.duckdb", memory_limit=args.memory_limit, threads=args.threads or None)
        floors.append(timed(partial(floor.execute, "CREATE OR REPLACE TABLE raw AS SELECT * FROM "
                                    f"read_csv({files}, header=true, all_varchar=true)"))[0])
        floor.close()
        (args.workdir / "floor.duckdb").unlink(missing_ok=True)
        db.unlink(missing_ok=True)
        con = connect(db, memory_limit=args.memory_limit, threads=args.threads or None)
        t, loads = timed(partial(load_paths, con, bulk))
        load_times.append(t)
        if len(load_times) < args.load_repeat:
            con.close()
    out["floor_read_csv_runs_s"] = [round(x, 3) for x in floors]
    out["load_runs_s"] = [round(x, 3) for x in load_times]
    out["floor_read_csv_s"] = round(statistics.median(floors), 3)
    out["load_s"] = round(statistics.median(load_times), 3)
    out["rows_loaded"] = sum(x.rows_loaded for x in loads)
    out["load_rows_per_s"] = round(out["rows_loaded"] / out["load_s"])
    out["load_over_read_csv"] = round(out["load_s"] / out["floor_read_csv_s"], 2)
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
    wanted = [name for name in analyses if name in args.analyses.split(",")]
    # one untimed run of the floor first (it is the first to read the records from disk), then each
    # repeat of reconcile beside a repeat of its floor, alternately: the machine's drift falls on both
    if "reconcile" in wanted:
        con.execute(PERMIT_JOIN)
    floor_times: list[float] = []
    for name in wanted:
        fn = analyses[name]
        times = []
        for _ in range(args.repeat):
            if name == "reconcile":
                floor_times.append(timed(lambda: con.execute(PERMIT_JOIN))[0])
            t, res = timed(fn)
            times.append(t)
        out[f"{name}_median_s"] = round(statistics.median(times), 3)
        out[f"{name}_runs_s"] = [round(x, 3) for x in times]
        out[f"{name}_flag_counts"] = res.get("flag_counts")
        print(name, out[f"{name}_runs_s"], flush=True)
    if floor_times:
        out["floor_permit_join_median_s"] = round(statistics.median(floor_times), 3)
        out["floor_permit_join_runs_s"] = [round(x, 3) for x in floor_times]
        out["floor_permit_join_pairs"] = con.execute("SELECT count(*) FROM floor_pairs").fetchall()[0][0]
    if "reconcile_runs_s" in out:
        out["reconcile_over_permit_join"] = round(statistics.median(
            out["reconcile_runs_s"]) / max(statistics.median(floor_times), 1e-9), 2)
    con.close()
    out["db_mb"] = round(db.stat().st_size / 2**20)
    out["csv_mb"] = round(sum(f.stat().st_size for f in bulk) / 2**20)
    out["peak_rss_mb"] = round(peak_mb())
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
