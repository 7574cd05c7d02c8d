"""Does a change leave every scan result as it was? Scan a corpus of real text with a git
revision and with the working tree, and compare the results byte for byte.

    python benchmarks/same_output.py [--base HEAD] [--systems none,shipped] [--thai DIR]
        [--marketplaces /work/ext/marketplaces] [--generated 3000] [--show 5]

Each side runs in its own process: the base from a ``git worktree`` of ``--base`` (made in a
temporary folder, removed after), the working tree as it is. Each scans the same records
(read once, here, and handed to both as one JSON file), with one Scanner per system on an empty
data folder: ``none`` (the rules alone) and ``shipped`` (the packaged text model). A result is
``to_dict()`` without ``scanned_at``, or the reject. The corpus:

- the whole-marketplace sets of ``eval_marketplaces.py`` (``marketplaces_extract.py`` rebuilds
  them from public repositories), when ``--marketplaces`` holds them;
- the shared data's real bird ads (``../shared/data/bird_ads_stringham2021.csv``), when present;
- real Thai posts, one a line, from the ``*.txt`` files of ``--thai`` (for instance
  PyThaiNLP/wisesight-sentiment, CC0: ``neg.txt``, ``neu.txt``, ``pos.txt``, ``q.txt``);
- the demo listings and ``--generated`` listings of each shape of ``generate.py``.

Exit status 0 when every result is the same, 1 otherwise (the first ``--show`` differences are
printed, with the keys that differ).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIRDS = ROOT.parent / "shared" / "data" / "bird_ads_stringham2021.csv"


def corpus(args: argparse.Namespace) -> list[tuple[str, list[dict[str, Any]]]]:
    sets: list[tuple[str, list[dict[str, Any]]]] = []
    for path in sorted(Path(args.marketplaces).glob("*/*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            sets.append((f"mkt/{path.parent.name}/{path.stem}", [json.loads(line) for line in fh if line.strip()]))
    if BIRDS.exists():
        csv.field_size_limit(sys.maxsize)
        with open(BIRDS, encoding="latin-1", newline="") as fh:  # latin-1: SOURCES.md
            sets.append(("birds", [{"id": r["classifieds_unique_listing_id"], "text": r["text_stop_stem"]}
                                   for r in csv.DictReader(fh)]))
    for path in sorted(Path(args.thai).glob("*.txt")) if args.thai else ():
        lines = path.read_text(encoding="utf-8").splitlines()
        sets.append((f"thai/{path.stem}", [{"id": f"{path.stem}-{n}", "text": line}
                                           for n, line in enumerate(lines, start=1) if line.strip()]))
    with open(ROOT / "src" / "wildtrace" / "data" / "demo_listings.jsonl", encoding="utf-8") as fh:
        sets.append(("demo", [json.loads(line) for line in fh if line.strip()]))
    sys.path.insert(0, str(HERE))
    from generate import listings

    for shape in ("title", "tweet", "long"):
        sets.append((f"generated/{shape}", list(listings(args.generated, shape=shape))))
    return sets


def child(corpus_path: str, systems: str, out_path: str) -> None:
    """Scan the corpus with whatever ``import wildtrace`` finds; one line a result."""
    import dataclasses

    import wildtrace
    from wildtrace import Scanner, Settings

    with open(corpus_path, encoding="utf-8") as fh:
        sets = json.load(fh)
    with tempfile.TemporaryDirectory() as tmp, open(out_path, "w", encoding="utf-8") as out:
        for system in systems.split(","):
            scanner = Scanner(dataclasses.replace(Settings(data_dir=Path(tmp)), text_model=system))
            for name, records in sets:
                for i, res in enumerate(scanner.scan([dict(r) for r in records])):
                    if isinstance(res, wildtrace.ScanResult):
                        r = res.to_dict()
                        r.pop("scanned_at", None)
                    else:
                        r = {"reject": res.to_dict()}
                    out.write(json.dumps({"sys": system, "set": name, "i": i, "r": r}, ensure_ascii=False) + "\n")
    print(f"scanned with {wildtrace.__file__}", file=sys.stderr)


def compare(base: Path, new: Path, show: int) -> int:
    counts: dict[tuple[str, str], list[int]] = {}
    shown = 0
    with open(base, encoding="utf-8") as a, open(new, encoding="utf-8") as b:
        for line_a, line_b in zip(a, b, strict=True):
            x = json.loads(line_a)
            key = (x["sys"], x["set"])
            tally = counts.setdefault(key, [0, 0])
            if line_a == line_b:
                tally[0] += 1
                continue
            tally[1] += 1
            if shown < show:
                y = json.loads(line_b)
                keys = sorted(k for k in set(x["r"]) | set(y["r"]) if x["r"].get(k) != y["r"].get(k))
                print(f"differs: {key[0]} {key[1]} #{x['i']} ({x['r'].get('id')}): {', '.join(keys)}")
                shown += 1
    for (system, name), (same, differ) in counts.items():
        print(f"{system:8} {name:40} {same:8,} same {differ:6,} differ")
    total = sum(d for _, d in counts.values())
    print(f"{sum(s for s, _ in counts.values()):,} results the same, {total:,} differ")
    return 1 if total else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="HEAD", help="the git revision to compare the working tree with")
    parser.add_argument("--systems", default="none,shipped")
    parser.add_argument("--marketplaces", default="/work/ext/marketplaces")
    parser.add_argument("--thai", help="a folder of real Thai posts, one a line, in *.txt files")
    parser.add_argument("--generated", type=int, default=3000, help="generated listings of each shape")
    parser.add_argument("--show", type=int, default=5)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory(prefix="same-output-") as tmp_name:
        tmp = Path(tmp_name)
        sets = corpus(args)
        (tmp / "corpus.json").write_text(json.dumps(sets, ensure_ascii=False), encoding="utf-8")
        print(f"{sum(len(r) for _, r in sets):,} records in {len(sets)} sets, systems {args.systems}", file=sys.stderr)
        tree = tmp / "base"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(tree), args.base],
                       check=True)
        try:
            for side, src in (("base", tree / "src"), ("new", ROOT / "src")):
                env = {**os.environ, "PYTHONPATH": str(src)}
                subprocess.run([sys.executable, __file__, "--child", str(tmp / "corpus.json"), args.systems,
                                str(tmp / f"{side}.jsonl")], check=True, env=env)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)
        sys.exit(compare(tmp / "base.jsonl", tmp / "new.jsonl", args.show))


if __name__ == "__main__":
    main()
