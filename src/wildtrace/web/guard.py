"""ASGI middleware in front of every request: the client address (from the socket; see
``client.py``), body size cap, JSON content type on the API, and security headers (a strict
Content-Security-Policy: no inline script, nothing off-site)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wildtrace.web.client import Network, client_address, socket_peer
from wildtrace.web.errors import error_body

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
       "object-src 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]


class Guard:
    def __init__(self, app: ASGIApp, max_body: int, trusted_proxies: tuple[Network, ...] = ()):
        self.app = app
        self.max_body = max_body
        self.trusted_proxies = trusted_proxies

    async def _error(self, send: Send, status: int, code: str, message: str) -> None:
        body = orjson.dumps(error_body(status, code, message))
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()), *HEADERS]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        peer = socket_peer(scope, receive)
        if peer is not None:  # request.client from here on is the address this app believes
            forwarded = [v.decode("latin-1") for k, v in scope["headers"] if k.lower() == b"x-forwarded-for"]
            scope["client"] = (client_address(peer[0], forwarded, self.trusted_proxies), peer[1])
        method = scope["method"]
        if method in UNSAFE:
            declared = headers.get("content-length")
            if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
                await self._error(send, 413, "body_too_large",
                                  f"the request body is over the limit of {self.max_body:,} bytes")
                return
            chunks: list[bytes] = []
            size = 0
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.max_body:
                    await self._error(send, 413, "body_too_large",
                                      f"the request body is over the limit of {self.max_body:,} bytes")
                    return
                chunks.append(chunk)
                if not message.get("more_body"):
                    break
            body = b"".join(chunks)
            ctype = headers.get("content-type", "").split(";")[0].strip().lower()
            if scope["path"].startswith("/api/") and body and ctype != "application/json":
                await self._error(send, 415, "unsupported_media_type",
                                  "send the request body as application/json")
                return
            sent = False

            async def replay() -> Message:
                nonlocal sent
                if sent:
                    return await receive()
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}

            receive = replay

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra: list[Any] = [h for h in HEADERS if h[0] not in present]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, with_headers)
