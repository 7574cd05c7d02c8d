"""A listing's gallery: its images as the listing page shows them, each owned file fingerprinted
and read once and stored (``wildtrace.store.images``), with its near-duplicates on other listings.

Which files the server may show (:func:`owned_image`): an image file inside the server's data
folder that the listing names by a relative path, or the screenshot of a capture of the listing
kept in an evidence folder inside the data folder. Nothing else: a remote image stays a link,
because loading it from the analyst's browser (or from the server) would tell the seller who is
looking, and a path out of the data folder is listing data (hostile) naming a server file.

Numbering: the listing's own images are ``n = 0, 1, …`` in its ``images`` field; the capture
screenshots follow. ``/listing/image?id=ID&n=N`` serves image ``N``.

Fingerprints are made when an image is first seen (``indexer``: the pipeline's ``after_save``
hook; or the listing page, for an image not yet stored); OCR text when the page first asks for it
(``read_text``, one image per request, so the page itself never waits on tesseract). A later view
reads both from the store; near-duplicates are one band lookup per image.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from wildtrace import clock
from wildtrace.errors import InvalidRecord
from wildtrace.extras import MissingExtra
from wildtrace.provenance import stamp
from wildtrace.store import images as stored

#: image files the server may show (inside its data folder, nothing else)
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp"})
#: owned images fingerprinted and read per listing at most (a hostile listing may name thousands)
MAX_INDEXED = 12
#: near-duplicates shown per image at most
MAX_NEAR = 20


def owned_path(data_dir: Path, path: Path) -> Path | None:
    """``path`` resolved when it is an image file inside ``data_dir``, else None."""
    try:  # no file there (the usual case for a listing's reference): one stat, not a resolve
        if not path.is_file():
            return None
    except (OSError, ValueError):
        return None
    root = Path(data_dir).resolve()
    try:
        real = path.resolve()
    except (OSError, ValueError, RuntimeError):
        return None
    try:
        if not real.is_relative_to(root) or real.suffix.lower() not in IMAGE_SUFFIXES or not real.is_file():
            return None
    except (OSError, ValueError):
        return None
    return real


def owned_image(data_dir: Path, ref: str) -> Path | None:
    """The file ``ref`` (a listing's image reference) names when it is an image inside the server's
    data folder, else None."""
    if not ref or "://" in ref or ref.startswith("//") or "\x00" in ref or ref.startswith("data:"):
        return None
    return owned_path(data_dir, Path(data_dir) / ref)


@dataclass
class Picture:
    """One image of a listing as the page shows it."""

    n: int
    ref: str
    source: str  # listing or capture
    path: Path | None = None  # the server's own file, when it has one
    remote: bool = False
    sha256: str | None = None
    phash: str | None = None
    width: int | None = None
    height: int | None = None
    error: str | None = None
    ocr_text: str | None = None
    ocr_tool: str | None = None
    near: list[dict[str, Any]] = field(default_factory=list)

    @property
    def owned(self) -> bool:
        return self.path is not None


def _refs(listing: dict[str, Any]) -> list[str]:
    """The listing's own image references (its ``images`` field; what is not text is skipped)."""
    return [x for x in listing.get("images") or [] if isinstance(x, str)]


def pictures(engine: sa.Engine, data_dir: Path, listing_id: str, listing: dict[str, Any]) -> list[Picture]:
    """The listing's images (numbered) and the screenshots of its captures, without store reads
    beyond the captures; owned files resolved."""
    refs = _refs(listing)
    out = [Picture(n, ref, "listing", owned_image(data_dir, ref),
                   ref.lower().startswith(("http://", "https://"))) for n, ref in enumerate(refs)]
    for capture in stored.captures_of(engine, listing_id):
        shot = capture["entry"].get("screenshot")
        if not isinstance(shot, str) or not shot.lower().endswith(".png"):
            continue  # no screenshot: the field says why
        path = owned_path(data_dir, Path(capture["evidence_dir"]) / shot)
        if path is not None:
            ref = path.relative_to(Path(data_dir).resolve()).as_posix()
            out.append(Picture(len(out), ref, "capture", path))
    return out


def picture(engine: sa.Engine, data_dir: Path, listing_id: str, listing: dict[str, Any], n: int) -> Path | None:
    """The server's own file of image ``n`` of the listing, or None."""
    found = [p for p in pictures(engine, data_dir, listing_id, listing) if p.n == n]
    return found[0].path if found else None


def _print_row(listing_id: str, pic: Picture) -> dict[str, Any]:
    from wildtrace.images.fingerprint import fingerprint

    assert pic.path is not None
    row: dict[str, Any] = {"listing_id": listing_id, "ref": pic.ref, "source": pic.source, "n": pic.n,
                           "seen_at": clock.stamp()}
    try:
        fp = fingerprint(pic.path)
    except (InvalidRecord, OSError, ValueError) as exc:  # not an image: stored as such, never retried
        reason = exc.reason if isinstance(exc, InvalidRecord) else str(exc)
        row.update(error=reason.replace(str(pic.path), pic.ref)[:500], provenance="{}")
        return row
    row.update(sha256=fp.sha256, phash=fp.phash, width=fp.width, height=fp.height,
               provenance=orjson.dumps(stamp("images.gallery", input_sha256=fp.sha256,
                                             params={"hash": "phash", "near_bits": stored.NEAR_BITS})).decode())
    return row


def index(engine: sa.Engine, data_dir: Path, listing_id: str, listing: dict[str, Any]) -> list[Picture]:
    """Fingerprint the listing's owned images not done yet, store them, and return the pictures
    filled from the store (with the OCR text of those already read)."""
    pics = pictures(engine, data_dir, listing_id, listing)
    owned = [p for p in pics if p.owned][:MAX_INDEXED]
    if not owned:
        return pics
    have = stored.of_listing(engine, listing_id)
    new = [_print_row(listing_id, p) for p in owned if p.ref not in have]
    if new:
        stored.add(engine, new)
        have = stored.of_listing(engine, listing_id)
    for pic in pics:
        row = have.get(pic.ref)
        if row is not None and pic.owned:
            for key in ("sha256", "phash", "width", "height", "error", "ocr_text", "ocr_tool"):
                setattr(pic, key, row[key])
    return pics


def read_text(engine: sa.Engine, data_dir: Path, listing_id: str, listing: dict[str, Any], n: int,
              lang: str | None = None) -> Picture | None:
    """Image ``n`` of the listing with its OCR text, read now (with the packs for ``lang``) when it
    was not read before, and stored; None when ``n`` is no owned, readable image of the listing
    (a capture screenshot is not read: the page's text is in its WARC)."""
    pic = next((p for p in index(engine, data_dir, listing_id, listing) if p.n == n), None)
    if pic is None or not pic.sha256 or pic.source != "listing":
        return None
    if pic.ocr_text is None:
        text, tool = _read(pic, lang or listing.get("lang"))
        if tool:
            stored.set_ocr(engine, listing_id, pic.ref, text, tool, clock.stamp())
            pic.ocr_text, pic.ocr_tool = text, tool
    return pic


def _read(pic: Picture, lang: Any) -> tuple[str, str]:
    """OCR text and the tool that read it; ``("", "")`` when no tesseract is installed (not stored,
    so the text is read once one is)."""
    from wildtrace.images.ocr import ocr as run_ocr

    assert pic.path is not None
    try:
        got = run_ocr(pic.path, lang if isinstance(lang, str) else None, timeout=60)
    except InvalidRecord as exc:
        if "needs the tesseract command" in exc.reason:
            return "", ""
        return "", f"tesseract failed: {exc.reason.replace(str(pic.path), pic.ref)[:200]}"
    except (OSError, TimeoutError, ValueError) as exc:
        return "", f"tesseract failed: {type(exc).__name__}"
    return got.text, got.tool


def gallery(engine: sa.Engine, data_dir: Path, listing_id: str, listing: dict[str, Any]) -> list[Picture]:
    """The listing page's images: fingerprinted once, each with its OCR text when read (``read_text``)
    and its near-duplicates on other listings (within ``NEAR_BITS`` of pHash, closest first)."""
    pics = index(engine, data_dir, listing_id, listing)
    for pic in pics:
        if pic.phash:
            pic.near = stored.near(engine, int(pic.phash, 16), exclude=listing_id, limit=MAX_NEAR)
    return pics


def has_owned_image(engine: sa.Engine, listing_ids: Iterable[str]) -> dict[str, int]:
    """For each of ``listing_ids`` that has an owned, readable image already fingerprinted: the
    number ``n`` of its first one (``/listing/image?id=ID&n=N&size=thumb``). One indexed query;
    listings not indexed yet (no page view, no ``indexer`` run) are absent."""
    return stored.first_owned(engine, listing_ids)


def indexer(engine: sa.Engine, data_dir: Path) -> Callable[[list[Any]], None]:
    """An ``after_save`` hook for ``pipeline.ingest``: fingerprints the owned images of each saved
    result (no OCR: that waits for the page), so near-duplicates are found from the first scan.
    Without the investigations extra (Pillow, ImageHash) there is nothing to fingerprint with:
    the hook does nothing, and a scan that stores listings never fails for it."""
    try:
        from wildtrace.images import fingerprint  # noqa: F401 - the extra's presence, checked once
    except (MissingExtra, ImportError):
        return lambda results: None

    def after_save(results: list[Any]) -> None:
        todo: list[tuple[str, dict[str, Any]]] = []  # every version of a listing in the batch
        for result in results:
            listing = result.listing if hasattr(result, "listing") else result.get("listing") or {}
            listing_id = result.id if hasattr(result, "id") else result.get("id")
            if listing.get("images") and listing_id:
                todo.append((str(listing_id), listing))
        if not todo:
            return
        # a listing has something to fingerprint only with an owned image of its own or a capture:
        # one query for the batch's captures, one stat per reference, before any per-listing read
        captured = stored.captured(engine, [listing_id for listing_id, _ in todo])
        for listing_id, listing in todo:
            if listing_id in captured or any(owned_image(data_dir, ref) is not None for ref in _refs(listing)):
                index(engine, data_dir, listing_id, listing)

    return after_save
