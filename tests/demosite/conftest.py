"""Fixtures for the demo marketplace's tests: a site on a free loopback port (plain or with its
traps) and an HTTP client that never follows redirects."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import lxml.html
import pytest

from wildtrace import demosite


@pytest.fixture
def site() -> Iterator[demosite.DemoSite]:
    with demosite.start(0) as s:
        yield s


@pytest.fixture
def trapped() -> Iterator[demosite.DemoSite]:
    with demosite.start(0, traps=True) as s:
        yield s


def client(site: demosite.DemoSite) -> httpx.Client:
    return httpx.Client(base_url=site.origin, timeout=10, follow_redirects=False,
                        headers={"User-Agent": "demosite-tests/1"})


def doc(response: httpx.Response) -> lxml.html.HtmlElement:
    assert response.status_code == 200, (response.request.url, response.status_code)
    return lxml.html.fromstring(response.content, base_url=str(response.request.url))


def links(page: lxml.html.HtmlElement) -> list[str]:
    return [str(h) for h in page.xpath("//a/@href")]


def crawl_list(c: httpx.Client, start: str) -> tuple[list[str], list[str]]:
    """Follow rel=next from ``start``: (the list pages visited, every link on them)."""
    pages, found, url = [], [], start
    while url:
        page = doc(c.get(url))
        pages.append(url)
        found += links(page)
        nxt = page.xpath("//a[@rel='next']/@href")
        url = str(nxt[0]) if nxt else ""
        assert len(pages) < 20, pages
    return pages, found
