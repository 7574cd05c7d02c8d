"""The listing page's "Seen by the monitor" section (issue 24): every URL the monitor saw a listing
at, its source, dates, gone, duplicates and its last capture, with the capture's screenshot served
by ``/listing/monitor-screenshot`` only from ``captures/<id>/screenshot.png`` of the source's
evidence folder (traversal, another source, an unknown id: 404). Hostile URLs stay text.

The workbench on loopback (SQLite, conftest's ``sqlite_server``); crawl state seeded through
``store.crawl`` as the monitor leaves it; captures made by ``evidence.capture.Capturer.record``
into the folder the monitor uses (one with a real screenshot by Debian's Chromium)."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import uuid
from contextlib import closing
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from wildtrace.evidence.capture import Capture, CaptureOptions, Capturer, Target
from wildtrace.evidence.exchange import Exchange
from wildtrace.evidence.net import Fetched
from wildtrace.monitor import seen
from wildtrace.store import crawl

from .conftest import Server

PAGE = b"<!doctype html><html><head><title>Rhino horn</title></head><body><h1>Rhino horn, real</h1></body></html>"
SHA = "f" * 64
ROUTE = "/listing/monitor-screenshot"


def _evidence(server: Server) -> Path:
    return Path(server.app.state.settings.evidence_dir)


def _listing(server: Server, listing_id: str, url: str) -> None:
    record = {"id": listing_id, "title": "Rhino horn, real, WhatsApp", "seller": "hornman", "platform": "web",
              "url": url}
    with server.api("analyst") as api:
        api.post("/api/v1/scan", json={"listings": [record]}).raise_for_status()


def _capture(server: Server, source: str, url: str, listing_id: str, *, shot: bool = False) -> Capture:
    fetched = Fetched([Exchange(url=url, status=200, response_headers=[("Content-Type", "text/html")], body=PAGE)])
    options = CaptureOptions(operator="monitor", screenshot=shot)
    with Capturer(seen.folder(_evidence(server), source), options) as capturer:
        capture = capturer.record(Target(url, listing_id), fetched)
    assert capture.status == "captured", capture
    assert not shot or capture.screenshot == f"captures/{capture.capture_id}/screenshot.png", capture.screenshot
    return capture


def seed_monitor(server: Server, *, shot: bool = False, url: str | None = None) -> dict[str, Any]:
    """A listing of a fresh source seen at one URL and captured (``shot``: with a screenshot), plus
    a duplicate of it on a second source (captured too, without a screenshot). The accessibility
    test's page table shows it too."""
    tag = uuid.uuid4().hex[:8]
    source, other = f"mkt-{tag}", f"dup-{tag}"
    listing_id, dup_id = f"{source}:101", f"{other}:9"
    url = url or f"https://market.example/item/101?ref={tag}"
    dup_url = f"https://copy.example/p/9?ref={tag}"
    _listing(server, listing_id, url if url.startswith("https://") else "")
    run, _ = crawl.start_run(server.engine, source, SHA)
    crawl.record(server.engine, source, "/item/101", canonical_url=url, content_sha256="a" * 64, status=200,
                 kind="listing", listing_id=listing_id, run_id=run)
    capture = _capture(server, source, url, listing_id, shot=shot)
    crawl.captured(server.engine, source, "/item/101", capture.capture_id)
    run2, _ = crawl.start_run(server.engine, other, SHA)
    crawl.record(server.engine, other, "/p/9", canonical_url=dup_url, content_sha256="a" * 64, status=200,
                 kind="listing", listing_id=dup_id, run_id=run2, duplicate_of=listing_id)
    dup_capture = _capture(server, other, dup_url, dup_id)
    crawl.captured(server.engine, other, "/p/9", dup_capture.capture_id)
    return {"source": source, "other": other, "id": listing_id, "dup_id": dup_id, "url": url, "dup_url": dup_url,
            "capture": capture, "dup_capture": dup_capture, "run": run}


def _section(html: str) -> str:
    start = html.find('<section class="monitor-seen"')
    assert start >= 0, "no monitor section"
    return html[start:html.index("</section>", start)]


@pytest.fixture(scope="module")
def viewer(sqlite_server: Server) -> Any:
    client, _ = sqlite_server.login("viewer")
    with closing(client):
        yield client


