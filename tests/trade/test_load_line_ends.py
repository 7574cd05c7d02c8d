"""Trade load: line ends and long lines, one reject per line that cannot be read.

A CRLF file with one line ending in LF alone (or a lone CR) made DuckDB's reader refuse the
whole file, so the load raised and no row of it (nor of the files after it) loaded. A line of
1 to 33 MB was rejected as too long and also read: as a row (up to 2 MB), or as a second reject
with no reason (over 2 MB)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from wildtrace.trade import schema
from wildtrace.trade.inputs import MAX_LINE_BYTES
from wildtrace.trade.load import load_paths

DATA = Path(__file__).parent / "data"
LINES = (DATA / "trade_db_1.csv").read_text(encoding="utf-8").splitlines()
HEADER, ROWS = LINES[0], LINES[1:]


def records(con: duckdb.DuckDBPyConnection, load_id: int | None) -> list[tuple[object, ...]]:
    return con.execute("""SELECT * EXCLUDE (load_id) FROM records WHERE load_id = ? ORDER BY "row" """,
                       [load_id]).fetchall()


def rejects(con: duckdb.DuckDBPyConnection, load_id: int | None) -> list[tuple[object, ...]]:
    return con.execute("""SELECT "row", line, reason, raw FROM rejects WHERE load_id = ?
                          ORDER BY "row", line, reason""", [load_id]).fetchall()


@pytest.mark.parametrize("odd", [0, 3, 27])
def test_a_crlf_file_with_one_lf_line_loads_every_row(tmp_path: Path, odd: int) -> None:
    """Line ``odd`` (of the file's lines, the header 0) ends in LF alone: read as a line end, the
    rows load as the LF file's do, and a warning says so; the next file still loads. (DuckDB
    refuses such a file when the LF follows a field's text, as on these lines; after a
    separator it reads it.)"""
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes("".join(line + ("\n" if i == odd else "\r\n") for i, line in enumerate(LINES)).encode())
    plain = tmp_path / "plain.csv"
    plain.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    want = schema.connect(tmp_path / "want.duckdb")
    (base,) = load_paths(want, [plain])
    con = schema.connect(tmp_path / "t.duckdb")
    res, after = load_paths(con, [mixed, DATA / "comparative_tabulation.csv"])
    assert res.status == "loaded" and after.status == "loaded", (res, after)
    assert (res.rows_in, res.rows_loaded, res.rows_rejected) == (base.rows_in, base.rows_loaded, base.rows_rejected)
    assert res.rows_in == len(ROWS)
    assert records(con, res.load_id) == records(want, base.load_id)
    assert rejects(con, res.load_id) == rejects(want, base.load_id)
    assert f"mixed line ends ({len(ROWS):,} lines end in CRLF, 1 in LF alone): both read as line ends" in res.warnings


def test_a_line_with_a_lone_cr_is_one_reject_with_its_line(tmp_path: Path) -> None:
    """An LF file whose fourth line holds a CR in a field: that line is a reject naming its line
    and why; every other row loads."""
    lines = list(LINES)
    lines[3] = lines[3].replace("Python", "Pyt\rhon", 1)
    path = tmp_path / "cr.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode())
    con = schema.connect(tmp_path / "t.duckdb")
    (res,) = load_paths(con, [path])
    assert res.status == "loaded", res
    assert res.rows_in == len(ROWS) and res.rows_rejected == 1 and res.rows_loaded == len(ROWS) - 1, res
    found = con.execute("SELECT line, reason, raw FROM rejects").fetchall()
    assert len(found) == 1 and found[0][0] == 4 and found[0][2] == lines[3], found
    assert "carriage return" in found[0][1], found
    assert not any("mixed line ends" in w for w in res.warnings)


@pytest.mark.parametrize("size", [1_500_000, 3_000_000])
def test_a_long_line_is_one_reject_with_a_reason(tmp_path: Path, size: int) -> None:
    """A line over the limit but under DuckDB's 33 MB buffer: one reject (its length said), no
    record, and the counts add up to the file's lines."""
    huge = "9999999" + ROWS[0][ROWS[0].index(","):] + "x" * size
    path = tmp_path / "big.csv"
    path.write_text("\n".join([HEADER, ROWS[0], huge, *ROWS[1:]]) + "\n", encoding="utf-8")
    con = schema.connect(tmp_path / "t.duckdb")
    (res,) = load_paths(con, [path])
    assert res.status == "loaded", res
    found = con.execute("SELECT line, reason FROM rejects").fetchall()
    length = len(huge.encode())
    assert found == [(3, f"line is {length:,} bytes long, over the limit of {MAX_LINE_BYTES:,}")], found
    assert con.execute("SELECT count(*) FROM records WHERE record_id = '9999999'").fetchall() == [(0,)]
    assert (res.rows_in, res.rows_loaded, res.rows_rejected) == (len(ROWS) + 1, len(ROWS), 1), res
    assert res.reject_reasons == {found[0][1]: 1}


@pytest.mark.parametrize("end", ["\n", "\r\n"])
@pytest.mark.parametrize("extra", [-1, 0, 1])
def test_a_line_at_the_limit_is_loaded_or_rejected_never_both(tmp_path: Path, end: str, extra: int) -> None:
    """Lines of the limit's length, a byte less or more (a CR counted, as ``long_lines`` counts
    it): each is a record or a reject, once."""
    head = "9999999" + ROWS[0][ROWS[0].index(","):]
    huge = head + "x" * (MAX_LINE_BYTES + extra - len(head) - len(end) + 1)
    path = tmp_path / "edge.csv"
    path.write_bytes(end.join([HEADER, ROWS[0], huge, *ROWS[1:]]).encode() + end.encode())
    con = schema.connect(tmp_path / "t.duckdb")
    (res,) = load_paths(con, [path])
    loaded = con.execute("SELECT count(*) FROM records WHERE record_id = '9999999'").fetchall()[0][0]
    long = con.execute("SELECT count(*) FROM rejects WHERE line = 3").fetchall()[0][0]
    assert (loaded, long) == ((1, 0) if extra <= 0 else (0, 1)), (res, loaded, long)
    assert res.rows_in == len(ROWS) + 1 and res.rows_rejected == long, res
