"""Start-up: CPU time of ``wildtrace scan`` of one listing, beside bare ``python -c pass`` in the same run.

Each figure is the CPU time (user + system) of the child process, the median of ``--repeats``
runs; a first run builds the caches (``DATA_DIR/cache``: the compiled reference data and the
unpacked language model) and is not counted. ``--cold`` also times runs that find no cache
(the folder removed before each), what a first start or a changed data file costs.

    python benchmarks/bench_startup.py --repeats 5 [--cold] [--baseline OLD/src]

``--baseline`` also times the same scan run from another source tree (``git archive REV src | tar
-x -C OLD``), interleaved with the others so that both see the same machine, each with its own
data folder.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LISTING = ('{"id": "d01", "title": "Raw rhino horn pieces, 100% genuine, ship worldwide", "text": "Whole and '
           'sliced. Price per gram, DM me on WhatsApp +84 912 345 678", "price": "1200", "currency": "USD"}\n')


def cpu_of(cmd: list[str], env: dict[str, str]) -> float:
    """CPU seconds (user + system) the child used."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{cmd} failed: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--cold", action="store_true", help="also time starts without a cache")
    ap.add_argument("--baseline", type=Path, default=None, metavar="SRC",
                    help="also time the scan run from this source folder (an older checkout's src)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        one = Path(tmp) / "one.jsonl"
        one.write_text(LISTING, encoding="utf-8")
        env = {**os.environ, "WILDTRACE_DATA_DIR": str(data)}
        scan = [sys.executable, "-m", "wildtrace.cli", "scan", str(one), "-q", "-o", os.devnull]
        bare = [sys.executable, "-c", "pass"]
        cpu_of(scan, env)  # builds the caches
        rows: dict[str, list[float]] = {"python -c pass": [], "wildtrace scan (one listing)": []}
        if args.cold:
            rows["wildtrace scan, no cache"] = []
        old = None
        if args.baseline is not None:
            old = {**env, "WILDTRACE_DATA_DIR": str(Path(tmp) / "old-data"),
                   "PYTHONPATH": str(args.baseline.resolve())}
            cpu_of(scan, old)
            rows["baseline scan (one listing)"] = []
            if args.cold:
                rows["baseline scan, no cache"] = []
        for _ in range(args.repeats):  # interleaved, so all see the same machine
            rows["python -c pass"].append(cpu_of(bare, env))
            rows["wildtrace scan (one listing)"].append(cpu_of(scan, env))
            if old is not None:
                rows["baseline scan (one listing)"].append(cpu_of(scan, old))
            if args.cold:
                shutil.rmtree(data / "cache", ignore_errors=True)
                rows["wildtrace scan, no cache"].append(cpu_of(scan, env))
                if old is not None:
                    shutil.rmtree(Path(tmp) / "old-data" / "cache", ignore_errors=True)
                    rows["baseline scan, no cache"].append(cpu_of(scan, old))
    floor = statistics.median(rows["python -c pass"])
    print(f"start-up, CPU seconds, median of {args.repeats} (python {sys.version.split()[0]})")
    for name, values in rows.items():
        med = statistics.median(values)
        print(f"  {name:32s} {med:7.3f} s   {med / floor:6.1f}x bare python   "
              f"(runs: {', '.join(f'{v:.3f}' for v in values)})")


if __name__ == "__main__":
    main()
