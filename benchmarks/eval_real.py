"""Detection quality on real text nobody here wrote, per language and per family, with 95% CIs.

    python benchmarks/eval_real.py --snippets FILE [--bird-ads CSV] [--no-model] [--json OUT]

Two real sets:

- ``--snippets``: short passages from public web pages (news, seizure reports, information
  pages, quoted offers, look-alikes) in the eight languages, labelled by the guideline in
  docs/evaluation.md. Their text is not ours to redistribute: the repository keeps only the
  manifest (``benchmarks/real_snippets.manifest.csv``: id, URL, language, family, label and the
  SHA-256 of each passage; ``real_snippets_heldout.manifest.csv`` for the held-out set, labelled
  and scanned once, after the rules were changed); the file of passages (JSON Lines with ``id, lang, family, label,
  intent, url, text``) is rebuilt from those pages by whoever runs this, and checked against
  the manifest's hashes.
- ``--bird-ads``: the Stringham et al. (2021) pet-bird ads (../shared/data, MIT): a live bird
  offered (not junk, not poultry or pigeons, not "wanted") is positive. English, stemmed.

Each set is scored by keyword search (any taxon or product word: the floor), the rules alone,
and the rules with the shipped text model, under the named definition. CIs are bootstrap
intervals resampling whole pages (snippets) or rows (bird ads: the file has no seller column).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import hashlib
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from wildtrace import metrics
from wildtrace.learn import stringham
from wildtrace.scan.listing import Listing
from wildtrace.scan.result import ScanResult
from wildtrace.scan.scanner import Scanner
from wildtrace.taxa import refdata

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "real_snippets.manifest.csv"
BIRDS = HERE.parents[1] / "shared" / "data" / "bird_ads_stringham2021.csv"


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_snippets(path: Path, manifest: Path | None = MANIFEST) -> list[dict[str, Any]]:
    """The passages; checked against ``manifest`` (their SHA-256) unless it is None or absent."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if manifest is not None and manifest.exists():
        expected = {r["id"]: r for r in csv.DictReader(manifest.open(encoding="utf-8"))}
        bad = [r["id"] for r in rows if r["id"] in expected and expected[r["id"]]["sha256"] != text_sha256(r["text"])]
        if bad:
            sys.exit(f"eval_real: {len(bad)} passages differ from the manifest: {', '.join(bad[:5])}")
        missing = sorted(set(expected) - {r["id"] for r in rows})
        if missing:
            print(f"eval_real: {len(missing)} manifest passages missing from {path}", file=sys.stderr)
    return rows


def write_manifest(rows: list[dict[str, Any]], manifest: Path = MANIFEST) -> None:
    with manifest.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "lang", "family", "label", "intent", "url", "sha256"])
        for r in rows:
            w.writerow([r["id"], r["lang"], r["family"], r["label"], r["intent"], r["url"], text_sha256(r["text"])])


def keyword_positive(scanner: Scanner, listings: list[Listing]) -> np.ndarray:
    """The floor: any taxon or product word of the lexicon (what a keyword search flags)."""
    # the raw lexicon matches, before senses, language gates and scoring: what a keyword search sees
    return np.array([any(m.kind in ("taxon", "product", "code_word") for m in scanner.detector.matches(x))
                     for x in listings])


def scored(scanner: Scanner, listings: list[Listing]) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    results = [r for r in scanner.scan(listings) if isinstance(r, ScanResult)]
    s = np.array([r.wildlife_score for r in results])
    pred = np.array([r.verdict == "wildlife_offer" for r in results])
    return s, pred, results


def summarise(y: np.ndarray, s: np.ndarray, pred: np.ndarray, groups: np.ndarray, reps: int) -> dict[str, Any]:
    point = metrics.summary(y, s, pred)
    ci = metrics.summary_ci(y, s, pred, groups, reps=reps) if len(set(y.tolist())) > 1 else None
    tp = int((pred & (y == 1)).sum())
    fp = int((pred & (y == 0)).sum())
    keep = ("precision", "recall", "f1", "pr_auc")
    out = {k: v for k, v in metrics.with_ci({k: point[k] for k in keep}, ci).items()}
    out.update(n=int(len(y)), positives=int(y.sum()), tp=tp, fp=fp, fn=int(y.sum()) - tp,
               false_positive_rate=round(fp / max(1, int((y == 0).sum())), 3))
    return out


