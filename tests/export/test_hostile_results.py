"""One malformed line in a results file (issue 29, item 8): eight shapes made `case add --results` add
nothing, and two crashed `network build`. Each is now a reject with its line; the rest are used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from wildtrace import Scanner, Settings
from wildtrace.cli import cli, load_commands


def _deep(depth: int) -> dict:  # type: ignore[type-arg]
    out: dict = {"x": 1}  # type: ignore[type-arg]
    for _ in range(depth):
        out = {"n": out}
    return out


@pytest.fixture(scope="module")
def good() -> list[dict]:  # type: ignore[type-arg]
    listings = [{"id": "g1", "title": "Rhino horn cup, WhatsApp +84 912 345 678", "seller": "a", "platform": "fb"},
                {"id": "g2", "title": "Sừng tê giác, Zalo 0912345678", "seller": "b", "platform": "zalo"}]
    return [r.to_dict() for r in Scanner(Settings(), scorer=None).scan(listings)]  # type: ignore[union-attr]


SHAPES = {
    "model is text": {"model": "abc"},
    "300-deep listing": {"listing": _deep(300)},
    "taxa is text": {"taxa": "Manidae"},
    "taxa holds text": {"taxa": ["Manidae"]},
    "reasons is a number": {"reasons": 5},
    "ocr is text": {"ocr": "text in the image"},
    "id is an object": {"id": {"a": 1}},
    "matches hold junk": {"matches": [{"span": "ab"}]},
    "specimen is a list": {"specimen": [1, 2]},
    "NUL in the listing": {"listing": {"title": "a\u0000b"}},
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_bad_result_line_is_a_reject_and_the_rest_are_used(good: list[dict], tmp_path: Path,  # type: ignore[type-arg]
                                                              shape: str) -> None:
    bad = {**good[0], "id": "bad", **SHAPES[shape]}
    lines = [json.dumps(good[0]), json.dumps(bad), json.dumps(good[1])]
    results = tmp_path / "results.jsonl"
    results.write_text("\n".join(lines) + "\n")
    load_commands()
    env = {"WILDTRACE_DATA_DIR": str(tmp_path / "data")}
    db = ["--db", str(tmp_path / "w.sqlite")]
    runner = CliRunner()
    assert runner.invoke(cli, ["case", "create", "c1", *db], env=env).exit_code == 0
    r = runner.invoke(cli, ["case", "add", "c1", "--results", str(results), *db], env=env)
    assert r.exit_code == 3 and "added 2 listings" in r.stdout and "line 2" in r.stderr, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    r = runner.invoke(cli, ["network", "build", str(results), "-o", str(tmp_path / "n.json"), *db], env=env)
    assert r.exit_code in (0, 3) and "line 2" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert json.loads((tmp_path / "n.json").read_text())["summary"]["accounts"] == 2
