"""The local lexicon in the store, on every backend: versions, history, the JSON Lines log of
before imported once, and what the scanner gets through ``plugins.lexicons["local"]``."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from wildtrace import plugins
from wildtrace.errors import ConfigError, DataError
from wildtrace.settings import Settings
from wildtrace.store.lexicon import LocalLexicon


def test_versions_history_and_export(db_url: str) -> None:
    with LocalLexicon(db_url) as lex:
        assert lex.add("white plastic carving", author="ana", note="12 ads") == 1
        assert lex.add("ox bone", context_required=True, author="bob") == 2
        with pytest.raises(ConfigError, match="already"):
            lex.add("Ox Bone")
        with pytest.raises(ConfigError, match="not in"):
            lex.remove("nothing here")
        with pytest.raises(ConfigError, match="unknown kind"):
            lex.add("zz top", kind="bogus")
        assert lex.remove("ox bone", author="ana") == 3
    with LocalLexicon(db_url) as lex:  # reopened: the history is all there
        assert [t.term for t in lex.terms()[1]] == ["white plastic carving"]
        version, terms = lex.terms(version=2)
        assert version == 2 and [(t.term, t.context_required) for t in terms] == [
            ("ox bone", True), ("white plastic carving", False)]
        assert [c["op"] for c in lex.changes()] == ["add", "add", "remove"]
        csv_text = lex.export()
        assert csv_text.splitlines()[0].startswith("term,lang,means_product,means_taxon,context_required")
        assert "local lexicon v3, added by ana" in csv_text
        assert json.loads(lex.export("jsonl", version=1))["note"] == "12 ads"


def test_two_writers_at_once_get_distinct_versions(db_url: str) -> None:
    errors: list[BaseException] = []

    def add(prefix: str) -> None:
        try:
            with LocalLexicon(db_url) as lex:
                for i in range(5):
                    lex.add(f"{prefix} term {i}", author=prefix)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    LocalLexicon(db_url).close()  # migrate once, before the writers race
    threads = [threading.Thread(target=add, args=(p,)) for p in ("ana", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with LocalLexicon(db_url) as lex:
        assert [c["version"] for c in lex.changes()] == list(range(1, 11))
        assert len(lex.terms()[1]) == 10


def _old_log(path: Path) -> bytes:
    lines = [{"version": 1, "op": "add", "term": "white gold", "kind": "code_word", "lang": "en",
              "means_product": "ivory products", "means_taxon": None, "context_required": False,
              "author": "ana", "note": "seen in 12 ads", "at": "2026-01-02T03:04:05Z"},
             {"version": 2, "op": "add", "term": "ox bone", "kind": "code_word", "lang": "und",
              "means_product": None, "means_taxon": None, "context_required": True, "author": "bob",
              "note": None, "at": "2026-01-03T03:04:05Z"},
             {"version": 3, "op": "remove", "term": "ox bone", "author": "bob", "note": "noise",
              "at": "2026-01-04T03:04:05Z"}]
    data = "".join(json.dumps(line) + "\n" for line in lines).encode()
    path.write_bytes(data)
    return data


def test_the_old_log_is_imported_once_with_its_versions(db_url: str, tmp_path: Path) -> None:
    old = tmp_path / "local_lexicon.jsonl"
    data = _old_log(old)
    with LocalLexicon(db_url, legacy=old) as lex:
        assert [t.term for t in lex.terms()[1]] == ["white gold"]
        assert [t.term for t in lex.terms(version=2)[1]] == ["ox bone", "white gold"]
        assert lex.add("zebrawood", author="cy") == 4
    with LocalLexicon(db_url, legacy=old) as lex:
        assert [c["version"] for c in lex.changes()] == [1, 2, 3, 4], "imported once"
    assert old.read_bytes() == data, "the old log is never changed"


def test_a_bad_line_in_the_old_log_is_named(db_url: str, tmp_path: Path) -> None:
    old = tmp_path / "local_lexicon.jsonl"
    old.write_text('{"version": 1, "op": "add", "term": "white gold"}\n{"op": "rename"}\n')
    with pytest.raises(DataError, match="line 2"):
        LocalLexicon(db_url, legacy=old)


def test_the_scanner_s_share_and_its_stamp(db_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", db=db_url)
    load = plugins.lexicons.get("local")
    assert load(settings) == ([], {}, {}), "an empty lexicon adds nothing and stamps nothing"
    with LocalLexicon.for_settings(settings) as lex:
        lex.add("zebrawood bangle", means_product="ivory products", author="ana")
        lex.add("for collectors only", kind="sale_cue", author="ana")
    entries, codes, stamp = load(settings)
    assert sorted((e.kind, e.term) for e in entries) == [("code_word", "zebrawood bangle"),
                                                          ("sale_cue", "for collectors only")]
    assert codes["zebrawood bangle"].means_product == "ivory products"
    assert stamp["local_lexicon"].startswith("v2 ")
    with LocalLexicon.for_settings(settings) as lex:
        lex.remove("for collectors only", author="bob")
    assert load(settings)[2] != stamp, "the stamp changes with the lexicon"


def test_the_old_log_alone_is_scanned_after_import(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    _old_log(settings.local_lexicon)
    entries, _, stamp = plugins.lexicons.get("local")(settings)
    assert [e.term for e in entries] == ["white gold"] and stamp["local_lexicon"].startswith("v3 ")
    assert settings.db_path.exists(), "imported into the default database"


def test_no_local_lexicon_touches_no_database(tmp_path: Path) -> None:
    code = ("import sys; from pathlib import Path; from wildtrace.settings import Settings; "
            "from wildtrace.lexicons import local as for_settings; "
            "s = Settings(data_dir=Path(sys.argv[1])); "
            "assert for_settings(s) == ([], {}, {}); "
            "assert 'sqlalchemy' not in sys.modules, 'SQLAlchemy was imported'; "
            "assert not s.db_path.exists(), 'a database was made'")
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path / "data")], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr


def test_lexicon_commands_on_either_backend(db_url: str, tmp_path: Path) -> None:
    from wildtrace.cli import cli, load_commands

    load_commands()
    env = {"WILDTRACE_DATA_DIR": str(tmp_path / "data")}
    run = CliRunner().invoke
    res = run(cli, ["lexicon", "add", "totoaba maw", "--author", "ana", "--db", db_url], env=env)
    assert res.exit_code == 0 and "v1" in res.output, res.output
    res = run(cli, ["lexicon", "remove", "totoaba maw", "--author", "ana", "--db", db_url], env=env)
    assert res.exit_code == 0 and "v2" in res.output, res.output
    res = run(cli, ["lexicon", "list", "--version", "1", "--db", db_url], env=env)
    assert json.loads(res.stdout.splitlines()[0])["term"] == "totoaba maw", res.output
    res = run(cli, ["lexicon", "export", "--format", "jsonl", "--db", db_url], env=env)
    assert res.exit_code == 0 and res.stdout == "", res.output
    assert not (tmp_path / "data" / "local_lexicon.jsonl").exists(), "nothing is written to the old log"
