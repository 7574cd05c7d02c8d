"""Dump everything a trade load writes, to check that a change of the load path keeps it.

    python benchmarks/trade_load_dump.py dump OUT.json [--threads N] PATH [PATH ...]
    python benchmarks/trade_load_dump.py compare BEFORE.json AFTER.json

``dump`` loads the paths, in order, into a fresh DuckDB file beside OUT and writes each
FileLoad, every record (ordered by load, row and id), reject, warning and ``loads`` row (less
its time) as JSON. Run it with the code before and after a change on the same paths (generated
messy files, the synthetic files, real extracts), then ``compare``: it names each table that
differs and shows rows found only on one side. Exit 1 when anything differs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from wildtrace.trade.load import load_paths
from wildtrace.trade.schema import connect

QUERIES = {
    "records": 'SELECT * FROM records ORDER BY load_id, "row", record_id',
    "rejects": "SELECT * FROM rejects ORDER BY ALL",
    "warnings": "SELECT * FROM warnings ORDER BY ALL",
    "loads": "SELECT * EXCLUDE (loaded_at) FROM loads ORDER BY load_id",
}


def dump(out: Path, paths: list[Path], threads: int) -> dict[str, Any]:
    db = out.with_suffix(".duckdb")
    db.unlink(missing_ok=True)
    con = connect(db, threads=threads)
    got: dict[str, Any] = {"results": [r.to_dict() for r in load_paths(con, paths)]}
    for name, sql in QUERIES.items():
        got[name] = [[str(v) for v in row] for row in con.execute(sql).fetchall()]
    con.close()
    out.write_text(json.dumps(got))
    return got


def compare(a: dict[str, Any], b: dict[str, Any]) -> bool:
    same = True
    for key in a:
        if a[key] == b.get(key):
            print(f"same {key}: {len(a[key])}")
            continue
        same = False
        print(f"DIFF {key}: {len(a[key])} -> {len(b.get(key) or [])}")
        if key == "results":
            for x, y in zip(a[key], b[key], strict=False):
                for f in x:
                    if x[f] != y.get(f):
                        print(f"  {x['path']} {f}: {x[f]} -> {y.get(f)}")
            continue
        sa, sb = {json.dumps(r) for r in a[key]}, {json.dumps(r) for r in b[key]}
        for r in sorted(sa - sb)[:5]:
            print("  -", r[:300])
        for r in sorted(sb - sa)[:5]:
            print("  +", r[:300])
        print(f"  only before: {len(sa - sb)}, only after: {len(sb - sa)}")
    return same


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("out", type=Path)
    d.add_argument("paths", nargs="+", type=Path)
    d.add_argument("--threads", type=int, default=1)
    c = sub.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    args = ap.parse_args(argv)
    if args.cmd == "dump":
        got = dump(args.out, args.paths, args.threads)
        print({k: len(v) for k, v in got.items()})
        return 0
    return 0 if compare(json.loads(args.before.read_text()), json.loads(args.after.read_text())) else 1


if __name__ == "__main__":
    sys.exit(main())
