"""Cost of the zoonotic enricher per listing (median of repeats), beside the scan's own cost.

    python benchmarks/bench_zoonotic.py --n 3000 --repeat 5

The floor is the scan of the same listings without enrichers, measured in the same run.
Was a timed test (``< 100 µs per listing``); timing belongs here, not in the test suite.
"""

from __future__ import annotations

import argparse
import statistics
import time

from wildtrace.scan.scanner import Scanner
from wildtrace.settings import Settings
from wildtrace.zoonotic.profile import enrich


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    scanner = Scanner(Settings())
    scanner.enrichers = []
    items = [{"id": str(i), "title": f"Live tiger cub no. {i}, pangolin scales"} for i in range(args.n)]
    scan_s, enrich_s = [], []
    for _ in range(args.repeat):
        t0 = time.process_time()
        results = list(scanner.scan(items))
        t1 = time.process_time()
        for r in results:
            enrich(r)  # type: ignore[arg-type]
        t2 = time.process_time()
        scan_s.append((t1 - t0) / args.n)
        enrich_s.append((t2 - t1) / args.n)
    scan_med, enrich_med = statistics.median(scan_s), statistics.median(enrich_s)
    print(f"scan without enrichers: {scan_med * 1e6:.1f} µs CPU per listing (median of {args.repeat})")
    print(f"zoonotic enricher:      {enrich_med * 1e6:.1f} µs CPU per listing "
          f"({enrich_med / scan_med:.1%} of the scan; target < 100 µs)")


if __name__ == "__main__":
    main()
