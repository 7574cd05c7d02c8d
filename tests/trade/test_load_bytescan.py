"""The bytes pass before a trade load (``bytescan.scan``): its hash is the file's SHA-256, it
never misses a line over the limit, and it never calls a file unpadded when DuckDB would read
a field that trim() changes (or a blank one), whatever the separator, quoting, line ends or
spaces, also where they fall on the edge of a block. A file it calls unpadded loads without
the trims, and must load exactly as its padded twin does.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import duckdb
import pytest

from wildtrace.provenance import sha256_file
from wildtrace.trade.bytescan import LEAD, TRAIL, scan
from wildtrace.trade.detect import sniff
from wildtrace.trade.inputs import long_lines
from wildtrace.trade.load import load_paths
from wildtrace.trade.schema import BULK_COLUMNS, connect
from wildtrace.trade.stage import read_csv

# what DuckDB's trim() removes (all of Zs), and look-alikes it keeps
SPACES = [" ", "\u00a0", "\u1680", "\u2000", "\u2005", "\u200a", "\u202f", "\u205f", "\u3000"]
KEPT = ["\t", "\u200b", "\ufeff", "\u0085", "é", "\u2019", "\u00ad", "x"]


def _field(rnd: random.Random, delim: str) -> str:
    word = rnd.choice(["Manis", "kg", "", "12", "a b", f"a{delim}b", 'say "hi"', "écailles", "x\ny"])
    if rnd.random() < 0.15:
        word = rnd.choice(SPACES) + word
    if rnd.random() < 0.15:
        word = word + rnd.choice(SPACES)
    if rnd.random() < 0.2:
        word = rnd.choice(KEPT) + word + rnd.choice(KEPT)
    return word


def _write(path: Path, rnd: random.Random, delim: str, rows: int, padded_ok: bool) -> None:
    end = rnd.choice(["\n", "\r\n"])
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=delim, lineterminator=end,
                       quoting=rnd.choice([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
        w.writerow(["a", "b", "c", "d"])
        for _ in range(rows):
            row = [_field(rnd, delim) for _ in range(4)]
            if not padded_ok:
                row = [v.strip("".join(SPACES)) or "v" for v in row]
            w.writerow(row)
        if rnd.random() < 0.3:
            fh.write(delim.join(["long" * rnd.randint(10, 60)] * 4) + end)


def _reads_padded(path: Path, delim: str) -> bool:
    """DuckDB's own answer: does the load's reader give any field that trim() changes, or ''?"""
    con = duckdb.connect()
    cond = " OR ".join(f"c{i} <> trim(c{i}) OR c{i} = ''" for i in range(4))
    found = con.execute(f"SELECT coalesce(bool_or({cond}), false) FROM "
                        f"{read_csv(path, ['a', 'b', 'c', 'd'], delim)}").fetchall()[0][0]
    con.close()
    return bool(found)


@pytest.mark.parametrize("seed", range(40))
def test_scan_never_misses_padding_or_long_lines(tmp_path: Path, seed: int) -> None:
    rnd = random.Random(seed)
    delim = rnd.choice([",", ";", "\t", "|"])
    path = tmp_path / "f.csv"
    _write(path, rnd, delim, rnd.randint(1, 60), padded_ok=seed % 2 == 0)
    assert sniff(path)[2] == delim
    limit = rnd.choice([40, 64, 101, 256, 1 << 20])  # small limits: small blocks, many block edges
    got = scan(path, delim, limit=limit)
    assert got.sha256 == sha256_file(path)
    if long_lines(path, limit):
        assert got.maybe_long
    if _reads_padded(path, delim):
        assert got.padded


@pytest.mark.parametrize("space", SPACES)
def test_a_space_on_a_block_edge_is_found(tmp_path: Path, space: str) -> None:
    """One padded field, its space just before or after each block edge: found every time."""
    for at in range(1, 40):
        for before in (True, False):
            path = tmp_path / "f.csv"
            body = "a,b\n" + "x" * at + ","
            body += (space + "v" if before else "v" + space) + "\nw,z\n"
            path.write_text(body, encoding="utf-8")
            assert scan(path, ",", limit=64).padded, (at, before)
    clean = tmp_path / "clean.csv"
    clean.write_text("a,b\nManis javanica,x y\n\"q,r\",\"s\"\"t\"\n", encoding="utf-8")
    assert not scan(clean, ",", limit=64).padded
    assert not scan(clean, ",").padded


def test_an_unpadded_file_loads_as_its_padded_twin(tmp_path: Path) -> None:
    """The same rows, once as they are and once padded with space separators (a file that
    takes the trimming reader): the same records, rejects and warnings."""
    rnd = random.Random(3)
    head = list(BULK_COLUMNS.values())
    rows = []
    for i in range(400):
        rows.append([f"T{i % 390}", rnd.choice(["2010", "1960", "x", ""]), "II", rnd.choice(["Manis javanica", ""]),
                     "Mammalia", "Pholidota", "Manidae", "Manis", rnd.choice(["live", "écailles", "", "LIV", "odd"]),
                     rnd.choice(["1", "1,000", "", "NaN", "-2"]), rnd.choice(["kg", "", "Number of specimens"]),
                     rnd.choice(["US", "cn", "XX", ""]), rnd.choice(["FR", "ZZ"]), "", rnd.choice(["T", "q"]), "W",
                     rnd.choice(["E", "I", "i", "Q"]), "", rnd.choice(["", "EP1"]), ""])
    out = []
    for name, pad in (("clean", False), ("padded", True)):
        path = tmp_path / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(head)
            for r in rows:
                w.writerow([rnd.choice(SPACES) + v + rnd.choice(SPACES) if pad and v else v for v in r])
        assert scan(path, ",").padded is pad
        con = connect(tmp_path / f"{name}.duckdb")
        (res,) = load_paths(con, [path])
        out.append((res.rows_loaded, res.rows_rejected, res.reject_reasons, res.warnings,
                    con.execute("SELECT * EXCLUDE (load_id) FROM records ORDER BY ALL").fetchall(),
                    con.execute('SELECT "row", line, reason FROM rejects ORDER BY ALL').fetchall(),
                    con.execute("SELECT * EXCLUDE (load_id) FROM warnings ORDER BY ALL").fetchall()))
        con.close()
    assert out[0][0] and out[0][1]
    assert out[0] == out[1]


def test_duckdb_trims_exactly_the_space_separators_the_scan_knows() -> None:
    """The scan's byte tables stand for what DuckDB's trim() removes: checked over every code
    point, so a DuckDB that trims more (tabs, say) fails here, not silently in a load."""
    con = duckdb.connect()
    trimmed = con.execute("""SELECT list(i ORDER BY i) FROM range(1, 1114112) t(i)
        WHERE (i < 55296 OR i > 57343)
          AND (trim(chr(i::INTEGER) || 'x') = 'x' OR trim('x' || chr(i::INTEGER)) = 'x')""").fetchall()[0][0]
    con.close()
    assert [chr(i) for i in trimmed] == sorted(SPACES + ["\u2001", "\u2002", "\u2003", "\u2004", "\u2006",
                                                        "\u2007", "\u2008", "\u2009"])
    for ch in map(chr, trimmed):
        raw = ch.encode("utf-8")
        assert LEAD[raw[0]] and TRAIL[raw[-1]], hex(ord(ch))
