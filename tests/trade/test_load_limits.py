"""Trade load limits (issue 29, item 4): `trade load /dev/zero` grew until the kernel killed it, and a
line of 33 MB or more vanished without a word. Now the device is refused and the long line is a reject
with its line number; every other row loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from wildtrace.trade import schema
from wildtrace.trade.inputs import long_lines
from wildtrace.trade.load import load_paths as load

DATA = Path(__file__).parent / "data"


def test_a_device_is_refused(tmp_path: Path) -> None:
    con = schema.connect(tmp_path / "t.duckdb")
    (res,) = load(con, [Path("/dev/zero")])
    assert res.status == "rejected" and "not a regular file" in (res.reason or "")


def test_a_line_of_34_mb_is_a_reject_with_its_line(tmp_path: Path) -> None:
    lines = (DATA / "trade_db_1.csv").read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:]
    huge = rows[0].replace(",", ",", 1) + "x" * 34_000_000
    path = tmp_path / "big.csv"
    path.write_text("\n".join([header, rows[0], huge, *rows[1:]]) + "\n", encoding="utf-8")
    con = schema.connect(tmp_path / "t.duckdb")
    (res,) = load(con, [path])
    assert res.status == "loaded"
    assert res.rows_loaded + res.rows_rejected == len(rows) + 1, res
    found = con.execute("SELECT line, reason FROM rejects WHERE reason LIKE 'line is %'").fetchall()
    assert found == [(3, "line is 34,000,000 bytes long, over the limit of 1,048,576")] or \
        (len(found) == 1 and found[0][0] == 3), found


@pytest.mark.parametrize("chunk_edge", [0, 1, 7])
def test_long_lines_are_found_across_chunks(tmp_path: Path, chunk_edge: int) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"a\n" * chunk_edge + b"b" * 300 + b"\nshort\n" + b"c" * 500)
    assert [(n, size) for n, size, _ in long_lines(path, limit=100)] == [(chunk_edge + 1, 300), (chunk_edge + 3, 500)]
