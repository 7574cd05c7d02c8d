"""``wildtrace lexicon import`` and ``lexicon export --format terms``: the real commands through
click's runner over a real SQLite store in tmp_path. Rejected rows are one line each on stderr
and exit 3; a file that is no term list is one line and exit 2, never a traceback; a dry run
writes nothing, not even a database; an export re-imports to the same lexicon."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from wildtrace.cli import EXIT_REJECTS, cli, load_commands

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "terms.csv"
Run = Callable[..., Result]


@pytest.fixture
def run(tmp_path: Path) -> Run:
    load_commands()
    env: dict[str, str | None] = {"WILDTRACE_DATA_DIR": str(tmp_path / "data"), "WILDTRACE_DB": None}

    def invoke(*args: str) -> Result:
        res = CliRunner().invoke(cli, list(args), env=env)
        assert res.exception is None or isinstance(res.exception, SystemExit), res.exc_info
        assert "Traceback" not in res.output, res.output
        return res

    return invoke


def _terms(run: Run, db: Path) -> list[dict[str, object]]:
    res = run("lexicon", "list", "--db", str(db))
    assert res.exit_code == 0, res.output
    return [json.loads(line) for line in res.stdout.splitlines()]


def test_import_the_example_then_list_it(run: Run, tmp_path: Path) -> None:
    db = tmp_path / "w.sqlite"
    res = run("lexicon", "import", str(EXAMPLE), "--author", "ana", "--db", str(db))
    assert res.exit_code == 0, res.output
    assert "5 rows read: 5 imported, 0 rejected; local lexicon v5" in res.stdout
    terms = _terms(run, db)
    assert {t["term"]: t["means_taxon"] for t in terms}["vảy tê tê rang"] == "Manis javanica"
    assert {t["author"] for t in terms} == {"ana"}


def test_rejected_rows_are_named_one_line_each_and_exit_3(run: Run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("Term;Language;Taxon;Product;Note;Seen on\n"
                   "ox bone netsuke;en;Elephantidae;ivory products;good;x\n"
                   "pangolin;en;;;built-in;x\n"
                   "unknown taxon;en;Manis imaginaria;;;x\n"
                   "\x1b[2Jwipe\x07;en;;;;x\n", encoding="utf-8")
    db, rejects = tmp_path / "w.sqlite", tmp_path / "rejects.jsonl"
    res = run("lexicon", "import", str(bad), "--db", str(db), "--rejects", str(rejects))
    assert res.exit_code == EXIT_REJECTS, res.output
    lines = [ln for ln in res.stderr.splitlines() if "rejected:" in ln]
    assert [ln.split(": rejected:")[0].rsplit(" ", 1)[-1] for ln in lines] == ["3", "4", "5"], lines
    assert "columns ignored: Seen on" in res.stderr
    assert "\x1b" not in res.stderr, "hostile text never reaches the terminal raw"
    assert [json.loads(x)["line"] for x in rejects.read_text().splitlines()] == [3, 4, 5]
    assert "1 imported, 3 rejected" in res.stdout
    assert [t["term"] for t in _terms(run, db)] == ["ox bone netsuke"]


def test_a_dry_run_writes_nothing(run: Run, tmp_path: Path) -> None:
    db = tmp_path / "w.sqlite"
    res = run("lexicon", "import", str(EXAMPLE), "--dry-run", "--json", "--db", str(db))
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["dry_run"] and len(report["imported"]) == 5 and report["rejects"] == []
    assert not db.exists() and not (tmp_path / "data").exists(), "a dry run creates no database"
    run("lexicon", "import", str(EXAMPLE), "--db", str(db))
    res = run("lexicon", "import", str(EXAMPLE), "--dry-run", "--db", str(db))
    assert res.exit_code == EXIT_REJECTS and "already in the local lexicon" in res.stderr
    assert len(_terms(run, db)) == 5


@pytest.mark.parametrize(("content", "message"), [
    (None, "no such file"),
    (b"id,title\n1,ivory\n", "no term-list header"),
    (b"PK\x03\x04xlsx", "save the sheet as CSV"),
])
def test_a_file_that_is_no_term_list_is_one_line_and_exit_2(run: Run, tmp_path: Path,
                                                             content: bytes | None, message: str) -> None:
    path = tmp_path / "in.csv"
    if content is not None:
        path.write_bytes(content)
    res = run("lexicon", "import", str(path), "--db", str(tmp_path / "w.sqlite"))
    assert res.exit_code == 2, res.output
    assert res.stderr.count("\n") == 1 and message in res.stderr, res.stderr
    assert not (tmp_path / "w.sqlite").exists(), "a file that is no term list opens no database"


def test_export_terms_reimports_to_the_same_lexicon(run: Run, tmp_path: Path) -> None:
    first, second, out = tmp_path / "a.sqlite", tmp_path / "b.sqlite", tmp_path / "terms_out.csv"
    run("lexicon", "import", str(EXAMPLE), "--db", str(first))
    run("lexicon", "add", "=cmd|' /C calc'!A0", "--kind", "sale_cue", "--db", str(first))
    res = run("lexicon", "export", "--format", "terms", "-o", str(out), "--db", str(first))
    assert res.exit_code == 0, res.output
    assert out.read_text(encoding="utf-8").splitlines()[0] == \
        "term,language,taxon,product,note,kind,context_required,source"
    assert "'=cmd" in out.read_text(encoding="utf-8"), "formula guarded"
    res = run("lexicon", "import", str(out), "--db", str(second))
    assert res.exit_code == 0, res.output

    def meaning(db: Path) -> list[tuple[object, ...]]:
        return [(t["term"], t["kind"], t["lang"], t["means_product"], t["means_taxon"], t["context_required"],
                 t["note"]) for t in _terms(run, db)]

    assert meaning(second) == meaning(first) and len(meaning(first)) == 6


def test_export_all_and_its_format(run: Run, tmp_path: Path) -> None:
    db = tmp_path / "w.sqlite"
    res = run("lexicon", "export", "--all", "--db", str(db))
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("term,language,") and "Manis javanica,und,Manis javanica" in res.stdout
    res = run("lexicon", "export", "--all", "--format", "jsonl", "--db", str(db))
    assert res.exit_code == 2 and "--all writes a term list" in res.stderr
