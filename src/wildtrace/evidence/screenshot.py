"""The screenshot: a full-page PNG by headless Chromium of the bytes a capture holds, offline.

``screenshot(body, out)`` renders the captured ``body`` (the bytes in the WARC, never a second
fetch) into the new file ``out`` and returns None, or says why there is none (Chromium or
Playwright not installed, too slow, no file written). ``chromium_path()`` finds the browser.

Nothing the page asks for leaves the machine, whatever its bytes say: Playwright drives Debian's
Chromium (never a browser of its own) and intercepts every request at the browser's network
layer (``page.route``). The page's own address is answered once, from the recorded bytes; any
other navigation (a meta refresh however it is encoded, a link, a frame, the page reloading
itself) is answered ``204 No Content``, which leaves the page as it is; every other request
(images, styles, ``@import``, scripts, fonts, ``fetch()``) is aborted. JavaScript is off, service
workers are blocked, and, should anything get past the interception, host names resolve nowhere
and every connection, loopback included, is sent to a dead proxy.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from wildtrace.evidence.net import USER_AGENT

CHROMIUM_NAMES = ("chromium", "chromium-browser")
#: The address Chromium is shown the captured page at (answered from the recorded bytes).
SHOT_HOST = "capture.wildtrace.invalid"
SHOT_URL = f"http://{SHOT_HOST}/"
#: Second line of defence behind the request interception: no name resolves, every connection
#: (loopback too) goes to a closed port.
OFFLINE_ARGS = ("--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9",
                "--proxy-bypass-list=<-loopback>", "--disable-background-networking", "--disable-sync",
                "--disable-component-update", "--disable-extensions", "--no-first-run", "--disable-gpu",
                "--hide-scrollbars", "--dns-prefetch-disable")
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def chromium_path() -> str | None:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


class _Router:
    """Answers the page's own address once from the recorded bytes; nothing else reaches the network."""

    def __init__(self, body: bytes, content_type: str):
        self.body, self.content_type = body, content_type
        self.served = False
        self.blocked: list[str] = []  # every request refused, for the curious

    def __call__(self, route: Any) -> None:
        request = route.request
        if request.url == SHOT_URL and not self.served and request.is_navigation_request():
            self.served = True
            route.fulfill(status=200, body=self.body,
                          headers={"Content-Type": self.content_type, "Content-Security-Policy": _CSP})
            return
        self.blocked.append(request.url)
        if request.is_navigation_request():
            route.fulfill(status=204, body=b"")  # a 204 navigation commits nothing: the page stays
        else:
            route.abort("blockedbyclient")


def screenshot(body: bytes, out: Path, *, content_type: str = "text/html", timeout: float = 60.0,
               banner: tuple[str, str, str] | None = None) -> str | None:
    """Full-page PNG of the captured ``body`` (the bytes in the WARC, not a second fetch) into the
    new file ``out``; the reason when there is none. No request leaves the machine (see the module).
    ``banner`` (URL, capture time in UTC, the page's SHA-256) is drawn above the page
    (``evidence.banner``)."""
    binary = chromium_path()
    if binary is None:
        return "not taken: chromium is not installed"
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "not taken: playwright is not installed (pip install 'wildtrace[investigations]')"
    tmp = out.with_name(out.stem + ".partial" + out.suffix)
    ms = timeout * 1000
    root = hasattr(os, "geteuid") and os.geteuid() == 0  # Chromium's sandbox refuses to run as root
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=binary, args=list(OFFLINE_ARGS), timeout=ms,
                                         chromium_sandbox=not root)
            try:
                context = browser.new_context(java_script_enabled=False, service_workers="block",
                                              user_agent=USER_AGENT, viewport={"width": 1280, "height": 1024},
                                              accept_downloads=False)
                context.set_default_timeout(ms)
                context.route("**/*", _Router(body, content_type))
                page = context.new_page()
                page.goto(SHOT_URL, wait_until="load", timeout=ms)
                page.screenshot(path=str(tmp), full_page=True, timeout=ms)
            finally:
                browser.close()
    except PlaywrightError as exc:
        tmp.unlink(missing_ok=True)
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if "Timeout" in type(exc).__name__ or "Timeout" in first:
            return f"not taken: chromium did not finish within {timeout:g} s"
        return f"not taken: chromium failed ({first})"
    if not tmp.exists() or tmp.stat().st_size == 0:
        tmp.unlink(missing_ok=True)
        return "not taken: chromium wrote no screenshot"
    if banner is not None:
        from wildtrace.evidence.banner import draw_banner  # Pillow, like Playwright, is an extra

        try:
            draw_banner(tmp, *banner)
        except (OSError, ValueError) as exc:  # Pillow could not read what Chromium wrote
            tmp.unlink(missing_ok=True)
            return f"not taken: the banner could not be drawn ({type(exc).__name__}: {exc})"
    os.link(tmp, out)  # fails if `out` exists: never overwrite
    tmp.unlink()
    return None


__all__ = ["CHROMIUM_NAMES", "OFFLINE_ARGS", "SHOT_HOST", "SHOT_URL", "chromium_path", "screenshot"]
