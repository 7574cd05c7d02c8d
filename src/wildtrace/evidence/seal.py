"""Seals: captures packaged, signed and timestamped, so a court can check them without us.

``seal(DIR, key_path=..., name=...)`` does four things, in this order:

1. **Package**: the captures (default: every ``capture`` entry of the custody log that no seal
   holds yet; ``unsealed(DIR)`` lists them) go into one WACZ file, ``DIR/packages/<name>.wacz``
   (``evidence.package``), written exclusively: a package is never overwritten. Every WARC is
   copied, and the copy must hash as the custody log recorded it when it was captured.
2. **Sign**: the statement below is signed with the user's Ed25519 key (``evidence keygen``); the
   WACZ's own ``datapackage-digest.json`` carries an Ed25519 ``signedData`` too (WACZ signing spec).
   The statement (canonical JSON, keys sorted) binds ``custody_head`` (seq and entry_hash of the
   log's head when sealing began), ``package``/``package_sha256``/``package_bytes`` (the WACZ
   file), ``datapackage_sha256`` (its manifest, which holds every member's hash), ``capture_ids``
   and ``warcs`` (each capture's WARC SHA-256), ``sealed_at``, ``signer`` and ``software``.
3. **Timestamp**: with a TSA URL, an RFC 3161 token over the statement's signature
   (``evidence.timestamp``). No URL: ``{"status": "not requested", "reason": ...}``; a TSA that
   fails or is refused: ``{"status": "failed", "reason": ...}``. Either way the seal completes.
4. **Log**: one custody entry ``seal`` (hash-chained and signed by the same key like every
   entry) with ``name``, ``package``, ``package_sha256``, ``files`` (the WACZ, so ``evidence
   verify`` re-hashes it), ``capture_ids``, ``statement``, ``statement_sha256``,
   ``seal_signature`` (base64 Ed25519 over the statement), ``seal_signer`` (the key's
   fingerprint), ``public_key`` (base64 DER) and ``timestamp``: ``status`` ``granted`` with
   ``token`` (base64 DER CMS), ``gen_time``, ``tsa``, ``serial_number``, ``policy``,
   ``tsa_url``, ``hash_algorithm`` and ``message`` (``seal_signature``: what was stamped), or why
   there is none.

``evidence verify`` re-checks every seal (``evidence.sealcheck``).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from wildtrace import __version__, clock
from wildtrace.errors import ConfigError, DataError, Invalid, NotFound
from wildtrace.evidence.custody import LOG_NAME, CustodyLog
from wildtrace.evidence.keys import evidence_folder_of, fingerprint, load_private
from wildtrace.evidence.package import PageOf, build_wacz, public_key_b64, sign_wacz
from wildtrace.provenance import sha256_file

PACKAGES = "packages"
STATEMENT_TYPE = "wildtrace.seal/1"
NOT_REQUESTED = {"status": "not requested", "reason": "no timestamp authority configured (offline run)"}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")  # package names and capture ids
WARC_NAME = "page.warc.gz"


@dataclass(frozen=True)
class Seal:
    """A seal made: the package, what it holds, who signed it, the timestamp and the custody entry."""

    name: str
    package: Path  # DIR/packages/<name>.wacz
    package_sha256: str
    capture_ids: tuple[str, ...]
    signer: str  # the key's fingerprint
    timestamp: dict[str, Any]
    entry: dict[str, Any] = field(repr=False)  # the custody entry (seq, entry_hash, statement, ...)

    def summary(self) -> str:
        """One line: what was sealed, where, by whom, and the timestamp's state."""
        stamp = self.timestamp
        if stamp.get("status") == "granted":
            when = f"timestamp {stamp.get('gen_time')} by {stamp.get('tsa')}"
        elif stamp.get("status") == "failed":
            when = f"no timestamp ({stamp.get('reason')})"
        else:
            when = f"timestamp not requested ({stamp.get('reason')})"
        n = len(self.capture_ids)
        return (f"sealed {n} capture{'s' if n != 1 else ''} into {self.package} (SHA-256 {self.package_sha256}); "
                f"signed by {self.signer}; {when}; custody entry seq {self.entry.get('seq')}")


def statement_bytes(statement: dict[str, Any]) -> bytes:
    """The statement as signed: canonical JSON, keys sorted."""
    return orjson.dumps(statement, option=orjson.OPT_SORT_KEYS)


