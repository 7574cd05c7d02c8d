"""Build the zoonotic evidence summary the package ships, or run the temporal holdout.

    python scripts/build_zoonotic.py                 # writes src/wildtrace/data/zoonotic/summary.csv.gz
    python scripts/build_zoonotic.py --evaluate 2010 # temporal holdout on VIRION, prints JSON

Reads ../shared/data/virion and ../shared/data/hp3 (never copied into the repo).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
from pathlib import Path

from wildtrace.zoonotic import build, holdout, origin, summary

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
OUT = ROOT / "src" / "wildtrace" / "data" / "zoonotic"


def _sha(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for p in sorted(paths):
        digest.update(p.name.encode())
        digest.update(p.read_bytes())
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--virion", type=Path, default=SHARED / "virion")
    ap.add_argument("--hp3", type=Path, default=SHARED / "hp3")
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--evaluate", type=int, metavar="YEAR", help="temporal holdout at this cut-off year")
    ap.add_argument("--bootstrap", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    priorities = summary.load_priority(OUT / "priority_pathogens.csv")
    lineage = summary.load_lineage(OUT / "virus_lineage.csv")
    origins = origin.load(OUT)
    if args.evaluate:
        idx = build.read_index(args.virion, None, priorities, lineage, origins)
        report = holdout.evaluate(idx, args.evaluate, n_boot=args.bootstrap, seed=args.seed)
        json.dump(report, sys.stdout, indent=2)
        print()
        return 0
    idx = build.read_index(args.virion, args.hp3, priorities, lineage, origins)
    rows = build.summarise(idx)
    build.write_summary(rows, args.out / "summary.csv.gz")
    inputs = sorted([*args.virion.glob("*.csv*"), *args.hp3.glob("*.csv")])
    meta = {
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "builder": "scripts/build_zoonotic.py (wildtrace.zoonotic.build)",
        "input_sha256": _sha(inputs),
        "inputs": [p.name for p in inputs],
        "rules": ["evidence_origin.csv", "virus_notes.csv", "priority_pathogens.csv", "virus_lineage.csv"],
        "datasets": idx.versions,
        "rows": {level: sum(1 for r in rows if r["level"] == level) for level in summary.LEVELS},
    }
    (args.out / "summary_meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    size = (args.out / "summary.csv.gz").stat().st_size
    print(f"wrote {len(rows)} rows ({size / 1024:.0f} KiB) to {args.out / 'summary.csv.gz'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
