"""The address guard for Chromium: a forward proxy on 127.0.0.1 that every connection of a
``javascript`` source's browser goes through.

scrapy-playwright's request hook sees only the first URL of a redirect chain, and none of a
page's WebSockets, so the browser could be sent to a private or metadata address by a redirect.
This proxy decides at the only point that cannot be bypassed, the connection: for each request
(``CONNECT host:port`` for https and wss, an absolute-form request for http and ws) it resolves the
host, refuses (403) a non-public address unless allowed (``evidence.net``'s rules: allow_private,
or an allowed origin), connects to the address it checked (no second lookup to rebind), and
forwards one request per connection (``Connection: close``), so each request is checked on its own.
It runs in a thread of its own with its own event loop.
"""

from __future__ import annotations

import asyncio
import threading
from urllib.parse import urlsplit

from wildtrace.evidence.net import check_url, checked_address, origin_of

MAX_HEAD = 64 * 1024
_DROP = (b"connection", b"proxy-connection", b"keep-alive", b"proxy-authorization")


class GuardProxy:
    """A running guard proxy (see the module): ``url`` to give Chromium, ``close()`` to stop it."""

    def __init__(self, allow_private: bool = False, allow_origins: frozenset[str] = frozenset()):
        self.allow_private, self.allow_origins = allow_private, allow_origins
        self.refused: list[str] = []  # what was refused, and why
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="wildtrace-guard-proxy", daemon=True)
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._client, "127.0.0.1", 0, limit=MAX_HEAD), self._loop).result(10)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    def close(self) -> None:
        async def stop() -> None:
            self._server.close()
        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        line, _, rest = head.partition(b"\r\n")
        parts = line.split(b" ")
        if len(parts) != 3:
            await self._refuse(writer, "not an HTTP request line")
            return
        method, target, version = (p.decode("latin-1") for p in parts)
        if method == "CONNECT":
            host, _, port_text = target.rpartition(":")
            url = f"https://{host}:{port_text}/"
        else:
            url = target
        parts_url = urlsplit(url)
        try:
            port = parts_url.port or (443 if parts_url.scheme == "https" else 80)
        except ValueError:
            await self._refuse(writer, f"bad port in {target}")
            return
        host = (parts_url.hostname or "").strip("[]")
        loop = asyncio.get_running_loop()
        why = await loop.run_in_executor(None, check_url, url, self.allow_private, self.allow_origins)
        address: str | None = host
        if why is None and not (self.allow_private or origin_of(url) in self.allow_origins):
            address, why = await loop.run_in_executor(None, checked_address, host, port)
        if why is not None or not address:
            await self._refuse(writer, why or f"refused: {host}")
            return
        try:
            up_reader, up_writer = await asyncio.wait_for(asyncio.open_connection(address, port), 30)
        except (TimeoutError, OSError) as exc:
            await self._refuse(writer, f"unreachable: {host}:{port} ({exc})", status=b"502 Bad Gateway")
            return
        if method == "CONNECT":
            writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        else:  # origin-form, one request on this connection
            path = parts_url.path or "/"
            if parts_url.query:
                path += "?" + parts_url.query
            kept = [h for h in rest.split(b"\r\n") if h and h.split(b":", 1)[0].strip().lower() not in _DROP]
            up_writer.write(f"{method} {path} {version}\r\n".encode("latin-1") + b"\r\n".join(kept)
                            + b"\r\nConnection: close\r\n\r\n")
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    async def _refuse(self, writer: asyncio.StreamWriter, why: str, status: bytes = b"403 Forbidden") -> None:
        self.refused.append(why)
        body = why.encode("utf-8", "replace")[:2000]
        writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: "
                     + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
        try:
            await writer.drain()
        except ConnectionError:
            pass
        writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        try:
            writer.close()
        except RuntimeError:
            pass
