"""Checking seals (``evidence.seal``) for ``evidence verify``: the package, the signature, the timestamp.

For each ``seal`` entry of the custody log, ``check_seal`` returns a :class:`SealCheck`: the lines
that held (``ok``) and the problems, each ``(kind, detail)``:

- the **package** (``changed``/``removed``): the WACZ file's SHA-256 is the one sealed; inside it,
  every member hashes as ``datapackage.json`` lists it, ``datapackage.json`` as
  ``datapackage-digest.json`` says, and its ``signedData`` verifies; every packaged WARC
  (``archive/<capture_id>.warc.gz``) equals the WARC that capture's custody entry recorded, and the
  package holds exactly the sealed captures;
- the **signature** (``forged``): the statement verifies with the public key (the one given to
  verify, else the one the seal records, and then the lines say whose it is not checked); the
  statement says what the entry says (package, hash, captures) and its custody head is an earlier
  entry of this chain;
- the **timestamp** (``timestamp``): a ``granted`` token stamps the seal's signature, its TSA
  signature verifies, the TSA certificate is for timestamping, its time is within 10 minutes of
  the seal's ``sealed_at`` (the WACZ signing spec's window), and with a TSA CA file its chain
  verifies; without one the lines say the chain was not checked. A seal made offline (``not
  requested``) or whose TSA failed is no problem: the line says so.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from wildtrace.evidence.keys import fingerprint
from wildtrace.evidence.package import public_key_from_b64, read_wacz
from wildtrace.evidence.seal import STATEMENT_TYPE, WARC_NAME, statement_bytes
from wildtrace.provenance import sha256_file

#: How far the TSA's time may be from the seal's own (WACZ signing spec: 10 minutes)
WINDOW = dt.timedelta(minutes=10)


@dataclass
class SealCheck:
    name: str
    seq: int
    ok: list[str] = field(default_factory=list)  # what held, one line each
    problems: list[tuple[str, str]] = field(default_factory=list)  # (kind, detail)

    @property
    def what(self) -> str:
        return f"seal {self.name} (log entry seq {self.seq})"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "seq": self.seq, "ok": not self.problems, "lines": self.ok,
                "problems": [{"kind": k, "detail": d} for k, d in self.problems]}


def check_seal(root: Path, seq: int, entry: dict[str, Any], warcs: dict[str, str | None],
               chain: dict[int, str], public: Ed25519PublicKey | None,
               tsa_ca_file: Path | None) -> SealCheck:
    """Check one seal entry (see the module). ``warcs``: capture id -> the WARC SHA-256 its capture
    entry recorded; ``chain``: seq -> entry_hash of the log's entries."""
    out = SealCheck(str(entry.get("name")), seq)
    statement = _dict(entry.get("statement"))
    _check_package(root, entry, statement, warcs, out)
    signature = _check_signature(entry, statement, seq, chain, public, out)
    _check_timestamp(entry, statement, signature, tsa_ca_file, out)
    return out


def _check_package(root: Path, entry: dict[str, Any], statement: dict[str, Any], warcs: dict[str, str | None],
                   out: SealCheck) -> None:
    rel = str(entry.get("package", ""))
    path = root / rel
    if not rel.startswith("packages/") or ".." in rel.split("/"):
        out.problems.append(("changed", f"the package path {rel!r} is not under packages/"))
        return
    if not path.is_file() or path.is_symlink():
        out.problems.append(("removed", f"the package {rel} is missing"))
        return
    digest = sha256_file(path)
    if digest != entry.get("package_sha256"):
        out.problems.append(("changed", f"the package {rel} has SHA-256 {digest}, not {entry.get('package_sha256')} "
                                        "as sealed"))
    contents = read_wacz(path)
    for problem in contents.problems:
        out.problems.append(("changed", f"inside {rel}: {problem}"))
    if contents.datapackage_sha256 and contents.datapackage_sha256 != statement.get("datapackage_sha256"):
        out.problems.append(("changed", f"{rel}'s datapackage.json is {contents.datapackage_sha256}, the statement "
                                        f"sealed {statement.get('datapackage_sha256')}"))
    sealed = [c for c in entry.get("capture_ids") or [] if isinstance(c, str)]
    packaged = {m[len("archive/"):-len(".warc.gz")]: h for m, h in contents.members.items()
                if m.startswith("archive/") and m.endswith(".warc.gz")}
    matched = 0
    for capture_id in sealed:
        recorded = warcs.get(capture_id)
        if capture_id not in packaged:
            out.problems.append(("removed", f"capture {capture_id} is sealed and its WARC is not in {rel}"))
        elif recorded is None:
            out.problems.append(("changed", f"capture {capture_id} is sealed and the custody log has no capture "
                                            "of it with a WARC"))
        elif packaged[capture_id] != recorded:
            out.problems.append(("changed", f"archive/{capture_id}.warc.gz in {rel} has SHA-256 "
                                            f"{packaged[capture_id]}, "
                                            f"the capture's {WARC_NAME} was recorded as {recorded}"))
        else:
            matched += 1
    for extra in sorted(set(packaged) - set(sealed)):
        out.problems.append(("added", f"archive/{extra}.warc.gz is in {rel} and not among the sealed captures"))
    if not out.problems:
        out.ok.append(f"package {rel}: SHA-256 as sealed; {len(contents.members)} files match datapackage.json; "
                      f"{matched} WARCs equal their captures' WARCs in the custody log; WACZ signedData verifies")


