"""Listing text is written by traffickers: every page escapes it and no link runs script."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx

from .conftest import Server

PAGES = ["/", "/listing?id=evil-script", "/listing?id=evil-url", "/seller?name=%3Cb%20onmouseover%3Dalert(2)%3Eevil%3C%2Fb%3E%3Cscript%3Ealert(3)%3C%2Fscript%3E",
         "/search?q=script", "/search?q=%3Cscript%3E", "/dashboard", "/listing?id=evil-big"]


class _Tags(HTMLParser):
    """Element names and any on* event-handler attributes in a page, as a browser parses them."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.handlers: list[tuple[str, str]] = []
        self.images: list[str] = []  # the src of every <img>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.names.add(tag)
        self.handlers += [(tag, k) for k, _v in attrs if k.lower().startswith("on")]
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")


def _pages(client: httpx.Client) -> dict[str, str]:
    out = {}
    for path in PAGES:
        r = client.get(path)
        assert r.status_code == 200, (path, r.status_code, r.text[:300])
        out[path] = r.text
    return out


def test_hostile_text_is_escaped_everywhere(server: Server) -> None:
    client, _csrf = server.login("viewer")
    for path, html in _pages(client).items():
        scripts = re.findall(r"<script[^>]*>", html, flags=re.I)
        assert all(s in ('<script src="/static/htmx.min.js" defer>', '<script src="/static/app.js" defer>',
                         '<script src="/static/lightbox.js" defer>') for s in scripts), (path, scripts)
        for bad in ("<b onmouseover", "<img src=x", "<i>plat</i>", "<h1>broken</h1>", "onerror=alert(1)>"):
            assert bad not in html, (path, bad)
        assert not re.search(r'href="\s*javascript:', html, flags=re.I), path
        tags = _Tags()
        tags.feed(html)
        assert tags.handlers == [], (path, tags.handlers)
        assert tags.names.isdisjoint({"b", "i", "iframe", "object", "embed"}), (path, tags.names)
        # images only from this server's own image route (thumbnails of files it keeps), never a
        # listing's own URL: a remote image would tell the seller who is looking
        assert all(src.startswith("/listing/image?") for src in tags.images), (path, tags.images)
    detail = client.get("/listing?id=evil-script").text
    assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in detail
    assert '<span class="unsafe-url">javascript:alert(4)</span>' in detail, "a javascript: URL is shown as text"


def test_a_one_megabyte_title_is_cut_in_the_queue(server: Server) -> None:
    client, _csrf = server.login("viewer")
    queue = client.get("/", params={"seller": "bigseller"}).text
    assert len(queue) < 100_000, "the queue shows a short title, not 1 MB"
    with server.api("viewer") as c:
        full = c.get("/api/v1/listings/evil-big").json()
        assert len(full["result"]["listing"]["title"]) > 1_000_000, "the evidence itself is kept whole"
