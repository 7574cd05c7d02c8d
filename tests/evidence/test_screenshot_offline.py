"""The screenshot cannot reach the network (issue 29, item 2).

Before: Chromium was shown the page from a loopback server and a meta refresh was filtered out of
the HTML text, so a refresh written with a character entity, a hex entity, in a UTF-16 or an
ISO-2022-JP page got past the filter: Chromium sent a GET to 127.0.0.1, the capture stalled for
60 s and lost its screenshot. Now every request is intercepted in the browser: the page's own
address is answered from the recorded bytes and nothing else leaves. A loopback "beacon" server
counts what the screenshot step asks for: it must be nothing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from wildtrace.evidence.capture import CaptureOptions, Capturer
from wildtrace.evidence.verify import verify


def _serve(pages: dict[str, tuple[str, bytes]], hits: list[str]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            hits.append(self.path)
            ctype, body = pages.get(self.path, ("text/plain", b"counted"))
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def beacon() -> Iterator[tuple[str, list[str]]]:
    """The counting server every trick points at."""
    hits: list[str] = []
    server = _serve({}, hits)
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def _tricks(b: str) -> dict[str, tuple[str, bytes]]:
    html = "<html><head>{head}</head><body><h1>Ivory carvings for sale</h1>{body}</body></html>"
    refresh = '<meta http-equiv="{word}" content="0;url=' + b + '/{name}">'

    def page(head: str = "", body: str = "") -> bytes:
        return html.format(head=head, body=body).encode()

    return {
        "/entity": ("text/html; charset=utf-8", page(refresh.format(word="&#114;efresh", name="entity"))),
        "/hex": ("text/html; charset=utf-8", page(refresh.format(word="&#x72;&#x65;fresh", name="hex"))),
        "/utf16": ("text/html; charset=utf-16",
                   html.format(head=refresh.format(word="refresh", name="utf16"), body="").encode("utf-16")),
        "/iso2022jp": ("text/html; charset=iso-2022-jp",
                       page(refresh.format(word="re\x1b(Bfresh", name="iso2022jp"))
                       + "象牙".encode("iso-2022-jp")),
        "/img": ("text/html", page(body=f"<img src={b}/img>")),
        "/fetch": ("text/html", page(body=f'<script>fetch("{b}/fetch"); new Image().src = "{b}/js-img";</script>')),
        "/import": ("text/html", page(head=f'<style>@import url("{b}/import.css");</style>')),
    }


@pytest.mark.parametrize("trick", ["/entity", "/hex", "/utf16", "/iso2022jp", "/img", "/fetch", "/import"])
def test_the_screenshot_step_sends_no_request(tmp_path: Path, beacon: tuple[str, list[str]], trick: str) -> None:
    base, hits = beacon
    pages = _tricks(base)
    page_hits: list[str] = []
    site = _serve(pages, page_hits)
    hits.clear()
    try:
        opts = CaptureOptions(operator="t", timeout=20, screenshot=True, allow_private=True)
        with Capturer(tmp_path / "ev", opts) as c:
            rec = c.capture(f"http://127.0.0.1:{site.server_address[1]}{trick}")
    finally:
        site.shutdown()
        site.server_close()
    assert rec.status == "captured" and rec.screenshot and rec.screenshot.endswith("screenshot.png"), rec
    assert page_hits == [trick]  # fetched once, by the capture; Chromium was shown those bytes
    assert hits == [], (trick, hits)  # the screenshot step asked the network for nothing
    assert verify(tmp_path / "ev").ok
