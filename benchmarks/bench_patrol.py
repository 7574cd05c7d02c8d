"""The patrol loop at the issue's size: a 2,000 km² SYNTHETIC park (≈2,000 cells of 1 km), five
years of daily patrols (≈500k waypoints), written as a real SMART patrol XML export (or SMART
CSV), then `wildtrace patrol run` on the files: import, grid, effort, features, evaluation,
training and a monthly map (with its plan and GPX), each timed (CPU and wall seconds) with the
process's peak memory by the end of the stage.

Floor for the import, measured in the same run: parsing the same file with lxml's iterparse and
doing nothing else (XML), or reading it with the csv module (CSV).

    python benchmarks/bench_patrol.py --area-km2 2000 --years 5 --repeat 1
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from wildtrace.patrol.loop import LoopConfig, run_files, write_synthetic


def floor_seconds(folder: Path) -> float:
    """CPU seconds to parse every export file in the folder and do nothing else."""
    cpu = time.process_time()
    for path in sorted(folder.iterdir()):
        if path.suffix == ".xml":
            from lxml import etree

            for _, elem in etree.iterparse(str(path), events=("end",), resolve_entities=False, no_network=True):
                elem.clear()
        elif path.suffix == ".csv":
            with open(path, newline="", encoding="utf-8-sig") as f:
                for _ in csv.reader(f):
                    pass
        else:
            json.loads(path.read_bytes())
    return time.process_time() - cpu


def one_run(work: Path, out: Path, reps: int) -> None:
    """One loop over the park's files, in this (fresh) process; its result as JSON."""
    park = work / "park"
    result, rejects = run_files([park / "records"], park / "boundary.geojson", park / "posts.geojson",
                                layers={k: park / f"{k}.geojson" for k in ("roads", "rivers", "villages")},
                                rasters={k: park / f"{k}.tif" for k in ("elevation", "landcover")},
                                config=LoopConfig(reps=reps), patrol_dir=work / "runs", park_name="bench (SYNTHETIC)")
    doc = result.to_dict() | {"rejects": len(rejects),
                              "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    out.write_text(json.dumps(doc, default=str))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--area-km2", type=float, default=2000)
    ap.add_argument("--years", type=int, default=5)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--format", default="smart-xml", choices=["smart-xml", "smart-csv", "earthranger"])
    ap.add_argument("--repeat", type=int, default=1, help="runs of the loop on the same files (medians)")
    ap.add_argument("--reps", type=int, default=200, help="bootstrap resamples of the evaluation")
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--one", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one is not None:
        return one_run(args.workdir, args.one, args.reps)

    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench_patrol_"))
    t = time.perf_counter()
    files = write_synthetic(work / "park", seed=args.seed, area_km2=args.area_km2, years=args.years, fmt=args.format)
    print(f"SYNTHETIC park {args.area_km2:,.0f} km², {args.years} years written as {args.format} in "
          f"{time.perf_counter() - t:.1f} s: {files['records']} "
          f"({sum(f.stat().st_size for f in files['records'].iterdir()) / 1e6:,.1f} MB in "
          f"{len(list(files['records'].iterdir())):,} files)")
    floors = [floor_seconds(files["records"]) for _ in range(max(1, args.repeat))]
    runs = []
    for i in range(args.repeat):  # each run in a fresh process: its peak memory is its own
        out_json = work / f"run-{i}.json"
        subprocess.run([sys.executable, __file__, "--one", str(out_json), "--workdir", str(work),
                        "--reps", str(args.reps)], check=True)
        result = json.loads(out_json.read_text())
        runs.append(result)
        print(f"run {i + 1}: {result['counts']}, {result['rejects']} rejects")
    stages = list(runs[0]["timings"])
    print(f"\n{'stage':<12} {'CPU-s':>9} {'wall s':>9} {'peak MB':>9}   (medians of {args.repeat}; peak: the "
          "process's peak RSS by the end of the stage, max over runs)")
    out: dict[str, object] = {"counts": runs[0]["counts"], "stages": {}}
    for name in stages:
        cpu = statistics.median(r["timings"][name]["cpu_s"] for r in runs)
        wall = statistics.median(r["timings"][name]["wall_s"] for r in runs)
        peak = max(r["timings"][name]["peak_rss_mb"] for r in runs)
        out["stages"][name] = {"cpu_s": cpu, "wall_s": wall, "peak_rss_mb": peak}  # type: ignore[index]
        print(f"{name:<12} {cpu:9.2f} {wall:9.2f} {peak:9,.0f}")
    imp = statistics.median(r["timings"]["import"]["cpu_s"] for r in runs)
    floor = statistics.median(floors)
    print(f"\nimport: {imp:.2f} CPU-s against {floor:.2f} CPU-s for parsing the same files and nothing else "
          f"({imp / floor:.1f}× the floor); {runs[0]['counts']['waypoints'] / imp:,.0f} waypoints/CPU-s")
    ev = runs[0]["evaluation"]
    if ev:
        print(f"evaluation (year-ahead, test {ev['test_year']}): model PR-AUC {ev['model']['pr_auc']:.3f}, "
              f"baseline (told the same effort) {ev['baseline']['pr_auc']:.3f}")
    out |= {"import_floor_cpu_s": floor, "evaluation": ev}
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, default=str))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
