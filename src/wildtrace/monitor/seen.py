"""What the marketplace monitor saw of one listing, for the workbench's listing page.

- ``seen(evidence_dir, engine, listing_id)``: every URL the monitor saw the listing at (source,
  first and last seen, last change, gone, status) and the URLs found to duplicate it, each with its
  last capture as the source's evidence folder (``evidence_dir / monitor-<source>``) holds it:
  whether its screenshot is there, and the SHA-256s its custody entry gives (page, screenshot,
  WARC). None when the monitor never saw the listing;
- ``screenshot_path(evidence_dir, engine, listing_id, source, capture_id)``: the screenshot file of
  one of the listing's monitor captures, for the workbench to send; NotFound for anything else.

The source and capture id are hostile input when they come from a request: each must match its
strict pattern and the crawl state (the URL of this listing at that source whose last capture
it is) before a path is built, and the resolved path must stay inside the source's folder.

Reads the store and the evidence folders only: no Scrapy (the workbench does not need the
``monitor`` extra).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from wildtrace.errors import NotFound
from wildtrace.evidence.custody import LOG_NAME, CustodyLog
from wildtrace.store import crawl

#: A source's name, as ``monitor.sources`` allows it
SOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
#: A capture id as ``evidence.capture`` makes it: time (UTC), 8 hex digits of the URL's hash, and a
#: number when two captures of the URL start in the same microsecond
CAPTURE_ID = re.compile(r"^\d{8}T\d{12}Z-[0-9a-f]{8}(-\d{1,3})?$")
SCREENSHOT = "screenshot.png"
WARC = "page.warc.gz"


def folder(evidence_dir: Path, source: str) -> Path:
    """The evidence folder the monitor captures ``source``'s pages into (``monitor-<source>``)."""
    if not SOURCE_NAME.fullmatch(source):
        raise NotFound(f"no monitor source {source[:80]!r}")
    return Path(evidence_dir) / f"monitor-{source}"


def _inside(root: Path, capture_id: str, name: str) -> Path | None:
    """``root/captures/<capture_id>/<name>`` when it is a file that resolves inside ``root``."""
    base = root.resolve()
    path = (base / "captures" / capture_id / name).resolve()
    return path if base in path.parents and path.is_file() else None


def _entries(evidence_dir: Path, source: str, wanted: set[str]) -> dict[str, dict[str, Any]]:
    """The ``capture`` custody entries of ``wanted`` capture ids in the source's folder (the log is
    read once, to the last one found)."""
    found: dict[str, dict[str, Any]] = {}
    log_dir = folder(evidence_dir, source)
    if not (log_dir / LOG_NAME).is_file():
        return found
    for _, entry in CustodyLog(log_dir).entries():
        if entry and entry.get("event") == "capture" and entry.get("capture_id") in wanted:
            found[str(entry["capture_id"])] = entry
            if len(found) == len(wanted):
                break
    return found


def _file_sha(entry: dict[str, Any], capture_id: str, name: str) -> str | None:
    """The SHA-256 the custody entry lists for ``captures/<capture_id>/<name>``."""
    for f in entry.get("files") or []:
        if isinstance(f, dict) and f.get("path") == f"captures/{capture_id}/{name}":
            sha = f.get("sha256")
            return sha if isinstance(sha, str) else None
    return None


def _capture(evidence_dir: Path, row: dict[str, Any], entries: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The row's last capture: id, time, the custody entry's hashes, whether the screenshot is there."""
    capture_id, source = row.get("last_capture"), str(row.get("source") or "")
    if not isinstance(capture_id, str) or not capture_id:
        return None
    if not CAPTURE_ID.fullmatch(capture_id) or not SOURCE_NAME.fullmatch(source):
        return {"capture_id": capture_id, "source": source, "logged": False, "screenshot": False}
    entry = entries.get(capture_id) or {}
    shot = _inside(folder(evidence_dir, source), capture_id, SCREENSHOT)
    return {"capture_id": capture_id, "source": source, "logged": bool(entry),
            "captured_at": entry.get("captured_at"), "payload_sha256": entry.get("payload_sha256"),
            "http_status": entry.get("http_status"), "signer": entry.get("signer"),
            "screenshot": shot is not None, "screenshot_sha256": _file_sha(entry, capture_id, SCREENSHOT),
            "warc_sha256": _file_sha(entry, capture_id, WARC)}


def _custody(evidence_dir: Path, rows: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The custody entries of the rows' last captures, every source's log read once."""
    wanted: dict[str, set[str]] = {}
    for row in rows:
        capture_id, source = row.get("last_capture"), str(row.get("source") or "")
        if isinstance(capture_id, str) and CAPTURE_ID.fullmatch(capture_id) and SOURCE_NAME.fullmatch(source):
            wanted.setdefault(source, set()).add(capture_id)
    out: dict[str, dict[str, Any]] = {}
    for source, ids in wanted.items():
        out.update(_entries(evidence_dir, source, ids))
    return out


def seen(evidence_dir: Path, engine: sa.Engine, listing_id: str) -> dict[str, Any] | None:
    """What the monitor saw of ``listing_id``: ``{"urls": [...], "duplicates": [...], "gone":
    [...]}``, each a crawl-state row with ``source_ok`` and its ``capture``: ``urls`` the listing's
    own URLs, ``duplicates`` the URLs found to hold the same listing (a second URL of it, or a copy
    under another id or source), ``gone`` its own URLs that vanished. None when it never saw it."""
    rows = crawl.for_listing(engine, listing_id)
    if not rows:
        return None
    entries = _custody(evidence_dir, rows)
    for row in rows:
        row["source_ok"] = bool(SOURCE_NAME.fullmatch(str(row.get("source") or "")))
        row["capture"] = _capture(evidence_dir, row, entries)
    duplicates = [r for r in rows if r.get("duplicate_of") == listing_id]  # a second URL of it, or a copy
    urls = [r for r in rows if r.get("duplicate_of") != listing_id]
    return {"urls": urls, "duplicates": duplicates, "gone": [r for r in urls if r.get("gone_at")]}


def screenshot_path(evidence_dir: Path, engine: sa.Engine, listing_id: str, source: str, capture_id: str) -> Path:
    """The screenshot of capture ``capture_id`` of ``source``, when the crawl state names it as the
    last capture of one of ``listing_id``'s URLs (its own or a duplicate's) and the file lies inside
    the source's evidence folder; NotFound for anything else."""
    if not SOURCE_NAME.fullmatch(source) or not CAPTURE_ID.fullmatch(capture_id):
        raise NotFound("no such monitor capture")
    if not any(r.get("source") == source and r.get("last_capture") == capture_id
               for r in crawl.for_listing(engine, listing_id)):
        raise NotFound("no such monitor capture of this listing")
    path = _inside(folder(evidence_dir, source), capture_id, SCREENSHOT)
    if path is None:
        raise NotFound(f"capture {capture_id} of {source} has no screenshot in its evidence folder")
    return path


__all__ = ["CAPTURE_ID", "SOURCE_NAME", "folder", "screenshot_path", "seen"]
