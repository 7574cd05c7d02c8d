"""Dump everything a trade load writes, to check that a change of the load path keeps it.

    python benchmarks/trade_load_dump.py dump OUT.json [--threads N] PATH [PATH ...]
    python benchmarks/trade_load_dump.py compare BEFORE.json AFTER.json
    python benchmarks/trade_load_dump.py messy OUTDIR [--seed N]

``dump`` loads the paths, in order, into a fresh DuckDB file beside OUT and writes each
FileLoad, every record (ordered by load, row and id), reject, warning and ``loads`` row (less
its time) as JSON. Run it with the code before and after a change on the same paths (generated
messy files, the synthetic files, real extracts), then ``compare``: it names each table that
differs and shows rows found only on one side. Exit 1 when anything differs.

``messy`` writes files that stress the load: CITES bulk files with and without padded fields
(spaces, no-break and other Unicode spaces, tabs), quoted blanks and commas, French and
Spanish words, bad years and quantities, blank and repeated Ids, no Id column, malformed and CRLF lines,
';' and tab separators, a comparative tabulation and LEMIS files, padded and not.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from pathlib import Path
from typing import Any

from wildtrace.trade.load import load_paths
from wildtrace.trade.schema import BULK_COLUMNS, COMPTAB_COLUMNS, LEMIS_COLUMNS, connect

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


PAD = ["", "", "", "", " ", "  ", "\u00a0", "\u2003", "\u3000", "\t"]
TERMS = ["live", "skins", "Live", "écailles", "peaux", "LIV", "bodies", "weird thing", "", "tusks", "carne",
         "skin pieces", "é"]
UNITS = ["kg", "", "Number of specimens", "g", "KGM", "bags", "number-of-specimens", "pieces", "kilogrammes"]
PARTIES = ["US", "cn", "XX", "", "ZZ", "FR", "gb", "NA"]
QUANTITIES = ["1", "2.5", "1,000", "", "x", "NaN", "-3", "7", "1e400", "1,5", "1.000,5", "0"]


def _bulk_row(rnd: random.Random, i: int, pad: bool, ids: str = "M") -> dict[str, str]:
    """One row: good values mostly, a bad one (year, quantity, reporter, Id) now and then."""
    def p(v: str) -> str:
        return rnd.choice(PAD) + v + rnd.choice(PAD) if pad and rnd.random() < 0.3 else v

    def odd(good: str, bad: list[str]) -> str:
        return rnd.choice(bad) if rnd.random() < 0.04 else good
    return {k: p(v) for k, v in {
        "id": odd(f"{ids}{i}", ["", f"{ids}{i // 2}", f"{ids}1"]), "year": odd(rnd.choice(["2001", "2015"]), ["1960", "x", "", "2099"]),
        "appendix": rnd.choice(["I", "II", ""]), "taxon": odd(rnd.choice(["Manis javanica", "Python regius",
                                                                          'Manis"spp"', "Manis,hybrid"]), [""]),
        "class": "Mammalia", "order": "Pholidota", "family": "Manidae", "genus": "Manis",
        "term": rnd.choice(TERMS), "quantity": odd(rnd.choice(["1", "2.5", "1,000", "7", "1,5", "1.000,5", "0"]),
                                                   ["", "x", "NaN", "-3", "1e400", "1e13"]),
        "unit": rnd.choice(UNITS), "importer": rnd.choice(PARTIES), "exporter": rnd.choice(PARTIES),
        "origin": rnd.choice(PARTIES), "purpose": rnd.choice(["T", "z", "", "Q"]),
        "source": rnd.choice(["W", "c", "I", "K", ""]), "reporter_type": odd(rnd.choice(["E", "I", "i"]), ["Q", ""]),
        "import_permit": rnd.choice(["", "IP1"]), "export_permit": rnd.choice(["", f"EP{i % 50}"]),
        "origin_permit": ""}.items()}


def _write(path: Path, header: list[str], rows: list[list[str]], delim: str = ",", crlf: bool = False,
           broken: str | None = None) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=delim, lineterminator="\r\n" if crlf else "\n")
        w.writerow(header)
        for i, r in enumerate(rows):
            w.writerow(r)
            if broken and i == len(rows) // 2:
                fh.write(broken + ("\r\n" if crlf else "\n"))


def messy(out: Path, seed: int) -> list[Path]:
    """Write the messy files (see the module's docstring); return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(seed)
    bulk = list(BULK_COLUMNS)
    head = [BULK_COLUMNS[k] for k in bulk]
    files: list[tuple[str, bool, str, bool]] = [
        ("bulk_clean.csv", False, ",", False), ("bulk_padded.csv", True, ",", False),
        ("bulk_clean_crlf.csv", False, ",", True), ("bulk_semicolon.csv", False, ";", False),
        ("bulk_tab.tsv", False, "\t", False), ("bulk_padded_semicolon.csv", True, ";", True)]
    paths = []
    for n, (name, pad, delim, crlf) in enumerate(files):
        ids = "M" if n < 2 else f"F{n}-"  # the second file repeats the first one's Ids
        rows = [[_bulk_row(rnd, i, pad, ids)[k] for k in bulk] for i in range(rnd.randint(1500, 2500))]
        _write(out / name, head, rows, delim, crlf, broken=delim.join(["X1", "2001", "too", "many"] * 7))
        paths.append(out / name)
    # one padded field only, the very last one, no final newline; and a space in quotes only
    rows = [[_bulk_row(rnd, i, False, "P")[k] for k in bulk] for i in range(800)]
    rows[-1][-1] = "OP9\u3000"
    _write(out / "bulk_one_pad.csv", head, rows)
    (out / "bulk_one_pad.csv").write_bytes((out / "bulk_one_pad.csv").read_bytes().rstrip(b"\n"))
    rows = [[_bulk_row(rnd, i, False, "Q")[k] for k in bulk] for i in range(800)]
    rows[400][3] = "Manis javanica "
    _write(out / "bulk_quoted_pad.csv", head, rows)
    paths += [out / "bulk_one_pad.csv", out / "bulk_quoted_pad.csv"]
    # no Id column: the load numbers the accepted records itself (b<load>:<row>)
    noid = [k for k in bulk if k != "id"]
    rows = [[_bulk_row(rnd, i, False, "N")[k] for k in noid] for i in range(900)]
    _write(out / "bulk_no_id.csv", [BULK_COLUMNS[k] for k in noid], rows,
           broken=",".join(["2001", "too", "many"] * 9))
    paths.append(out / "bulk_no_id.csv")
    for pad in (False, True):
        ct = [[rnd.choice(PAD) + v + rnd.choice(PAD) if pad and rnd.random() < 0.3 else v for v in (
            rnd.choice(["2012", "x", "1950"]), "II", rnd.choice(["Manis javanica", ""]), "Mammalia", "Pholidota",
            "Manidae", "Manis", rnd.choice(PARTIES), rnd.choice(PARTIES), rnd.choice(PARTIES),
            rnd.choice(QUANTITIES), rnd.choice(QUANTITIES), rnd.choice(TERMS), rnd.choice(UNITS),
            rnd.choice(["T", ""]), rnd.choice(["W", "C"]))] for _ in range(1200)]
        ct += ct[:50]
        _write(out / f"comptab_{'padded' if pad else 'clean'}.csv", list(COMPTAB_COLUMNS.values()), ct)
        lemis_cols = list(LEMIS_COLUMNS)
        lm = []
        for i in range(1500):
            r = {c: rnd.choice(["NA", "", "x", "CN", "US"]) for c in lemis_cols}
            r.update(quantity=rnd.choice(QUANTITIES[:3]), description=rnd.choice(["LIV", "MEA", "", "NA"]),
                     shipment_date=rnd.choice(["2016-01-03T00:00:00Z", "x", ""]), import_export=rnd.choice("IEx"),
                     control_number=str(i % 900), genus=rnd.choice(["Rana", "NA", ""]), species="catesbeiana")
            lm.append([rnd.choice(PAD) + v + rnd.choice(PAD) if pad and rnd.random() < 0.3 else v
                       for v in (r[c] for c in lemis_cols)])
        _write(out / f"lemis_{'padded' if pad else 'clean'}.csv", [LEMIS_COLUMNS[c] for c in lemis_cols], lm)
        paths += [out / f"comptab_{'padded' if pad else 'clean'}.csv", out / f"lemis_{'padded' if pad else 'clean'}.csv"]
    return paths


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
    m = sub.add_parser("messy")
    m.add_argument("out", type=Path)
    m.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    if args.cmd == "messy":
        for p in messy(args.out, args.seed):
            print(p)
        return 0
    if args.cmd == "dump":
        got = dump(args.out, args.paths, args.threads)
        print({k: len(v) for k, v in got.items()})
        return 0
    return 0 if compare(json.loads(args.before.read_text()), json.loads(args.after.read_text())) else 1


if __name__ == "__main__":
    sys.exit(main())
