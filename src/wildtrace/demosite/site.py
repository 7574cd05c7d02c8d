"""The running demo marketplace: a small HTTP server on 127.0.0.1 in a thread of its own.

It serves ``/`` (an index), ``/listing/<id>`` (a page per demo listing) and ``/images/<name>``
(the bundled synthetic images), and nothing else: only names it holds are answered, so no request
reaches the file system. Standard library only (``http.server``): it needs no extra and no
event loop, and ``close()`` stops it from any thread.
"""

from __future__ import annotations

import errno
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

from wildtrace.demosite import catalogue, pages
from wildtrace.errors import ConfigError

HOST = catalogue.HOST
TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        self._answer(body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(body=False)

    def _answer(self, *, body: bool) -> None:
        path = unquote(urlsplit(self.path).path)
        site = self.server
        status, kind, data = HTTPStatus.NOT_FOUND, "text/html; charset=utf-8", pages.not_found()
        if path == "/":
            status, data = HTTPStatus.OK, pages.index(list(site.listings.values()))
        elif path.startswith("/listing/") and path[len("/listing/"):] in site.listings:
            status, data = HTTPStatus.OK, pages.listing(site.listings[path[len("/listing/"):]])
        elif path.startswith("/images/") and path[len("/images/"):] in site.images:
            image = site.images[path[len("/images/"):]]
            status, kind, data = HTTPStatus.OK, TYPES.get(image.suffix.lower(), "application/octet-stream"), \
                image.read_bytes()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Content-Security-Policy", "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if body:
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
        """Quiet: the workbench's terminal is not the demo site's access log."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    listings: dict[str, dict[str, Any]]
    images: dict[str, Any]


class DemoSite:
    """A demo marketplace serving on ``origin`` until :meth:`close` (or the end of a ``with``)."""

    def __init__(self, server: _Server, thread: threading.Thread):
        self._server, self._thread = server, thread
        self.port: int = server.server_address[1]
        self.origin = f"http://{HOST}:{self.port}"

    def url(self, listing_id: str) -> str:
        """The page of a demo listing on this site."""
        return self.origin + catalogue.listing_path(listing_id)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)

    def __enter__(self) -> DemoSite:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def start(port: int = catalogue.DEFAULT_PORT) -> DemoSite:
    """Serve the demo marketplace on 127.0.0.1:``port`` (0: a free port) in a daemon thread.
    A taken port is one ``ConfigError`` line."""
    try:
        server = _Server((HOST, port), _Handler)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(f"the demo site's port {port} on {HOST} is already in use; "
                              f"choose another (serve --demo-port)") from exc
        raise ConfigError(f"cannot start the demo site on {HOST}:{port}: {exc.strerror}") from exc
    server.listings = {str(r["id"]): r for r in catalogue.records()}
    server.images = catalogue.image_files()
    thread = threading.Thread(target=server.serve_forever, name=f"wildtrace-demosite-{port}", daemon=True)
    thread.start()
    return DemoSite(server, thread)
