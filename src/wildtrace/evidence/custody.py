"""The chain-of-custody log: an append-only, hash-chained JSON Lines file.

Each entry holds ``seq`` (0, 1, 2, ...), ``prev_hash`` (the ``entry_hash`` of the
entry before it; 64 zeros for the first) and ``entry_hash``, the SHA-256 of the
entry's canonical JSON (keys sorted, without ``entry_hash``). Editing, removing,
inserting or reordering any entry breaks the chain at that point.

``custody.head`` beside the log holds the last ``seq`` and ``entry_hash``, so that
cutting entries off the end is caught too. Someone who can rewrite the whole log
*and* the head can forge a consistent chain: copy the head hash (``wildtrace
evidence verify`` prints it) into the case file or an e-mail to anchor it, and sign the
entries: with a key (``evidence.keys``) each entry carries ``signer`` (the key's fingerprint)
and ``signature`` (Ed25519 over the entry, ``prev_hash`` included, before ``entry_hash``, which
covers the signature too); without one, ``signer`` is ``unsigned``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from wildtrace import clock
from wildtrace.errors import DataError
from wildtrace.evidence.keys import UNSIGNED, fingerprint, sign
from wildtrace.jsonlog import JsonLog

LOG_NAME = "custody.jsonl"
HEAD_NAME = "custody.head"
LOCK_NAME = ".custody.lock"
GENESIS = "0" * 64


def entry_hash(entry: dict[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k != "entry_hash"}
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


class CustodyLog:
    """Append entries to ``DIR/custody.jsonl``; safe against concurrent writers (flock)."""

    def __init__(self, evidence_dir: Path, key: Ed25519PrivateKey | None = None):
        self.dir = Path(evidence_dir)
        self.key = key
        self.signer = fingerprint(key.public_key()) if key is not None else UNSIGNED
        self.path = self.dir / LOG_NAME
        self.head_path = self.dir / HEAD_NAME
        self.log = JsonLog(self.path, lock_path=self.dir / LOCK_NAME)

    def _last(self) -> tuple[int, str]:
        """(next seq, hash of the last entry), from the head file (or the log when there is none)."""
        if self.head_path.exists():
            try:
                head = orjson.loads(self.head_path.read_bytes())
                return int(head["seq"]) + 1, str(head["entry_hash"])
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise DataError(f"{self.head_path}: unreadable head file ({exc}); run `wildtrace evidence "
                                "verify` and do not append to this folder until it is explained") from exc
        last: dict[str, Any] | None = None
        for _, entry in self.entries():
            last = entry if entry is not None else last
        if last is None:
            return 0, GENESIS
        return int(last["seq"]) + 1, str(last["entry_hash"])

    def append(self, event: str, **fields: Any) -> dict[str, Any]:
        """Append one entry (``event`` plus ``fields``, ``logged_at`` now unless given, ``signer``) and
        return it with its signature (when the log has a key) and hashes."""
        with self.log.locked():
            seq, prev = self._last()
            entry: dict[str, Any] = {"seq": seq, "prev_hash": prev, "event": event,
                                     "logged_at": clock.iso(clock.now(), "microseconds"), **fields,
                                     "signer": self.signer}
            if self.key is not None:
                entry["signature"] = sign(self.key, entry)
            entry["entry_hash"] = entry_hash(entry)
            self.log.append([entry], sort_keys=True)
            tmp = self.head_path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
            try:
                os.write(fd, orjson.dumps({"seq": seq, "entry_hash": entry["entry_hash"]}))
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.head_path)
            return entry

    def entries(self) -> Iterator[tuple[int, dict[str, Any] | None]]:
        """(line number, entry) as stored, unverified; ``None`` for a line that is not JSON."""
        return self.log.read()

    def head(self) -> dict[str, Any] | None:
        if not self.head_path.exists():
            return None
        head: dict[str, Any] = orjson.loads(self.head_path.read_bytes())
        return head
