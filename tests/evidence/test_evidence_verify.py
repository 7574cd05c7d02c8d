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
    # the files that entry listed are now unaccounted for (its capture_started entry names them)
    assert any(p.startswith("unfinished: capture ") and "hashed by no entry: page.warc.gz" in p
               for p in problems), problems


def test_truncated_log_is_caught_by_head(evidence: Path) -> None:
    lines = _lines(evidence)
    (evidence / "custody.jsonl").write_bytes(b"".join(lines[:-1]))
    problems = _problems(evidence)
    assert any(p.startswith("removed: log entries seq 7") for p in problems), problems  # started + capture each


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


def _tamper_and_relist(evidence: Path, event: str) -> str:
    """Change a WARC, then append a custody entry (through the log itself, so the chain is
    consistent) that names the file with its new hash."""
    from wildtrace.evidence.custody import CustodyLog
    from wildtrace.provenance import sha256_file

    warc = sorted(evidence.rglob("page.warc.gz"))[0]
    data = bytearray(warc.read_bytes())
    data[-5] ^= 1
    warc.write_bytes(bytes(data))
    rel = warc.relative_to(evidence).as_posix()
    CustodyLog(evidence).append(event, files=[{"path": rel, "sha256": sha256_file(warc),
                                               "bytes": warc.stat().st_size}])
    return rel


@pytest.mark.parametrize("event", ["capture", "capture_failed", "note"])
def test_a_later_entry_cannot_re_hash_a_file(evidence: Path, event: str) -> None:
    """Before: verify trusted the last entry that listed a path, so a tampered WARC passed once
    an entry naming its new hash was appended."""
    rel = _tamper_and_relist(evidence, event)
    problems = _problems(evidence)
    assert any(p.startswith(f"changed: file {rel}") and "never re-hashed" in p for p in problems), problems
    assert any(p.startswith(f"changed: file {rel}") and "SHA-256" in p for p in problems), problems


def test_a_garbage_head_is_reported_not_a_traceback(evidence: Path) -> None:
    (evidence / "custody.head").write_bytes(b"\x00\xffnot json")
    problems = _problems(evidence)
    assert any(p.startswith("changed: custody.head: unreadable head file") for p in problems), problems
    load_commands()
    r = CliRunner().invoke(cli, ["evidence", "verify", "--evidence-dir", str(evidence)])
    assert r.exit_code == 1 and "Traceback" not in r.output and "unreadable head file" in r.output, r.output
    (evidence / "custody.head").write_bytes(b"[1, 2]")
    assert any("not a JSON object" in p for p in _problems(evidence))


def test_a_rewritten_history_is_caught_by_the_head_hash_the_user_wrote_down(evidence: Path) -> None:
    """Whoever can rewrite the whole log and the head can forge a consistent chain; the head
    hash printed by an earlier verify, kept outside the folder, catches it."""
    from wildtrace.evidence.custody import GENESIS, entry_hash

    recorded = verify(evidence).head_hash
    assert recorded
    entries = [orjson.loads(line) for line in _lines(evidence)]
    entries[0]["operator"] = "someone else"
    prev = GENESIS
    for e in entries:  # re-chain every entry, as a forger would
        e["prev_hash"] = prev
        e["entry_hash"] = entry_hash(e)
        prev = e["entry_hash"]
    (evidence / "custody.jsonl").write_bytes(b"".join(orjson.dumps(e, option=orjson.OPT_SORT_KEYS) + b"\n"
                                                      for e in entries))
    (evidence / "custody.head").write_bytes(orjson.dumps({"seq": entries[-1]["seq"], "entry_hash": prev}))
    assert verify(evidence).ok  # consistent on its own: only the anchor shows it
    report = verify(evidence, expected_head=recorded)
    assert not report.ok and "is not an entry of this chain" in str(report.problems[0])
    load_commands()
    r = CliRunner().invoke(cli, ["evidence", "verify", "--evidence-dir", str(evidence), "--head", recorded])
    assert r.exit_code == 1 and "rewritten" in r.output


def test_an_earlier_head_hash_stays_valid_as_entries_are_appended(evidence: Path, marketplace) -> None:  # type: ignore[no-untyped-def]
    recorded = verify(evidence).head_hash
    with Capturer(evidence, CaptureOptions(operator="t", timeout=2, screenshot=False, allow_private=True)) as cap:
        assert cap.capture(f"{marketplace.url}/listing/9").status == "captured"
    assert verify(evidence, expected_head=recorded).ok


def test_capture_refuses_a_folder_of_other_files_and_a_symlinked_log(tmp_path: Path) -> None:
    """Before: --evidence-dir wrote into a non-empty folder of other files, after which verify
    failed forever; a symlinked custody.jsonl was followed."""
    other = tmp_path / "photos"
    other.mkdir()
    (other / "holiday.jpg").write_bytes(b"jpeg")
    load_commands()
    r = CliRunner().invoke(cli, ["capture", "http://example.org/", "--evidence-dir", str(other), "--no-screenshot"])
    assert r.exit_code == 2 and "not an evidence folder" in r.output and "Traceback" not in r.output, r.output
    ev = tmp_path / "ev"
    ev.mkdir()
    target = tmp_path / "elsewhere.jsonl"
    target.write_bytes(b"")
    (ev / "custody.jsonl").symlink_to(target)
    r = CliRunner().invoke(cli, ["capture", "http://example.org/", "--evidence-dir", str(ev), "--no-screenshot"])
    assert r.exit_code == 2 and "symbolic link" in r.output, r.output
    assert any("symbolic link" in str(p) for p in verify(ev).problems)
    assert target.read_bytes() == b""
