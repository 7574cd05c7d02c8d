"""Verification: re-hash every evidence file and re-walk the custody chain.

``verify(DIR)`` returns a :class:`Report` whose ``problems`` name every file or log
entry that was

- ``changed``: a file whose SHA-256 differs from the log; an entry whose content no
  longer matches its ``entry_hash``; an unreadable line;
- ``removed``: a file the log lists that is gone; an entry missing from the sequence
  (a gap in ``seq``, or entries cut off the end, caught by ``custody.head``);
- ``added``: a file under ``captures/`` that no entry lists; an entry that does not
  chain to the one before it (inserted);
- ``reordered``: entries whose ``seq`` is out of order in the file;
- ``unsigned`` / ``forged`` (with a public key): an entry not signed, or not signed by that key
  (written or changed without the private key);
- ``backdated``: an entry logged before the entry before it (time runs backwards along the
  chain), or captured after it was logged;
- ``unfinished``: a capture whose ``capture_started`` entry no ``capture`` or ``capture_failed``
  entry closes (its process was killed), with the files it left in its folder;
- ``timestamp`` (and ``changed``/``removed``/``added``/``forged`` naming a seal): a seal
  (``evidence seal``) whose package, signature or RFC 3161 timestamp does not hold
  (``evidence.sealcheck``); ``Report.seals`` holds each seal's lines, good or bad.

A file is checked against the hash recorded when it was *first* listed (its capture): a later
entry may name the same file again with the same hash, never re-hash it, so appending an entry
that names a tampered file's new hash is caught. ``expected_head`` (the head hash the user wrote
down, ``evidence verify --head HASH``) catches a log rewritten from the start: the recorded hash
must be an entry of the chain. A corrupt head file or log line is a reported problem.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from wildtrace.evidence.custody import (
    GENESIS,
    HEAD_NAME,
    LOCK_NAME,
    LOG_NAME,
    CustodyLog,
    entry_hash,
)
from wildtrace.evidence.keys import UNSIGNED, fingerprint, load_public, signature_ok
from wildtrace.evidence.sealcheck import SealCheck, check_seal
from wildtrace.provenance import sha256_file

#: Files in the evidence folder that are not evidence themselves.
_OWN_FILES = {LOG_NAME, HEAD_NAME, LOCK_NAME}


@dataclass(frozen=True)
class Problem:
    kind: str  # changed | removed | added | reordered | unfinished | unsigned | forged | backdated | timestamp
    what: str  # "file captures/…/page.warc.gz" or "log entry seq 3 (line 4)"
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.what}: {self.detail}"

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "what": self.what, "detail": self.detail}


@dataclass
class Report:
    evidence_dir: str
    entries: int = 0
    files: int = 0
    head_hash: str | None = None
    problems: list[Problem] = field(default_factory=list)
    chain_hashes: set[str] = field(default_factory=set, repr=False)  # entry hashes seen in the chain
    unfinished: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)  # started, not closed
    closed: dict[str, int] = field(default_factory=dict, repr=False)  # capture id -> seq that recorded it
    last_logged: tuple[dt.datetime, str] | None = field(default=None, repr=False)
    signer: str | None = None  # the public key's fingerprint every entry was checked against
    seals: list[SealCheck] = field(default_factory=list)  # every seal entry's check, in log order
    seal_entries: list[tuple[int, dict[str, Any]]] = field(default_factory=list, repr=False)
    seq_hashes: dict[int, str] = field(default_factory=dict, repr=False)  # seq -> entry_hash
    capture_warcs: dict[str, str | None] = field(default_factory=dict, repr=False)  # capture -> WARC SHA-256

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"evidence_dir": self.evidence_dir, "ok": self.ok, "entries": self.entries,
                "files": self.files, "head_hash": self.head_hash, "signer": self.signer,
                "problems": [p.to_dict() for p in self.problems], "seals": [s.to_dict() for s in self.seals]}


def _track_capture(entry: dict[str, Any], seq: int, what: str, report: Report) -> None:
    """Note a ``capture_started`` entry and the ``capture``/``capture_failed`` entry that closes it;
    a capture is closed once, and an entry lists files of its own capture folder only."""
    capture_id = entry.get("capture_id")
    if entry.get("event") == "capture_started" and isinstance(capture_id, str):
        report.unfinished[capture_id] = {**entry, "_seq": seq}
    elif entry.get("event") in ("capture", "capture_failed") and isinstance(capture_id, str):
        report.unfinished.pop(capture_id, None)
        if capture_id in report.closed:
            report.problems.append(Problem("added", what, f"capture {capture_id} was already recorded at seq "
                                           f"{report.closed[capture_id]}: a capture is recorded once"))
        else:
            report.closed[capture_id] = seq
    for item in entry.get("files") or []:
        path = item.get("path") if isinstance(item, dict) else None
        if isinstance(path, str) and path.startswith("captures/") and path.split("/")[1] != capture_id:
            report.problems.append(Problem("added", what, f"lists {path}, a file of another capture's folder"))


def _note_for_seals(entry: dict[str, Any], seq: int, report: Report) -> None:
    """Keep what seal checks need: each entry's hash, each capture's WARC hash, the seal entries."""
    if isinstance(entry.get("entry_hash"), str):
        report.seq_hashes.setdefault(seq, entry["entry_hash"])
    if entry.get("event") == "capture" and isinstance(entry.get("capture_id"), str):
        warcs = [f.get("sha256") for f in entry.get("files") or []
                 if isinstance(f, dict) and str(f.get("path", "")).endswith("/page.warc.gz")]
        report.capture_warcs.setdefault(entry["capture_id"], str(warcs[0]) if warcs else None)
    elif entry.get("event") == "seal":
        report.seal_entries.append((seq, entry))


def _check_signature(entry: dict[str, Any], what: str, report: Report, public: Ed25519PublicKey) -> None:
    signer = entry.get("signer")
    if signer in (None, UNSIGNED) and "signature" not in entry:
        report.problems.append(Problem("unsigned", what, "not signed, and --public-key requires every entry "
                                       "signed by that key"))
    elif signer != fingerprint(public):
        report.problems.append(Problem("forged", what, f"signed by {signer}, not by the public key given "
                                       f"({fingerprint(public)})"))
    elif not signature_ok(public, entry):
        report.problems.append(Problem("forged", what, "the signature does not verify with the public key "
                                       "given: the entry was written or changed without the private key"))


def _check_time(entry: dict[str, Any], what: str, report: Report) -> None:
    """Time must not run backwards along the chain (``logged_at``; ``captured_at`` not after it)."""
    logged = _when(entry.get("logged_at"))
    if logged is None:
        return
    if report.last_logged is not None and logged < report.last_logged[0]:
        report.problems.append(Problem("backdated", what, f"logged_at {entry.get('logged_at')} is before the "
                                       f"entry before it ({report.last_logged[1]}): time runs backwards"))
    captured = _when(entry.get("captured_at"))
    if captured is not None and captured > logged:
        report.problems.append(Problem("backdated", what, f"captured_at {entry.get('captured_at')} is after "
                                       f"it was logged ({entry.get('logged_at')})"))
    if report.last_logged is None or logged >= report.last_logged[0]:
        report.last_logged = (logged, str(entry.get("logged_at")))


def _when(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        when = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def _report_unfinished(root: Path, report: Report) -> set[str]:
    """An ``unfinished`` problem for every capture started and never closed; returns the files they
    left (named by their ``capture_started`` entry, so not reported again as ``added``)."""
    left: set[str] = set()
    for capture_id, entry in sorted(report.unfinished.items()):
        folder = str(entry.get("folder") or f"captures/{capture_id}")
        path = root / folder
        files = sorted(p.relative_to(root).as_posix() for p in path.rglob("*") if p.is_file()) \
            if path.is_dir() and not path.is_symlink() else []
        left.update(files)
        names = ", ".join(f.rsplit("/", 1)[-1] for f in files)
        report.problems.append(Problem(
            "unfinished", f"capture {capture_id} (log entry seq {entry['_seq']})",
            f"started {entry.get('captured_at')} by {entry.get('operator')} for {entry.get('url')} and never "
            "finished: no capture or capture_failed entry closes it (the capture process stopped); "
            + (f"left in {folder}/, hashed by no entry: {names}" if files else f"nothing left in {folder}/")))
    return left


def _check_chain(log: CustodyLog, report: Report, public: Ed25519PublicKey | None) -> dict[str, dict[str, Any]]:
    """Walk the log; return the files it lists (path -> file record)."""
    listed: dict[str, dict[str, Any]] = {}
    hashes = report.chain_hashes
    prev_hash = GENESIS
    expected_seq = 0
    max_seq = -1
    last_hash: str | None = None
    for line, entry in log.entries():
        report.entries += 1
        if entry is None:
            report.problems.append(Problem("changed", f"log entry at line {line}", "line is not a JSON object"))
            continue
        seq = entry.get("seq")
        what = f"log entry seq {seq} (line {line})"
        stored = entry.get("entry_hash")
        if not isinstance(seq, int):
            report.problems.append(Problem("changed", what, "no integer seq"))
            continue
        content_ok = stored == entry_hash(entry)
        if not content_ok:
            report.problems.append(Problem("changed", what, "content does not match its entry_hash"))
        if seq < expected_seq or seq <= max_seq:
            report.problems.append(Problem("reordered", what, f"seq {seq} comes after seq {max_seq}"))
        elif seq > expected_seq:
            missing = ", ".join(str(s) for s in range(expected_seq, seq))
            report.problems.append(Problem("removed", f"log entries seq {missing}",
                                           f"missing before line {line}"))
        if entry.get("prev_hash") != prev_hash and seq == expected_seq and content_ok:
            report.problems.append(Problem("added", what, "does not chain to the entry before it "
                                           "(prev_hash mismatch: inserted or replaced)"))
        prev_hash = stored if isinstance(stored, str) else ""
        last_hash = prev_hash
        max_seq = max(max_seq, seq)
        expected_seq = max_seq + 1
        _track_capture(entry, seq, what, report)
        _note_for_seals(entry, seq, report)
        _check_time(entry, what, report)
        if public is not None:
            _check_signature(entry, what, report, public)
        for item in entry.get("files") or []:
            if isinstance(item, dict) and isinstance(item.get("path"), str):
                first = listed.get(item["path"])
                if first is None:
                    listed[item["path"]] = {**item, "_seq": seq}
                elif first.get("sha256") != item.get("sha256"):
                    report.problems.append(Problem(
                        "changed", f"file {item['path']}",
                        f"log entry seq {seq} lists it with SHA-256 {item.get('sha256')}; it was recorded "
                        f"with {first.get('sha256')} at seq {first['_seq']} (a file is never re-hashed)"))
        hashes.add(prev_hash)
    try:
        head = log.head()
    except Exception as exc:  # noqa: BLE001 - a corrupt head is a finding, not a crash
        report.head_hash = last_hash
        report.problems.append(Problem("changed", HEAD_NAME, f"unreadable head file ({type(exc).__name__}: {exc})"))
        return listed
    report.head_hash = last_hash
    if head is None:
        if report.entries:
            report.problems.append(Problem("removed", HEAD_NAME, "the head file is missing"))
    elif not isinstance(head, dict):
        report.problems.append(Problem("changed", HEAD_NAME, "the head file is not a JSON object"))
    else:
        head_seq = head.get("seq")
        if isinstance(head_seq, int) and head_seq > max_seq:
            missing = ", ".join(str(s) for s in range(max_seq + 1, head_seq + 1))
            report.problems.append(Problem("removed", f"log entries seq {missing}",
                                           f"cut off the end of {LOG_NAME} (head says seq {head_seq})"))
        elif head.get("entry_hash") != last_hash or head_seq != max_seq:
            report.problems.append(Problem("changed", HEAD_NAME,
                                           f"head (seq {head_seq}) does not match the last entry (seq {max_seq})"))
    return listed


def verify(evidence_dir: Path, expected_head: str | None = None,
           public_key: Path | Ed25519PublicKey | None = None, tsa_ca_file: Path | None = None) -> Report:
    """Re-hash everything under ``evidence_dir`` against its custody log (and, with
    ``expected_head``, check that the head hash recorded earlier is still part of the chain; with
    ``public_key``, that every entry is signed by it) and check every seal (with ``tsa_ca_file``,
    its timestamp's certificate chain too)."""
    root = Path(evidence_dir)
    report = Report(str(root))
    public = load_public(public_key) if isinstance(public_key, (str, Path)) else public_key
    report.signer = fingerprint(public) if public is not None else None
    log = CustodyLog(root)
    if log.path.is_symlink():
        report.problems.append(Problem("changed", LOG_NAME, "the custody log is a symbolic link; not followed"))
        return report
    if not log.path.exists():
        report.problems.append(Problem("removed", LOG_NAME, "no custody log in this folder"))
        return report
    try:
        listed = _check_chain(log, report, public)
    except Exception as exc:  # noqa: BLE001 - an unreadable log is a finding, not a crash
        report.problems.append(Problem("changed", LOG_NAME, f"unreadable ({type(exc).__name__}: {exc})"))
        return report
    if expected_head is not None and expected_head.strip().lower() not in report.chain_hashes:
        report.problems.append(Problem(
            "changed", LOG_NAME, f"the head hash you recorded ({expected_head.strip()}) is not an entry of "
            "this chain: the log was rewritten since"))
    for rel, item in sorted(listed.items()):
        path = root / rel
        report.files += 1
        if not path.is_file():
            report.problems.append(Problem("removed", f"file {rel}", f"listed by log entry seq {item['_seq']}"))
            continue
        digest = sha256_file(path)
        if digest != item.get("sha256"):
            report.problems.append(Problem("changed", f"file {rel}",
                                           f"SHA-256 {digest} != {item.get('sha256')} in log entry seq {item['_seq']}"))
    for seq, entry in report.seal_entries:
        checked = check_seal(root, seq, entry, report.capture_warcs, report.seq_hashes, public, tsa_ca_file)
        report.seals.append(checked)
        report.problems.extend(Problem(kind, checked.what, detail) for kind, detail in checked.problems)
    left = _report_unfinished(root, report)
    for path in sorted(p for p in root.rglob("*") if p.is_file() or p.is_symlink()):
        rel = path.relative_to(root).as_posix()
        if rel in listed or rel in _OWN_FILES or rel in left:
            continue
        report.problems.append(Problem("added", f"file {rel}", "not listed in the custody log"))
    return report