def test_section_shows_urls_source_dates_duplicates_and_capture(sqlite_server: Server,
                                                                viewer: httpx.Client) -> None:
    s = seed_monitor(sqlite_server)
    second = f"https://market.example/item/101/again?ref={s['source']}"  # the same listing, a second URL
    crawl.record(sqlite_server.engine, s["source"], "/item/101/again", canonical_url=second, content_sha256="a" * 64,
                 status=200, kind="listing", listing_id=s["id"], run_id=s["run"], duplicate_of=s["id"])
    page = viewer.get("/listing", params={"id": s["id"]})
    assert page.status_code == 200, page.text[:500]
    section = _section(page.text)
    assert "Seen by the monitor" in section
    assert (f'<a href="{s["url"].replace("&", "&amp;")}" rel="nofollow noopener noreferrer"'
            in section), section
    assert f'<a href="/sources/{s["source"]}">{s["source"]}</a>' in section, section
    row = crawl.get(sqlite_server.engine, s["source"], "/item/101")
    assert row is not None
    for when in (row["first_seen"], row["last_seen"], row["last_changed"]):
        assert when in section, (when, section)
    assert "gone since" not in section.lower(), "a live listing is not gone"
    capture: Capture = s["capture"]
    assert capture.capture_id in section and (capture.payload_sha256 or "")[:16] in section, section
    assert "no screenshot in the evidence folder" in section, "captured without one"
    assert "not found in the custody log" not in section, section
    dups = section[section.index("Duplicates"):]
    assert s["dup_url"] in dups and f'href="/sources/{s["other"]}"' in dups, dups
    assert f'<dd class="mono small">{s["dup_id"]}</dd>' in dups, "the copy's id (not stored as a listing)"
    assert s["dup_capture"].capture_id in dups, dups
    # the same from the library
    got = seen.seen(_evidence(sqlite_server), sqlite_server.engine, s["id"])
    assert got is not None and [u["canonical_url"] for u in got["urls"]] == [s["url"]], got
    assert sorted(u["canonical_url"] for u in got["duplicates"]) == sorted([s["dup_url"], second]), got
    assert second in dups and second not in section[:section.index("Duplicates")], "a second URL is a duplicate"
    cap = got["urls"][0]["capture"]
    assert cap["logged"] and cap["payload_sha256"] == capture.payload_sha256 and not cap["screenshot"], cap
    warc = next(f for f in capture.files if f["path"].endswith("page.warc.gz"))
    assert cap["warc_sha256"] == warc["sha256"], (cap, capture.files)


def test_gone_listing_says_so_prominently(sqlite_server: Server, viewer: httpx.Client) -> None:
    s = seed_monitor(sqlite_server)
    crawl.mark_gone(sqlite_server.engine, s["source"], "/item/101", status=404, run_id=s["run"])
    gone_at = crawl.get(sqlite_server.engine, s["source"], "/item/101")["gone_at"]  # type: ignore[index]
    section = _section(viewer.get("/listing", params={"id": s["id"]}).text)
    notice = re.search(r'<p class="monitor-gone error"><strong>Gone since ([^<]+)</strong>(.*?)</p>', section, re.S)
    assert notice and notice.group(1) == gone_at, section
    assert "HTTP 404" in notice.group(2) and "its capture is the evidence" in notice.group(2), notice.group(2)
    assert f'gone since <time datetime="{gone_at}">' in section and s["capture"].capture_id in section, section


