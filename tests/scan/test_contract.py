"""The public contract: `wildtrace scan [INPUT] [-o OUT] [--format jsonl|csv]` and its field names."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from wildtrace.cli import cli, load_commands
from wildtrace.scan.result import (
    INTENTS,
    MATCH_FIELDS,
    OPTIONAL_FIELDS,
    RESULT_FIELDS,
    SPECIMENS,
    TAXON_FIELDS,
    VERDICTS,
)

load_commands()

LISTINGS = [
    {"id": "a1", "title": "Vảy tê tê giá tốt", "text": "Liên hệ Zalo 0987 654 321", "price": "2500000",
     "currency": "VND", "seller": "x", "shop_score": 4.9},
    {"id": "a2", "title": "Cute shark plush toy", "price": "15"},
    {"id": "a3", "title": "iPhone 13, good condition"},
]


def _jsonl(rows: list[dict]) -> str:  # type: ignore[type-arg]
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def run(args: list[str], stdin: str = "", env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, args, input=stdin, env=env, catch_exceptions=False)


def test_field_names_are_pinned() -> None:
    assert RESULT_FIELDS == ("id", "verdict", "wildlife_score", "risk_score", "specimen", "intent", "taxa",
                             "product_types", "lang", "matches", "reasons", "model", "input_sha256", "scanned_at",
                             "listing")
    assert TAXON_FIELDS == ("scientific_name", "rank", "class", "order", "family", "common_name", "cites_appendix")
    assert set(MATCH_FIELDS) >= {"term", "span", "field", "kind"}
    assert VERDICTS == ("wildlife_offer", "depiction_or_faux", "not_wildlife")
    assert OPTIONAL_FIELDS == ("ocr", "reason_codes")


def test_jsonl_from_stdin(tmp_path: Path) -> None:
    result = run(["scan"], _jsonl(LISTINGS), env={"WILDTRACE_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == ["a1", "a2", "a3"]
    for r in rows:
        assert tuple(r) == (*RESULT_FIELDS, "reason_codes"), "ocr appears only when asked for"
        assert "model.text" not in [c["code"] for c in r["reason_codes"]], r["reason_codes"]
        assert len(r["reason_codes"]) == len(r["reasons"]), "one code per reason, in order"
        assert r["verdict"] in VERDICTS
        assert 0 <= r["wildlife_score"] <= 1 and 0 <= r["risk_score"] <= 1
        assert tuple(r["specimen"]) == tuple(r["intent"]) == ("value", "score", "matches")
        assert r["specimen"]["value"] in SPECIMENS and r["intent"]["value"] in INTENTS
        assert 0 <= r["specimen"]["score"] <= 1 and 0 <= r["intent"]["score"] <= 1
        # by default the scan is the rules alone (the shipped text model is opt-in: docs/learn.md)
        assert r["model"]["name"] == "wildtrace-rules" and r["model"]["version"]
        assert "text_model" not in r["model"]
        assert len(r["input_sha256"]) == 64
        for t in r["taxa"]:
            assert tuple(t)[: len(TAXON_FIELDS)] == TAXON_FIELDS
        for m in r["matches"]:
            assert tuple(m) == MATCH_FIELDS
            start, end = m["span"]
            source = r["listing"].get(m["field"])
            if m["field"] != "price":
                assert source[start:end] == m["term"], m
    a1, a2, a3 = rows
    assert a1["verdict"] == "wildlife_offer" and a1["lang"] == "vi"
    assert a1["listing"]["shop_score"] == 4.9, "unknown fields pass through"
    assert "scales or spines" in a1["product_types"]
    assert a2["verdict"] == "depiction_or_faux"
    assert a3["verdict"] == "not_wildlife" and a3["taxa"] == []
    assert a1["risk_score"] > a2["risk_score"] and a1["risk_score"] > a3["risk_score"]


def test_same_input_gives_same_hash_and_result(tmp_path: Path) -> None:
    env = {"WILDTRACE_DATA_DIR": str(tmp_path)}
    one = [json.loads(x) for x in run(["scan"], _jsonl(LISTINGS), env).stdout.splitlines()]
    two = [json.loads(x) for x in run(["scan"], _jsonl(LISTINGS), env).stdout.splitlines()]
    for a, b in zip(one, two, strict=True):
        a.pop("scanned_at"), b.pop("scanned_at")
        assert a == b


def test_csv_in_csv_out_with_mapping(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("Ref,Item Name,Desc\nc1,=HYPERLINK(\"http://evil\") rhino horn,for sale\nc2,lamp,\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = run(["scan", str(src), "-o", str(out), "--format", "csv", "--map", "id=Ref",
                  "--map", 'title="Item Name"', "--map", "text=Desc"], env={"WILDTRACE_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["id"] for r in rows] == ["c1", "c2"]
    assert rows[0]["verdict"] == "wildlife_offer"
    assert "Rhinocerotidae" in rows[0]["taxa"]
    assert rows[0]["listing_title"].startswith("'="), "formula injection is neutralised"
    assert json.loads(rows[0]["matches"])[0]["field"] == "title"


def test_rejects_exit_status_and_rejects_file(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"id": "1", "title": "rhino horn"}\n{bad json\n{"title": "no id"}\n{"id": "4"}\n')
    rejects = tmp_path / "rejects.jsonl"
    result = run(["scan", str(src), "--rejects", str(rejects), "--summary", "-o", str(tmp_path / "o.jsonl")],
                 env={"WILDTRACE_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 3
    assert "line 2: rejected: malformed JSON" in result.stderr
    assert "line 3: rejected: missing id" in result.stderr
    assert "rejected 2" in result.stdout, "the summary counts rejects"
    written = [json.loads(x) for x in (tmp_path / "o.jsonl").read_text().splitlines()]
    rejected = [json.loads(x) for x in rejects.read_text().splitlines()]
    assert [r["id"] for r in written] == ["1", "4"]
    assert [r["line"] for r in rejected] == [2, 3]
    assert len(written) + len(rejected) == 4, "every input line is in the output or the rejects"


def test_summary_counts(tmp_path: Path) -> None:
    result = run(["scan", "--summary", "-o", str(tmp_path / "o.jsonl")], _jsonl(LISTINGS),
                 env={"WILDTRACE_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 0
    assert "wildlife_offer 1, depiction_or_faux 1, not_wildlife 1" in result.stdout
    assert "Manidae" in result.stdout


def test_save_to_database(tmp_path: Path) -> None:
    db = tmp_path / "scan.sqlite"
    env = {"WILDTRACE_DATA_DIR": str(tmp_path)}
    for _ in range(2):
        assert run(["scan", "--db", str(db)], _jsonl(LISTINGS), env).exit_code == 0
    from wildtrace.store import open_store

    store = open_store(db)
    assert store.count_listings() == 3
    assert len(store.versions("a1")) == 1
    store.close()


def test_bad_option_is_one_clear_line(tmp_path: Path) -> None:
    result = run(["scan", "--map", "colour=x"], "", env={"WILDTRACE_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("wildtrace: error: --map: unknown field 'colour'")


def test_installed_command_and_demo(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "wildtrace"
    proc = subprocess.run([str(exe), "demo"], capture_output=True, text=True, timeout=120,
                          env={"WILDTRACE_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    assert "SYNTHETIC" in proc.stdout and "Top" in proc.stdout
