"""WACZ packages of captures: one file a web-archive player opens, with the hash of every part.

``build_wacz(out, captures, title=...)`` writes a WACZ 1.1.1 file with webrecorder's ``wacz``
package (its ``create`` command, run in-process): every capture's WARC, copied (never moved or
changed) as ``archive/<capture_id>.warc.gz``, the CDXJ index (``indexes/``), ``pages/pages.jsonl``
(one page per capture: its id, URL, capture time and the page's ``<title>``), ``datapackage.json``
(every file with its SHA-256 and size) and ``datapackage-digest.json`` (the SHA-256 of
``datapackage.json``).

``sign_wacz(src, dst, key)`` adds ``signedData`` to ``datapackage-digest.json`` in the spirit of
the WACZ Signing and Verification spec (webrecorder/specs, wacz-auth 0.1.0, "anonymous
signature"): ``hash`` (of ``datapackage.json``), ``created`` (``datapackage.json``'s own),
``software``, ``version``, ``signature`` (base64) and ``publicKey`` (base64 DER
SubjectPublicKeyInfo). The spec's signature is ECDSA; ours is **Ed25519** with the evidence key
(``evidence keygen``), so ``signatureAlgorithm: "Ed25519"`` is added to say so.

``read_wacz(path)`` reads a package back for ``evidence verify``: its members, datapackage and
digest, with every problem it can name.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html.parser
import io
import json
import shutil
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from warcio.archiveiterator import ArchiveIterator

from wildtrace import __version__
from wildtrace.errors import DataError

DIGEST_NAME = "datapackage-digest.json"
PACKAGE_NAME = "datapackage.json"
MAX_TITLE = 300
_TITLE_BYTES = 1_000_000  # the part of a page searched for its <title>


@dataclass(frozen=True)
class PageOf:
    """One capture as the package's page list gives it."""

    capture_id: str
    url: str
    ts: str  # the capture time, ISO 8601 UTC
    warc: Path  # the capture's WARC (copied into the package, never changed)


def public_key_b64(public: Ed25519PublicKey) -> str:
    """The key as ``publicKey`` is written: base64 DER SubjectPublicKeyInfo."""
    return base64.b64encode(public.public_bytes(serialization.Encoding.DER,
                                                serialization.PublicFormat.SubjectPublicKeyInfo)).decode()


def public_key_from_b64(text: str) -> Ed25519PublicKey | None:
    try:
        key = serialization.load_der_public_key(base64.b64decode(text, validate=True))
    except (ValueError, TypeError):
        return None
    return key if isinstance(key, Ed25519PublicKey) else None


class _Title(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inside, self.done = False, False
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.inside = tag == "title" and not self.done

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self.inside:
            self.inside, self.done = False, True

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.parts.append(data)


def page_title(warc: Path) -> str | None:
    """The ``<title>`` of the last HTML response in ``warc`` (whitespace folded, control characters
    dropped, at most ``MAX_TITLE`` characters), or None. Page text is hostile: it is only ever data."""
    body = None
    with open(warc, "rb") as fh:
        for record in ArchiveIterator(fh):
            if record.rec_type == "response" and record.http_headers is not None and \
                    "html" in (record.http_headers.get_header("Content-Type") or "").lower():
                body = record.content_stream().read(_TITLE_BYTES)
    if not body:
        return None
    parser = _Title()
    with contextlib.suppress(Exception):  # a broken page has no title, not an error
        parser.feed(body.decode("utf-8", "replace"))
    text = " ".join("".join(parser.parts).split())
    text = "".join(ch for ch in text if ch.isprintable())
    return text[:MAX_TITLE] or None


def build_wacz(out: Path, pages: Iterable[PageOf], *, title: str, description: str, stage: Path) -> None:
    """Write the WACZ of ``pages`` to ``out`` (a new file in a scratch folder), staging copies of the
    WARCs in ``stage``; a failure of the ``wacz`` package is a DataError with what it said."""
    from wacz.main import main as wacz_main  # the monitor extra

    warcs: list[str] = []
    lines = [json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "Pages"})]
    for page in pages:
        copy = stage / f"{page.capture_id}.warc.gz"
        shutil.copyfile(page.warc, copy)
        warcs.append(str(copy))
        lines.append(json.dumps({"id": page.capture_id, "url": page.url, "ts": page.ts,
                                 "title": page_title(copy) or page.url}))
    pages_file = stage / "pages.jsonl"
    pages_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    said = io.StringIO()
    try:
        with contextlib.redirect_stdout(said), contextlib.redirect_stderr(said):
            rc = wacz_main(["create", "-o", str(out), "--pages", str(pages_file), "--copy-pages",
                            "--title", title, "--desc", description, *warcs])
    except Exception as exc:  # noqa: BLE001 - the package's failure, told in one line
        raise DataError(f"the wacz package could not build the package: {type(exc).__name__}: {exc}") from exc
    if rc != 0:
        raise DataError(f"the wacz package could not build the package: {said.getvalue().strip()[-500:]}")


