"""The evidence key: an Ed25519 key pair that signs custody entries, so they cannot be forged.

A hash chain alone can be recomputed by anyone who can write the evidence folder; a signature
cannot without the private key, which never lives in the evidence folder.

- ``generate(out_dir)``: a new key pair, ``wildtrace-evidence.key`` (PKCS #8 PEM, mode 0600,
  created exclusively) and ``wildtrace-evidence.pub``; refused inside an evidence folder;
- ``load_private(path)`` / ``load_public(path)``: the keys (a private key readable by group or
  others is refused, as ssh does);
- ``fingerprint(public)``: ``SHA256:<base64>`` of the raw public key, printed by keygen and stored
  in each signed entry's ``signer``;
- ``sign(key, entry)`` / ``signature_ok(public, entry)``: the signature over ``signed_bytes(entry)``,
  the entry's canonical JSON (keys sorted) without ``entry_hash`` and ``signature``: seq,
  ``prev_hash``, event, times and every field, so neither the entry nor its place in the chain can
  change.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from wildtrace.errors import ConfigError

KEY_NAME = "wildtrace-evidence.key"
PUBLIC_NAME = "wildtrace-evidence.pub"
UNSIGNED = "unsigned"
_LOG_NAME = "custody.jsonl"  # custody.LOG_NAME (custody imports this module)


def signed_bytes(entry: dict[str, Any]) -> bytes:
    body = {k: v for k, v in entry.items() if k not in ("entry_hash", "signature")}
    return orjson.dumps(body, option=orjson.OPT_SORT_KEYS)


def fingerprint(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "SHA256:" + base64.b64encode(hashlib.sha256(raw).digest()).decode().rstrip("=")


def sign(key: Ed25519PrivateKey, entry: dict[str, Any]) -> str:
    return base64.b64encode(key.sign(signed_bytes(entry))).decode()


def signature_ok(public: Ed25519PublicKey, entry: dict[str, Any]) -> bool:
    signature = entry.get("signature")
    if not isinstance(signature, str):
        return False
    try:
        public.verify(base64.b64decode(signature, validate=True), signed_bytes(entry))
    except (InvalidSignature, ValueError):
        return False
    return True


def evidence_folder_of(path: Path) -> Path | None:
    """The evidence folder ``path`` is in (or is), or None."""
    for folder in (path.resolve(), *path.resolve().parents):
        if (folder / _LOG_NAME).exists():
            return folder
    return None


def generate(out_dir: Path) -> tuple[Path, Path, str]:
    """A new key pair in ``out_dir``: (private key file, public key file, fingerprint)."""
    out_dir = Path(out_dir)
    inside = evidence_folder_of(out_dir)
    if inside is not None:
        raise ConfigError(f"{out_dir} is inside the evidence folder {inside}: keep the private key elsewhere")
    out_dir.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    private = out_dir / KEY_NAME
    public = out_dir / PUBLIC_NAME
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    for path, data, mode in ((private, pem, 0o600), (public, key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo), 0o644)):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
        except FileExistsError:
            raise ConfigError(f"{path} exists; a key is never overwritten") from None
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
    return private, public, fingerprint(key.public_key())


def load_private(path: Path) -> Ed25519PrivateKey:
    path = Path(path)
    try:
        if path.stat().st_mode & 0o077:
            raise ConfigError(f"{path}: the private key is readable by others (chmod 600 {path})")
    except OSError as exc:
        raise ConfigError(f"cannot read the key {path}: {exc.strerror or exc}") from None
    key = _load(path, "private key", serialization.load_pem_private_key)
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{path} is not an Ed25519 key (make one with `wildtrace evidence keygen`)")
    return key


def load_public(path: Path) -> Ed25519PublicKey:
    key = _load(Path(path), "public key", serialization.load_pem_public_key)
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(f"{path} is not an Ed25519 public key (made by `wildtrace evidence keygen`)")
    return key


def _load(path: Path, what: str, parse: Any) -> Any:
    """A PEM key file parsed, or one ConfigError saying why not."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the {what} {path}: {exc.strerror or exc}") from None
    try:
        return parse(data, password=None) if what == "private key" else parse(data)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{path} is not a {what} ({exc})") from None


__all__ = ["KEY_NAME", "PUBLIC_NAME", "UNSIGNED", "evidence_folder_of", "fingerprint", "generate", "load_private",
           "load_public", "sign", "signature_ok", "signed_bytes"]
