"""Images are fingerprinted when their listing is stored (``scan --save``), not only when its
page is first viewed: a near-duplicate is found from the first scan."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from wildtrace.cli import cli
from wildtrace.images import gallery
from wildtrace.store.sql import SQLStore

from .pictures import photo, recompressed


def test_scan_save_fingerprints_owned_images(tmp_path: Path) -> None:
    data = tmp_path / "data"
    original = photo(data / "pics" / "a.png", seed=7)
    recompressed(original, data / "pics" / "b.jpg")
    photo(data / "pics" / "c.png", seed=99)
    rows = [{"id": "a", "title": "ivory bangle", "seller": "s1", "images": ["pics/a.png"]},
            {"id": "b", "title": "carved ivory bangle", "seller": "s2", "images": ["pics/b.jpg"]},
            {"id": "c", "title": "rhino horn cup", "seller": "s3", "images": ["pics/c.png", "https://example.org/x.jpg"]},
            {"id": "d", "title": "pangolin scales", "seller": "s4"}]
    listings = tmp_path / "l.jsonl"
    listings.write_text("".join(json.dumps(r) + "\n" for r in rows))
    db = tmp_path / "w.sqlite"
    r = CliRunner().invoke(cli, ["scan", str(listings), "--db", str(db), "-o", str(tmp_path / "r.jsonl")],
                           env={"WILDTRACE_DATA_DIR": str(data)})
    assert r.exit_code == 0, r.output
    store = SQLStore(str(db))
    try:
        assert gallery.has_owned_image(store.engine, ["a", "b", "c", "d"]) == {"a": 0, "b": 0, "c": 0}
    finally:
        store.close()


def test_scan_save_without_the_investigations_extra_still_stores(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Fingerprinting belongs to the investigations extra: without it, ``scan --db`` stores the
    listings and skips the fingerprints instead of failing the scan."""
    import wildtrace.images

    monkeypatch.setitem(sys.modules, "wildtrace.images.fingerprint", None)  # as if Pillow were absent
    monkeypatch.delattr(wildtrace.images, "fingerprint", raising=False)  # imported by an earlier test
    data = tmp_path / "data"
    photo(data / "pics" / "a.png", seed=7)
    listings = tmp_path / "l.jsonl"
    listings.write_text(json.dumps({"id": "a", "title": "ivory bangle", "images": ["pics/a.png"]}) + "\n")
    db = tmp_path / "w.sqlite"
    r = CliRunner().invoke(cli, ["scan", str(listings), "--db", str(db), "-o", str(tmp_path / "r.jsonl")],
                           env={"WILDTRACE_DATA_DIR": str(data)})
    assert r.exit_code == 0, r.output
    store = SQLStore(str(db))
    try:
        assert store.latest_result("a") is not None
        assert gallery.has_owned_image(store.engine, ["a"]) == {}
    finally:
        store.close()
