"""The batch search page in real Chromium: an uploaded term list comes back as a table whose rows
fill themselves in, in the list's order and at most three at a time (``hx-sync`` lanes), each
with the count the whole list's search (the API) gives its term; a row whose request fails says
so and the others still fill."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Browser, Page, Request, expect

from wildtrace.web.search_pages import BATCH_LANES

from .conftest import Server

#: 20 terms: synonyms, taxa, a phone, hostile and 1-2 character CJK and Thai terms
TERMS = ["ivory", "pangolin", "犀角", "象牙", "rhino horn", "marfil", "ivoire", "<script>", "งา", "鳞",
         "0812-3456-7890", "Manis", "lace", "tiger bone", "hornbill", '"quotes" OR x', "parrot", "gecko",
         "Pangolin scales", "<b>x</b>"]


def _login(browser: Browser, server: Server) -> Page:
    context = browser.new_context(base_url=server.url, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    server.sign_in(page, "viewer")
    return page


def _upload(page: Page, tmp: Path) -> None:
    listed = tmp / "terms.csv"
    listed.write_text("term,label\n" + "".join('"' + t.replace('"', '""') + f'",label {i}\n'
                                                for i, t in enumerate(TERMS)), encoding="utf-8")
    page.goto("/search")
    page.set_input_files("form.batch input[type=file]", str(listed))
    with page.expect_navigation():
        page.click("form.batch button[type=submit]")


def _index(request: Request) -> int:
    return TERMS.index(parse_qs(urlsplit(request.url).query)["term"][0])


def test_every_row_fills_in_order_with_the_right_count(browser: Browser, sqlite_server: Server,
                                                       tmp_path: Path) -> None:
    with sqlite_server.api("viewer") as api:
        whole = api.post("/api/v1/search/batch", json={"terms": [{"term": t} for t in TERMS]}).json()["terms"]
    want = [f"{t['total']}{'+' if t['truncated'] else ''}" for t in whole]
    assert any(w != "0" for w in want) and "0" in want, want  # some terms find listings, some none
    page = _login(browser, sqlite_server)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    log: list[tuple[str, int]] = []  # ("start" | "end", row) in the order the browser saw them
    page.on("request", lambda r: log.append(("start", _index(r))) if "/search/batch/row" in r.url else None)
    # a response's headers come before its XHR ends (and the next row's request); Playwright's
    # "requestfinished" can be reported after that next "request"
    page.on("response", lambda r: log.append(("end", _index(r.request))) if "/search/batch/row" in r.url else None)
    _upload(page, tmp_path)
    rows = page.locator("#batch tbody tr")
    expect(page.locator("#batch tr.batch-row[data-state=done]")).to_have_count(len(TERMS))
    assert [rows.nth(i).get_attribute("data-term") for i in range(len(TERMS))] == TERMS
    assert [rows.nth(i).locator("td.num").inner_text() for i in range(len(TERMS))] == want
    assert rows.nth(7).locator("td a").first.inner_text() == "<script>", "a hostile term is text"
    assert rows.nth(0).locator("td div.muted").inner_text() == "label 0"
    first_listing = rows.nth(0).locator("td.small a").first
    assert (first_listing.get_attribute("href") or "").startswith("/listing?id=")
    # in order, at most BATCH_LANES at a time: row i starts only once row i - BATCH_LANES has ended
    started = [i for kind, i in log if kind == "start"]
    assert sorted(started) == list(range(len(TERMS))), log
    assert started[:BATCH_LANES] == list(range(BATCH_LANES)), log
    busy, most = 0, 0
    for kind, i in log:
        busy += 1 if kind == "start" else -1
        most = max(most, busy)
        if kind == "start" and i >= BATCH_LANES:
            assert log.index(("end", i - BATCH_LANES)) < log.index(("start", i)), (i, log)
    assert most <= BATCH_LANES, log
    assert errors == [], errors
    page.context.close()


def test_a_failed_row_request_says_so_and_the_rest_fill(browser: Browser, sqlite_server: Server,
                                                        tmp_path: Path) -> None:
    page = _login(browser, sqlite_server)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route(lambda url: "/search/batch/row" in url and "term=pangolin&" in url,
               lambda route: route.fulfill(status=500, body="<h1>broken</h1>", content_type="text/html"))
    page.route(lambda url: "/search/batch/row" in url and "term=lace&" in url, lambda route: route.abort())
    _upload(page, tmp_path)
    expect(page.locator("#batch tr.batch-row[data-state=done]")).to_have_count(len(TERMS) - 2)
    failed = page.locator("#batch tr.batch-row[data-state=failed]")
    expect(failed).to_have_count(2)
    assert [failed.nth(i).get_attribute("data-term") for i in range(2)] == ["pangolin", "lace"]
    expect(failed.nth(0).locator("td.batch-error")).to_have_text(
        "Not searched: the server answered 500. The term's link opens its own search.")
    expect(failed.nth(1).locator("td.batch-error")).to_contain_text("no answer from the server")
    assert page.locator("#batch h1").count() == 0, "an error page's markup is not put in the table"
    assert errors == [], errors
    page.context.close()
