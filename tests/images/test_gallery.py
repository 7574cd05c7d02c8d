"""A listing's gallery (wildtrace.images.gallery) on a real SQLite store with real image files:
owned files only, fingerprints and OCR stored once, near-duplicates by band lookup, thumbnails,
capture screenshots, and hostile image references."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest
from PIL import Image

from wildtrace.errors import InvalidRecord
from wildtrace.images import gallery
from wildtrace.images.thumbnail import SIZES, thumbnail
from wildtrace.store import cases
from wildtrace.store import images as stored
from wildtrace.store.sql import SQLStore

from .pictures import photo, printed, recompressed

NEEDS_TESSERACT = pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs tesseract-ocr")


@pytest.fixture
def engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    store = SQLStore(tmp_path / "w.sqlite")
    yield store.engine
    store.engine.dispose()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


def test_bands_find_every_hash_within_near_bits() -> None:
    """Pigeonhole: flipping up to NEAR_BITS bits leaves at least one band equal."""
    base = 0x9F3A_5C7E_0123_4567
    covered = {b for lo, hi in stored.BANDS for b in range(lo, hi)}
    assert covered == set(range(64)) and len(stored.BANDS) == stored.NEAR_BITS + 1
    for start in range(0, 64 - stored.NEAR_BITS):
        flipped = base
        for bit in range(start, 64, 13)[:stored.NEAR_BITS]:
            flipped ^= 1 << bit
        assert any(a == b for a, b in zip(stored.bands(base), stored.bands(flipped), strict=True)), start


def test_near_duplicate_found_and_unrelated_not(engine, data: Path) -> None:  # type: ignore[no-untyped-def]
    original = photo(data / "img" / "horn.png", seed=7)
    recompressed(original, data / "img" / "horn-small.jpg")
    photo(data / "img" / "other.png", seed=99)
    gallery.index(engine, data, "L-orig", {"images": ["img/horn.png"]})
    gallery.index(engine, data, "L-unrelated", {"images": ["img/other.png"]})
    pics = gallery.gallery(engine, data, "L-copy", {"images": ["img/horn-small.jpg"]})
    near = pics[0].near
    assert [(d["listing_id"], d["n"]) for d in near] == [("L-orig", 0)], near
    assert near[0]["distance"] <= stored.NEAR_BITS
    unrelated = gallery.gallery(engine, data, "L-unrelated", {"images": ["img/other.png"]})
    assert unrelated[0].near == [], unrelated[0].near


@NEEDS_TESSERACT
def test_ocr_read_once_and_stored(engine, data: Path) -> None:  # type: ignore[no-untyped-def]
    path = printed(data / "img" / "words.png", "RHINO HORN 0987654321")
    listing = {"images": ["https://x.example/a.jpg", "img/words.png"], "lang": "en"}
    assert gallery.gallery(engine, data, "L-words", listing)[1].ocr_text is None, "the page never waits on OCR"
    assert gallery.read_text(engine, data, "L-words", listing, 0) is None, "a remote image is not read"
    first = gallery.read_text(engine, data, "L-words", listing, 1)
    assert first is not None and "RHINO" in (first.ocr_text or ""), first
    row = stored.of_listing(engine, "L-words")["img/words.png"]
    assert "0987654321" in row["ocr_text"] and row["ocr_tool"].startswith("tesseract")
    printed(path, "SOMETHING ELSE")  # the file changes: the stored reading is what the page shows
    assert "RHINO" in (gallery.read_text(engine, data, "L-words", listing, 1).ocr_text or "")  # type: ignore[union-attr]
    assert "RHINO" in (gallery.gallery(engine, data, "L-words", listing)[1].ocr_text or "")
    assert stored.of_listing(engine, "L-words")["img/words.png"] == row


def test_hostile_references_are_never_files_of_the_server(engine, data: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    outside = photo(tmp_path / "outside.png", seed=3)
    (data / "link.png").symlink_to(outside)
    odd = photo(data / "img" / "<img src=x onerror=alert(1)> &amp; ;rm -rf ~ 象牙 \"q\".png", seed=4)
    (data / "img" / "fake.png").write_text("<html><script>alert(1)</script></html>")
    refs = ["../outside.png", str(outside), "link.png", "img/../../outside.png", "https://x.example/a.png",
            "//x.example/a.png", "data:image/png;base64,AAAA", "img/a\x00.png", "", "img",
            f"img/{odd.name}", "img/fake.png", "img/" + "x" * 5000 + ".png"]
    pics = gallery.gallery(engine, data, "L-hostile", {"images": refs})
    owned = {p.ref: p for p in pics if p.owned}
    assert set(owned) == {f"img/{odd.name}", "img/fake.png"}, owned
    assert owned[f"img/{odd.name}"].sha256 and owned["img/fake.png"].error, owned
    assert str(data) not in (owned["img/fake.png"].error or ""), "the server's path is not shown"
    assert gallery.picture(engine, data, "L-hostile", {"images": refs}, 0) is None
    with pytest.raises(InvalidRecord):
        thumbnail(data / "img" / "fake.png", SIZES["thumb"])
    assert gallery.has_owned_image(engine, ["L-hostile", "nope"]) == {"L-hostile": 10}


def test_thumbnail_fits_its_box_and_is_cached(data: Path) -> None:
    big = photo(data / "big.png", seed=5, size=(1200, 400))
    rgba = data / "alpha.png"
    Image.new("RGBA", (300, 500), (255, 0, 0, 80)).save(rgba)
    for path in (big, rgba):
        body = thumbnail(path, SIZES["thumb"])
        with Image.open(io.BytesIO(body)) as img:
            assert img.format == "JPEG" and max(img.size) == 96, img.size
        assert thumbnail(path, SIZES["thumb"]) is body, "made once, then served from the cache"
    os.utime(big, ns=(1, 1))
    assert thumbnail(big, SIZES["thumb"]) is not thumbnail(rgba, SIZES["thumb"])


def test_capture_screenshots_follow_the_listing_images(engine, data: Path) -> None:  # type: ignore[no-untyped-def]
    evidence = data / "evidence" / "case-1"
    shot = photo(evidence / "captures" / "c1" / "screenshot.png", seed=11)
    case = cases.create_case(engine, "Horn case", "ana")
    entries = [{"capture_id": "c1", "evidence_dir": str(evidence), "listing_id": "L-cap",
                "screenshot": "captures/c1/screenshot.png", "entry_hash": "h1"},
               {"capture_id": "c2", "evidence_dir": str(evidence), "listing_id": "L-cap",
                "screenshot": "no browser installed", "entry_hash": "h2"},
               {"capture_id": "c3", "evidence_dir": str(evidence), "listing_id": "L-cap-other",
                "screenshot": "captures/c1/screenshot.png", "entry_hash": "h3"}]
    cases.add_captures(engine, int(case["id"]), entries, "ana")
    pics = gallery.pictures(engine, data, "L-cap", {"images": ["https://x.example/a.jpg"]})
    assert [(p.n, p.source, p.owned) for p in pics] == [(0, "listing", False), (1, "capture", True)], pics
    assert gallery.picture(engine, data, "L-cap", {"images": ["https://x.example/a.jpg"]}, 1) == shot.resolve()
    assert gallery.picture(engine, data, "L-cap", {}, 0) == shot.resolve(), "numbered after the listing's own"


def test_indexer_fingerprints_saved_results(engine, data: Path) -> None:  # type: ignore[no-untyped-def]
    photo(data / "a.png", seed=21)
    recompressed(data / "a.png", data / "b.jpg")
    hook = gallery.indexer(engine, data)
    hook([{"id": "S-1", "listing": {"images": ["a.png"]}}, {"id": "S-2", "listing": {"images": ["b.jpg"]}},
          {"id": "S-3", "listing": {"title": "no images"}}])
    assert gallery.has_owned_image(engine, ["S-1", "S-2", "S-3"]) == {"S-1": 0, "S-2": 0}
    row = stored.of_listing(engine, "S-1")["a.png"]
    assert row["ocr_text"] is None, "OCR waits for the page"
    assert [d["listing_id"] for d in stored.near(engine, int(row["phash"], 16), exclude="S-1")] == ["S-2"]


def test_indexer_fingerprints_capture_screenshots_of_saved_results(engine, data: Path,  # type: ignore[no-untyped-def]
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A saved listing whose own images are remote but that has a case capture: the hook finds the
    capture (one query for the batch) and fingerprints its screenshot; a listing with neither an
    owned image nor a capture is left alone."""
    evidence = data / "evidence" / "case-1"
    photo(evidence / "captures" / "c1" / "screenshot.png", seed=11)
    case = cases.create_case(engine, "Horn case", "ana")
    cases.add_captures(engine, int(case["id"]), [{"capture_id": "c1", "evidence_dir": str(evidence),
                                                  "listing_id": "L-cap", "screenshot": "captures/c1/screenshot.png",
                                                  "entry_hash": "h1"}], "ana")
    photo(data / "own.png", seed=3)
    photo(data.parent / "outside.png", seed=4)  # a real image file, outside the data folder
    indexed: list[str] = []
    real_index = gallery.index
    monkeypatch.setattr(gallery, "index", lambda e, d, i, listing: indexed.append(i) or real_index(e, d, i, listing))
    hook = gallery.indexer(engine, data)
    hook([{"id": "L-cap", "listing": {"images": ["https://x.example/a.jpg"]}},
          {"id": "L-remote", "listing": {"images": ["https://x.example/b.jpg", "missing.png", "../outside.png"]}},
          {"id": "L-own", "listing": {"images": ["missing.png", "own.png"]}},
          {"id": "L-own", "listing": {"images": ["own.png", "missing.png"]}}])
    assert indexed == ["L-cap", "L-own", "L-own"], "nothing to fingerprint: not read at all; each version read"
    assert gallery.has_owned_image(engine, ["L-cap", "L-remote", "L-own"]) == {"L-cap": 1, "L-own": 1}
    assert stored.of_listing(engine, "L-remote") == {}
