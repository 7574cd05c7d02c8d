"""Signed evidence (issue 24, item 6): captures sealed into a WACZ, signed, timestamped, verified.

Real captures from the loopback marketplace, real Ed25519 keys from ``evidence keygen``, a real
RFC 3161 timestamp authority on 127.0.0.1 (``tsa_server``), and ``evidence verify`` naming every
tampering: a byte of the package, the signature, the statement, the token."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from tsa_server import Tsa, make_pki, serve_tsa, write_root
from wacz.main import main as wacz_main

from wildtrace.cli import cli, load_commands
from wildtrace.errors import DataError, Invalid
from wildtrace.evidence.capture import CaptureOptions, Capturer
from wildtrace.evidence.custody import entry_hash
from wildtrace.evidence.keys import generate
from wildtrace.evidence.seal import seal, unsealed
from wildtrace.evidence.verify import verify
from wildtrace.provenance import sha256_file

Folder = tuple[Path, Path, Path]  # evidence folder, private key, public key


@pytest.fixture
def folder(tmp_path: Path, marketplace) -> Folder:  # type: ignore[no-untyped-def]
    """Three signed captures and a failed one."""
    key, pub, _ = generate(tmp_path / "keys")
    ev = tmp_path / "ev"
    with Capturer(ev, CaptureOptions(operator="j.doe", timeout=2, screenshot=False, allow_private=True,
                                     key=key)) as c:
        for path in ("/listing/1", "/gone", "/listing/2", "/moved"):
            c.capture(f"{marketplace.url}{path}")
    return ev, key, pub


@pytest.fixture(scope="module")
def tsa() -> Iterator[Tsa]:
    with serve_tsa() as server:
        yield server


def _entries(ev: Path) -> list[dict[str, Any]]:
    return [orjson.loads(x) for x in (ev / "custody.jsonl").read_bytes().splitlines()]


def _rewrite(ev: Path, entries: list[dict[str, Any]], start: int) -> None:
    """What an attacker who can write the folder does: recompute the chain from ``start``, and the head."""
    for n in range(start, len(entries)):
        entries[n]["prev_hash"] = entries[n - 1]["entry_hash"] if n else "0" * 64
        entries[n]["entry_hash"] = entry_hash(entries[n])
    (ev / "custody.jsonl").write_bytes(b"".join(orjson.dumps(e, option=orjson.OPT_SORT_KEYS) + b"\n"
                                                for e in entries))
    (ev / "custody.head").write_bytes(orjson.dumps({"seq": entries[-1]["seq"],
                                                    "entry_hash": entries[-1]["entry_hash"]}))


def _problems(ev: Path, **kwargs: Any) -> list[str]:
    return [str(p) for p in verify(ev, **kwargs).problems]


def _granted(folder: Folder, tsa: Tsa, name: str = "run-1") -> Any:
    ev, key, _ = folder
    made = seal(ev, key_path=key, name=name, tsa_url=f"{tsa.url}/tsa", allow_origins=frozenset({tsa.url}))
    assert made.timestamp["status"] == "granted", made.timestamp
    return made


def test_seal_offline_packages_signs_logs_and_verifies(folder: Folder) -> None:
    ev, key, pub = folder
    captures = [e for e in _entries(ev) if e["event"] == "capture"]
    warcs_before = {e["capture_id"]: sha256_file(ev / e["files"][0]["path"]) for e in captures}
    assert unsealed(ev) == [e["capture_id"] for e in captures]

    made = seal(ev, key_path=key, name="run-1")

    assert made.package == ev / "packages" / "run-1.wacz" and made.package.is_file()
    assert made.timestamp == {"status": "not requested", "reason": "no timestamp authority configured (offline run)"}
    assert list(made.capture_ids) == [e["capture_id"] for e in captures]
    assert "sealed 3 captures" in made.summary() and "timestamp not requested" in made.summary()
    entry = _entries(ev)[-1]
    assert entry["event"] == "seal" and entry == made.entry
    assert entry["files"] == [{"path": "packages/run-1.wacz", "sha256": made.package_sha256,
                               "bytes": made.package.stat().st_size}]
    assert entry["statement"]["custody_head"]["seq"] == entry["seq"] - 1
    assert entry["statement"]["custody_head"]["entry_hash"] == entry["prev_hash"]
    assert entry["statement"]["warcs"] == warcs_before and entry["seal_signer"] == made.signer
    # the WARCs were copied, not moved or changed
    assert {c: sha256_file(ev / "captures" / c / "page.warc.gz") for c in warcs_before} == warcs_before

    with zipfile.ZipFile(made.package) as z:
        names = set(z.namelist())
        assert {f"archive/{c}.warc.gz" for c in warcs_before} <= names
        assert {"pages/pages.jsonl", "datapackage.json", "datapackage-digest.json",
                "indexes/index.cdx.gz", "indexes/index.idx"} <= names
        for c, h in warcs_before.items():
            assert hashlib.sha256(z.read(f"archive/{c}.warc.gz")).hexdigest() == h
        pages = [json.loads(x) for x in z.read("pages/pages.jsonl").splitlines()]
        digest = json.loads(z.read("datapackage-digest.json"))
        datapackage = z.read("datapackage.json")
    assert pages[0]["format"] == "json-pages-1.0"
    assert [p["id"] for p in pages[1:]] == list(warcs_before)
    assert pages[1]["title"] == "Rhino /listing/1 horn pieces" and pages[3]["url"].endswith("/listing/7")
    assert all(p["ts"] == c["captured_at"] for p, c in zip(pages[1:], captures, strict=True))
    signed = digest["signedData"]
    assert digest["hash"] == signed["hash"] == "sha256:" + hashlib.sha256(datapackage).hexdigest()
    assert signed["signatureAlgorithm"] == "Ed25519" and signed["created"] == json.loads(datapackage)["created"]
    public = serialization.load_pem_public_key(pub.read_bytes())
    public.verify(base64.b64decode(signed["signature"]), signed["hash"].encode())  # type: ignore[union-attr,call-arg]
    said = io.StringIO()
    with contextlib.redirect_stdout(said):
        assert wacz_main(["validate", "-f", str(made.package)]) == 0, said.getvalue()

    report = verify(ev, public_key=pub)
    assert report.ok, [str(p) for p in report.problems]
    lines = report.seals[0].ok
    assert any("3 WARCs equal their captures' WARCs" in x for x in lines), lines
    assert any("verifies with the public key given" in x for x in lines), lines
    assert "timestamp: not requested (no timestamp authority configured (offline run))" in lines

    assert unsealed(ev) == []
    with pytest.raises(Invalid, match="every capture is already in a package"):
        seal(ev, key_path=key, name="run-2")
    with pytest.raises(Invalid, match="never overwritten"):
        seal(ev, key_path=key, name="run-1", capture_ids=list(warcs_before)[:1])
    assert sha256_file(made.package) == made.package_sha256
    with pytest.raises(Invalid, match="not a capture of"):
        seal(ev, key_path=key, name="run-3", capture_ids=["20990101T000000000000Z-nothere"])
    assert not (ev / "packages" / "run-3.wacz").exists()


def test_a_loopback_tsa_gives_a_token_that_verifies_and_chains_to_its_ca(folder: Folder, tsa: Tsa,
                                                                         tmp_path: Path) -> None:
    ev, _, pub = folder
    made = _granted(folder, tsa)
    stamp = made.timestamp
    assert stamp["tsa"] == "CN=WildTrace Test TSA" and stamp["message"] == "seal_signature"
    assert stamp["tsa_url"] == f"{tsa.url}/tsa" and base64.b64decode(stamp["token"])[:1] == b"\x30"
    assert "timestamp " + stamp["gen_time"] in made.summary()

    report = verify(ev, public_key=pub)
    assert report.ok, [str(p) for p in report.problems]
    line = next(x for x in report.seals[0].ok if x.startswith("timestamp:"))
    assert "TSA signature verifies" in line and "chain not checked" in line, line

    ca = write_root(tsa.pki, tmp_path / "tsa-ca.pem")
    report = verify(ev, public_key=pub, tsa_ca_file=ca)
    assert report.ok, [str(p) for p in report.problems]
    assert any("chain verified against" in x for x in report.seals[0].ok), report.seals[0].ok

    stranger = write_root(make_pki("Another TSA"), tmp_path / "other-ca.pem")
    problems = _problems(ev, tsa_ca_file=stranger)
    assert any(p.startswith("timestamp: seal run-1") and "does not chain" in p for p in problems), problems

    # sealing with a CA file: a token that does not chain to it is recorded as a failure
    again = seal(ev, key_path=folder[1], name="run-2", capture_ids=list(made.capture_ids)[:1],
                 tsa_url=f"{tsa.url}/tsa", tsa_ca_file=stranger, allow_origins=frozenset({tsa.url}))
    assert again.timestamp["status"] == "failed" and "does not chain" in again.timestamp["reason"], again.timestamp
    chained = seal(ev, key_path=folder[1], name="run-3", capture_ids=list(made.capture_ids)[:1],
                   tsa_url=f"{tsa.url}/tsa", tsa_ca_file=ca, allow_origins=frozenset({tsa.url}))
    assert chained.timestamp["status"] == "granted", chained.timestamp
    assert verify(ev, public_key=pub, tsa_ca_file=ca).ok


def _flip_member_byte(package: Path, member: str) -> None:
    with zipfile.ZipFile(package) as z:
        info = z.getinfo(member)
    data = bytearray(package.read_bytes())
    name_len = int.from_bytes(data[info.header_offset + 26:info.header_offset + 28], "little")
    extra_len = int.from_bytes(data[info.header_offset + 28:info.header_offset + 30], "little")
    at = info.header_offset + 30 + name_len + extra_len + info.compress_size // 2
    data[at] ^= 0x01
    package.write_bytes(bytes(data))


def _flip_b64(text: str, at: int) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[at] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


@pytest.mark.parametrize("what", ["wacz byte", "signature", "statement", "token"])
def test_tampering_is_named(folder: Folder, tsa: Tsa, what: str) -> None:
    ev, _, pub = folder
    made = _granted(folder, tsa)
    seq = made.entry["seq"]
    who = f"seal run-1 (log entry seq {seq})"
    entries = _entries(ev)
    seal_entry = entries[seq]
    if what == "wacz byte":
        _flip_member_byte(made.package, f"archive/{made.capture_ids[1]}.warc.gz")
    elif what == "signature":
        seal_entry["seal_signature"] = _flip_b64(seal_entry["seal_signature"], 5)
    elif what == "statement":
        seal_entry["statement"]["sealed_at"] = "2020-01-01T00:00:00.000000Z"
    else:
        token = base64.b64decode(seal_entry["timestamp"]["token"])
        seal_entry["timestamp"]["token"] = _flip_b64(seal_entry["timestamp"]["token"], len(token) - 5)
    if what != "wacz byte":
        _rewrite(ev, entries, start=seq)  # the chain is made whole again: only the seal can tell
    problems = _problems(ev)
    assert problems, what
    if what == "wacz byte":
        assert "changed: file packages/run-1.wacz" in " ".join(problems), problems
        assert any(p.startswith(f"changed: {who}: the package packages/run-1.wacz has SHA-256") for p in problems)
        assert any(f"archive/{made.capture_ids[1]}.warc.gz is damaged" in p for p in problems), problems
    elif what == "signature":
        assert f"forged: {who}: the seal's signature does not verify over its statement: the statement or the " \
               "signature was changed, or made without the key" in problems, problems
        assert any(p.startswith(f"timestamp: {who}") and "message imprint does not match" in p for p in problems)
    elif what == "statement":
        assert any(p.startswith(f"forged: {who}: the seal's signature does not verify") for p in problems), problems
        assert any(p.startswith(f"changed: {who}: the statement does not hash") for p in problems), problems
        assert any(p.startswith(f"timestamp: {who}") and "more than 10 minutes" in p for p in problems), problems
    else:
        assert problems == [f"timestamp: {who}: the TSA's signature on the token does not verify: the token was "
                            "changed"], problems
    if what != "wacz byte":  # with the public key the rewritten entry itself is caught too
        keyed = _problems(ev, public_key=pub)
        assert any(p.startswith(f"forged: log entry seq {seq} (line {seq + 1}): ") for p in keyed), keyed
    r = CliRunner().invoke(cli, ["evidence", "verify", "--evidence-dir", str(ev)])
    assert r.exit_code == 1 and f"{who}" in r.output and "FAILED" in r.output, r.output


@pytest.mark.parametrize(("path", "reason"), [
    ("/garbage", "answered something that is not a timestamp response"),
    ("/error", "answered HTTP 500"),
    ("/reject", "refused: status 2 (policy not accepted)"),
])
def test_a_failing_tsa_is_recorded_and_the_seal_completes(folder: Folder, tsa: Tsa, path: str, reason: str) -> None:
    ev, key, pub = folder
    made = seal(ev, key_path=key, name="run-1", tsa_url=f"{tsa.url}{path}", allow_origins=frozenset({tsa.url}))
    assert made.timestamp["status"] == "failed" and reason in made.timestamp["reason"], made.timestamp
    assert made.package.is_file() and _entries(ev)[-1]["timestamp"] == made.timestamp
    report = verify(ev, public_key=pub)
    assert report.ok, [str(p) for p in report.problems]
    assert any(x.startswith("timestamp: failed (") and reason in x for x in report.seals[0].ok), report.seals[0].ok


def test_a_tsa_on_a_private_address_is_refused_unless_allowed(folder: Folder, tsa: Tsa) -> None:
    ev, key, _ = folder
    before = len(tsa.requests)
    made = seal(ev, key_path=key, name="run-1", tsa_url=f"{tsa.url}/tsa")
    assert made.timestamp["status"] == "failed", made.timestamp
    assert made.timestamp["reason"].startswith(f"timestamp authority {tsa.url}/tsa: refused: 127.0.0.1 resolves "
                                               "to 127.0.0.1, a non-public address"), made.timestamp
    assert len(tsa.requests) == before, "nothing was sent to the refused address"
    assert verify(ev).ok


def test_a_warc_changed_since_capture_is_not_sealed(folder: Folder) -> None:
    ev, key, _ = folder
    first = next(e for e in _entries(ev) if e["event"] == "capture")
    warc = ev / first["files"][0]["path"]
    warc.write_bytes(warc.read_bytes() + b"\x00")
    with pytest.raises(DataError, match="changed evidence is not sealed"):
        seal(ev, key_path=key, name="run-1")
    assert not (ev / "packages" / "run-1.wacz").exists()
    assert _entries(ev)[-1]["event"] != "seal"


def test_cli_seal_and_verify(folder: Folder, tsa: Tsa, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ev, key, pub = folder
    load_commands()
    monkeypatch.delenv("WILDTRACE_EVIDENCE_KEY", raising=False)
    monkeypatch.delenv("WILDTRACE_TSA_URL", raising=False)
    runner = CliRunner()
    r = runner.invoke(cli, ["evidence", "seal", str(ev), "--name", "a/b", "--key", str(key)])
    assert r.exit_code == 2 and r.output.count("\n") == 1 and "package name 'a/b'" in r.output, r.output
    r = runner.invoke(cli, ["evidence", "seal", str(ev)])
    assert r.exit_code == 2 and "give --key or set WILDTRACE_EVIDENCE_KEY" in r.output, r.output
    r = runner.invoke(cli, ["evidence", "seal", str(ev), "--name", "week-1", "--key", str(key),
                            "--tsa-url", f"{tsa.url}/tsa", "--allow-private"])
    assert r.exit_code == 0, r.output
    assert r.output.count("\n") == 1 and r.output.startswith("sealed 3 captures into ") and "by CN=WildTrace Test TSA" \
        in r.output, r.output
    r = runner.invoke(cli, ["evidence", "seal", str(ev), "--key", str(key)])
    assert r.exit_code == 2 and "every capture is already in a package" in r.output, r.output
    ca = write_root(tsa.pki, tmp_path / "tsa-ca.pem")
    r = runner.invoke(cli, ["evidence", "verify", "--evidence-dir", str(ev), "--public-key", str(pub),
                            "--tsa-ca-file", str(ca)])
    assert r.exit_code == 0, r.output
    assert "ok: seal week-1 (log entry seq " in r.output and "chain verified against" in r.output, r.output
    r = runner.invoke(cli, ["evidence", "verify", str(ev), "--json"])  # the folder as an argument too
    assert r.exit_code == 0 and json.loads(r.output)["seals"][0]["ok"] is True, r.output


def test_a_capture_id_that_climbs_out_of_its_folder_is_refused(folder: Folder) -> None:
    ev, key, _ = folder
    entries = _entries(ev)
    n = next(i for i, e in enumerate(entries) if e["event"] == "capture")
    entries[n]["capture_id"] = "../../outside"
    _rewrite(ev, entries, start=n)
    with pytest.raises(DataError, match="not its own capture folder's"):
        seal(ev, key_path=key, name="run-1")
    assert not (ev / "packages").exists()