def _check_signature(entry: dict[str, Any], statement: dict[str, Any], seq: int, chain: dict[int, str],
                     public: Ed25519PublicKey | None, out: SealCheck) -> bytes | None:
    """Check the statement's signature and that it says what the entry says; the signature bytes."""
    before = len(out.problems)
    try:
        signature = base64.b64decode(str(entry.get("seal_signature", "")), validate=True)
    except ValueError:
        signature = b""
    recorded = public_key_from_b64(str(entry.get("public_key", "")))
    key = public or recorded
    if key is None:
        out.problems.append(("forged", "the seal records no Ed25519 public key, and none was given"))
    elif public is not None and entry.get("seal_signer") != fingerprint(public):
        out.problems.append(("forged", f"signed by {entry.get('seal_signer')}, not by the public key given "
                                       f"({fingerprint(public)})"))
    elif public is None and entry.get("seal_signer") != fingerprint(key):
        out.problems.append(("forged", f"the recorded public key is {fingerprint(key)}, the seal says "
                                       f"{entry.get('seal_signer')}"))
    else:
        try:
            key.verify(signature, statement_bytes(statement))
        except InvalidSignature:
            out.problems.append(("forged", "the seal's signature does not verify over its statement: the statement "
                                           "or the signature was changed, or made without the key"))
    if statement.get("type") != STATEMENT_TYPE:
        out.problems.append(("changed", f"the statement's type is {statement.get('type')!r}, not {STATEMENT_TYPE}"))
    for name in ("package", "package_sha256", "capture_ids", "name"):
        if statement.get(name) != entry.get(name):
            out.problems.append(("changed", f"the statement's {name} ({statement.get(name)!r}) is not the entry's "
                                            f"({entry.get(name)!r})"))
    if hashlib.sha256(statement_bytes(statement)).hexdigest() != entry.get("statement_sha256"):
        out.problems.append(("changed", "the statement does not hash to the entry's statement_sha256"))
    head = _dict(statement.get("custody_head"))
    head_seq = head.get("seq")
    if not isinstance(head_seq, int) or head_seq >= seq or chain.get(head_seq) != head.get("entry_hash"):
        out.problems.append(("changed", f"the statement's custody head (seq {head_seq}, {head.get('entry_hash')}) "
                                        "is not an earlier entry of this chain"))
    if len(out.problems) == before and key is not None:
        whose = f"the public key given ({fingerprint(key)})" if public is not None else (
            f"the key recorded in the seal ({fingerprint(key)}; give --public-key to check whose it is)")
        out.ok.append(f"signature: Ed25519 over the statement verifies with {whose}; custody head seq {head_seq}")
    return signature or None


def _check_timestamp(entry: dict[str, Any], statement: dict[str, Any], signature: bytes | None,
                     tsa_ca_file: Path | None, out: SealCheck) -> None:
    stamp = _dict(entry.get("timestamp"))
    status = stamp.get("status")
    if status in ("not requested", "failed"):
        out.ok.append(f"timestamp: {status} ({stamp.get('reason')})")
        return
    if status != "granted":
        out.problems.append(("timestamp", f"unknown timestamp status {status!r}"))
        return
    try:
        token = base64.b64decode(str(stamp.get("token", "")), validate=True)
    except ValueError:
        out.problems.append(("timestamp", "the timestamp token is not base64"))
        return
    from wildtrace.evidence.timestamp import check_token

    check = check_token(token, signature or b"", tsa_ca_file)
    out.problems.extend(("timestamp", p) for p in check.problems)
    sealed_at = _when(statement.get("sealed_at"))
    if check.gen_time is not None and sealed_at is not None and abs(check.gen_time - sealed_at) > WINDOW:
        out.problems.append(("timestamp", f"the TSA's time {check.gen_time.isoformat()} is more than "
                                          f"{int(WINDOW.total_seconds() // 60)} minutes from sealed_at "
                                          f"{statement.get('sealed_at')}"))
    if check.ok:
        when = check.gen_time.isoformat().replace("+00:00", "Z") if check.gen_time else "?"
        out.ok.append(f"timestamp: RFC 3161 token by {check.tsa} at {when} stamps the seal's signature and its "
                      f"TSA signature verifies; " + "; ".join(check.notes))


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _when(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


__all__ = ["WINDOW", "SealCheck", "check_seal"]
