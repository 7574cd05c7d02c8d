"""A small test marketplace served on loopback: listing pages, images, and misbehaving routes."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import pytest

LISTING_HTML = """<!doctype html><html><head><meta charset="utf-8"><title>Rhino horn pieces</title></head>
<body><h1>Raw rhino horn pieces</h1><p>WhatsApp +84 912 345 678, wx: hk_horn_88</p>
<img src="/img/horn.png"></body></html>"""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def _send(self, status: int, body: bytes, ctype: str = "text/html; charset=utf-8",
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self._send(302, b"", headers={"Location": location})

    def do_GET(self) -> None:  # noqa: N802
        path = self.path
        port = self.server.server_address[1]
        self.server.user_agents.append(self.headers.get("User-Agent", ""))  # type: ignore[attr-defined]
        if path.startswith("/listing/"):
            self._send(200, LISTING_HTML.replace("Rhino", f"Rhino {path}").encode())
        elif path == "/moved":
            self._redirect("/listing/7")
        elif path == "/loop-a":
            self._redirect("/loop-b")
        elif path == "/loop-b":
            self._redirect("/loop-a")
        elif path == "/offsite":
            self._redirect(f"http://localhost:{port}/listing/offsite")
        elif path == "/big":
            self._send(200, b"<html>" + b"x" * 300_000 + b"</html>")
        elif path == "/big-chunked":  # no Content-Length: the cap must apply while reading
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Connection", "close")
            self.end_headers()
            for _ in range(40):
                self.wfile.write(b"y" * 10_000)
            self.close_connection = True
        elif path == "/photo.jpg":
            self._send(200, b"\xff\xd8\xff\xe0 not really a jpeg", ctype="image/jpeg")
        elif path == "/slow":
            time.sleep(2.0)
            self._send(200, b"<html>late</html>")
        elif path == "/drip":  # one byte at a time: each read is quick, the page never ends in time
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "40")
            self.end_headers()
            for _ in range(40):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.1)
        elif path.startswith("/redirect?to="):  # a redirect to any address the test names
            self._redirect(unquote(path.split("=", 1)[1]))
        elif path == "/to-metadata":
            self._redirect("http://169.254.169.254/latest/meta-data/")
        elif path == "/gone":
            self._send(404, b"<html>not found</html>")
        else:
            self._send(404, b"<html>no such page</html>")


@dataclass
class Market:
    url: str  # http://127.0.0.1:PORT
    user_agents: list[str]


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up early (the capture's size cap, a timeout) is what the tests ask for:
        not a traceback on stderr, where it lands in whichever test of this worker is capturing."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@pytest.fixture(scope="session")
def marketplace() -> Iterator[Market]:
    """The loopback test marketplace."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.user_agents = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Market(f"http://127.0.0.1:{server.server_address[1]}", server.user_agents)  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()
