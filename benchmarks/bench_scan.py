"""Benchmark: full scan of real-shaped generated listings on one core, beside two floors.

    python benchmarks/bench_scan.py [--repeat 3] [--scale 1.0] [--text-model none|shipped|DIR]

Three shapes, their lengths drawn from real listings (``generate.py``, ``lengths.json``): short
marketplace titles (mean 44 characters), tweet-length posts (mean 239) and long marketplace
listings with a description (mean 1,189). Each run is a fresh subprocess pinned to one CPU: read
JSON Lines from a file, normalise, detect language, match, score, and write JSON Lines results —
the whole of `wildtrace scan` as it runs by default (the rules alone: the settings' ``text_model``
is ``none`` since issue 25; ``--text-model shipped`` adds the packaged text model, about 11 %). In the same process, over the same file, three floors:

- JSON read+write, the issue's floor: each line read and written back with the standard library's
  ``json`` (``json.loads``, ``json.dumps``), nothing else. Issue 27 quotes this floor at 146k/s for
  real tweets and 39.5k/s for real marketplace listings, which is what the standard library does
  here (about 116k/s and 62k/s on the generated shapes); its targets (floor/25, floor/50) are
  read against it;
- the same with orjson (about 3.5x faster than the standard library): a stricter floor, printed
  beside it;
- a keyword pass: each line read with orjson, its title and text case-folded and run through a
  plain Aho-Corasick automaton of the scanner's own lexicon (the same keys), the hits written
  with orjson.

Rates are listings per CPU-second of the process (steadier than wall-clock when other work shares
the machine), and the scan is given as a ratio to each floor (``floor/N``: the scan is N times
slower), after a warm-up on the first 200 listings (start-up is printed on its own). Medians of
the repeats, as these machines are noisy. Peak memory (max RSS) is printed per run; the tweet
shape also runs at a tenth of its size, to show memory stays flat.
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

#: Listings per shape at ``--scale 1`` (about 5 CPU-seconds of scanning each here).
SIZES = {"title": 20_000, "tweet": 10_000, "long": 3_000}
LABELS = {"title": "short titles (mean 44 chars)", "tweet": "tweet-length (mean 239)",
          "long": "long marketplace (mean 1,189)"}
#: Listings scanned before the timed run (not counted).
WARM_UP = 200
#: Issue 27's targets, as the largest N in floor/N (the JSON read+write floor with the standard
#: library's json, as the issue measured it; one core).
TARGETS = {"tweet": 25, "long": 50}


def child(path: str, out: str) -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    import ahocorasick
    import orjson

    from wildtrace import Scanner, Settings
    from wildtrace.pipeline import Sinks, ingest
    from wildtrace.scan.readers import read_listings
    from wildtrace.scan.writers import JsonlWriter

    settings = Settings(data_dir=Path(tempfile.mkdtemp()))
    text_model = os.environ.get("BENCH_TEXT_MODEL", "none")
    t0 = time.perf_counter()
    scanner = Scanner(dataclasses.replace(settings, text_model=text_model))
    t_load = time.perf_counter() - t0
    # warm up on the first listings (what loads on first use: the text model's tables, caches), so
    # the rate is the steady one; start-up is printed on its own
    with open(path, "rb") as fh:
        for _, _result in zip(range(WARM_UP), scanner.scan(orjson.loads(line) for line in fh), strict=False):
            pass
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
    # floor 1, in the same process: read and write the same JSON Lines, nothing else: the standard
    # library's json (the floor), then orjson
    with open(path, "rb") as fh, open(out, "w", encoding="utf-8") as text_sink:
        c0 = time.process_time()
        for line in fh:
            text_sink.write(json.dumps(json.loads(line)) + "\n")
        stdlib_cpu = time.process_time() - c0
    with open(path, "rb") as fh, open(out, "wb") as sink:
        c2 = time.process_time()
        lines = 0
        for line in fh:
            sink.write(orjson.dumps(orjson.loads(line)) + b"\n")
            lines += 1
        floor_cpu = time.process_time() - c2
    # floor 2: a plain keyword automaton over the same lexicon (the scanner's own keys)
    automaton = ahocorasick.Automaton()
    for key in scanner.detector.lexicon._automaton.keys():  # noqa: SLF001 - the same keys, read once
        automaton.add_word(key, key)
    automaton.make_automaton()
    with open(path, "rb") as fh, open(out, "wb") as sink:
        c3 = time.process_time()
        for line in fh:
            rec = orjson.loads(line)
            text = f"{rec.get('title') or ''} {rec.get('text') or ''}".casefold()
            hits = [key for _, key in automaton.iter_long(text)]
            sink.write(orjson.dumps({"id": rec.get("id"), "hits": hits}) + b"\n")
        keyword_cpu = time.process_time() - c3
    print(json.dumps({"n": summary.scanned, "seconds": elapsed, "startup_s": t_load,
                      "per_s": summary.scanned / elapsed, "per_cpu_s": summary.scanned / cpu,
                      "peak_mib": peak_kib / 1024, "floor_per_cpu_s": lines / floor_cpu,
                      "stdlib_floor_per_cpu_s": lines / stdlib_cpu,
                      "keyword_per_cpu_s": lines / keyword_cpu, "verdicts": dict(summary.verdicts)}))


def _write(path: Path, n: int, shape: str) -> None:
    from generate import listings

    with open(path, "w", encoding="utf-8") as fh:
        for rec in listings(n, shape=shape):
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every shape's number of listings")
    parser.add_argument("--shapes", default="title,tweet,long")
    parser.add_argument("--text-model", default="none",
                        help="none (the default scan: the rules alone), shipped (the packaged model) or a model folder")
    parser.add_argument("--json", type=Path, help="also write every run's figures here")
    parser.add_argument("--input", type=Path, action="append", default=[],
                        help="also scan this real JSON Lines file (repeatable); one with a mean length over "
                             "800 characters is read against the long-listing target")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    tmp = Path(tempfile.mkdtemp())
    shapes = [s.strip() for s in args.shapes.split(",") if s.strip()]
    runs: list[tuple[str, int]] = [(s, max(10, round(SIZES[s] * args.scale))) for s in shapes]
    if "tweet" in shapes:
        runs.append(("tweet", max(10, round(SIZES["tweet"] * args.scale / 10))))
    files = {}
    for shape, n in runs:
        files[shape, n] = tmp / f"{shape}_{n}.jsonl"
        _write(files[shape, n], n, shape)
    for real in args.input:  # a real file, as it is: its own shape, named by the file
        lines = [line for line in real.read_bytes().splitlines() if line.strip()]
        mean = statistics.mean(len(f"{r.get('title') or ''} {r.get('text') or ''}") for r in map(json.loads, lines))
        shape = f"real:{real.name}"
        LABELS[shape] = f"{real.name} (real, mean {mean:,.0f})"
        if mean > 800:
            TARGETS[shape] = TARGETS["long"]
        runs.append((shape, len(lines)))
        files[shape, len(lines)] = real
    results: dict[tuple[str, int], list[dict]] = {run: [] for run in runs}  # type: ignore[type-arg]
    for _ in range(args.repeat):
        for run in runs:
            proc = subprocess.run([sys.executable, __file__, "--child", str(files[run]), str(tmp / "out.jsonl")],
                                  capture_output=True, text=True, check=True,
                                  env={**os.environ, "BENCH_TEXT_MODEL": args.text_model})
            results[run].append(json.loads(proc.stdout))
    print(f"wildtrace scan benchmark (text model: {args.text_model}): real-shaped generated listings, "
          f"one core, per CPU-second, medians of {args.repeat} runs; floors measured in the same process")
    for shape, n in runs:
        rs = results[shape, n]

        def med(key: str, rs: list[dict] = rs) -> float:  # type: ignore[type-arg]
            return statistics.median(r[key] for r in rs)

        floor_n = statistics.median(r["floor_per_cpu_s"] / r["per_cpu_s"] for r in rs)
        stdlib_n = statistics.median(r["stdlib_floor_per_cpu_s"] / r["per_cpu_s"] for r in rs)
        keyword_n = statistics.median(r["keyword_per_cpu_s"] / r["per_cpu_s"] for r in rs)
        target = TARGETS.get(shape)
        verdict = "" if target is None else f" (target floor/{target}: {'met' if stdlib_n <= target else 'NOT met'})"
        print(f"  {LABELS[shape][:31]:<31} n={n:>6,}: scan {med('per_cpu_s'):>7,.0f}/CPU-s "
              f"(runs {', '.join(format(r['per_cpu_s'], ',.0f') for r in rs)}); "
              f"JSON read+write (stdlib json) {med('stdlib_floor_per_cpu_s'):>8,.0f}/CPU-s -> floor/{stdlib_n:.0f}"
              f"{verdict}; with orjson {med('floor_per_cpu_s'):>8,.0f}/CPU-s -> orjson/{floor_n:.0f}; "
              f"keyword automaton {med('keyword_per_cpu_s'):>7,.0f}/CPU-s -> keyword/{keyword_n:.1f}; "
              f"peak RSS {med('peak_mib'):.0f} MiB, start-up {med('startup_s'):.2f} s")
    if args.json:
        args.json.write_text(json.dumps({f"{s}:{n}": rs for (s, n), rs in results.items()}, indent=1))


if __name__ == "__main__":
    main()