def evaluate_snippets(path: Path, scanners: dict[str, Scanner], reps: int,
                      manifest: Path = MANIFEST) -> dict[str, Any]:
    rows = read_snippets(path, manifest)
    listings = [Listing(id=r["id"], text=r["text"], lang=None, input_sha256=text_sha256(r["text"])) for r in rows]
    y = np.array([int(r["label"]) for r in rows])
    groups = np.array([r["url"] for r in rows])
    langs = np.array([r["lang"].split("_")[0] for r in rows])
    families = np.array([r["family"] for r in rows])
    report: dict[str, Any] = {"n": len(rows), "positives": int(y.sum()),
                              "by_language_counts": dict(Counter(langs.tolist())), "systems": {}}
    base = next(iter(scanners.values()))
    systems: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    kw = keyword_positive(base, listings)
    systems["keyword"] = (kw.astype(float), kw)
    for name, scanner in scanners.items():
        s, pred, _ = scored(scanner, listings)
        systems[name] = (s, pred)
    for name, (s, pred) in systems.items():
        entry: dict[str, Any] = {"all": summarise(y, s, pred, groups, reps), "by_language": {}, "by_family": {}}
        for lang in sorted(set(langs.tolist())):
            m = langs == lang
            entry["by_language"][lang] = summarise(y[m], s[m], pred[m], groups[m], reps)
        fam: dict[str, dict[str, int]] = defaultdict(lambda: {"n": 0, "called_offer": 0})
        for f, p in zip(families.tolist(), pred.tolist(), strict=True):
            fam[f]["n"] += 1
            fam[f]["called_offer"] += int(p)
        entry["by_family"] = dict(fam)
        report["systems"][name] = entry
    return report


def evaluate_birds(path: Path, scanners: dict[str, Scanner], reps: int) -> dict[str, Any]:
    labels = {}
    for col in stringham.LABEL_COLUMNS:
        _, targets = stringham.read(path, col)
        labels[col] = targets
    listings_all, _ = stringham.read(path, "label1")
    listings = [x for x in listings_all if all(x.id in labels[c] for c in labels)]
    # a live bird offered: not junk (label1), not poultry or pigeons (label2), not wanted (label3)
    y = np.array([int(not any(labels[c][x.id] for c in labels)) for x in listings])
    groups = np.array([x.id for x in listings])
    base = next(iter(scanners.values()))
    out: dict[str, Any] = {"n": len(listings), "positives": int(y.sum()), "systems": {}}
    kw = keyword_positive(base, listings)
    out["systems"]["keyword"] = summarise(y, kw.astype(float), kw, groups, reps)
    for name, scanner in scanners.items():
        s, pred, results = scored(scanner, listings)
        out["systems"][name] = summarise(y, s, pred, groups, reps)
        out["systems"][name]["sort"] = sort_orders(y, results)
    return out


def sort_orders(y: np.ndarray, results: list[ScanResult], k: int = 50) -> dict[str, Any]:
    """How well each score orders a review queue: average precision and precision in the top ``k``
    (ties broken by input order, as a stable sort would)."""
    out: dict[str, Any] = {}
    for name in ("wildlife_score", "risk_score"):
        score = np.array([getattr(r, name) for r in results])
        top = np.argsort(-score, kind="stable")[:k]
        out[name] = {"average_precision": round(float(metrics.summary(y, score, score >= 0.5)["pr_auc"]), 4),
                     f"precision_at_{k}": round(float(y[top].mean()), 4)}
    return out


def build_scanners(no_model: bool, definition: str, without_senses: bool = False,
                   source: str | None = None) -> dict[str, Scanner]:
    scanners = {"rules": Scanner(scorer=None, definition=definition, source_kind=source)}
    if without_senses:  # what the sense layer contributes: the same rules with no senses
        ref = dataclasses.replace(refdata.load(), senses=())
        scanners["rules without senses"] = Scanner(ref=ref, scorer=None, definition=definition)
    if not no_model:
        from wildtrace.learn import shipped

        scanners["rules+model"] = Scanner(scorer=shipped.scorer("shipped"), definition=definition, source_kind=source)
    return scanners


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--snippets", type=Path)
    parser.add_argument("--bird-ads", type=Path, nargs="?", const=BIRDS)
    parser.add_argument("--no-model", action="store_true")
    parser.add_argument("--source", choices=("marketplace", "social", "web", "news"),
                        help="where the listings were posted (scan --source): bird ads are classifieds")
    parser.add_argument("--definition", default="wildlife-offer")
    parser.add_argument("--without-senses", action="store_true", help="also score the rules with no sense layer")
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--manifest", type=Path, default=MANIFEST,
                        help="the manifest the passages are checked against (default: the development set's)")
    parser.add_argument("--write-manifest", action="store_true",
                        help="(re)write the manifest from --snippets (after labelling new passages)")
    args = parser.parse_args()
    scanners = build_scanners(args.no_model, args.definition, args.without_senses, args.source)
    report: dict[str, Any] = {"definition": args.definition}
    if args.snippets:
        if args.write_manifest:
            write_manifest(read_snippets(args.snippets, None), args.manifest)
        report["snippets"] = evaluate_snippets(args.snippets, scanners, args.reps, args.manifest)
    if args.bird_ads:
        report["bird_ads"] = evaluate_birds(args.bird_ads, scanners, args.reps)
    text = json.dumps(report, indent=1, ensure_ascii=False)
    if args.json:
        args.json.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
