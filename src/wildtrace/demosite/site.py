"""The running demo marketplace: a small HTTP server on 127.0.0.1 in a thread of its own.

It answers what :mod:`wildtrace.demosite.routes` knows (the demo index and listing pages, the
three marketplace shapes, robots.txt, images) and nothing else: only names it holds are answered,
so no request reaches the file system. Each request first passes the market's gate (a hung path
waits, a throttled one answers 429) and is then logged (``site.requests``) before its answer goes out. Standard library only
(``http.server``): it needs no extra and no event loop, and ``close()`` stops it from any thread.
"""

from __future__ import annotations

import errno
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from wildtrace.demosite import catalogue, hostile, routes
from wildtrace.demosite.market import Market, Request
from wildtrace.errors import ConfigError

HOST = catalogue.HOST


class _Handler(BaseHTTPRequestHandler):
    # headers and body go out as they are written: without this, loopback clients wait up to 40 ms
    # for each answer (Nagle's algorithm against delayed ACKs), and the site, not the crawler, is slow
    disable_nagle_algorithm = True
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        self._answer(body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(body=False)

    def _answer(self, *, body: bool) -> None:
        market = self.server.context.market
        arrived, wall = market.arrival()
        retry_after = market.gate(self.path)
        if retry_after is not None:
            answer = routes.Answer(HTTPStatus.TOO_MANY_REQUESTS, b"Too many requests: slow down.\n",
                                   "text/plain; charset=utf-8", {"Retry-After": str(retry_after)})
        else:
            answer = routes.answer(self.server.context, self.path)
        # logged before the answer goes out, so a client that has its answer finds it in the log
        market.log(arrived, wall, self.command, self.path, int(answer.status),
                   self.headers.get("User-Agent", ""))
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.kind)
        self.send_header("Content-Length", str(len(answer.body)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if body:
            self.wfile.write(answer.body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
        """Quiet: the workbench's terminal is not the demo site's access log (``site.requests`` is)."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    context: routes.Context

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up mid-answer (a crawler killed by a test) is not an error of the site."""
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _CanaryHandler(BaseHTTPRequestHandler):
    """The other loopback service the ``/go/2`` trap redirects to: it logs whoever reaches it."""

    server: _CanaryServer

    def do_GET(self) -> None:  # noqa: N802
        arrived, wall = self.server.market.arrival()
        # logged before the answer: whoever got the answer can already see itself in the log
        self.server.market.log_canary(Request(arrived, wall, "GET", self.path, 200,
                                              self.headers.get("User-Agent", "")))
        data = b"internal service: a monitor must never reach this\n"
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet."""


class _CanaryServer(ThreadingHTTPServer):
    daemon_threads = True
    market: Market


class DemoSite:
    """A demo marketplace serving on ``origin`` until :meth:`close` (or the end of a ``with``).
    ``market`` is its state (traps, changes, the request log)."""

    def __init__(self, server: _Server, thread: threading.Thread, canary: _CanaryServer | None = None):
        self._server, self._thread, self._canary = server, thread, canary
        self.port: int = server.server_address[1]
        self.origin = f"http://{HOST}:{self.port}"
        self.market: Market = server.context.market

    def url(self, listing_id: str) -> str:
        """The page of a demo listing on this site (the workbench demo's path)."""
        return self.origin + catalogue.listing_path(listing_id)

    @property
    def requests(self) -> list[Request]:
        """Every request answered so far (a copy): see :class:`~wildtrace.demosite.market.Request`."""
        return self.market.requests

    def close(self) -> None:
        self.market.closed.set()  # hung requests end
        for server in (self._server, self._canary):
            if server is not None:
                server.shutdown()
                server.server_close()
        self._thread.join(10)

    def __enter__(self) -> DemoSite:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _bind(port: int) -> _Server:
    try:
        return _Server((HOST, port), _Handler)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(f"the demo site's port {port} on {HOST} is already in use; "
                              f"choose another (serve --demo-port)") from exc
        raise ConfigError(f"cannot start the demo site on {HOST}:{port}: {exc.strerror}") from exc


def _serve(server: ThreadingHTTPServer, name: str) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    return thread


def start(port: int = catalogue.DEFAULT_PORT, *, traps: bool = False, bench: int = 0) -> DemoSite:
    """Serve the demo marketplace on 127.0.0.1:``port`` (0: a free port) in a daemon thread.

    ``traps``: add the hostile listing, the duplicate URLs, the sponsored redirects to private
    addresses and the canary server they point at (tests of the monitor); robots.txt and its
    disallowed draft are always there. ``bench``: also serve that many synthetic grid item pages
    under ``/bench`` (speed and memory runs). A taken port is one ``ConfigError`` line."""
    server = _bind(port)
    records = list(catalogue.records())
    market = Market(records, traps=traps)
    canary = None
    if traps:
        market.add(hostile.HOSTILE, "grid")
        canary = _CanaryServer((HOST, 0), _CanaryHandler)
        canary.market = market
        market.canary_origin = f"http://{HOST}:{canary.server_address[1]}"
        _serve(canary, "wildtrace-demosite-canary")
    server.context = routes.Context(market, records, catalogue.image_files(),
                                    f"http://{HOST}:{server.server_address[1]}", bench)
    return DemoSite(server, _serve(server, f"wildtrace-demosite-{port}"), canary)
