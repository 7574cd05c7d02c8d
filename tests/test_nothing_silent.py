"""Small silences found by trying the tool as a new user (issue 29, item 11): each now says so."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from click.testing import CliRunner

from wildtrace.cli import cli, load_commands


def _run(args: list[str], tmp_path: Path, stdin: str = "") -> tuple[int, str, str]:
    load_commands()
    r = CliRunner().invoke(cli, args, input=stdin, env={"WILDTRACE_DATA_DIR": str(tmp_path / "data")})
    assert "Traceback" not in r.stderr, r.stderr
    return r.exit_code, r.stdout, r.stderr


def test_trade_load_of_an_empty_folder_says_so(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    code, _, err = _run(["trade", "load", str(tmp_path / "empty"), "--db", str(tmp_path / "t.duckdb")], tmp_path)
    assert code == 2 and "no files to load" in err, err


def test_a_missing_ocr_image_is_said_on_stderr(tmp_path: Path) -> None:
    images = tmp_path / "images"
    images.mkdir()
    code, out, err = _run(["scan", "-", "--rules-only", "--ocr-images", str(images)], tmp_path,
                          '{"id": "i1", "title": "ivory", "images": ["gone.png"]}\n')
    assert code == 0 and out.strip() and "image not read: gone.png" in err, err


def test_lexicon_list_of_a_version_not_reached_is_one_line(tmp_path: Path) -> None:
    for term in ("white gold", "snow flakes"):
        assert _run(["lexicon", "add", term, "--means-product", "ivory products", "--author", "ana"], tmp_path)[0] == 0
    code, out, err = _run(["lexicon", "list", "--version", "3"], tmp_path)
    assert code == 2 and out == "" and "no version 3; it is at v2" in err, err
    assert _run(["lexicon", "list", "--version", "2"], tmp_path)[0] == 0


def test_lexicon_export_guards_formulas(tmp_path: Path) -> None:
    assert _run(["lexicon", "add", "=HYPERLINK(\"http://x\")", "--means-product", "ivory products",
                 "--author", "ana", "--note", "@SUM(1)"], tmp_path)[0] == 0
    code, out, _ = _run(["lexicon", "export", "--format", "csv"], tmp_path)
    row = list(csv.DictReader(io.StringIO(out)))[0]
    assert code == 0 and row["term"].startswith("'=") and row["note"].startswith("'@"), row


def test_a_case_named_2_is_found_by_its_name(tmp_path: Path) -> None:
    db = ["--db", str(tmp_path / "w.sqlite")]
    assert _run(["case", "create", "first", "--title", "First", *db], tmp_path)[0] == 0
    assert _run(["case", "create", "second", "--title", "Second", *db], tmp_path)[0] == 0
    assert _run(["case", "create", "1", "--title", "Named one", *db], tmp_path)[0] == 0
    code, out, _ = _run(["case", "show", "1", "--json", *db], tmp_path)
    assert code == 0 and '"title": "Named one"' in out, out
