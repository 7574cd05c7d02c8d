"""Whole real marketplaces as false-positive tests: the flag rate on ordinary listings.

    python benchmarks/eval_marketplaces.py [--data /work/ext/marketplaces] [--sets a,b]
        [--systems rules,default] [--source marketplace] [--platform] [--limit N]
        [--json OUT] [--flags DIR]

Every listing of every set under ``--data`` (``<lang>/<name>.jsonl``, built by
``benchmarks/marketplaces_extract.py``) is scanned, two ways: the rules alone
(``Scanner(Settings(), scorer=None)``) and the default (``Scanner(Settings())``: the scorer the
settings name, the shipped text model unless set otherwise). Almost nothing on an ordinary
marketplace is a wildlife offer, so every ``wildlife_offer`` verdict is a flag to read. The flag
rate is reported with a Wilson 95% interval per set, per language and per category, as a
markdown table on stdout; ``--json`` writes the figures, ``--flags DIR`` writes every flagged
listing to ``DIR/<set>.jsonl`` (both systems, each row naming its system).

The detector changes under this script: it only uses ``Scanner``, ``Settings`` and the result
fields, and passes ``--source`` on where the code accepts it (a ``source_kind`` record field,
or a ``source_kind``/``source`` argument of ``Scanner``), silently otherwise.
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from wildtrace import Scanner, Settings
from wildtrace.scan import listing as listing_module
from wildtrace.scan.result import ScanResult

DATA = Path("/work/ext/marketplaces")
SYSTEMS = ("rules", "default")  # also "shipped": the rules with the opt-in shipped text model


def wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval for k successes in n trials (95% by default)."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def rate(k: int, n: int) -> dict[str, Any]:
    lo, hi = wilson(k, n)
    return {"n": n, "flags": k, "rate": round(k / n, 5) if n else 0.0, "ci95": [round(lo, 5), round(hi, 5)]}


def fmt(entry: dict[str, Any]) -> str:
    lo, hi = entry["ci95"]
    return f"{entry['flags']}/{entry['n']} = {100 * entry['rate']:.2f}% [{100 * lo:.2f}, {100 * hi:.2f}]"


def load_sets(data: Path, names: set[str] | None) -> dict[str, list[dict[str, Any]]]:
    sets: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(data.glob("*/*.jsonl")):
        if names and path.stem not in names:
            continue
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        sets[path.stem] = rows
    if not sets:
        sys.exit(f"eval_marketplaces: no sets under {data} (run benchmarks/marketplaces_extract.py)")
    return sets


def scanner_kwargs(source: str | None) -> dict[str, Any]:
    """The source kind as a Scanner argument, where this version of Scanner takes one."""
    if not source:
        return {}
    params = inspect.signature(Scanner.__init__).parameters
    for name in ("source_kind", "source"):
        if name in params:
            return {name: source}
    return {}


def build(system: str, source: str | None) -> Scanner:
    extra = scanner_kwargs(source)
    if system == "rules":
        return Scanner(Settings(), scorer=None, **extra)
    if system == "default":
        return Scanner(Settings(), **extra)
    if system == "shipped":
        return Scanner(Settings(text_model="shipped"), **extra)
    sys.exit(f"eval_marketplaces: unknown system {system!r} (rules, default, shipped)")


def records(rows: list[dict[str, Any]], source: str | None, platform: bool) -> list[dict[str, Any]]:
    """The listing records as a marketplace export would give them: id, title, text.

    ``lang`` is left out (the scanner detects it, as on real input); ``platform`` only with
    ``--platform``; ``source_kind`` where the record format has that field.
    """
    fields = set(getattr(listing_module, "FIELDS", ()))
    out = []
    for r in rows:
        rec: dict[str, Any] = {"id": r["id"], "title": r["title"]}
        if r.get("text"):
            rec["text"] = r["text"]
        if platform and r.get("platform"):
            rec["platform"] = r["platform"]
        if source and "source_kind" in fields:
            rec["source_kind"] = source
        out.append(rec)
    return out


def flag_row(result: ScanResult, row: dict[str, Any], system: str) -> dict[str, Any]:
    return {"system": system, "id": row["id"], "title": row["title"], "category": row.get("category"),
            "lang": row.get("lang"), "verdict": result.verdict, "wildlife_score": result.wildlife_score,
            "taxa": [t.get("name") or t.get("scientific_name") or t for t in result.taxa],
            "product_types": result.product_types, "reasons": result.reasons,
            "specimen": result.specimen, "intent": result.intent}


def evaluate(sets: dict[str, list[dict[str, Any]]], systems: list[str], source: str | None,
             platform: bool, flags_dir: Path | None) -> dict[str, Any]:
    report: dict[str, Any] = {"systems": {}, "sets": {}}
    for name, rows in sets.items():
        cats: dict[str, int] = defaultdict(int)
        for r in rows:
            cats[r.get("category") or "?"] += 1
        report["sets"][name] = {"lang": rows[0].get("lang"), "n": len(rows), "categories": len(cats)}
    flagged: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for system in systems:
        scanner = build(system, source)
        by_set: dict[str, Any] = {}
        lang_counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        all_counts = [0, 0]
        started = time.perf_counter()
        for name, rows in sets.items():
            ids = [r["id"] for r in rows]
            if len(set(ids)) != len(ids):  # ids must be unique to map results back
                for i, r in enumerate(rows):
                    r["id"] = f"{r['id']}#{i}"
            recs = records(rows, source, platform)
            results_by_id: dict[str, ScanResult] = {}
            rejects = 0
            for item in scanner.scan(recs):
                if isinstance(item, ScanResult):
                    results_by_id[item.id] = item
                else:
                    rejects += 1
            cat_counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            k = 0
            for r in rows:
                res = results_by_id.get(r["id"])
                hit = res is not None and res.verdict == "wildlife_offer"
                cat = r.get("category") or "?"
                cat_counts[cat][0] += int(hit)
                cat_counts[cat][1] += 1
                k += int(hit)
                if hit and res is not None:
                    flagged[name].append(flag_row(res, r, system))
            lang = rows[0].get("lang") or "?"
            lang_counts[lang][0] += k
            lang_counts[lang][1] += len(rows)
            all_counts[0] += k
            all_counts[1] += len(rows)
            by_set[name] = {**rate(k, len(rows)), "lang": lang, "rejects": rejects,
                            "by_category": {c: rate(a, b) for c, (a, b) in
                                            sorted(cat_counts.items(), key=lambda kv: (-kv[1][0], -kv[1][1]))}}
        report["systems"][system] = {
            "model": scanner.model, "scorer": type(scanner.scorer).__name__ if scanner.scorer else None,
            "seconds": round(time.perf_counter() - started, 1), "all": rate(*all_counts),
            "by_language": {lang: rate(a, b) for lang, (a, b) in sorted(lang_counts.items())},
            "by_set": by_set}
    if flags_dir is not None:
        flags_dir.mkdir(parents=True, exist_ok=True)
        for name in sets:
            path = flags_dir / f"{name}.jsonl"
            path.write_text("".join(json.dumps(f, ensure_ascii=False, default=str) + "\n" for f in flagged[name]),
                            encoding="utf-8")
    return report


def markdown(report: dict[str, Any], min_flags: int = 1) -> str:
    systems = list(report["systems"])
    head = "| " + " | ".join(["set", "lang", "rows"] + [f"{s}: flags = rate [95% CI]" for s in systems]) + " |"
    sep = "|" + "---|" * (3 + len(systems))
    out = ["### Per set", "", head, sep]
    for name, meta in report["sets"].items():
        cells = [fmt(report["systems"][s]["by_set"][name]) for s in systems]
        out.append(f"| {name} | {meta['lang']} | {meta['n']} | " + " | ".join(cells) + " |")
    out += ["", "### Per language", "", "| " + " | ".join(["lang"] + systems) + " |", "|" + "---|" * (1 + len(systems))]
    langs = sorted({lang for s in systems for lang in report["systems"][s]["by_language"]})
    for lang in langs:
        out.append(f"| {lang} | " + " | ".join(fmt(report["systems"][s]["by_language"][lang]) for s in systems) + " |")
    out.append("| all | " + " | ".join(fmt(report["systems"][s]["all"]) for s in systems) + " |")
    out += ["", f"### Per category (categories with at least {min_flags} flag under some system)", "",
            "| " + " | ".join(["set", "category"] + systems) + " |", "|" + "---|" * (2 + len(systems))]
    for name in report["sets"]:
        cats = report["systems"][systems[0]]["by_set"][name]["by_category"]
        for cat in cats:
            entries = [report["systems"][s]["by_set"][name]["by_category"].get(cat) for s in systems]
            if max(e["flags"] for e in entries if e) >= min_flags:
                out.append(f"| {name} | {cat} | " + " | ".join(fmt(e) if e else "-" for e in entries) + " |")
    return "\n".join(out)


def git_commit() -> str:
    done = subprocess.run(["git", "-C", str(Path(__file__).resolve().parents[1]), "rev-parse", "HEAD"],
                          capture_output=True, text=True, check=False)
    return done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--sets", help="comma-separated set names (default: all under --data)")
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated: rules, default, shipped")
    parser.add_argument("--source", default="marketplace",
                        help="source kind passed on where the code accepts one ('' for none)")
    parser.add_argument("--platform", action="store_true", help="give each record its platform name")
    parser.add_argument("--limit", type=int, help="only the first N listings of each set (a quick look)")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--flags", type=Path, help="write flagged listings to DIR/<set>.jsonl")
    parser.add_argument("--commit", help="the code's commit, where it is not this checkout's HEAD")
    args = parser.parse_args()
    sets = load_sets(args.data, set(args.sets.split(",")) if args.sets else None)
    if args.limit:
        sets = {k: v[: args.limit] for k, v in sets.items()}
    systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    source = args.source or None
    report = evaluate(sets, systems, source, args.platform, args.flags)
    report.update(commit=args.commit or git_commit(), source=source, platform=args.platform,
                  source_applied={"record_field": "source_kind" in set(getattr(listing_module, "FIELDS", ())),
                                  "scanner_argument": sorted(scanner_kwargs(source))})
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    print(f"commit {report['commit'][:12]}; source {source}; applied {report['source_applied']}\n")
    print(markdown(report))


if __name__ == "__main__":
    main()
