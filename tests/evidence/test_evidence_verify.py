"""Tamper tests: every kind of change to an evidence folder is named by verify."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from wildtrace.cli import cli, load_commands
from wildtrace.evidence.capture import CaptureOptions, Capturer
from wildtrace.evidence.verify import verify


@pytest.fixture
def evidence(tmp_path: Path, marketplace) -> Path:  # type: ignore[no-untyped-def]
    ev = tmp_path / "ev"
    with Capturer(ev, CaptureOptions(operator="t", timeout=2, screenshot=False, allow_private=True)) as cap:
        for n in range(4):
            assert cap.capture(f"{marketplace.url}/listing/{n}").status == "captured"
    assert verify(ev).ok
    return ev


def _lines(ev: Path) -> list[bytes]:
    return (ev / "custody.jsonl").read_bytes().splitlines(keepends=True)


def _problems(ev: Path) -> list[str]:
    report = verify(ev)
    assert not report.ok
    return [str(p) for p in report.problems]


def test_changed_file_is_named(evidence: Path) -> None:
    warc = sorted(evidence.rglob("page.warc.gz"))[1]
    data = bytearray(warc.read_bytes())
    data[-5] ^= 1
    warc.write_bytes(bytes(data))
    rel = warc.relative_to(evidence).as_posix()
    assert _problems(evidence) == [p for p in _problems(evidence) if p.startswith(f"changed: file {rel}")]


def test_removed_and_added_files_are_named(evidence: Path) -> None:
    warc = sorted(evidence.rglob("page.warc.gz"))[0]
    warc.unlink()
    (evidence / "captures" / "planted.html").write_text("<html>fake</html>")
    problems = _problems(evidence)
    rel = warc.relative_to(evidence).as_posix()
    assert any(p.startswith(f"removed: file {rel}") for p in problems), problems
    assert any(p.startswith("added: file captures/planted.html") for p in problems), problems


def test_edited_log_entry_is_named(evidence: Path) -> None:
    lines = _lines(evidence)
    entry = orjson.loads(lines[2])
    entry["operator"] = "someone-else"
    lines[2] = orjson.dumps(entry, option=orjson.OPT_SORT_KEYS) + b"\n"
    (evidence / "custody.jsonl").write_bytes(b"".join(lines))
    problems = _problems(evidence)
    assert any(p.startswith("changed: log entry seq 2 (line 3)") for p in problems), problems


def test_removed_log_entry_is_named(evidence: Path) -> None:
    lines = _lines(evidence)
    del lines[1]
    (evidence / "custody.jsonl").write_bytes(b"".join(lines))
    problems = _problems(evidence)
    assert any(p.startswith("removed: log entries seq 1") for p in problems), problems
    # the files that entry listed are now unaccounted for
    assert any(p.startswith("added: file captures/") for p in problems), problems


def test_truncated_log_is_caught_by_head(evidence: Path) -> None:
    lines = _lines(evidence)
    (evidence / "custody.jsonl").write_bytes(b"".join(lines[:-1]))
    problems = _problems(evidence)
    assert any(p.startswith("removed: log entries seq 3") for p in problems), problems


def test_reordered_log_entries_are_named(evidence: Path) -> None:
    lines = _lines(evidence)
    lines[1], lines[2] = lines[2], lines[1]
    (evidence / "custody.jsonl").write_bytes(b"".join(lines))
    problems = _problems(evidence)
    assert any(p.startswith("reordered: log entry seq 1 (line 3)") for p in problems), problems


def test_rewritten_entry_with_fresh_hash_breaks_the_chain(evidence: Path) -> None:
    from wildtrace.evidence.custody import entry_hash
    lines = _lines(evidence)
    entry = orjson.loads(lines[1])
    entry["url"] = "http://elsewhere/"
    entry["entry_hash"] = entry_hash(entry)  # a forger recomputes this entry's own hash
    lines[1] = orjson.dumps(entry, option=orjson.OPT_SORT_KEYS) + b"\n"
    (evidence / "custody.jsonl").write_bytes(b"".join(lines))
    problems = _problems(evidence)
    assert any(p.startswith("added: log entry seq 2") for p in problems), problems


def test_cli_verify_exit_codes(evidence: Path) -> None:
    load_commands()
    runner = CliRunner()
    ok = runner.invoke(cli, ["evidence", "verify", "--evidence-dir", str(evidence)])
    assert ok.exit_code == 0, ok.output
    assert "OK" in ok.output
    sorted(evidence.rglob("page.warc.gz"))[0].write_bytes(b"tampered")
    bad = runner.invoke(cli, ["evidence", "verify", "--evidence-dir", str(evidence)])
    assert bad.exit_code == 1, bad.output
    assert "changed: file captures/" in bad.output
