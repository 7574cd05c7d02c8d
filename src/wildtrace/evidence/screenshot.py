"""The screenshot: a full-page PNG by headless Chromium of the bytes a capture holds.

``screenshot(body, out)`` renders the captured ``body`` (the bytes in the WARC, never a second
fetch) into the new file ``out`` and returns None, or says why there is none (Chromium not
installed, too slow, no file written). ``chromium_path()`` finds the browser.
"""

from __future__ import annotations

import http.server
import os
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

from wildtrace.evidence.net import USER_AGENT

CHROMIUM_NAMES = ("chromium", "chromium-browser")
_REFRESH = re.compile(rb"""http-equiv\s*=\s*["']?\s*refresh\s*["']?""", re.IGNORECASE)
#: The host name Chromium loads the captured page from (mapped to the one-shot loopback server).
SHOT_HOST = "capture.wildtrace.invalid"


def chromium_path() -> str | None:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


class _OneShot(http.server.BaseHTTPRequestHandler):
    """Serves the captured body at ``/`` and nothing else (a 404 for every other path)."""

    body = b""
    content_type = "text/html"

    def do_GET(self) -> None:  # noqa: N802
        status, payload = (200, self.body) if self.path == "/" else (404, b"")
        self.send_response(status)
        self.send_header("Content-Type", self.content_type if status == 200 else "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


def screenshot(body: bytes, out: Path, *, content_type: str = "text/html", timeout: float = 60.0) -> str | None:
    """Full-page PNG of the captured ``body`` (the bytes in the WARC, not a second fetch) into the
    new file ``out``; the reason when there is none.

    Chromium loads the body from a one-shot loopback server whose Content-Security-Policy
    (``default-src 'none'``, inline styles allowed) blocks every script, image, frame, font and
    fetch — JavaScript cannot run; every other host, loopback included (no implicit bypass), is
    sent to a dead proxy, so a link leads nowhere, and a ``<meta http-equiv="refresh">`` is
    disabled in the copy Chromium is shown (the WARC keeps the bytes as received); Chromium runs sandboxed unless
    the user is root. (``--blink-settings=scriptEnabled=false`` would stop the headless
    screenshot itself, so the CSP does that job.)
    """
    binary = chromium_path()
    if binary is None:
        return "not taken: chromium is not installed"
    tmp = out.with_name(out.stem + ".partial" + out.suffix)
    # the one change to the bytes shown: a meta refresh would navigate away from them
    shown = _REFRESH.sub(b'http-equiv="x-wildtrace-refresh-disabled"', body)
    handler = type("Shot", (_OneShot,), {"body": shown, "content_type": content_type})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        with tempfile.TemporaryDirectory(prefix="wildtrace-chromium-") as profile:
            cmd = [binary, "--headless", "--disable-gpu", "--disable-background-networking",
                   "--disable-extensions", "--disable-sync", "--no-first-run", "--disable-component-update",
                   "--hide-scrollbars", "--window-size=1280,4096",
                   f"--host-resolver-rules=MAP {SHOT_HOST} 127.0.0.1",
                   "--proxy-server=http://127.0.0.1:9", f"--proxy-bypass-list=<-loopback>;{SHOT_HOST}",
                   f"--user-agent={USER_AGENT}", f"--user-data-dir={profile}", f"--screenshot={tmp}",
                   f"http://{SHOT_HOST}:{port}/"]
            if hasattr(os, "geteuid") and os.geteuid() == 0:
                cmd.insert(1, "--no-sandbox")  # Chromium's sandbox refuses to run as root
            try:
                subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
            except subprocess.TimeoutExpired:
                tmp.unlink(missing_ok=True)
                return f"not taken: chromium did not finish within {timeout:g} s"
    finally:
        server.shutdown()
        server.server_close()
    if not tmp.exists() or tmp.stat().st_size == 0:
        tmp.unlink(missing_ok=True)
        return "not taken: chromium wrote no screenshot"
    os.link(tmp, out)  # fails if `out` exists: never overwrite
    tmp.unlink()
    return None


__all__ = ["CHROMIUM_NAMES", "SHOT_HOST", "chromium_path", "screenshot"]
