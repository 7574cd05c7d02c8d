"""The triage queue and dashboard pages on a real server (both backends): total under a filter,
the four sort orders with keyset paging, export links, the continuous weekly axis with links to
the queue, common species names; and a browser run (the "?" overlay, 390 px without overflow)."""

from __future__ import annotations

import dataclasses
import html
import re
import uuid
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Browser, expect

from wildtrace.store import queue as q

from .conftest import PASSWORD, Server

TITLES = ["Rhino horn bangle, WhatsApp", "Pangolin scales 1kg", "Ivory carving antique", "Tiger plush toy",
          "Elephant ivory chopsticks", "Handmade wooden elephant"]
#: (posted_at, first seen): 2020 dates, far from the demo data, with an empty week (W03) between.
DATES = [("2020-01-06", "2021-03-01T00:00:05Z"), ("2020-01-08", "2021-03-01T00:00:01Z"),
         ("2020-01-13", "2021-03-01T00:00:04Z"), ("2020-01-27", "2021-03-01T00:00:02Z"),
         ("2020-01-28", "2021-03-01T00:00:06Z"), ("2020-01-14", "2021-03-01T00:00:03Z")]


def _seed(server: Server) -> tuple[str, list[dict[str, object]]]:
    """Six listings of a new seller, stored with known posted dates and first-seen times."""
    seller = "qp-" + uuid.uuid4().hex[:8]
    listings = [{"id": f"{seller}-{i}", "title": TITLES[i], "seller": seller, "posted_at": DATES[i][0]}
                for i in range(len(TITLES))]
    results = [dataclasses.replace(r, scanned_at=DATES[i][1])
               for i, r in enumerate(server.app.state.scanner.scan(listings))]
    server.app.state.store.save(results)
    with server.api("viewer") as c:
        rows = c.get("/api/v1/queue", params={"seller": seller}).json()["items"]
    assert len(rows) == len(TITLES), rows
    return seller, rows


def _ids(page: str) -> list[str]:
    return re.findall(r'<tr class="row" data-listing-id="([^"]+)"', page)


def test_total_sorts_and_exports(server: Server) -> None:
    seller, rows = _seed(server)
    by_id = {r["listing_id"]: r for r in rows}
    seen = {f"{seller}-{i}": DATES[i][1] for i in range(len(DATES))}
    client, _csrf = server.login("viewer")
    try:
        body = client.get("/", params={"seller": seller}).text
        assert 'data-total="6"' in body, body[:2000]
        body = client.get("/", params={"seller": seller, "posted_from": "2020-01-13"}).text
        assert 'data-total="4"' in body
        assert _ids(client.get("/", params={"seller": seller}).text) == [r["listing_id"] for r in rows], \
            "risk order is the API's"
        expected = {
            "risk": sorted(by_id, key=lambda i: (-by_id[i]["risk_score"], _neg(i))),
            "posted": sorted(by_id, key=lambda i: (_neg(str(by_id[i]["posted_at"])), _neg(i))),
            "first_seen": sorted(by_id, key=lambda i: (_neg(seen[i]), _neg(i))),
            "uncertain": sorted(by_id, key=lambda i: (abs(by_id[i]["wildlife_score"] - 0.5), _neg(i))),
        }
        assert expected["first_seen"][0] == f"{seller}-4" and expected["posted"][0] == f"{seller}-4"
        for sort, want in expected.items():
            got = _ids(client.get("/", params={"seller": seller, "sort": sort}).text)
            assert got == want, (sort, got, want, [(i, by_id[i]) for i in want])
        scores = [abs(by_id[i]["wildlife_score"] - 0.5) for i in expected["uncertain"]]
        assert scores == sorted(scores), scores
        assert client.get("/", params={"sort": "bogus"}).status_code == 422
        body = client.get("/", params={"seller": seller, "verdict": "wildlife_offer"}).text
        links = {m.group(1): html.unescape(m.group(2)) for m in
                 re.finditer(r'class="export" data-format="(\w+)" href="([^"]+)"', body)}
        assert set(links) == {"csv", "jsonl"}, links
        for fmt, link in links.items():
            assert parse_qs(urlsplit(link).query) == {"seller": [seller], "verdict": ["wildlife_offer"],
                                                     "format": [fmt]}, link
            r = client.get(link)
            assert r.status_code == 200, r.text
        n_offer = sum(1 for r in rows if r["verdict"] == "wildlife_offer")
        assert len(client.get(links["jsonl"]).text.splitlines()) == n_offer
    finally:
        client.close()


def _neg(text: str) -> tuple[int, ...]:
    """A key that sorts text descending."""
    return tuple(-ord(ch) for ch in text) + (1,)


