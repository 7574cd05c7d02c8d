"""Benchmark for wildtrace.learn: real-data quality, training speed, scan speed with a model.

    python benchmarks/bench_learn.py [--part birds|train|scan|all] [--reps 1000] [--repeat 3]

birds: Stringham et al. (2021) pet-bird ads (../shared/data, 16,446 rows with a
  label). The file has no seller column: listings are grouped by near-duplicate
  text (word TF-IDF cosine >= 0.8, connected components) and the outer 5 folds
  keep groups apart; each outer training part trains the model with its own
  inner 5 folds, which choose the threshold and the calibration. For
  comparison, the same run with each listing its own group (a random split).
  Baselines: keywords learned on each training part (top 20 log-odds words) and
  a fixed keyword list. Group bootstrap 95% CIs (1000 resamples).
train: featurise and train on 20,000 generated listings, one core, median of runs.
scan:  scan 20,000 generated listings with and without a model, one core, median.
Generated listings measure speed only, never quality.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
BIRDS = Path(__file__).resolve().parents[2] / "shared" / "data" / "bird_ads_stringham2021.csv"
ONE_CORE = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
# Fixed keyword lists (stemmed like the data). Written from domain knowledge, but after the
# author had seen the most distinctive words of the whole file: treat them as optimistic.
FIXED = {
    "label1": ["cage", "aviari", "averi", "feeder", "perch", "toy", "seed", "food", "nest box", "stand", "incub"],
    "label2": ["chicken", "chook", "hen", "rooster", "pullet", "bantam", "duck", "gees", "goos", "quail",
               "pigeon", "turkey", "peafowl", "egg"],
}


def pin() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def birds(reps: int) -> None:
    import numpy as np

    from wildtrace.learn import dataset, evaluate, stringham

    for label in ("label2", "label1"):
        listings, targets = stringham.read(BIRDS, label)
        ds, _ = dataset.build(listings, targets, detect_lang=False)
        near = dataset.near_duplicate_groups(ds.texts)
        for name, groups in (("near-duplicate groups (cosine >= 0.8)", near),
                             ("random split (each listing its own group)", np.array(ds.ids, dtype=object))):
            ds.groups = groups
            sizes = np.unique(groups.astype(str), return_counts=True)[1]
            t0 = time.perf_counter()
            result = evaluate.cross_validate(ds, folds=5, inner_folds=5, reps=reps, keywords={"fixed": FIXED[label]},
                                             setting={"group_by": name, "label": label})
            report = result.report()
            elapsed = time.perf_counter() - t0
            print(f"\n== {label}: {name}; {len(set(groups.tolist())):,} groups (largest {sizes.max()}) "
                  f"[{elapsed:.0f} s]")
            print(evaluate.render({**report, "by_lang": {}, "by_platform": {}}).rsplit("\nby language:", 1)[0])
            print("thresholds per outer fold:", report["thresholds"])
            Path(tempfile.gettempdir(), f"bench_learn_{label}_{'near' if groups is near else 'random'}.json") \
                .write_text(json.dumps(report, indent=1))


def _generated(n: int, seed: int = 11):  # type: ignore[no-untyped-def]
    from generate import POOLS, listings

    wildlife = {title for pools in POOLS.values() for title in pools[0]}
    recs = list(listings(n, seed=seed))
    return recs, {str(r["id"]): int(r["title"] in wildlife) for r in recs}


def train_child(n: int) -> None:
    pin()
    from wildtrace import Scanner, Settings
    from wildtrace.learn import dataset, training
    from wildtrace.scan.listing import listing_from_record

    recs, targets = _generated(n)
    items = [listing_from_record(r, max_field_chars=100_000) for r in recs]
    detector = Scanner(Settings(data_dir=Path(tempfile.mkdtemp())), scorer=None).detector
    t0 = time.perf_counter()
    ds, _ = dataset.build(items, targets, group_by="seller", detector=detector)
    t1 = time.perf_counter()
    training.train(ds)
    t2 = time.perf_counter()
    print(json.dumps({"features_s": t1 - t0, "train_s": t2 - t1, "total_s": t2 - t0}))


def scan_child(path: str, model_dir: str) -> None:
    pin()
    from wildtrace import Scanner, Settings
    from wildtrace.pipeline import Sinks, ingest
    from wildtrace.scan.readers import read_listings
    from wildtrace.scan.writers import JsonlWriter

    settings = Settings(data_dir=Path(tempfile.mkdtemp()))
    from wildtrace.learn.combine import TextModelScorer

    scanner = Scanner(settings, scorer=TextModelScorer.load(model_dir) if model_dir else None)
    with open(path, "rb") as fh, open(os.devnull, "wb") as sink:
        writer = JsonlWriter(sink)
        t0, c0 = time.perf_counter(), time.process_time()
        summary = ingest(read_listings(fh, max_field_chars=settings.max_field_chars,
                                       max_record_bytes=settings.max_record_bytes),
                         scanner, Sinks(write=writer.write, reject=lambda r: None))
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    print(json.dumps({"per_s": summary.scanned / elapsed, "per_cpu_s": summary.scanned / cpu,
                      "verdicts": dict(summary.verdicts)}))


def _child(*args: str) -> dict:  # type: ignore[type-arg]
    out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=True,
                         env=ONE_CORE)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", choices=["birds", "train", "scan", "all"], default="all")
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.child[0] == "train":
            train_child(int(args.child[1]))
        else:
            scan_child(args.child[1], args.child[2] if len(args.child) > 2 else "")
        return
    if args.part in ("birds", "all"):
        birds(args.reps)
    if args.part in ("train", "all"):
        runs = [_child("train", str(args.n)) for _ in range(args.repeat)]
        totals = ", ".join(f"{r['total_s']:.1f}" for r in runs)
        print(f"\n== training on {args.n:,} generated listings, one core, {args.repeat} runs (median): "
              f"features+rules {statistics.median(r['features_s'] for r in runs):.1f} s, "
              f"train (5-fold calibration + final fit) {statistics.median(r['train_s'] for r in runs):.1f} s, "
              f"total {statistics.median(r['total_s'] for r in runs):.1f} s "
              f"(runs: {totals})")
    if args.part in ("scan", "all"):
        from wildtrace import Scanner, Settings
        from wildtrace.learn import dataset, training
        from wildtrace.scan.listing import listing_from_record

        tmp = Path(tempfile.mkdtemp())
        recs, targets = _generated(args.n)
        with open(tmp / "scan.jsonl", "w", encoding="utf-8") as fh:
            for rec in _generated(args.n, seed=12)[0]:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        detector = Scanner(Settings(data_dir=tmp / "d"), scorer=None).detector
        items = [listing_from_record(r, max_field_chars=100_000) for r in recs[:5000]]
        ds, _ = dataset.build(items, {x.id: targets[x.id] for x in items}, group_by="seller", detector=detector)
        training.train(ds).save(tmp / "model")
        plain, with_model = [], []
        for _ in range(args.repeat):
            plain.append(_child("scan", str(tmp / "scan.jsonl")))
            with_model.append(_child("scan", str(tmp / "scan.jsonl"), str(tmp / "model")))
        for key, unit in (("per_cpu_s", "listings per CPU-second"), ("per_s", "listings per wall-clock second")):
            a, b = [r[key] for r in plain], [r[key] for r in with_model]
            print(f"\n== scan of {args.n:,} generated listings, one core, {args.repeat} runs (median), {unit}: "
                  f"rules only {statistics.median(a):,.0f} (runs {', '.join(f'{x:,.0f}' for x in a)}); "
                  f"rules + text model {statistics.median(b):,.0f} (runs {', '.join(f'{x:,.0f}' for x in b)})")


if __name__ == "__main__":
    main()
