"""Evidence that cannot be forged without the key (issue 29, item 3), tested as the attacks were.

Before: anyone who could write the evidence folder could append a capture backdated to 2020 with
any URL and operator, add a screenshot to an older capture, or turn a failed capture into a
captured one, recompute the hash chain and the head, and ``evidence verify --head`` still passed.
Now entries are signed (``capture --key``), ``evidence verify --public-key`` rejects unsigned,
badly signed and backdated entries and files no entry of their capture covers, and ``case add
--evidence-dir`` refuses a folder that fails verify."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from wildtrace.cli import cli, load_commands
from wildtrace.evidence.capture import CaptureOptions, Capturer
from wildtrace.evidence.custody import entry_hash
from wildtrace.evidence.verify import verify


@pytest.fixture
def signed(tmp_path: Path, marketplace) -> tuple[Path, Path, Path]:  # type: ignore[no-untyped-def]
    """(evidence folder, private key, public key): three captures and one failed, all signed."""
    load_commands()
    r = CliRunner().invoke(cli, ["evidence", "keygen", "--out", str(tmp_path / "keys")])
    assert r.exit_code == 0 and "fingerprint: SHA256:" in r.output, r.output
    key, pub = tmp_path / "keys" / "wildtrace-evidence.key", tmp_path / "keys" / "wildtrace-evidence.pub"
    assert os.stat(key).st_mode & 0o777 == 0o600
    ev = tmp_path / "ev"
    with Capturer(ev, CaptureOptions(operator="j.doe", timeout=2, screenshot=False, allow_private=True, key=key)) as c:
        for path in ("/listing/1", "/gone", "/listing/2", "/listing/3"):
            c.capture(f"{marketplace.url}{path}")
    report = verify(ev, public_key=pub)
    assert report.ok, [str(p) for p in report.problems]
    return ev, key, pub


def _entries(ev: Path) -> list[dict]:  # type: ignore[type-arg]
    return [orjson.loads(x) for x in (ev / "custody.jsonl").read_bytes().splitlines()]


def _rewrite(ev: Path, entries: list[dict], start: int = 0) -> None:  # type: ignore[type-arg]
    """What the attacker does: recompute every hash from ``start`` on, and the head."""
    for n in range(start, len(entries)):
        entries[n]["prev_hash"] = entries[n - 1]["entry_hash"] if n else "0" * 64
        entries[n]["entry_hash"] = entry_hash(entries[n])
    (ev / "custody.jsonl").write_bytes(b"".join(orjson.dumps(e, option=orjson.OPT_SORT_KEYS) + b"\n" for e in entries))
    (ev / "custody.head").write_bytes(orjson.dumps({"seq": entries[-1]["seq"], "entry_hash": entries[-1]["entry_hash"]}))


def _kinds(ev: Path, pub: Path | None = None) -> list[str]:
    return [f"{p.kind}: {p.what}" for p in verify(ev, public_key=pub).problems]


def test_a_forged_backdated_capture_appended_with_a_recomputed_chain_is_rejected(signed: tuple[Path, Path, Path]) -> None:
    ev, _, pub = signed
    entries = _entries(ev)
    head_before = entries[-1]["entry_hash"]
    folder = ev / "captures" / "20200101T000000000000Z-deadbeef"
    folder.mkdir()
    (folder / "page.warc.gz").write_bytes(b"forged page")
    forged = {**entries[-1], "seq": len(entries), "capture_id": folder.name, "url": "http://forged.example/item",
              "operator": "someone-else", "captured_at": "2020-01-01T00:00:00.000000Z",
              "logged_at": "2020-01-01T00:00:01.000000Z",  # the signature copied from a real entry
              "files": [{"path": f"captures/{folder.name}/page.warc.gz",
                         "sha256": hashlib.sha256(b"forged page").hexdigest(), "bytes": 11}]}
    _rewrite(ev, [*entries, forged], start=len(entries))
    problems = _kinds(ev, pub)
    assert f"forged: log entry seq {len(entries)} (line {len(entries) + 1})" in problems, problems
    assert f"backdated: log entry seq {len(entries)} (line {len(entries) + 1})" in problems, problems
    assert any(p.startswith("backdated") for p in _kinds(ev)), "time runs backwards even without the key"
    assert verify(ev, expected_head=head_before).problems  # --head alone no longer passes it
    unsigned = {**forged, "logged_at": entries[-1]["logged_at"], "signer": "unsigned"}
    unsigned.pop("signature")
    _rewrite(ev, [*entries, unsigned], start=len(entries))
    assert f"unsigned: log entry seq {len(entries)} (line {len(entries) + 1})" in _kinds(ev, pub)


def test_a_forged_screenshot_added_to_an_older_capture_is_rejected(signed: tuple[Path, Path, Path]) -> None:
    ev, _, pub = signed
    entries = _entries(ev)
    first = next(e for e in entries if e["event"] == "capture")
    shot = ev / "captures" / first["capture_id"] / "screenshot.png"
    shot.write_bytes(b"\x89PNG\r\n\x1a\n forged")
    extra = {**first, "seq": len(entries), "logged_at": entries[-1]["logged_at"], "screenshot": shot.name,
             "files": [*first["files"], {"path": shot.relative_to(ev).as_posix(),
                                         "sha256": hashlib.sha256(shot.read_bytes()).hexdigest(), "bytes": 17}]}
    _rewrite(ev, [*entries, extra], start=len(entries))
    what = f"log entry seq {len(entries)} (line {len(entries) + 1})"
    assert f"forged: {what}" in _kinds(ev, pub)
    assert f"added: {what}" in _kinds(ev)  # a capture is recorded once, key or not


def test_a_failed_capture_flipped_to_captured_is_rejected(signed: tuple[Path, Path, Path]) -> None:
    ev, _, pub = signed
    entries = _entries(ev)
    n = next(i for i, e in enumerate(entries) if e["event"] == "capture_failed")
    entries[n].update(event="capture", status="captured", reason=None, http_status=200)
    _rewrite(ev, entries, start=n)
    assert verify(ev).ok  # the chain and head were recomputed: without the key nothing shows
    problems = _kinds(ev, pub)
    assert problems[0] == f"forged: log entry seq {n} (line {n + 1})", problems
    r = CliRunner().invoke(cli, ["evidence", "verify", "--evidence-dir", str(ev), "--public-key", str(pub)])
    assert r.exit_code == 1 and f"forged: log entry seq {n}" in r.output, r.output


def test_entries_made_without_a_key_are_unsigned_and_rejected_with_one(tmp_path: Path, signed, marketplace) -> None:  # type: ignore[no-untyped-def]
    ev, _, pub = signed
    with Capturer(ev, CaptureOptions(operator="t", timeout=2, screenshot=False, allow_private=True)) as c:
        rec = c.capture(f"{marketplace.url}/listing/4")
    assert rec.signer == "unsigned" and _entries(ev)[-1]["signer"] == "unsigned"
    assert verify(ev).ok
    assert [p.split(":")[0] for p in _kinds(ev, pub)] == ["unsigned", "unsigned"]


def test_the_key_stays_out_of_the_evidence_folder(tmp_path: Path, signed: tuple[Path, Path, Path]) -> None:
    ev, key, _ = signed
    r = CliRunner().invoke(cli, ["evidence", "keygen", "--out", str(ev / "keys")])
    assert r.exit_code != 0 and "inside the evidence folder" in r.output, r.output
    os.chmod(key, 0o644)
    r = CliRunner().invoke(cli, ["capture", "http://example.org/", "--evidence-dir", str(tmp_path / "ev2"),
                                 "--key", str(key)])
    assert r.exit_code != 0 and "readable by others" in r.output, r.output


def test_case_add_of_a_forged_folder_is_refused(tmp_path: Path, signed: tuple[Path, Path, Path]) -> None:
    ev, _, _ = signed
    entries = _entries(ev)
    first = next(e for e in entries if e["event"] == "capture")
    shot = ev / "captures" / first["capture_id"] / "screenshot.png"
    shot.write_bytes(b"forged")
    _rewrite(ev, [*entries, {**first, "seq": len(entries), "logged_at": entries[-1]["logged_at"],
                             "files": [{"path": shot.relative_to(ev).as_posix(),
                                        "sha256": hashlib.sha256(b"forged").hexdigest(), "bytes": 6}]}],
             start=len(entries))
    db = ["--db", str(tmp_path / "cases.sqlite")]
    runner = CliRunner()
    r = runner.invoke(cli, ["case", "create", "op-x", "--title", "X", "--author", "lead", *db])
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["case", "add", "op-x", "--evidence-dir", str(ev), "--author", "lead", *db])
    assert r.exit_code != 0, r.output
    assert "fails `wildtrace evidence verify`" in r.output and len(r.output.strip().splitlines()) == 1, r.output
    assert "Traceback" not in r.output
