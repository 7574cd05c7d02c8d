"""Learning curve on real labels: grouped average precision after 25, 50, 100, 200... labels.

    python benchmarks/learning_curve.py [--bird-ads CSV] [--budgets 25,50,100,200,400,all]
        [--repeats 10] [--reps 1000] [--json OUT]
    python benchmarks/learning_curve.py --set listings.jsonl --labels labels.csv --group-by seller

The real set by default is the Stringham et al. (2021) pet-bird ads (../shared/data, MIT): a live
bird offered (not junk, not poultry or pigeons, not "wanted") is positive; rows with an NA label
are left out. The file has no seller column, so ads are grouped by the project's near-duplicate
clustering (``dataset.near_duplicate_groups``: word TF-IDF cosine >= 0.8, connected components):
a seller's re-posted, lightly edited ad falls in one group. Another set can be given as a
listings file and a label file (the ``wildtrace train`` inputs) with ``--group-by`` a column.

Method: one fixed held-out test set (one fold of a stratified group 4-fold split: about a quarter
of the groups, never used for training). For each budget n and each repeat, n labelled ads are
drawn from the rest as whole groups, stratified (the pool's class ratio, at least 3 of each
class), and ``training.train`` fits the model exactly as ``wildtrace train`` does (rules' score
combined, 5 group-aware inner folds for calibration and threshold). The model scores the test
set once. Reported per budget: median AP and the 2.5-97.5 percentiles over repeats; a group
bootstrap 95% CI on the test set for the median repeat's model; F1 at the model's own threshold;
expected calibration error (10 equal-width bins, computed here: evaluate.py has none); the
text-only model (``--no-rules``) and the 20 learned keywords (evaluate.py's baseline) trained on
the same draw. Fixed baselines on the same test set: keyword search (any lexicon taxon, product
or code word), the rules alone (``Scanner(Settings(), scorer=None)``) and the shipped model
(``Scanner(Settings())``). ``--compare`` also scores rules alone vs the shipped model on the
whole set (issue 25, item 5) with paired bootstrap differences.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold

from wildtrace import Scanner, Settings, metrics
from wildtrace.learn import codewords, dataset, stringham, training
from wildtrace.learn import evaluate as ev
from wildtrace.learn.dataset import Dataset
from wildtrace.scan.listing import Listing
from wildtrace.scan.result import ScanResult

HERE = Path(__file__).resolve().parent
BIRDS = HERE.parents[1] / "shared" / "data" / "bird_ads_stringham2021.csv"
MIN_CLASS = 3


def read_birds(path: Path) -> tuple[list[Listing], dict[str, int]]:
    """The bird ads with every label given; positive = a live bird offered (no label set)."""
    labels = {col: stringham.read(path, col)[1] for col in stringham.LABEL_COLUMNS}
    listings, _ = stringham.read(path, "label1")
    kept = [x for x in listings if all(x.id in labels[c] for c in labels)]
    return kept, {x.id: int(not any(labels[c][x.id] for c in labels)) for x in kept}


def read_other(listings_path: Path, labels_path: Path) -> tuple[list[Listing], dict[str, int]]:
    """A listings file and a label file, read as ``wildtrace train`` reads them."""
    from wildtrace.learn import sources

    settings = Settings()
    loaded = sources.Loaded()
    listings = sources.listings(settings, listings_path, loaded)
    return listings, sources.targets(settings, labels_path, loaded)


def ece(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error: the row-weighted mean |observed rate - mean probability| per bin."""
    edges = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        m = edges == b
        if m.any():
            total += m.sum() * abs(float(y[m].mean()) - float(p[m].mean()))
    return total / len(y)


