"""The search page and API on a real server (both backends): search by meaning, facets,
highlights (escaped), batch search of a CSV term list; and one browser run at 390 px."""

from __future__ import annotations

import csv
import html
import io
import json
import re

from playwright.sync_api import Browser, expect

from .conftest import PASSWORD, Server

IVORY = {"d04", "d05", "d06", "d10", "d11", "d33"}


def test_api_ivory_pangolin_phone(server: Server) -> None:
    with server.api("viewer") as c:
        body = c.get("/api/v1/search", params={"q": "ivory"}).json()
        got = [i["listing_id"] for i in body["items"]]
        assert IVORY <= set(got) and "d19" not in got, got
        assert body["meaning"]["products"] == ["ivory products"]
        tagged = [i["listing_id"] for i in body["items"] if i["hit"] == "tagged"]
        assert got[:len(tagged)] == tagged, "tagged hits first"
        d04 = next(i for i in body["items"] if i["listing_id"] == "d04")
        assert d04["highlight"]["title"].startswith('<mark class="m-product"'), d04["highlight"]
        assert ">象 牙</mark>" in d04["highlight"]["title"]
        assert {"value": "ivory products", "count": body["total"]} in body["facets"]["product"]
        species = {f["value"]: f for f in body["facets"]["species"]}
        assert species["Elephantidae"]["common_name"] == "elephant"
        for query in ("pangolin", "Manis"):
            got = {i["listing_id"] for i in c.get("/api/v1/search", params={"q": query}).json()["items"]}
            assert {"d02", "d12", "d13", "d31"} <= got, (query, got)
        body = c.get("/api/v1/search", params={"q": "+62 812 3456 7890"}).json()
        assert [(i["listing_id"], i["hit"]) for i in body["items"]] == [("d08", "identifier")]
        assert "<mark" in body["items"][0]["highlight"]["text"]
        body = c.get("/api/v1/search", params={"q": "ivory", "lang": "fr"}).json()
        assert [i["listing_id"] for i in body["items"]] == ["d10"]


def test_api_highlights_are_escaped(server: Server) -> None:
    with server.api("viewer") as c:
        body = c.get("/api/v1/search", params={"q": "<script>"}).json()
        evil = next(i for i in body["items"] if i["listing_id"] == "evil-script")
        assert "<script>" not in evil["highlight"]["title"]
        assert "<mark" in evil["highlight"]["title"] and "&lt;script&gt;" in evil["highlight"]["title"]


def test_api_batch(server: Server) -> None:
    with server.api("viewer") as c:
        r = c.post("/api/v1/search/batch", json={"csv": "term,label\nivory,elephant\npangolin,\n", "first": 3})
        assert r.status_code == 200, r.text
        out = r.json()["terms"]
        assert [(t["term"], t["label"], len(t["items"])) for t in out] == [("ivory", "elephant", 3), ("pangolin", "", 3)]
        assert out[0]["total"] >= 6 and out[1]["total"] >= 4
        r = c.post("/api/v1/search/batch", json={"terms": [{"term": "0812-3456-7890"}]})
        assert [i["listing_id"] for i in r.json()["terms"][0]["items"]] == ["d08"]
        assert c.post("/api/v1/search/batch", json={}).json()["error"]["code"] == "invalid_request"
        r = c.post("/api/v1/search/batch", json={"csv": "x\n" * 501})
        assert r.status_code == 422, r.text


def test_page_facets_and_batch_upload(server: Server) -> None:
    client, csrf = server.login("viewer")
    try:
        html = client.get("/search", params={"q": "ivory"}).text
        assert re.search(r'data-listing-id="d04"', html) and 'data-listing-id="d19"' not in html
        assert 'data-facet="species"' in html and "Elephantidae" in html and "(elephant)" in html
        assert 'href="/search?q=ivory&amp;lang=fr"' in html or 'href="/search?lang=fr&amp;q=ivory"' in html
        html = client.get("/search", params={"q": "lace"}).text
        assert 'class="row hit-text"' in html and "text only" in html
        r = client.post("/search/batch", data={"csrf_token": csrf},
                        files={"terms": ("terms.csv", "term,label\nivory,e\n<b>x</b>,\n", "text/csv")})
        assert r.status_code == 200, r.text
        assert 'data-term="ivory"' in r.text and "&lt;b&gt;x&lt;/b&gt;" in r.text and "<b>x</b>" not in r.text
        assert r.text.count('data-state="pending"') == 2, "rows load themselves (test_batch_rows.py)"
        r = client.post("/search/batch", files={"terms": ("t.csv", "ivory\n", "text/csv")})
        assert r.status_code == 403, "a batch upload needs the CSRF token"
    finally:
        client.close()


def test_browser_ivory_shows_the_chinese_listing_highlighted(browser: Browser, sqlite_server: Server) -> None:
    context = browser.new_context(base_url=sqlite_server.url, viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/login")
    page.fill("input[name=name]", "viewer")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto("/search")
    page.fill("input[name=q]", "ivory")
    page.keyboard.press("Enter")
    expect(page.locator("#hits")).to_contain_text("ivory")
    expect(page.locator("tr.row[data-listing-id=d04] td.title mark", has_text="象 牙")).to_be_visible()
    expect(page.locator("tr.row[data-listing-id=d19]")).to_have_count(0)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"horizontal overflow at 390 px: {width}"
    page.click("section.facet[data-facet=lang] a", )  # the first language facet narrows the hits
    expect(page.locator("p.active-filters")).to_contain_text("lang")
    assert errors == [], errors
    context.close()


def test_export_of_search_hits(server: Server) -> None:
    client, _csrf = server.login("viewer")
    try:
        page = client.get("/search", params={"q": "ivory", "lang": "fr"}).text
        links = dict(re.findall(r'class="export" data-format="(\w+)" href="([^"]+)"', page))
        assert set(links) == {"csv", "jsonl"}, links
        rows = [json.loads(line) for line in client.get(html.unescape(links["jsonl"])).text.splitlines()]
        assert [(r["listing_id"], r["hit"]) for r in rows] == [("d10", "tagged")], rows
        body = client.get(html.unescape(links["csv"]))
        assert body.status_code == 200 and body.headers["content-type"].startswith("text/csv")
        table = list(csv.DictReader(io.StringIO(body.text)))
        assert [r["listing_id"] for r in table] == ["d10"] and table[0]["matched"], table
        whole = client.get("/api/v1/search/export", params={"q": "ivory", "format": "jsonl"}).text.splitlines()
        with server.api("viewer") as c:
            api = [i["listing_id"] for i in c.get("/api/v1/search", params={"q": "ivory", "limit": 200}).json()["items"]]
        assert [json.loads(line)["listing_id"] for line in whole][:len(api)] == api[:len(whole)], "the page's order"
        evil = list(csv.DictReader(io.StringIO(client.get("/api/v1/search/export", params={"q": "script"}).text)))
        assert evil and all(not r["title"].startswith(("=", "+", "-", "@")) for r in evil)
        assert client.get("/api/v1/search/export", params={"q": ""}).status_code == 422
    finally:
        client.close()
