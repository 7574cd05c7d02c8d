"""Species+ import limits (issue 29, item 4): a gzip bomb, a huge field or too many rows end in one
clear line; the checklist already there stays whole, and no temporary file is left behind."""

from __future__ import annotations

import gzip
from pathlib import Path

from click.testing import CliRunner

from wildtrace.cli import cli, load_commands

FIXTURE = Path(__file__).parent / "fixtures" / "species_plus_sample.csv"


def _import(path: Path, data: Path, **env: str) -> tuple[int, str]:
    load_commands()
    r = CliRunner().invoke(cli, ["data", "import-cites", str(path)],
                           env={"WILDTRACE_DATA_DIR": str(data), **env})
    assert "Traceback" not in r.stderr, r.stderr
    return r.exit_code, r.stderr


def test_a_gzip_bomb_stops_at_the_byte_limit_and_keeps_the_old_checklist(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert _import(FIXTURE, data)[0] in (0, 3)  # the sample holds one row it rejects on purpose
    checklist = data / "cites_checklist.jsonl"
    before = checklist.read_bytes()
    header = FIXTURE.read_text(encoding="utf-8").splitlines()[0] + "\n"
    bomb = tmp_path / "export.csv.gz"
    bomb.write_bytes(gzip.compress(header.encode() + b"x" * 30_000_000, compresslevel=9))
    assert bomb.stat().st_size < 200_000
    code, err = _import(bomb, data, WILDTRACE_SPECIES_PLUS_MAX_BYTES="5000000")
    assert code == 1 and len(err.strip().splitlines()) == 1 and "5,000,000 bytes" in err, err
    assert checklist.read_bytes() == before
    assert sorted(p.name for p in data.iterdir()) == ["cites_checklist.jsonl"], "no temporary file left"


def test_a_huge_cell_rejects_its_row_and_the_rest_import(tmp_path: Path) -> None:
    lines = FIXTURE.read_text(encoding="utf-8").splitlines()
    bad = lines[1].replace("Giant Ground Pangolin", "x" * 200_000)
    path = tmp_path / "big.csv"
    path.write_text("\n".join([lines[0], bad, *lines[2:]]) + "\n", encoding="utf-8")
    code, err = _import(path, tmp_path / "data")
    assert code in (0, 3), err
    assert "over the limit of 20,000 characters" in err and "line 2" in err, err
    checklist = (tmp_path / "data" / "cites_checklist.jsonl").read_text()
    assert "Smutsia gigantea" not in checklist and "Testudinidae" in checklist


def test_too_many_rows_is_one_line(tmp_path: Path) -> None:
    code, err = _import(FIXTURE, tmp_path / "data", WILDTRACE_SPECIES_PLUS_MAX_ROWS="2")
    assert code == 1 and len(err.strip().splitlines()) == 1 and "over 2 rows" in err, err
    assert not (tmp_path / "data" / "cites_checklist.jsonl").exists()
