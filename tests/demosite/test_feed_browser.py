"""The feed in real Chromium: its listing links appear only when the reader scrolls, one batch
per scroll to the bottom, and the page's CSP lets its own script run and fetch."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from wildtrace import demosite

#: Debian's Chromium, driven by Playwright (as tests/web does)
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def test_feed_links_appear_only_after_scrolling(browser: Browser, site: demosite.DemoSite) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    cards = "a[href^='/feed/item/']"
    try:
        page.goto(site.origin + "/feed", wait_until="networkidle")
        page.wait_for_timeout(300)
        assert page.locator(cards).count() == 0 and site.market.fetched("/api/feed") == []
        counts = []
        for _ in range(6):
            before = page.locator(cards).count()
            page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            if before < 11:
                # (not wait_for_function: it evaluates a string, which the page's CSP forbids)
                page.locator(cards).nth(before).wait_for(timeout=10_000)
            else:
                page.wait_for_timeout(200)
            counts.append(page.locator(cards).count())
        hrefs = [page.locator(cards).nth(i).get_attribute("href") for i in range(11)]
        assert counts[:3] == [4, 8, 11] and counts[-1] == 11, counts
        assert hrefs == [f"/feed/item/{i}" for i in site.market.ids("feed")]
        assert [r.path for r in site.market.fetched("/api/feed")] == \
            ["/api/feed?cursor=0", "/api/feed?cursor=4", "/api/feed?cursor=8"]
        assert "No more listings" in page.inner_text("#feed-end")
        assert problems == [], problems
        ua = site.market.fetched("/static/feed.js")[0].user_agent
        assert "Chrome" in ua, ua
    finally:
        page.close()