def sign_wacz(src: Path, dst: Path, key: Ed25519PrivateKey) -> dict[str, Any]:
    """Copy the WACZ ``src`` to ``dst`` with ``signedData`` in its digest file (see the module);
    returns the new digest file's content."""
    with zipfile.ZipFile(src) as zin:
        datapackage = zin.read(PACKAGE_NAME)
        digest = json.loads(zin.read(DIGEST_NAME))
        dp_hash = "sha256:" + hashlib.sha256(datapackage).hexdigest()
        if digest.get("hash") != dp_hash:
            raise DataError(f"the wacz package wrote a digest ({digest.get('hash')}) that is not the hash of "
                            f"{PACKAGE_NAME} ({dp_hash})")
        digest["signedData"] = {
            "hash": dp_hash, "created": json.loads(datapackage).get("created"),
            "software": "WildTrace", "version": __version__, "signatureAlgorithm": "Ed25519",
            "signature": base64.b64encode(key.sign(dp_hash.encode())).decode(),
            "publicKey": public_key_b64(key.public_key())}
        with zipfile.ZipFile(dst, "x") as zout:
            for info in zin.infolist():
                copy = zipfile.ZipInfo(info.filename, info.date_time)
                copy.compress_type, copy.external_attr = info.compress_type, info.external_attr
                if info.filename == DIGEST_NAME:
                    zout.writestr(copy, json.dumps(digest, indent=2))
                    continue
                with zin.open(info) as fin, zout.open(copy, "w", force_zip64=info.file_size > 2**31) as fout:
                    shutil.copyfileobj(fin, fout, 1 << 20)
    return dict(digest)


@dataclass
class WaczContents:
    """What ``read_wacz`` found: members' SHA-256 (``archive/…`` etc.), the datapackage and its
    digest, and ``problems`` (plain sentences)."""

    members: dict[str, str] = field(default_factory=dict)
    datapackage: dict[str, Any] | None = None
    datapackage_sha256: str | None = None  # "sha256:<hex>"
    digest: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)


def read_wacz(path: Path) -> WaczContents:
    """Re-hash every member of the WACZ at ``path`` and check it against ``datapackage.json``, and
    ``datapackage.json`` against ``datapackage-digest.json`` (and its ``signedData``)."""
    out = WaczContents()
    try:
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                h = hashlib.sha256()
                try:
                    with z.open(info) as fh:
                        for block in iter(lambda: fh.read(1 << 20), b""):  # noqa: B023 - read now
                            h.update(block)
                except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
                    out.problems.append(f"member {info.filename} is damaged ({exc})")
                    continue
                out.members[info.filename] = h.hexdigest()
            raw = z.read(PACKAGE_NAME) if PACKAGE_NAME in out.members else None
            digest_raw = z.read(DIGEST_NAME) if DIGEST_NAME in out.members else None
    except (zipfile.BadZipFile, OSError) as exc:
        out.problems.append(f"not a readable WACZ (zip) file ({exc})")
        return out
    if raw is None:
        out.problems.append(f"no {PACKAGE_NAME} in the package")
        return out
    out.datapackage_sha256 = "sha256:" + hashlib.sha256(raw).hexdigest()
    try:
        out.datapackage = json.loads(raw)
        out.digest = json.loads(digest_raw) if digest_raw is not None else None
    except ValueError as exc:
        out.problems.append(f"{PACKAGE_NAME} or {DIGEST_NAME} is not JSON ({exc})")
        return out
    _check_resources(out)
    _check_digest(out)
    return out


def _check_resources(out: WaczContents) -> None:
    listed: set[str] = set()
    for res in (out.datapackage or {}).get("resources") or []:
        member = res.get("path") if isinstance(res, dict) else None
        if not isinstance(member, str):
            out.problems.append(f"{PACKAGE_NAME} has a resource without a path")
            continue
        listed.add(member)
        if member not in out.members:
            out.problems.append(f"{member} is listed in {PACKAGE_NAME} and missing from the package")
        elif res.get("hash") != "sha256:" + out.members[member]:
            out.problems.append(f"{member} SHA-256 {out.members[member]} != {res.get('hash')} in {PACKAGE_NAME}")
    for member in sorted(set(out.members) - listed - {PACKAGE_NAME, DIGEST_NAME}):
        out.problems.append(f"{member} is in the package and not listed in {PACKAGE_NAME}")


def _check_digest(out: WaczContents) -> None:
    digest = out.digest
    if not isinstance(digest, dict):
        out.problems.append(f"no {DIGEST_NAME} in the package")
        return
    if digest.get("hash") != out.datapackage_sha256:
        out.problems.append(f"{PACKAGE_NAME} SHA-256 {out.datapackage_sha256} != {digest.get('hash')} in {DIGEST_NAME}")
    signed = digest.get("signedData")
    if not isinstance(signed, dict):
        out.problems.append(f"{DIGEST_NAME} has no signedData")
        return
    public = public_key_from_b64(str(signed.get("publicKey", "")))
    if signed.get("hash") != out.datapackage_sha256:
        out.problems.append(f"signedData signs {signed.get('hash')}, not {PACKAGE_NAME} ({out.datapackage_sha256})")
    elif public is None:
        out.problems.append("signedData's publicKey is not an Ed25519 public key")
    else:
        try:
            public.verify(base64.b64decode(str(signed.get("signature", "")), validate=True),
                          str(signed["hash"]).encode())
        except (InvalidSignature, ValueError):
            out.problems.append("signedData's signature does not verify with its publicKey")


__all__ = ["DIGEST_NAME", "PACKAGE_NAME", "PageOf", "WaczContents", "build_wacz", "page_title", "public_key_b64",
           "public_key_from_b64", "read_wacz", "sign_wacz"]