def _captures(log: CustodyLog) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """(capture id -> its ``capture`` entry, capture ids some seal already holds)."""
    captured: dict[str, dict[str, Any]] = {}
    sealed: set[str] = set()
    for _, entry in log.entries():
        if entry is None:
            continue
        if entry.get("event") == "capture" and isinstance(entry.get("capture_id"), str):
            captured.setdefault(entry["capture_id"], entry)
        elif entry.get("event") == "seal":
            sealed.update(c for c in entry.get("capture_ids") or [] if isinstance(c, str))
    return captured, sealed


def _open_log(evidence_dir: Path) -> CustodyLog:
    root = Path(evidence_dir)
    log = CustodyLog(root)
    if log.path.is_symlink():
        raise ConfigError(f"{log.path} is a symbolic link; an evidence folder's custody log must be a plain file")
    if not log.path.is_file():
        raise NotFound(f"{root} has no {LOG_NAME}: not an evidence folder made by `wildtrace capture`")
    return log


def unsealed(evidence_dir: Path) -> list[str]:
    """Capture ids of ``evidence_dir`` (``capture`` entries) that no seal holds yet, in log order."""
    captured, sealed = _captures(_open_log(evidence_dir))
    return [c for c in captured if c not in sealed]


def _warc_of(entry: dict[str, Any]) -> dict[str, Any] | None:
    for item in entry.get("files") or []:
        if isinstance(item, dict) and str(item.get("path", "")).endswith(f"/{WARC_NAME}"):
            return item
    return None


def _pages(root: Path, log: CustodyLog, capture_ids: Iterable[str] | None) -> list[tuple[PageOf, str]]:
    """(page, recorded WARC SHA-256) for every capture to seal; unknown ids are an Invalid."""
    captured, sealed = _captures(log)
    ids = [c for c in captured if c not in sealed] if capture_ids is None else list(dict.fromkeys(capture_ids))
    if not ids:
        raise Invalid(f"nothing to seal in {root}: every capture is already in a package"
                      if captured else f"nothing to seal in {root}: it holds no capture")
    out = []
    for capture_id in ids:
        entry = captured.get(capture_id)
        if entry is None:
            raise Invalid(f"capture {capture_id!r} is not a capture of {root} (no `capture` entry in {LOG_NAME})")
        warc = _warc_of(entry)
        if warc is None:
            raise Invalid(f"capture {capture_id} has no WARC to package")
        if not _NAME.fullmatch(capture_id) or warc.get("path") != f"captures/{capture_id}/{WARC_NAME}":
            raise DataError(f"capture {capture_id!r} names its WARC {warc.get('path')!r}, not its own capture "
                            "folder's: run `wildtrace evidence verify`")
        path = root / str(warc["path"])
        if not path.is_file() or path.is_symlink():
            raise DataError(f"{warc['path']} is missing: run `wildtrace evidence verify`; a folder with "
                            "missing evidence is not sealed")
        out.append((PageOf(capture_id, str(entry.get("final_url") or entry.get("url") or ""),
                           str(entry.get("captured_at") or ""), path), str(warc.get("sha256"))))
    return out


def _check_key(root: Path, key_path: Path) -> None:
    key_path = Path(key_path)
    if evidence_folder_of(key_path.parent) == root.resolve() or root.resolve() in key_path.resolve().parents:
        raise ConfigError(f"{key_path} is inside the evidence folder {root}: keep the private key elsewhere")


def _timestamp(signature: bytes, tsa_url: str | None, allow_origins: frozenset[str],
               allow_private: bool, ca_file: Path | None) -> dict[str, Any]:
    """The ``timestamp`` field: a granted token, why none was asked, or why the TSA failed."""
    if not tsa_url:
        return dict(NOT_REQUESTED)
    from wildtrace.evidence.timestamp import TimestampFailed, request_timestamp

    try:
        stamp = request_timestamp(signature, tsa_url, allow_private=allow_private, allow_origins=allow_origins,
                                  ca_file=ca_file)
    except TimestampFailed as exc:
        return {"status": "failed", "tsa_url": tsa_url, "reason": exc.reason}
    except ConfigError as exc:  # an allowed origin that is not one
        return {"status": "failed", "tsa_url": tsa_url, "reason": str(exc)}
    return {"status": "granted", "tsa_url": tsa_url, "message": "seal_signature",
            "hash_algorithm": stamp.hash_algorithm, "gen_time": stamp.gen_time, "tsa": stamp.tsa,
            "serial_number": stamp.serial_number, "policy": stamp.policy,
            "token": base64.b64encode(stamp.token).decode()}


