"""Capturer.record: a page a monitor fetched itself (through the same guard, or from its own bytes)
becomes a capture like any other: WARC, custody entry, and it verifies."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import orjson
import pytest
from warcio.archiveiterator import ArchiveIterator

from wildtrace.errors import Invalid
from wildtrace.evidence.capture import CaptureOptions, Capturer, Target, targets_from_scan
from wildtrace.evidence.custody import CustodyLog
from wildtrace.evidence.exchange import Exchange
from wildtrace.evidence.net import Fetched, FetchOptions, fetch
from wildtrace.evidence.verify import verify
from wildtrace.rejects import Reject

OPTS = CaptureOptions(operator="monitor", screenshot=False, allow_private=True)


def test_a_page_the_monitor_fetched_through_the_guard(tmp_path: Path, marketplace) -> None:  # type: ignore[no-untyped-def]
    page = fetch(f"{marketplace.url}/moved", FetchOptions(timeout=2.0, allow_private=True))
    with Capturer(tmp_path / "ev", OPTS) as capturer:
        rec = capturer.record(Target(f"{marketplace.url}/moved", listing_id="L7"), page)
    assert rec.status == "captured" and rec.listing_id == "L7", rec
    assert rec.final_url == f"{marketplace.url}/listing/7" and rec.http_status == 200 and len(rec.redirects) == 1
    assert rec.captured_at.endswith("Z") and rec.payload_bytes == len(page.final.body)
    [started, entry] = [e for _, e in CustodyLog(tmp_path / "ev").entries()]
    assert started["event"] == "capture_started" and started["capture_id"] == rec.capture_id, started
    assert entry["event"] == "capture" and entry["payload_sha256"] == rec.payload_sha256, entry
    assert verify(tmp_path / "ev").ok


def test_a_page_from_the_monitors_own_bytes_keeps_its_fetch_time(tmp_path: Path) -> None:
    body = b"<html><p>ivory bangle</p></html>"
    page = Fetched([Exchange(url="https://market.example/item/9", status=200, body=body,
                             response_headers=[("Content-Type", "text/html")])])
    when = dt.datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=dt.UTC)
    with Capturer(tmp_path / "ev", OPTS) as capturer:
        rec = capturer.record("https://market.example/item/9", page, captured_at=when)
    assert rec.captured_at == "2026-03-01T10:00:00.123456Z" and rec.capture_id.startswith("20260301T100000123456Z-")
    with open(tmp_path / "ev" / rec.files[0]["path"], "rb") as fh:
        bodies = [r.content_stream().read() for r in ArchiveIterator(fh) if r.rec_type == "response"]
    assert bodies == [body]
    assert verify(tmp_path / "ev").ok


def test_recording_nothing_is_refused(tmp_path: Path) -> None:
    with Capturer(tmp_path / "ev", OPTS) as capturer, pytest.raises(Invalid, match="nothing to record"):
        capturer.record("https://market.example/item/9", Fetched([]))
    assert not (tmp_path / "ev" / "captures").exists() or not any((tmp_path / "ev" / "captures").iterdir())


def test_capture_targets_reject_with_the_one_reject() -> None:
    data = orjson.dumps({"id": "c", "verdict": "wildlife_offer", "risk_score": 0.8, "taxa": [], "listing": {}})
    out = list(targets_from_scan(io.BytesIO(data + b"\n{broken\n")))
    assert all(isinstance(o, Reject) for o in out), out
    assert [(o.line, o.record_id) for o in out if isinstance(o, Reject)] == [(1, "c"), (2, None)]
