"""Benchmark: full scan of generated listings on one core; listings/s and peak memory.

    python benchmarks/bench_scan.py [--n 100000] [--repeat 3] [--text-model shipped|none|DIR]

Each run is a fresh subprocess pinned to one CPU: read JSONL from a file,
normalise, detect language, match, score, and write JSONL results to a file —
the whole of `wildtrace scan` (with the shipped text model by default; ``--text-model none`` for the
rules alone). The floor is reading and writing the same JSON Lines with orjson in the same
process, and again with the standard library's json; the scan's rate is reported as a ratio to each. Throughput is given per wall-clock second and
per CPU-second of the process (the second is steadier when other work shares
the machine). Peak memory (max RSS) is measured at several
sizes to show it stays flat as the number of listings grows. Medians are
reported because these machines are noisy.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


def child(path: str, out: str) -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    import orjson

    from wildtrace import Scanner, Settings
    try:
        from wildtrace.pipeline import Sinks, ingest
        from wildtrace.scan.readers import read_listings
        from wildtrace.scan.writers import JsonlWriter
    except ImportError:  # the layout before 2026-12-01, to compare with an older checkout (PYTHONPATH)
        from wildtrace.readers import read_listings  # type: ignore[no-redef]
        from wildtrace.writers import JsonlWriter  # type: ignore[no-redef]

        from wildtrace.scan import run as _run  # type: ignore[attr-defined]

        class Sinks:  # type: ignore[no-redef]
            def __init__(self, write, reject):  # type: ignore[no-untyped-def]
                self.write, self.reject = write, reject

        def ingest(items, scanner, sinks):  # type: ignore[no-untyped-def,no-redef]
            return _run(scanner, items, write=sinks.write, reject=sinks.reject)

    settings = Settings(data_dir=Path(tempfile.mkdtemp()))
    text_model = os.environ.get("BENCH_TEXT_MODEL", "none")
    t0 = time.perf_counter()
    scanner = Scanner(dataclasses.replace(settings, text_model=text_model))
    t_load = time.perf_counter() - t0
    with open(path, "rb") as fh, open(out, "wb") as sink:
        writer = JsonlWriter(sink)
        t1 = time.perf_counter()
        c1 = time.process_time()
        summary = ingest(read_listings(fh, max_field_chars=settings.max_field_chars,
                                       max_record_bytes=settings.max_record_bytes),
                         scanner, Sinks(write=writer.write, reject=lambda r: None))
        elapsed = time.perf_counter() - t1
        cpu = time.process_time() - c1
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # the floor, in the same process: read and write the same JSON Lines, nothing else
    with open(path, "rb") as fh, open(out, "wb") as sink:
        c2 = time.process_time()
        lines = 0
        for line in fh:
            sink.write(orjson.dumps(orjson.loads(line)) + b"\n")
            lines += 1
        floor_cpu = time.process_time() - c2
    # the same floor with the standard library's json (the floor the detection issue quotes)
    with open(path, "rb") as fh, open(out, "w", encoding="utf-8") as text_sink:
        c3 = time.process_time()
        for line in fh:
            text_sink.write(json.dumps(json.loads(line), ensure_ascii=False) + "\n")
        floor_json_cpu = time.process_time() - c3
    print(json.dumps({"n": summary.scanned, "seconds": elapsed, "startup_s": t_load,
                      "per_s": summary.scanned / elapsed, "per_cpu_s": summary.scanned / cpu, "peak_mib": peak_kib / 1024,
                      "floor_per_cpu_s": lines / floor_cpu,
                      "floor_json_per_cpu_s": lines / floor_json_cpu, "verdicts": dict(summary.verdicts)}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--text-model", default="shipped",
                        help="shipped (the default scan), none (the rules alone) or a model folder")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    from generate import listings

    tmp = Path(tempfile.mkdtemp())
    sizes = sorted({args.n // 10, args.n // 2, args.n})
    files = {}
    for n in sizes:
        files[n] = tmp / f"listings_{n}.jsonl"
        with open(files[n], "w", encoding="utf-8") as fh:
            for rec in listings(n):
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    results: dict[int, list[dict]] = {n: [] for n in sizes}  # type: ignore[type-arg]
    for _ in range(args.repeat):
        for n in sizes:
            proc = subprocess.run([sys.executable, __file__, "--child", str(files[n]), str(tmp / "out.jsonl")],
                                  capture_output=True, text=True, check=True,
                                  env={**os.environ, "BENCH_TEXT_MODEL": args.text_model})
            results[n].append(json.loads(proc.stdout))
    print(f"wildtrace scan benchmark (text model: {args.text_model}): generated listings, one core, "
          f"{args.repeat} runs each (median)")
    for n in sizes:
        runs = results[n]
        print(f"  n={n:>7,}: {statistics.median(r['per_s'] for r in runs):>8,.0f} listings/s wall, "
              f"{statistics.median(r['per_cpu_s'] for r in runs):>8,.0f} per CPU-second "
              f"(runs: {', '.join(format(r['per_s'], ',.0f') for r in runs)}), "
              f"peak RSS {statistics.median(r['peak_mib'] for r in runs):.0f} MiB, "
              f"start-up {statistics.median(r['startup_s'] for r in runs):.2f} s; floor (JSON read+write) "
              f"{statistics.median(r['floor_per_cpu_s'] for r in runs):,.0f}/CPU-s, scan = 1/"
              f"{statistics.median(r['floor_per_cpu_s'] / r['per_cpu_s'] for r in runs):.0f} of the floor; "
              f"stdlib-json floor {statistics.median(r['floor_json_per_cpu_s'] for r in runs):,.0f}/CPU-s, scan = 1/"
              f"{statistics.median(r['floor_json_per_cpu_s'] / r['per_cpu_s'] for r in runs):.0f} of it")
    print(f"  verdicts at n={args.n:,}: {results[args.n][0]['verdicts']}")


if __name__ == "__main__":
    main()