def _write_exclusive(src: Path, dst: Path) -> None:
    """Copy ``src`` to the new file ``dst`` (never overwriting); a failed copy leaves nothing."""
    try:
        fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    except FileExistsError:
        raise Invalid(f"{dst} exists: a package is never overwritten; choose another name") from None
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        dst.unlink(missing_ok=True)
        raise


def seal(evidence_dir: Path, *, key_path: Path, name: str, capture_ids: Iterable[str] | None = None,
         tsa_url: str | None = None, tsa_ca_file: Path | None = None,
         allow_origins: frozenset[str] = frozenset(), allow_private: bool = False) -> Seal:
    """Package, sign, timestamp and log captures of ``evidence_dir`` (see the module).

    ``name`` names the package (letters, digits, ``.``, ``_``, ``-``); ``tsa_url`` the timestamp
    authority (None: none asked, and the seal says so); ``allow_origins``/``allow_private`` let the
    TSA be on a non-public address (``evidence.net``). A token is checked as it comes (imprint,
    nonce, the TSA's signature); with ``tsa_ca_file`` its chain too, and one that does not chain is
    recorded as a failed timestamp.
    """
    root = Path(evidence_dir)
    if not _NAME.fullmatch(name or ""):
        raise Invalid(f"package name {name!r}: use letters, digits, '.', '_' and '-' (at most 100), "
                      "starting with a letter or digit")
    log = _open_log(root)
    _check_key(root, key_path)
    key = load_private(key_path)
    log = CustodyLog(root, key)
    target = root / PACKAGES / f"{name}.wacz"
    if target.exists() or target.is_symlink():
        raise Invalid(f"{target} exists: a package is never overwritten; choose another name")
    head = log.head()
    if not isinstance(head, dict) or not isinstance(head.get("seq"), int):
        raise DataError(f"{root}: the custody head is missing or unreadable; run `wildtrace evidence verify`")
    pages = _pages(root, log, capture_ids)
    with tempfile.TemporaryDirectory(prefix="wildtrace-seal-") as scratch:
        stage = Path(scratch)
        plain, signed = stage / "plain.wacz", stage / "signed.wacz"
        build_wacz(plain, [p for p, _ in pages], title=f"WildTrace evidence {name}",
                   description=f"{len(pages)} captures from the evidence folder {root.name}", stage=stage)
        warcs = {}
        for page, recorded in pages:
            copied = sha256_file(stage / f"{page.capture_id}.warc.gz")
            if copied != recorded:
                raise DataError(f"captures/{page.capture_id}/{WARC_NAME} has SHA-256 {copied}, not {recorded} as "
                                "captured: run `wildtrace evidence verify`; changed evidence is not sealed")
            warcs[page.capture_id] = recorded
        digest = sign_wacz(plain, signed, key)
        target.parent.mkdir(exist_ok=True)
        _write_exclusive(signed, target)
    package_sha256 = sha256_file(target)
    signer = fingerprint(key.public_key())
    rel = target.relative_to(root).as_posix()
    statement = {
        "type": STATEMENT_TYPE, "name": name, "package": rel, "package_sha256": package_sha256,
        "package_bytes": target.stat().st_size, "datapackage_sha256": digest["hash"],
        "capture_ids": list(warcs), "warcs": warcs,
        "custody_head": {"seq": head["seq"], "entry_hash": head.get("entry_hash")},
        "sealed_at": clock.iso(clock.now(), "microseconds"), "signer": signer, "software": f"WildTrace {__version__}",
    }
    body = statement_bytes(statement)
    signature = key.sign(body)
    timestamp = _timestamp(signature, tsa_url, allow_origins, allow_private, tsa_ca_file)
    entry = log.append(
        "seal", name=name, package=rel, package_sha256=package_sha256,
        files=[{"path": rel, "sha256": package_sha256, "bytes": statement["package_bytes"]}],
        capture_ids=list(warcs), statement=statement, statement_sha256=hashlib.sha256(body).hexdigest(),
        seal_signature=base64.b64encode(signature).decode(), seal_signer=signer,
        public_key=public_key_b64(key.public_key()), timestamp=timestamp)
    return Seal(name=name, package=target, package_sha256=package_sha256, capture_ids=tuple(warcs),
                signer=signer, timestamp=timestamp, entry=entry)


__all__ = ["NOT_REQUESTED", "PACKAGES", "STATEMENT_TYPE", "Seal", "seal", "statement_bytes", "unsealed"]
