"""Listings for the learning commands: from a file, or from the scan store."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson

from wildtrace.errors import DataError, InvalidRecord
from wildtrace.scan.listing import Listing, listing_from_record
from wildtrace.scan.readers import Reject, read_listings
from wildtrace.settings import Settings


def read_file(path: Path, settings: Settings) -> tuple[list[Listing], list[Reject]]:
    """Every listing of a JSONL or CSV file, and the rejected records."""
    listings: list[Listing] = []
    rejects: list[Reject] = []
    try:
        with open(path, "rb") as fh:
            for item in read_listings(fh, name=str(path), max_field_chars=settings.max_field_chars,
                                      max_record_bytes=settings.max_record_bytes):
                (rejects if isinstance(item, Reject) else listings).append(item)  # type: ignore[arg-type]
    except OSError as exc:
        raise DataError(f"cannot read listings {path}: {exc}") from exc
    return listings, rejects


def read_store(settings: Settings) -> list[Listing]:
    """The newest version of every listing saved by ``scan --save`` (read-only)."""
    path = settings.db_path
    if not path.is_file():
        return []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT l.record FROM listings l JOIN (SELECT listing_id, MAX(version) v FROM listings "
                          "GROUP BY listing_id) m ON l.listing_id = m.listing_id AND l.version = m.v").fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        db.close()
    out = []
    for (record,) in rows:
        try:
            out.append(listing_from_record(orjson.loads(record), max_field_chars=settings.max_field_chars))
        except (InvalidRecord, orjson.JSONDecodeError):
            continue
    return out
