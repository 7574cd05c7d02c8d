"""The zoonotic profile against study effort, on a temporal holdout of VIRION (issue 26).

    python benchmarks/eval_zoonotic.py --cutoff 2005 --bootstrap 1000 [--json out.json]

Builds the summary from VIRION records dated up to the cut-off (``wildtrace.zoonotic.holdout``;
only natural records count: experimental and reverse-zoonotic ones are left out on both sides),
and ranks host species by who gains a virus shared with humans afterwards. Rankers: the profile's
score and tier; the host's own study effort; the family study-effort baseline for hosts with no
records; ``effort_adjusted`` (``tier.effort_adjusted``); and, for the mammals Gippet et al. 2026
also list, their research effort (PubMed, counted to about 2023: it knows the future). ROC-AUC and
paired AUC differences with 95% bootstrap intervals over hosts (``wildtrace.metrics``). Reads
../shared/data/virion; prints a table and, with --json, writes the whole report.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from wildtrace.zoonotic import build, gippet, holdout, origin, summary
from wildtrace.zoonotic.hosts import DATA_DIR

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
GROUPS = ("all_hosts", "hosts_with_records_by_cutoff", "hosts_new_after_cutoff", "gippet_overlap_all",
          "gippet_overlap_with_records")


def _fmt(entry: dict[str, Any]) -> str:
    lo, hi = entry["roc_auc_ci95"]
    return f"{entry['roc_auc']:.3f} [{lo:.3f}, {hi:.3f}]"


def table(report: dict[str, Any]) -> str:
    lines = [f"cut-off {report['cutoff']}: {report['target']}", "", "| hosts | ranker | ROC-AUC [95% CI] |",
             "|---|---|---|"]
    for group in GROUPS:
        g = report.get(group)
        if not g:
            continue
        first = True
        for name, entry in g.items():
            if isinstance(entry, dict) and "roc_auc" in entry:
                head = f"{group} ({g['hosts']}; {g['positives']} pos.)" if first else ""
                lines.append(f"| {head} | {name} | {_fmt(entry)} |")
                first = False
        for name, d in g["auc_differences"].items():
            lines.append(f"| | Δ {name} | {d['value']:+.3f} [{d['ci95'][0]:+.3f}, {d['ci95'][1]:+.3f}] |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--virion", type=Path, default=SHARED / "virion")
    ap.add_argument("--cutoff", type=int, default=2005)
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    idx = build.read_index(args.virion, None, summary.load_priority(DATA_DIR / "priority_pathogens.csv"),
                           summary.load_lineage(DATA_DIR / "virus_lineage.csv"), origin.load(DATA_DIR))
    report = holdout.evaluate(idx, args.cutoff, n_boot=args.bootstrap, seed=args.seed, gippet=gippet.load())
    print(table(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
