"""``trade … --db`` on a file that is not a trade database (issue 29, item 11): the scan's SQLite
database made DuckDB try to download an extension; a text file ended in a traceback. Now one line,
exit 2, and the file is left as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from wildtrace.cli import cli, load_commands
from wildtrace.store.sql import SQLStore


def _run(args: list[str], tmp_path: Path) -> tuple[int, str]:
    load_commands()
    r = CliRunner().invoke(cli, args, env={"WILDTRACE_DATA_DIR": str(tmp_path / "data")})
    assert "Traceback" not in r.stderr, r.stderr
    return r.exit_code, r.stderr


@pytest.mark.parametrize("command", [["trade", "reconcile"], ["trade", "trends"], ["trade", "load", "{x}"]])
def test_the_scan_database_is_not_a_trade_database(tmp_path: Path, command: list[str]) -> None:
    scan_db = tmp_path / "scans.sqlite"
    SQLStore(scan_db).close()
    before = scan_db.read_bytes()
    (tmp_path / "x.csv").write_text("Id,Year\n1,2020\n")
    command = [c.replace("{x}", str(tmp_path / "x.csv")) for c in command]
    code, err = _run([*command, "--db", str(scan_db)], tmp_path)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "SQLite" in err, err
    assert scan_db.read_bytes() == before


def test_a_text_file_is_not_a_trade_database(tmp_path: Path) -> None:
    text = tmp_path / "notes.duckdb"
    text.write_text("these are my notes\n" * 10)
    code, err = _run(["trade", "reconcile", "--db", str(text)], tmp_path)
    assert code == 2 and "not a DuckDB file" in err, err
    assert text.read_text() == "these are my notes\n" * 10
