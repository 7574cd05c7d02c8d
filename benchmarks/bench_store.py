"""``scan --db``: CPU time of storing scan results, per listing, beside the scan itself in the same run.

The listings are the demo listings replicated with distinct ids and titles (``--n``), scanned
once; each repeat then times, in this process (CPU: user + system, SQLite's own work included):

- ``scan``: scanning them (the rules alone), the floor the store is measured against;
- ``save``: ``SQLStore.save`` in batches of 500 (as ``wildtrace scan --db`` stores them) into a
  new SQLite file; ``save, old path``: ``save_one_by_one`` (about six SQLAlchemy statements a
  listing, as before issue 27), unless ``--no-old``;
- ``--pg URL``: the same saves into PostgreSQL (wall time: the server's CPU is not this process's);
- ``identifiers``: the part of ``save`` that reads contact identifiers from each listing
  (``identifiers.from_listing``, as ``store/derive.identifier_rows`` calls it), alone.

Identifiers remember the texts they read (titles and descriptions recur); every timed save and
identifier pass starts with that memory cleared, as a first store of these listings would.

``--db`` throughput relative to scanning alone is scan / (scan + save). Medians of ``--repeats``.

The commands themselves, as a user runs them: ``wildtrace scan IN -o OUT --rules-only --jobs 1``
with and without ``--db STORE``, in this process (CPU), alternated, each ``--db`` run into a copy of
an empty store made beforehand (its schema made once, not timed). Besides the save, a stored batch
also runs the pipeline's ``after_save`` hook (the image indexer, ``images.gallery.indexer``: every
demo listing names an image file, absent here). Each command reads its input, builds its scanner
and writes its output. ``--db`` throughput is the ratio of the two commands' times: the target's
"``--db`` ≥ 0.8× without" read literally.

    python benchmarks/bench_store.py --n 5000 --repeats 5 [--pg postgresql://USER@127.0.0.1:PORT/DB]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from wildtrace import Scanner, Settings
from wildtrace.cli import cli
from wildtrace.manifest import path as data_path
from wildtrace.scan.result import ScanResult
from wildtrace.sellers import identifiers
from wildtrace.store.sql import SQLStore

BATCH = 500


def records(n: int) -> list[dict[str, Any]]:
    demo = [json.loads(line) for line in data_path("demo_listings").read_text(encoding="utf-8").splitlines()
            if line.strip()]
    return [{**demo[i % len(demo)], "id": f"b{i}", "title": f"{demo[i % len(demo)].get('title', '')} #{i}"}
            for i in range(n)]


def cpu(work: Callable[[], object]) -> float:
    start = time.process_time()
    work()
    return time.process_time() - start


def wall(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def save_all(target: str, results: list[ScanResult], old: bool) -> Callable[[], None]:
    def work() -> None:
        store = SQLStore(target)
        save = store.save_one_by_one if old else store.save
        for start in range(0, len(results), BATCH):
            save(results[start:start + BATCH])
        store.close()
    return work


def read_identifiers(results: list[ScanResult]) -> Callable[[], None]:
    def work() -> None:
        identifiers.clear_cache()
        for r in results:
            identifiers.from_listing(r.listing, lang=r.lang or None)
    return work


def command(args: list[str]) -> float:
    """CPU seconds of one ``wildtrace`` command run in this process."""
    start = time.process_time()
    cli.main(args, prog_name="wildtrace", standalone_mode=False)
    return time.process_time() - start


def commands(recs: list[dict[str, Any]], tmp: Path, repeats: int) -> dict[str, list[float]]:
    """CPU seconds of ``scan`` and ``scan --db`` (alternated; one untimed run of each first)."""
    source = tmp / "listings.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs), encoding="utf-8")
    empty = tmp / "empty.sqlite"
    SQLStore(str(empty)).close()
    os.environ["WILDTRACE_DATA_DIR"] = str(tmp / "data")
    base = ["scan", str(source), "-o", str(tmp / "out.jsonl"), "--rules-only", "--jobs", "1", "--quiet"]
    out: dict[str, list[float]] = {"scan command": [], "scan --db command": []}
    for rep in range(repeats + 1):
        alone = command(base)
        store = tmp / f"cmd{rep}.sqlite"
        shutil.copy(empty, store)
        stored = command([*base, "--db", str(store)])
        if rep:
            out["scan command"].append(alone)
            out["scan --db command"].append(stored)
    return out


def empty_pg(url: str) -> None:
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-old", action="store_true", help="skip the statement-per-listing path")
    ap.add_argument("--pg", default=None, help="also save into this (emptied!) PostgreSQL database")
    args = ap.parse_args()
    recs = records(args.n)
    with tempfile.TemporaryDirectory() as tmp:
        scanner = Scanner(Settings(data_dir=Path(tmp) / "data", text_model="none"))
        results = [r for r in scanner.scan(copy.deepcopy(recs)) if isinstance(r, ScanResult)]
        SQLStore(str(Path(tmp) / "warm.sqlite")).close()  # migrations imported and run once, not timed
        rows: dict[str, list[float]] = {"scan": [], "save": [], "identifiers (part of save)": []}
        if not args.no_old:
            rows["save, old path"] = []
        if args.pg:
            rows["save, PostgreSQL (wall)"] = []
            if not args.no_old:
                rows["save, old path, PostgreSQL (wall)"] = []
        for rep in range(args.repeats):
            rows["scan"].append(cpu(lambda: list(scanner.scan(copy.deepcopy(recs)))))
            identifiers.clear_cache()
            rows["save"].append(cpu(save_all(str(Path(tmp) / f"new{rep}.sqlite"), results, old=False)))
            rows["identifiers (part of save)"].append(cpu(read_identifiers(results)))
            if not args.no_old:
                identifiers.clear_cache()
                rows["save, old path"].append(cpu(save_all(str(Path(tmp) / f"old{rep}.sqlite"), results, old=True)))
            if args.pg:
                empty_pg(args.pg)
                identifiers.clear_cache()
                rows["save, PostgreSQL (wall)"].append(wall(save_all(args.pg, results, old=False)))
                if not args.no_old:
                    empty_pg(args.pg)
                    identifiers.clear_cache()
                    rows["save, old path, PostgreSQL (wall)"].append(wall(save_all(args.pg, results, old=True)))
        whole = commands(recs, Path(tmp), args.repeats)
    per = {name: statistics.median(v) / len(results) * 1000 for name, v in rows.items()}
    print(f"{len(results):,} listings, ms per listing, median of {args.repeats} (CPU unless said)")
    for name, ms in per.items():
        extra = ""
        if name.startswith("save"):
            extra = f"   --db throughput {per['scan'] / (per['scan'] + ms):.2f}x scan alone"
        print(f"  {name:36s} {ms:7.3f} ms{extra}")
    cmd = {name: statistics.median(v) / len(recs) * 1000 for name, v in whole.items()}
    ratios = [a / b for a, b in zip(whole["scan command"], whole["scan --db command"], strict=True)]
    print(f"  {'scan command':36s} {cmd['scan command']:7.3f} ms   (reads, builds its scanner, writes)")
    print(f"  {'scan --db command':36s} {cmd['scan --db command']:7.3f} ms   --db throughput "
          f"{cmd['scan command'] / cmd['scan --db command']:.2f}x the command without "
          f"(pairs: {', '.join(f'{r:.2f}' for r in ratios)})")
    print(f"  (scan includes the deep copy of each record; python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
