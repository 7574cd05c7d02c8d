"""The Exchange: one HTTP request and the response to it, as sent and received.

It is what the guarded fetch (``evidence.net``) hands back for every hop, what the WARC writer
(``evidence.warc``) records and what a capture is made from (``Capturer.record``). A monitor that
fetched a page itself builds its own Exchanges from the bytes, status and headers it holds.

``body`` is the payload as received, with any Transfer-Encoding (chunking) undone but no
Content-Encoding undone (WildTrace asks for ``Accept-Encoding: identity``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Exchange:
    """One request and its response."""

    url: str
    status: int
    response_headers: list[tuple[str, str]]
    body: bytes
    request_headers: list[tuple[str, str]] = field(default_factory=list)
    method: str = "GET"
    reason: str = ""  # the status line's reason phrase ("OK")
    http_version: str = "HTTP/1.1"

    @property
    def request_target(self) -> str:
        """The request line's target: the URL's path and query (``/`` where the path is empty)."""
        parts = urlsplit(self.url)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    def header(self, name: str) -> str | None:
        """The response header ``name`` (any case); repeated headers joined with ``, ``; else None."""
        values = [v for k, v in self.response_headers if k.lower() == name.lower()]
        return ", ".join(values) if values else None

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower case (``text/html``); ``""`` when none."""
        return (self.header("content-type") or "").split(";")[0].strip().lower()


__all__ = ["Exchange"]
