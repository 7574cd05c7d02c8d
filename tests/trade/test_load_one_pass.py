"""The one-pass CITES bulk load (``transform.insert_bulk``) on a messy file: rows inserted
straight into ``records`` and settled there must be what the file says, row for row.

The file mixes what real downloads hold: padded values (spaces and no-break spaces), codes and
English or French words for terms and units, unknown codes, bad years and quantities, blank and
repeated Ids, Ids loaded before from another file, a malformed line in the middle. Checked: each
record's ``row`` is its row in the file (one DuckDB thread numbers the rows in the insert,
more number them from their rowids after it), its term and unit are ``codes.resolve`` of the text as written, every rejected row is
in ``rejects`` with its raw text (also those after the malformed line), the counts add up, and
1 and 4 DuckDB threads give the same tables, also for a file with no Id column (its records
numbered by the load).
"""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path
from typing import Any

from wildtrace.trade.codes import load_codes
from wildtrace.trade.load import load_paths
from wildtrace.trade.schema import BULK_COLUMNS, connect

TERMS = ["live", " skins ", "Live", "écailles", "peaux", "LIV", "bodies", "weird thing", "", "tusks"]
UNITS = ["kg", "", "Number of specimens", "g", "KGM", "bags", "\u00a0kg\u00a0", "number-of-specimens", "pieces"]
PARTIES = ["US", "cn", "XX", "", "ZZ", " FR ", "gb"]


def _rows(n: int, seed: int, ids: str) -> list[dict[str, str]]:
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        out.append({
            "Id": "" if i % 97 == 5 else f"{ids}{i % (n - 40)}", "Year": rnd.choice(["2001", "2015", " 2010 ", "1960", "x"]),
            "Appendix": "II", "Taxon": rnd.choice(["Manis javanica", " Python regius ", ""]), "Class": "Mammalia",
            "Order": "Pholidota", "Family": "Manidae", "Genus": "Manis", "Term": rnd.choice(TERMS),
            "Quantity": rnd.choice(["1", "2.5", "1,000", "", "x", "NaN", "-3", " 7 "]), "Unit": rnd.choice(UNITS),
            "Importer": rnd.choice(PARTIES), "Exporter": rnd.choice(PARTIES), "Origin": rnd.choice(PARTIES),
            "Purpose": rnd.choice(["T", "Z", ""]), "Source": rnd.choice(["W", "C", "I", "K"]),
            "Reporter.type": rnd.choice(["E", "I", "i", "Q"]), "Import.permit.RandomID": "",
            "Export.permit.RandomID": rnd.choice(["", f"EP{i % 50}"]), "Origin.permit.RandomID": ""})
    return out


def _write(path: Path, rows: list[dict[str, str]], broken_at: int | None = None) -> Path:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(BULK_COLUMNS.values()), lineterminator="\n")
    w.writeheader()
    for i, r in enumerate(rows):
        w.writerow({BULK_COLUMNS[k]: v for k, v in _canon(r).items()})
        if i == broken_at:
            buf.write("X1,2001,II,too,many,columns,here,a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p\n")
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def _canon(r: dict[str, str]) -> dict[str, str]:
    names = {v: k for k, v in BULK_COLUMNS.items()}
    return {names[k]: v for k, v in r.items()}


def _load(tmp: Path, files: list[Path], threads: int) -> dict[str, Any]:
    con = connect(tmp / f"t{threads}.duckdb", threads=threads)
    res = load_paths(con, files)
    out = {"res": [(r.status, r.rows_in, r.rows_loaded, r.rows_rejected, r.records_written, r.reject_reasons,
                    r.warnings) for r in res],
           "records": con.execute('SELECT * EXCLUDE (load_id) FROM records ORDER BY ALL').fetchall(),
           "rejects": con.execute("SELECT * EXCLUDE (load_id) FROM rejects ORDER BY ALL").fetchall(),
           "warnings": con.execute("SELECT * EXCLUDE (load_id) FROM warnings ORDER BY ALL").fetchall(),
           "con": con}
    return out


def test_one_pass_bulk_load_is_the_file_row_for_row(tmp_path: Path) -> None:
    first = _rows(1500, 1, "A")
    second = _rows(900, 2, "A")  # same Ids as the first file: loaded before
    files = [_write(tmp_path / "a.csv", first, broken_at=700), _write(tmp_path / "b.csv", second)]
    one, four = _load(tmp_path, files, 1), _load(tmp_path, files, 4)
    for k in ("res", "records", "rejects", "warnings"):
        assert one[k] == four[k], k
    con = one["con"]
    codes = load_codes()
    for load_id, rows in ((1, first), (2, second)):
        recs = con.execute('SELECT "row", record_id, term, unit, term_raw, unit_raw FROM records '
                           "WHERE load_id = ?", [load_id]).fetchall()
        rejected = dict(con.execute('SELECT "row", raw FROM rejects WHERE load_id = ? AND "row" IS NOT NULL',
                                    [load_id]).fetchall())
        assert recs and rejected and not {r[0] for r in recs} & set(rejected)
        assert {r[0] for r in recs} | set(rejected) == set(range(1, len(rows) + 1))  # every row, once
        for row, rid, term, unit, term_raw, unit_raw in recs:
            src = rows[row - 1]
            assert rid == src["Id"]
            assert term_raw == (src["Term"].strip() or None) and unit_raw == (src["Unit"].strip() or None)
            assert term == codes.resolve("term", term_raw)[0]
            assert unit == codes.resolve("unit", unit_raw)[0]
        for row, raw in rejected.items():  # the raw text of each, those after the broken line too
            assert f'"Id":{"null" if not rows[row - 1]["Id"] else chr(34) + rows[row - 1]["Id"] + chr(34)}' in raw
        res = one["res"][load_id - 1]
        assert res[1] == res[2] + res[3] and res[2] == res[4] == len(recs)
        assert sum(res[5].values()) == res[3]
    reasons = one["res"][0][5] | one["res"][1][5]
    assert reasons["duplicate row (Id repeated in this file)"] and reasons["duplicate row (Id already loaded from "
                                                                          "another file)"]
    assert reasons["malformed CSV line: too many columns"] == 1


def test_a_file_with_no_id_column_is_numbered_alike_on_1_and_4_threads(tmp_path: Path) -> None:
    rows = _rows(1200, 3, "N")
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=[h for h in BULK_COLUMNS.values() if h != "Id"], lineterminator="\n")
    w.writeheader()
    for i, r in enumerate(rows):
        w.writerow({k: v for k, v in r.items() if k != "Id"})
        if i == 500:
            buf.write("2001,II,too,many,columns,here,a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p\n")
    path = tmp_path / "no_id.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    one, four = _load(tmp_path, [path], 1), _load(tmp_path, [path], 4)
    for k in ("res", "records", "rejects", "warnings"):
        assert one[k] == four[k], k
    con = one["con"]
    recs = con.execute('SELECT "row", record_id, year FROM records').fetchall()
    rejected = {r for (r,) in con.execute('SELECT "row" FROM rejects WHERE "row" IS NOT NULL').fetchall()}
    assert recs and rejected and not {r[0] for r in recs} & rejected
    assert {r[0] for r in recs} | rejected == set(range(1, len(rows) + 1))  # every row, once
    for row, rid, year in recs:
        assert rid == f"b1:{row}" and year == int(rows[row - 1]["Year"])
    assert one["res"][0][5]["malformed CSV line: too many columns"] == 1