def test_screenshot_route_serves_the_png_and_refuses_everything_else(sqlite_server: Server,
                                                                     viewer: httpx.Client) -> None:
    s = seed_monitor(sqlite_server, shot=True)
    capture: Capture = s["capture"]
    assert capture.screenshot == f"captures/{capture.capture_id}/screenshot.png", capture.screenshot
    shot_file = seen.folder(_evidence(sqlite_server), s["source"]) / capture.screenshot
    section = _section(viewer.get("/listing", params={"id": s["id"]}).text)
    link = re.search(r'<a class="monitor-shot" href="([^"]+)"><img class="thumb" src="([^"]+)"', section)
    assert link, section
    listed = next(f for f in capture.files if f["path"] == capture.screenshot)
    assert listed["sha256"][:16] in section, "the screenshot's hash from the custody log"

    full = viewer.get(unescape(link.group(1)))
    assert full.status_code == 200, full.text
    assert full.headers["content-type"] == "image/png" and full.headers["x-content-type-options"] == "nosniff"
    assert full.content == shot_file.read_bytes()
    small = viewer.get(unescape(link.group(2)))
    assert small.status_code == 200 and small.headers["content-type"] == "image/png", small.headers
    assert small.headers["x-content-type-options"] == "nosniff"
    with Image.open(io.BytesIO(small.content)) as image:
        assert image.width == 320 and image.height <= 320, image.size

    good = {"id": s["id"], "source": s["source"], "capture": capture.capture_id}
    dup = s["dup_capture"].capture_id
    bad = [
        {**good, "capture": "../custody.jsonl"},
        {**good, "capture": f"{capture.capture_id}/../../custody.jsonl"},
        {**good, "capture": str(shot_file)},  # absolute
        {**good, "source": f"../monitor-{s['source']}"},
        {**good, "source": "/etc"},
        {**good, "source": s["other"]},  # another source's folder
        {**good, "capture": dup},  # the duplicate's capture, under this source
        {**good, "capture": "20260101T000000000000Z-00000000"},  # well formed, unknown
        {**good, "id": "demo-1"},  # another listing
        {"id": s["id"], "source": s["source"], "capture": capture.capture_id.replace("Z-", "Z-%2e%2e")},
    ]
    for params in bad:
        got = viewer.get(ROUTE, params=params)
        assert got.status_code == 404, (params, got.status_code, got.text[:200])
        assert got.headers["content-type"] != "image/png", params
    # the duplicate's capture was taken without a screenshot: named by the crawl state, still 404
    missing = viewer.get(ROUTE, params={"id": s["id"], "source": s["other"], "capture": dup})
    assert missing.status_code == 404, missing.text
    assert viewer.get(ROUTE, params={**good, "size": "huge"}).status_code == 422


def test_screenshot_route_refuses_a_link_out_of_the_folder(sqlite_server: Server, viewer: httpx.Client) -> None:
    s = seed_monitor(sqlite_server)
    capture: Capture = s["capture"]
    outside = Path(sqlite_server.app.state.settings.data_dir) / f"outside-{s['source']}.png"
    outside.write_bytes(b"\x89PNG\r\n\x1a\n not evidence")
    link = seen.folder(_evidence(sqlite_server), s["source"]) / "captures" / capture.capture_id / "screenshot.png"
    link.symlink_to(outside)
    got = viewer.get(ROUTE, params={"id": s["id"], "source": s["source"], "capture": capture.capture_id})
    assert got.status_code == 404 and b"not evidence" not in got.content, got.text[:200]


def test_hostile_urls_stay_text(sqlite_server: Server, viewer: httpx.Client) -> None:
    s = seed_monitor(sqlite_server, url='javascript:alert(1)//"><script>alert(2)</script>')
    tag = s["source"].removeprefix("mkt-")
    evil = 'https://evil.example/"><img src=x onerror=alert(3)>'
    crawl.record(sqlite_server.engine, s["source"], "/item/evil", canonical_url=evil, content_sha256="b" * 64,
                 status=200, kind="listing", listing_id=s["id"], run_id=s["run"])
    html = viewer.get("/listing", params={"id": s["id"]}).text
    section = _section(html)
    assert 'href="javascript' not in section.lower() and "<script>alert(2)" not in section, section
    assert '<span class="unsafe-url">javascript:alert(1)//&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;</span>' \
        in section, section
    assert "<img src=x" not in section and "onerror=alert(3)&gt;" in section, section
    assert 'href="https://evil.example/&#34;&gt;&lt;img src=x onerror=alert(3)&gt;"' in section, section
    assert tag in section


def test_no_section_for_a_listing_the_monitor_never_saw(sqlite_server: Server, viewer: httpx.Client) -> None:
    listing_id = f"unseen-{uuid.uuid4().hex[:8]}"
    _listing(sqlite_server, listing_id, "https://market.example/never")
    html = viewer.get("/listing", params={"id": listing_id}).text
    assert "Seen by the monitor" not in html and "monitor-seen" not in html
    assert seen.seen(_evidence(sqlite_server), sqlite_server.engine, listing_id) is None


def test_seen_module_needs_no_scrapy() -> None:
    """The workbench imports ``monitor.seen`` without the ``monitor`` extra (Scrapy blocked here)."""
    code = ("import sys\nfor m in ('scrapy', 'scrapy_playwright', 'extruct', 'trafilatura'): sys.modules[m] = None\n"
            "import wildtrace.monitor.seen, wildtrace.web.app\n"
            "assert not any(m.startswith('wildtrace.monitor.') and m != 'wildtrace.monitor.seen' "
            "for m in sys.modules), sorted(m for m in sys.modules if m.startswith('wildtrace.monitor'))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
