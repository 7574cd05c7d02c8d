"""Browser tests: Playwright for Python driving Debian's chromium (never `playwright install`)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import PASSWORD, Server


@pytest.fixture
def watch() -> dict[str, list[str]]:
    return {"dialogs": [], "errors": []}


def _page(browser: Browser, server: Server, role: str, watch: dict[str, list[str]]) -> Page:
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)

    def on_dialog(dialog: Any) -> None:
        watch["dialogs"].append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("console", lambda m: watch["errors"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: watch["errors"].append(str(e)))
    page.goto("/")
    expect(page).to_have_url(f"{server.url}/login")
    page.fill("input[name=name]", role)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Triage queue")
    return page


def _seed(server: Server, n: int = 4) -> tuple[str, list[str]]:
    seller = "kb-" + uuid.uuid4().hex[:8]
    titles = ["Rhino horn bangle, WhatsApp", "Pangolin scales 1kg", "Ivory carving antique", "Tiger plush toy"]
    listings = [{"id": f"{seller}-{i}", "title": titles[i % 4], "seller": seller} for i in range(n)]
    with server.api("analyst") as c:
        c.post("/api/v1/scan", json={"listings": listings}).raise_for_status()
        rows = c.get("/api/v1/queue", params={"seller": seller}).json()["items"]
    return seller, [r["listing_id"] for r in rows]


def _label(server: Server, listing_id: str) -> str | None:
    with server.api("viewer") as c:
        return c.get(f"/api/v1/listings/{listing_id}").json()["label"]  # type: ignore[no-any-return]


def test_login_and_triage_with_the_keyboard(browser: Browser, sqlite_server: Server,
                                            watch: dict[str, list[str]]) -> None:
    seller, ids = _seed(sqlite_server)
    page = _page(browser, sqlite_server, "analyst", watch)
    page.goto(f"/?seller={seller}")
    rows = page.locator("table.queue tr.row")
    expect(rows).to_have_count(4)
    expect(rows.nth(0)).to_have_class("row selected")
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class("row selected")
    page.keyboard.press("3")  # not_wildlife, then the next row
    expect(rows.nth(1).locator(".label-cell")).to_have_text("not_wildlife")
    expect(rows.nth(2)).to_have_class("row selected")
    page.keyboard.press("1")
    expect(rows.nth(2).locator(".label-cell")).to_have_text("wildlife_offer")
    assert _label(sqlite_server, ids[1]) == "not_wildlife"
    assert _label(sqlite_server, ids[2]) == "wildlife_offer"
    # open the first row with Enter, label it with a key: the next listing opens
    page.keyboard.press("k")
    page.keyboard.press("k")
    page.keyboard.press("k")
    expect(rows.nth(0)).to_have_class("row selected")
    page.keyboard.press("Enter")
    expect(page.locator("article.listing")).to_have_attribute("data-listing-id", ids[0])
    page.wait_for_load_state("domcontentloaded")  # the deferred app.js (the key handler) has run
    page.keyboard.press("2")
    expect(page.locator("article.listing")).to_have_attribute("data-listing-id", ids[1])
    assert _label(sqlite_server, ids[0]) == "depiction_or_faux"
    assert watch["dialogs"] == [] and watch["errors"] == [], watch


def test_label_a_listing_with_a_note_and_bulk(browser: Browser, sqlite_server: Server,
                                              watch: dict[str, list[str]]) -> None:
    seller, ids = _seed(sqlite_server, 3)
    page = _page(browser, sqlite_server, "analyst", watch)
    page.goto(f"/listing?id={ids[0]}")
    page.fill(".label-form input[name=note]", "seen on two platforms")
    page.click(".label-form button[value=wildlife_offer]")
    page.goto(f"/listing?id={ids[0]}")
    expect(page.locator("ul.labels li").first).to_contain_text("wildlife_offer by analyst")
    expect(page.locator("ul.labels li").first).to_contain_text("seen on two platforms")
    # bulk: select two rows with x, apply a label
    page.goto(f"/?seller={seller}")
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.select_option("#bulk select[name=label]", "unsure")
    page.click("#bulk button[type=submit]")
    expect(page.locator("table.queue tr.row .label-cell", has_text="unsure")).to_have_count(2)
    assert watch["dialogs"] == [] and watch["errors"] == [], watch


def test_search_in_chinese(browser: Browser, sqlite_server: Server, watch: dict[str, list[str]]) -> None:
    page = _page(browser, sqlite_server, "viewer", watch)
    page.click("text=Search")
    page.fill("input[name=q]", "犀角")
    page.keyboard.press("Enter")
    expect(page.locator("#hits")).to_contain_text("犀角")
    expect(page.locator("tr.row[data-listing-id=d03]")).to_be_visible()
    page.click("tr.row[data-listing-id=d03] td.title a")
    expect(page.locator("h1.title mark", has_text="犀角")).to_be_visible()


def test_dashboard_shows_charts(browser: Browser, sqlite_server: Server, watch: dict[str, list[str]]) -> None:
    page = _page(browser, sqlite_server, "viewer", watch)
    page.click("text=Dashboard")
    charts = page.locator("svg.chart")
    expect(charts).to_have_count(5)
    expect(charts.first).to_be_visible()
    assert page.locator("svg.chart rect.bar").count() > 5
    expect(page.locator('svg.chart[aria-label="Flagged by species"]')).to_contain_text("Rhinocerotidae")
    assert watch["errors"] == [], watch


def test_a_viewer_is_refused_labelling(browser: Browser, sqlite_server: Server,
                                       watch: dict[str, list[str]]) -> None:
    seller, ids = _seed(sqlite_server, 2)
    page = _page(browser, sqlite_server, "viewer", watch)
    page.goto(f"/?seller={seller}")
    expect(page.locator("table.queue tr.row")).to_have_count(2)
    assert page.locator("button.lbl").count() == 0
    page.keyboard.press("1")
    page.goto(f"/listing?id={ids[0]}")
    assert page.locator(".label-form").count() == 0
    status = page.evaluate("""async (id) => {
        const csrf = document.querySelector('meta[name=csrf-token]').content;
        const r = await fetch('/label', {method: 'POST', headers: {'X-CSRF-Token': csrf,
            'Content-Type': 'application/x-www-form-urlencoded'}, body: 'listing_id=' + encodeURIComponent(id) + '&label=unsure'});
        return r.status; }""", ids[0])
    assert status == 403
    assert _label(sqlite_server, ids[0]) is None


def test_hostile_listings_neither_run_nor_break_the_layout(browser: Browser, sqlite_server: Server,
                                                          watch: dict[str, list[str]]) -> None:
    page = _page(browser, sqlite_server, "analyst", watch)
    for path in ("/", "/listing?id=evil-script", "/listing?id=evil-url", "/listing?id=evil-big",
                 "/seller?name=bigseller", "/search?q=script"):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        inner = page.evaluate("window.innerWidth")
        assert width <= inner, (path, width, inner)
        assert page.evaluate("typeof window.xssFired") == "undefined"
    page.goto("/listing?id=evil-big")
    box = page.locator("h1.title").bounding_box()
    assert box is not None and box["height"] < 400, box
    expect(page.locator(".label-form button[value=unsure]")).to_be_visible()
    page.goto("/listing?id=evil-script")
    expect(page.locator("h1.title")).to_contain_text("<script>alert('xss')</script>")
    assert page.locator("a", has_text="javascript:").count() == 0, "a javascript: URL is not a link"
    page.click("text=javascript:alert(4)")  # clicking the text does nothing
    assert watch["dialogs"] == [], watch