def split(ds: Dataset, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Pool and test row indices: the test set is one fold of a stratified group 4-fold split."""
    splitter = StratifiedGroupKFold(n_splits=4, shuffle=True, random_state=seed)
    pool, test = next(splitter.split(np.zeros(len(ds)), ds.y, ds.groups.astype(str)))
    return pool, test


def draw(ds: Dataset, pool: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """About n rows of the pool as whole groups, stratified by each group's majority class.

    A group that would overshoot its stratum's share is skipped (a 200-ad cluster is not one
    of 25 labels); each stratum gets at least ``MIN_CLASS`` rows so both classes appear.
    """
    groups = ds.groups[pool]
    rows_of: dict[str, list[int]] = {}
    for i, g in zip(pool.tolist(), groups.tolist(), strict=True):
        rows_of.setdefault(g, []).append(i)
    rate = float(ds.y[pool].mean())
    n_pos = min(max(MIN_CLASS, round(n * rate)), n - MIN_CLASS)
    chosen: list[int] = []
    for positive, target in ((True, n_pos), (False, n - n_pos)):
        names = [g for g, rows in rows_of.items() if (ds.y[rows].mean() >= 0.5) == positive]
        taken = 0
        for k in rng.permutation(len(names)).tolist():
            rows = rows_of[names[k]]
            if taken + len(rows) <= target:
                chosen.extend(rows)
                taken += len(rows)
            if taken >= target:
                break
    return np.array(sorted(chosen), dtype=np.int64)


def ap_ci(y: np.ndarray, s: np.ndarray, groups: np.ndarray, reps: int) -> list[float]:
    ci = metrics.bootstrap(lambda idx: {"ap": metrics.average_precision(y[idx], s[idx])}, len(y),
                           groups, reps=reps)
    return [round(v, 4) for v in ci["ap"]]


def fixed_scores(listings: Sequence[Listing]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Score and verdict of keyword search, the rules alone and the shipped model, per listing."""
    rules = Scanner(Settings(), scorer=None)
    shipped = Scanner(Settings(text_model="shipped"))
    kw = np.array([any(m.kind in ("taxon", "product", "code_word") for m in rules.detector.matches(x))
                   for x in listings])
    out = {"keyword search": (kw.astype(float), kw)}
    for name, scanner in (("rules alone", rules), ("shipped model", shipped)):
        results = [r for r in scanner.scan(list(listings)) if isinstance(r, ScanResult)]
        if len(results) != len(listings):
            sys.exit(f"learning_curve: {name} rejected {len(listings) - len(results)} listings")
        out[name] = (np.array([r.wildlife_score for r in results]),
                     np.array([r.verdict == "wildlife_offer" for r in results]))
    return out


def one_run(ds: Dataset, tr: np.ndarray, test: Dataset, seed: int) -> dict[str, Any]:
    """Train on rows ``tr`` (with and without the rules' score) and score the test set."""
    train_ds = ds.subset(tr)
    out: dict[str, Any] = {"n": len(tr), "positives": int(train_ds.y.sum()),
                           "groups": len(set(train_ds.groups.tolist()))}
    model = training.train(train_ds, folds=5, seed=seed)
    p = model.probability(test.x, test.rule_logit)
    pred = p >= model.threshold
    out.update(ap=metrics.average_precision(test.y, p), roc_auc=metrics.roc_auc(test.y, p),
               f1=metrics.precision_recall_f1(test.y, pred)[2], ece=ece(test.y, p), p=p)
    text_ds = ds.subset(tr)
    text_ds.rule_logit = None
    text_model = training.train(text_ds, folds=5, seed=seed)
    out["ap_text_only"] = metrics.average_precision(test.y, text_model.probability(test.x))
    words = codewords.top_terms(train_ds.texts, train_ds.y, ev.KEYWORD_BASELINE_SIZE)
    out["ap_learned_keywords"] = metrics.average_precision(test.y, ev.keyword_score(test.texts, words))
    return out


def pct(values: list[float]) -> list[float]:
    return [round(float(np.percentile(values, q)), 4) for q in (2.5, 97.5)]


