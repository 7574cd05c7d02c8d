from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest
from warcio.archiveiterator import ArchiveIterator

from wildtrace import __version__
from wildtrace.evidence.capture import CaptureOptions, Capturer, Target, targets_from_scan
from wildtrace.evidence.custody import CustodyLog
from wildtrace.evidence.verify import verify

OPTS = CaptureOptions(operator="analyst-1", timeout=0.5, max_bytes=200_000, screenshot=False, allow_private=True)


def _capture(tmp_path: Path, *urls: str, options: CaptureOptions = OPTS):  # type: ignore[no-untyped-def]
    with Capturer(tmp_path / "ev", options) as cap:
        return list(cap.capture_all(urls))


def test_capture_writes_warc_hash_and_custody(tmp_path: Path, marketplace) -> None:  # type: ignore[no-untyped-def]
    [rec] = _capture(tmp_path, f"{marketplace.url}/listing/1")
    assert rec.status == "captured", rec
    assert rec.http_status == 200 and rec.payload_bytes and rec.captured_at.endswith("Z")
    assert rec.operator == "analyst-1" and rec.tool == f"wildtrace {__version__}"
    assert f"WildTrace/{__version__}" in marketplace.user_agents[-1]
    warc = tmp_path / "ev" / rec.files[0]["path"]
    with open(warc, "rb") as fh:
        records = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read())
                   for r in ArchiveIterator(fh)]
    kinds = [k for k, _, _ in records]
    assert kinds == ["warcinfo", "response", "request"], kinds
    body = records[1][2]
    assert b"WhatsApp +84 912 345 678" in body
    import hashlib
    assert hashlib.sha256(body).hexdigest() == rec.payload_sha256
    entries = [e for _, e in CustodyLog(tmp_path / "ev").entries()]
    assert [e["event"] for e in entries] == ["capture_started", "capture"]  # write-ahead, then the capture
    assert entries[0]["capture_id"] == entries[1]["capture_id"] == rec.capture_id
    assert entries[1]["payload_sha256"] == rec.payload_sha256
    assert verify(tmp_path / "ev").ok


def test_redirect_on_same_host_is_followed_and_kept(tmp_path: Path, marketplace) -> None:  # type: ignore[no-untyped-def]
    [rec] = _capture(tmp_path, f"{marketplace.url}/moved")
    assert rec.status == "captured", rec
    assert rec.final_url == f"{marketplace.url}/listing/7"
    assert rec.redirects == [{"from": f"{marketplace.url}/moved", "status": 302,
                              "to": f"{marketplace.url}/listing/7"}]
    with gzip.open(tmp_path / "ev" / rec.files[0]["path"]) as fh:
        assert fh.read().count(b"WARC-Type: response") == 2


@pytest.mark.parametrize("path,reason", [
    ("/loop-a", "redirect loop"),
    ("/offsite", "redirect to another host (localhost)"),
    ("/big", "response over the size cap"),
    ("/big-chunked", "response over the size cap"),
    ("/photo.jpg", "non-HTML content: image/jpeg"),
    ("/slow", "timeout"),
    ("/gone", "HTTP 404"),
])
def test_bad_pages_are_failed_captures_and_batch_goes_on(tmp_path: Path, marketplace, path: str,
                                                         reason: str) -> None:  # type: ignore[no-untyped-def]
    recs = _capture(tmp_path, f"{marketplace.url}{path}", f"{marketplace.url}/listing/2")
    assert recs[0].status == "failed" and reason in (recs[0].reason or ""), recs[0]
    assert recs[1].status == "captured", recs[1]
    events = [e["event"] for _, e in CustodyLog(tmp_path / "ev").entries()]
    assert events == ["capture_started", "capture_failed", "capture_started", "capture"]
    assert verify(tmp_path / "ev").ok


def test_unreachable_and_tls_errors(tmp_path: Path, marketplace) -> None:  # type: ignore[no-untyped-def]
    tls_url = marketplace.url.replace("http://", "https://") + "/listing/1"
    recs = _capture(tmp_path, "http://127.0.0.1:9/listing", tls_url, "notaurl://x")
    assert [r.status for r in recs] == ["failed"] * 3
    assert recs[0].reason.startswith("unreachable"), recs[0]
    assert recs[1].reason.startswith("TLS error"), recs[1]
    assert recs[2].reason.startswith("invalid URL"), recs[2]


def test_offsite_followed_only_when_asked(tmp_path: Path, marketplace) -> None:  # type: ignore[no-untyped-def]
    opts = CaptureOptions(operator="a", timeout=2, screenshot=False, follow_offsite=True, allow_private=True)
    [rec] = _capture(tmp_path, f"{marketplace.url}/offsite", options=opts)
    assert rec.status == "captured" and rec.final_url.startswith("http://localhost:"), rec
    assert rec.redirects[0]["to"].startswith("http://localhost:")


def test_two_captures_of_one_url_never_overwrite(tmp_path: Path, marketplace) -> None:  # type: ignore[no-untyped-def]
    a = _capture(tmp_path, f"{marketplace.url}/listing/3")[0]
    b = _capture(tmp_path, f"{marketplace.url}/listing/3")[0]
    assert a.capture_id != b.capture_id
    assert (tmp_path / "ev" / a.files[0]["path"]).exists() and (tmp_path / "ev" / b.files[0]["path"]).exists()
    entries = [e for _, e in CustodyLog(tmp_path / "ev").entries()]
    assert [e["seq"] for e in entries] == [0, 1, 2, 3]
    assert all(b["prev_hash"] == a["entry_hash"] for a, b in zip(entries, entries[1:], strict=False))


def test_targets_from_scan_filters_by_risk_and_reports_bad_lines() -> None:
    import io
    lines = [
        {"id": "a", "verdict": "wildlife_offer", "risk_score": 0.9, "taxa": [], "listing": {"url": "http://x/1"}},
        {"id": "b", "verdict": "not_wildlife", "risk_score": 0.1, "taxa": [], "listing": {"url": "http://x/2"}},
        {"id": "c", "verdict": "wildlife_offer", "risk_score": 0.8, "taxa": [], "listing": {}},
    ]
    data = b"".join(orjson.dumps(x) + b"\n" for x in lines) + b"{broken\n"
    out = list(targets_from_scan(io.BytesIO(data), min_risk=0.5))
    assert isinstance(out[0], Target) and out[0].url == "http://x/1" and out[0].listing_id == "a"
    assert [getattr(o, "reason", None) for o in out[1:]][0] == "listing has no url"
    assert out[2].line == 4 and "not JSON" in out[2].reason
    assert len(out) == 3


def test_screenshot_with_headless_chromium(tmp_path: Path, marketplace) -> None:  # type: ignore[no-untyped-def]
    # chromium is in system-packages.txt, so it is installed wherever the tests run
    opts = CaptureOptions(operator="a", timeout=5, screenshot=True, allow_private=True)
    [rec] = _capture(tmp_path, f"{marketplace.url}/listing/9", options=opts)
    assert rec.screenshot and rec.screenshot.endswith("screenshot.png"), rec.screenshot
    shot = tmp_path / "ev" / rec.screenshot
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [f["path"].rsplit("/", 1)[1] for f in rec.files] == ["page.warc.gz", "screenshot.png"]
    assert not list((tmp_path / "ev").rglob("*.partial*"))
    assert verify(tmp_path / "ev").ok