def test_column_headers_sort(server: Server) -> None:
    seller, rows = _seed(server)
    client, _csrf = server.login("viewer")
    try:
        body = client.get("/", params={"seller": seller, "sort": "uncertain"}).text
        links = {html.unescape(h): t for h, t in re.findall(r'<a class="sort" href="([^"]+)" title="([^"]+)"', body)}
        sorts = {parse_qs(urlsplit(h).query).get("sort", ["risk"])[0] for h in links}
        assert sorts == set(q.SORTS), links
        assert all(parse_qs(urlsplit(h).query)["seller"] == [seller] for h in links), "the filter is kept"
        assert '<th aria-sort="ascending"><a class="sort"' in body and "uncertain first" in body
        for href in links:
            sort = parse_qs(urlsplit(href).query).get("sort", ["risk"])[0]
            assert _ids(client.get(href).text) == _ids(client.get("/", params={"seller": seller, "sort": sort}).text)
    finally:
        client.close()


def test_keyset_paging_in_every_order(server: Server) -> None:
    seller, rows = _seed(server)
    for sort in q.SORTS:
        first, cursor = q.page(server.engine, q.Filters(seller=seller), limit=4, sort=sort)
        assert cursor is not None, sort
        rest, end = q.page(server.engine, q.Filters(seller=seller), limit=4, sort=sort,
                           after=q.decode_cursor(cursor, sort))
        whole, _ = q.page(server.engine, q.Filters(seller=seller), limit=50, sort=sort)
        assert [r["listing_id"] for r in first + rest] == [r["listing_id"] for r in whole], sort
        assert end is None and len(rest) == 2, sort


def test_dashboard_weeks_continuous_and_linked(server: Server) -> None:
    seller, rows = _seed(server)
    client, _csrf = server.login("viewer")
    try:
        body = client.get("/dashboard", params={"posted_from": "2020-01-06", "posted_to": "2020-02-02"}).text
        weeks = re.findall(r'<a href="([^"]+)" class="week" data-week="([^"]+)" data-n="(\d+)"', body)
        assert [w for _, w, _ in weeks] == ["2020-W02", "2020-W03", "2020-W04", "2020-W05"], weeks
        assert weeks[2][2] == "0", "the gap week (W04) shows as 0"
        assert int(weeks[0][2]) >= 1, weeks
        for href, week, n in weeks:
            link = html.unescape(href)
            assert parse_qs(urlsplit(link).query)["verdict"] == ["wildlife_offer"]
            assert f'data-total="{n}"' in client.get(link).text, (week, link)
        queue = client.get(html.unescape(weeks[0][0])).text
        assert f"{seller}-0" in queue and f"{seller}-3" not in queue
        whole = client.get("/dashboard").text
        assert "elephant (Elephantidae)" in whole or "(Elephantidae)" in whole, "common names"
        assert re.search(r"[a-z] \([A-Z][a-z]+[ a-z]*\)", whole), "common name (scientific name)"
        # every bar (species, product, platform, appendix) opens the queue filtered to it, whose total is the bar's
        bars = re.findall(r'<a href="([^"]+)" class="bar-link" aria-label="[^"]*: (\d+)"', whole)
        fields = {k for href, _ in bars for k in parse_qs(urlsplit(html.unescape(href)).query)}
        assert {"species", "product", "platform", "appendix"} <= fields, fields
        for href, n in bars[:12]:
            assert f'data-total="{n}"' in client.get(html.unescape(href)).text, (href, n)
        assert client.get("/dashboard", params={"posted_from": "not a date"}).status_code == 422
    finally:
        client.close()


def test_browser_shortcuts_and_narrow_layout(browser: Browser, sqlite_server: Server) -> None:
    errors: list[str] = []
    context = browser.new_context(base_url=sqlite_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto("/login")
        page.fill("input[name=name]", "analyst")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        expect(page.locator("h1")).to_have_text("Triage queue")
        overlay = page.locator("#shortcuts")
        expect(overlay).to_be_hidden()
        page.keyboard.press("?")
        expect(overlay).to_be_visible()
        expect(overlay).to_contain_text("Keyboard shortcuts")
        selected = page.locator("table.queue tr.row.selected")
        before = selected.get_attribute("data-listing-id")
        page.keyboard.press("j")  # ignored while the overlay is open
        assert selected.get_attribute("data-listing-id") == before
        page.keyboard.press("Escape")
        expect(overlay).to_be_hidden()
        page.click("button.shortcuts-open")
        expect(overlay).to_be_visible()
        page.click("button.shortcuts-close")
        expect(overlay).to_be_hidden()
        for path in ("/", "/dashboard", "/?sort=uncertain"):
            page.goto(path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (path, width)
        assert not errors, errors
    finally:
        context.close()