def curve(ds: Dataset, pool: np.ndarray, test_idx: np.ndarray, budgets: list[str], repeats: int,
          reps: int, seed: int, rules_ap: float) -> list[dict[str, Any]]:
    test = ds.subset(test_idx)
    rows = []
    for budget in budgets:
        n = len(pool) if budget == "all" else int(budget)
        if n > len(pool):
            continue
        runs = []
        for r in range(1 if budget == "all" else repeats):
            rng = np.random.default_rng(seed * 1000 + r)
            tr = pool if budget == "all" else draw(ds, pool, n, rng)
            runs.append(one_run(ds, tr, test, r))
        aps = [x["ap"] for x in runs]
        med = sorted(runs, key=lambda x: x["ap"])[(len(runs) - 1) // 2]
        row = {"budget": budget, "repeats": len(runs), "n_train_median": statistics.median(x["n"] for x in runs),
               "positives_median": statistics.median(x["positives"] for x in runs),
               "ap_median": round(statistics.median(aps), 4), "ap_repeats_95": pct(aps),
               "ap_median_run_bootstrap_95": ap_ci(test.y, med["p"], test.groups, reps),
               "repeats_above_rules_ap": sum(x["ap"] > rules_ap for x in runs),
               "roc_auc_median": round(statistics.median(x["roc_auc"] for x in runs), 4),
               "f1_median": round(statistics.median(x["f1"] for x in runs), 4),
               "ece_median": round(statistics.median(x["ece"] for x in runs), 4),
               "ap_text_only_median": round(statistics.median(x["ap_text_only"] for x in runs), 4),
               "ap_learned_keywords_median": round(statistics.median(x["ap_learned_keywords"] for x in runs), 4)}
        rows.append(row)
        print(f"budget {budget}: AP {row['ap_median']} {row['ap_repeats_95']}", file=sys.stderr, flush=True)
    return rows


def system_summary(y: np.ndarray, s: np.ndarray, pred: np.ndarray, groups: np.ndarray,
                   reps: int) -> dict[str, Any]:
    point = metrics.summary(y, s, pred)
    ci = metrics.summary_ci(y, s, pred, groups, reps=reps)
    keep = ("precision", "recall", "f1", "pr_auc", "roc_auc")
    return {k: {"value": round(point[k], 4), "ci95": [round(v, 4) for v in ci[k]]} for k in keep} | {
        "flagged": int(pred.sum())}


def compare(y: np.ndarray, groups: np.ndarray, fixed: dict[str, tuple[np.ndarray, np.ndarray]],
            reps: int) -> dict[str, Any]:
    """Rules alone vs the shipped model (and keyword search) on every row; paired differences."""
    out: dict[str, Any] = {"n": len(y), "positives": int(y.sum()), "groups": len(set(groups.tolist())),
                           "systems": {k: system_summary(y, s, p, groups, reps) for k, (s, p) in fixed.items()}}
    (s_r, p_r), (s_m, p_m) = fixed["rules alone"], fixed["shipped model"]

    def diff(idx: np.ndarray) -> dict[str, float]:
        yy = y[idx]
        return {"ap": metrics.average_precision(yy, s_m[idx]) - metrics.average_precision(yy, s_r[idx]),
                "f1": metrics.precision_recall_f1(yy, p_m[idx])[2] - metrics.precision_recall_f1(yy, p_r[idx])[2]}

    point = diff(np.arange(len(y)))
    ci = metrics.bootstrap(diff, len(y), groups, reps=reps)
    out["shipped_minus_rules"] = {k: {"value": round(point[k], 4), "ci95": [round(v, 4) for v in ci[k]]}
                                  for k in point}
    return out


def _ci(v: dict[str, Any]) -> str:
    return f"{v['value']:.3f} [{v['ci95'][0]:.3f}, {v['ci95'][1]:.3f}]"


def render(report: dict[str, Any]) -> str:
    s = report["setting"]
    lines = [f"## Learning curve: {s['set']} (commit {s['commit']})", "",
             f"{s['n']:,} labelled rows, {s['positives']:,} positive, {s['groups']:,} groups ({s['grouping']}); "
             f"test set {s['test_n']:,} rows ({s['test_positives']:,} positive, {s['test_groups']:,} groups); "
             f"a random ranking's AP is the test prevalence, {s['test_positives'] / s['test_n']:.3f}",
             "", "| labels | positives | AP median | AP 95% over repeats | AP bootstrap 95% (median run) "
             "| repeats above rules' AP | ROC-AUC | F1 at threshold | ECE | AP text only | AP learned keywords |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in report["curve"]:
        lo, hi = r["ap_repeats_95"]
        blo, bhi = r["ap_median_run_bootstrap_95"]
        lines.append(f"| {r['budget']} ({r['repeats']}x) | {r['positives_median']:g} | {r['ap_median']:.3f} "
                     f"| {lo:.3f}-{hi:.3f} | {blo:.3f}-{bhi:.3f} | {r['repeats_above_rules_ap']}/{r['repeats']} "
                     f"| {r['roc_auc_median']:.3f} | {r['f1_median']:.3f} | {r['ece_median']:.3f} "
                     f"| {r['ap_text_only_median']:.3f} | {r['ap_learned_keywords_median']:.3f} |")
    lines += ["", "Fixed baselines on the same test set:", "", "| system | AP | ROC-AUC | F1 at verdict |",
              "|---|---|---|---|"]
    for name, m in report["baselines_test"].items():
        lines.append(f"| {name} | {_ci(m['pr_auc'])} | {_ci(m['roc_auc'])} | {_ci(m['f1'])} |")
    if "compare" in report:
        c = report["compare"]
        lines += ["", f"Whole set ({c['n']:,} rows, {c['positives']:,} positive, {c['groups']:,} groups):", "",
                  "| system | AP | precision | recall | F1 | flagged |", "|---|---|---|---|---|---|"]
        for name, m in c["systems"].items():
            lines.append(f"| {name} | {_ci(m['pr_auc'])} | {_ci(m['precision'])} | {_ci(m['recall'])} "
                         f"| {_ci(m['f1'])} | {m['flagged']:,} |")
        d = c["shipped_minus_rules"]
        lines.append(f"\nshipped minus rules (paired group bootstrap): AP {_ci(d['ap'])}, F1 {_ci(d['f1'])}")
    return "\n".join(lines)


def _commit() -> str:
    def git(*a: str) -> str:
        return subprocess.run(["git", *a], capture_output=True, text=True, cwd=HERE.parent).stdout.strip()

    return git("rev-parse", "--short", "HEAD") + ("+dirty" if git("status", "--porcelain", "src") else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bird-ads", type=Path, default=BIRDS)
    parser.add_argument("--set", type=Path, help="a listings file (JSONL/CSV) instead of the bird ads")
    parser.add_argument("--labels", type=Path, help="the label file for --set")
    parser.add_argument("--group-by", default="near-duplicates",
                        help="a listing column for --set, or near-duplicates (the default)")
    parser.add_argument("--near-threshold", type=float, default=0.8,
                        help="cosine at or above which two ads are near-duplicates (grouping)")
    parser.add_argument("--name", default=None, help="the set's name in the report")
    parser.add_argument("--budgets", default="25,50,100,200,400,all")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--reps", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--compare", action="store_true", help="also rules alone vs shipped on every row")
    parser.add_argument("--commit", default=None,
                        help="the commit the wildtrace package under test was taken from (default: this "
                        "checkout's HEAD, marked +dirty when src/ has uncommitted changes)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.set is not None:
        if args.labels is None:
            parser.error("--set needs --labels")
        listings, targets = read_other(args.set, args.labels)
        name = args.name or args.set.name
    else:
        listings, targets = read_birds(args.bird_ads)
        name = args.name or "Stringham et al. 2021 bird ads (live bird offered)"
    near = args.group_by in ("near-duplicates", "neardup")
    detector = Scanner(Settings(), scorer=None).detector
    ds, _ = dataset.build(listings, targets, group_by=None if near else args.group_by, detector=detector)
    if near:
        ds.groups = dataset.near_duplicate_groups(ds.texts, args.near_threshold)
    by_id = {x.id: x for x in listings}
    ordered = [by_id[i] for i in ds.ids]
    fixed = fixed_scores(ordered)
    pool, test_idx = split(ds, args.seed)
    test = ds.subset(test_idx)
    commit = args.commit or _commit()
    report: dict[str, Any] = {"setting": {
        "set": name, "commit": commit, "n": len(ds), "positives": int(ds.y.sum()),
        "groups": len(set(ds.groups.tolist())),
        "grouping": f"near-duplicate clusters (TF-IDF cosine >= {args.near_threshold})" if near
        else f"by {args.group_by}",
        "test_n": len(test), "test_positives": int(test.y.sum()), "test_groups": len(set(test.groups.tolist())),
        "repeats": args.repeats, "bootstrap": f"{args.reps} resamples of whole test groups", "seed": args.seed}}
    report["baselines_test"] = {k: system_summary(test.y, s[test_idx], p[test_idx], test.groups, args.reps)
                                for k, (s, p) in fixed.items()}
    rules_ap = report["baselines_test"]["rules alone"]["pr_auc"]["value"]
    report["curve"] = curve(ds, pool, test_idx, args.budgets.split(","), args.repeats, args.reps, args.seed,
                            rules_ap)
    if args.compare:
        report["compare"] = compare(ds.y, ds.groups, fixed, args.reps)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    print(render(report))


if __name__ == "__main__":
    main()
