"""Listing images in the store: the ``listing_images`` table (revision 0010).

One row per image file of a listing that the server owns (a file in its data folder, or a
capture's screenshot): its SHA-256, its pHash, and the OCR text once read (null until then).
Rows are written once per (listing, image reference) and only completed later (the OCR text):
a derived record, never the evidence itself.

Near-duplicates without a scan: the 64-bit pHash is cut into ``len(BANDS)`` bands, each an
indexed column. Two hashes within ``NEAR_BITS`` bits agree exactly on at least one band
(pigeonhole: ``NEAR_BITS + 1`` bands), so :func:`near` reads only the rows sharing a band
value (a handful at a million images) and checks their distance.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
import sqlalchemy as sa

from wildtrace.store import db
from wildtrace.store.schema import case_captures, listing_images
from wildtrace.store.sql import upsert

#: Bits of pHash within which two images are near-duplicates (always found: one more band).
NEAR_BITS = 4
#: The bit ranges of the five bands: [lo, hi) of the 64-bit pHash.
BANDS = tuple((round(i * 64 / (NEAR_BITS + 1)), round((i + 1) * 64 / (NEAR_BITS + 1)))
              for i in range(NEAR_BITS + 1))
#: Rows read per band value at most: a value shared by thousands (a blank or logo image) links
#: everything and explains nothing, so the lookup stays bounded.
MAX_BUCKET = 200
_BAND_COLUMNS = [listing_images.c[f"band{i}"] for i in range(len(BANDS))]


def bands(phash: int) -> list[int]:
    """The band values of a 64-bit pHash, in ``BANDS`` order."""
    return [(phash >> lo) & ((1 << (hi - lo)) - 1) for lo, hi in BANDS]


def of_listing(engine: sa.Engine, listing_id: str) -> dict[str, dict[str, Any]]:
    """The stored images of one listing, by image reference."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(listing_images).where(listing_images.c.listing_id == listing_id))
        return {r.ref: dict(r._mapping) for r in rows}


def add(engine: sa.Engine, rows: Iterable[dict[str, Any]]) -> int:
    """Store images not stored yet (a row already there for the listing and reference is kept);
    returns how many were new. Each row has the table's columns; ``phash`` as an int or None."""
    values = []
    for row in rows:
        phash = row.get("phash")
        cut = bands(int(phash)) if isinstance(phash, int) else [None] * len(BANDS)
        values.append({**row, "phash": f"{phash:016x}" if isinstance(phash, int) else None,
                       **{f"band{i}": v for i, v in enumerate(cut)}})
    if not values:
        return 0

    def work(conn: sa.Connection) -> int:
        done = 0
        for value in values:
            stmt = (upsert(conn, listing_images).values(**value).on_conflict_do_nothing()
                    .returning(listing_images.c.listing_id))
            done += conn.execute(stmt).first() is not None
        return done

    return int(db.write(engine, work))


def set_ocr(engine: sa.Engine, listing_id: str, ref: str, text: str, tool: str, at: str) -> None:
    """Record the OCR text of one stored image (the first reading stays: text already set is kept)."""
    t = listing_images.c
    db.write(engine, lambda conn: conn.execute(
        listing_images.update().where((t.listing_id == listing_id) & (t.ref == ref) & t.ocr_text.is_(None))
        .values(ocr_text=text, ocr_tool=tool, ocr_at=at)))


def near(engine: sa.Engine, phash: int, *, exclude: str = "", limit: int = 50) -> list[dict[str, Any]]:
    """Stored images of other listings within ``NEAR_BITS`` of ``phash``, closest first, each with
    ``distance``; at most ``MAX_BUCKET`` rows read per band."""
    t = listing_images.c
    found: dict[tuple[str, str], dict[str, Any]] = {}
    with engine.connect() as conn:
        for column, value in zip(_BAND_COLUMNS, bands(phash), strict=True):
            stmt = (sa.select(t.listing_id, t.ref, t.n, t.phash, t.width, t.height)
                    .where((column == value) & (t.listing_id != exclude)).limit(MAX_BUCKET))
            for row in conn.execute(stmt):
                distance = (int(row.phash, 16) ^ phash).bit_count()
                if distance <= NEAR_BITS:
                    found[(row.listing_id, row.ref)] = {**dict(row._mapping), "distance": distance}
    return sorted(found.values(), key=lambda r: (r["distance"], r["listing_id"], r["n"]))[:limit]


def first_owned(engine: sa.Engine, listing_ids: Iterable[str]) -> dict[str, int]:
    """For each listing with a stored, readable image: the lowest image number ``n`` (what
    ``/listing/image?id=ID&n=N&size=thumb`` serves). One indexed query (the key's first column)."""
    ids = list(dict.fromkeys(listing_ids))
    if not ids:
        return {}
    t = listing_images.c
    out: dict[str, int] = {}
    with engine.connect() as conn:
        for start in range(0, len(ids), 500):
            stmt = (sa.select(t.listing_id, sa.func.min(t.n).label("n"))
                    .where(t.listing_id.in_(ids[start:start + 500]) & t.sha256.is_not(None))
                    .group_by(t.listing_id))
            out.update({r.listing_id: int(r.n) for r in conn.execute(stmt)})
    return out


def captures_of(engine: sa.Engine, listing_id: str) -> list[dict[str, Any]]:
    """Case captures of the listing (``evidence_dir`` and the custody entry, as JSON text), oldest
    first. ``case_captures`` holds the captures analysts added to cases: a small table."""
    needle = orjson.dumps({"listing_id": listing_id}).decode()[1:-1]
    c = case_captures.c
    with engine.connect() as conn:
        rows = conn.execute(sa.select(c.capture_id, c.evidence_dir, c.entry)
                            .where(c.entry.contains(needle, autoescape=True))
                            .order_by(c.added_at, c.capture_id))
        out, seen = [], set()
        for row in rows:
            entry = orjson.loads(row.entry)
            if entry.get("listing_id") == listing_id and row.capture_id not in seen:
                seen.add(row.capture_id)
                out.append({"capture_id": row.capture_id, "evidence_dir": row.evidence_dir, "entry": entry})
        return out


def captured(engine: sa.Engine, listing_ids: Iterable[str]) -> set[str]:
    """Which of ``listing_ids`` have a case capture (``captures_of`` not empty): one query per 500
    ids, the listing id read from each custody entry by the database's JSON functions."""
    ids = list(dict.fromkeys(listing_ids))
    found: set[str] = set()
    if not ids:
        return found
    entry = case_captures.c.entry  # JSON text: PostgreSQL reads it as JSON by a cast, SQLite as it is
    doc = sa.cast(entry, sa.JSON) if engine.dialect.name == "postgresql" else sa.type_coerce(entry, sa.JSON)
    listing = doc["listing_id"].as_string()
    with engine.connect() as conn:
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            found.update(r[0] for r in conn.execute(sa.select(listing).distinct().where(listing.in_(part))))
    return found
