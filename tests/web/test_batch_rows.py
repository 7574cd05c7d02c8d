"""The batch search page on a real server and store: the upload answers a table at once, each
term's row loads itself (GET /search/batch/row) and equals that term's row of the whole list's
search (``Searcher.batch`` over every term: synonyms share tag queries there, not here); hostile
terms and listings stay text; a failed row says so in its cells. The browser run is in
test_batch_rows_browser.py."""

from __future__ import annotations

import html
import re

import httpx

from wildtrace.errors import DataError
from wildtrace.search import Searcher, Term

from .conftest import Server

#: Synonyms (one product: shared tag queries in a whole list), taxa, a phone, hostile terms
#: (markup, quotes, SQL, FTS5 and tsquery operators) and 1-2 character CJK and Thai terms.
TERMS = [("ivory", "elephant"), ("象牙", "ivory, zh"), ("marfil", ""), ("ivoire", "<i>fr</i>"),
         ("pangolin", ""), ("Manis", "genus"), ("0812-3456-7890", "phone"), ("<script>", "<b>x</b>"),
         ('"quotes" AND \'single\'', 'a "label"'), ("ivory OR horn", ""), ("NEAR(rhino horn)", ""),
         ("horn*", ""), ("-ivory", ""), ("'; DROP TABLE queue; --", ""), ("鳞", ""), ("犀", ""),
         ("งา", ""), ("&amp; <img src=x onerror=alert(1)>", "")]
HX = {"HX-Request": "true"}


def _csv(terms: list[tuple[str, str]]) -> str:
    def cell(v: str) -> str:
        return '"' + v.replace('"', '""') + '"'
    return "term,label\n" + "".join(f"{cell(t)},{cell(lab)}\n" for t, lab in terms)


def _upload(client: httpx.Client, csrf: str, text: str) -> httpx.Response:
    return client.post("/search/batch", data={"csrf_token": csrf}, files={"terms": ("terms.csv", text, "text/csv")})


def _row_urls(page: str) -> list[str]:
    return [html.unescape(u) for u in re.findall(r'<tr class="batch-row"[^>]*\bhx-get="([^"]+)"', page)]


def _whole_list_rows(server: Server, terms: list[tuple[str, str]]) -> list[str]:
    """Each term's row as the whole list's search gives it (one call, shared tag queries),
    rendered with the row template."""
    s = Searcher(server.app.state.scanner.detector)
    template = server.app.state.templates.get_template("_batch_row.html")
    return [template.render(b=b, failed=None) for b in s.batch(server.engine, [Term(t, lab) for t, lab in terms])]


def test_each_row_equals_its_row_in_the_whole_list(server: Server) -> None:
    client, csrf = server.login("viewer")
    try:
        page = _upload(client, csrf, _csv(TERMS))
        assert page.status_code == 200, page.text
        urls = _row_urls(page.text)
        assert len(urls) == len(TERMS), urls
        got = []
        for url in urls:
            r = client.get(url, headers=HX)
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), (url, r.text[:300])
            got.append(r.text)
        want = _whole_list_rows(server, TERMS)
        for (term, _label), mine, whole in zip(TERMS, got, want, strict=True):
            assert mine == whole, (term, mine, whole)
        counts = {t: int(re.findall(r'<td class="num">(\d+)', row)[0]) for (t, _), row in zip(TERMS, got, strict=True)}
        assert counts["ivory"] >= 6 and counts["pangolin"] >= 4 and counts["0812-3456-7890"] == 1, counts
        assert counts["象牙"] > 0 and counts["marfil"] > 0, "the synonyms find the ivory listings"
        with server.api("viewer") as api:  # and the API's whole list agrees on every count
            body = api.post("/api/v1/search/batch", json={"terms": [{"term": t, "label": lab} for t, lab in TERMS]})
        assert [t["total"] for t in body.json()["terms"]] == [counts[t] for t, _ in TERMS]
        for row in got:
            assert "<script" not in row and "<img" not in row and "<b>" not in row and "<i>" not in row, row
        assert "&lt;script&gt;" in got[7] and "&lt;b&gt;x&lt;/b&gt;" in got[7]
        assert "&amp;amp; &lt;img src=x onerror=alert(1)&gt;" in got[-1]
    finally:
        client.close()


def test_the_page_answers_a_table_of_pending_rows_in_order(sqlite_server: Server) -> None:
    client, csrf = sqlite_server.login("viewer")
    try:
        r = _upload(client, csrf, _csv(TERMS))
        assert r.status_code == 200, r.text
        rows = re.findall(r'<tr class="batch-row" data-term="([^"]*)" data-state="pending" hx-get="([^"]+)" '
                          r'hx-trigger="load" hx-swap="outerHTML" hx-sync="#batch-lane-(\d):queue all">', r.text)
        assert [html.unescape(t) for t, _u, _k in rows] == [t for t, _ in TERMS]
        assert [int(k) for _t, _u, k in rows] == [i % 3 for i in range(len(TERMS))], "three lanes, in turn"
        assert all(f'id="batch-lane-{k}"' in r.text for k in range(3))
        assert '<script src="/static/batch.js" defer></script>' in r.text
        scripts = re.findall(r"<script[^>]*>", r.text)
        assert all(s.startswith('<script src="/static/') for s in scripts), scripts
        assert "<b>x</b>" not in r.text and "<script>" not in r.text.replace("<script src=", "")
        # the same limits and errors as before
        assert "The list holds no terms." in _upload(client, csrf, "term,label\n\n").text
        too_many = _upload(client, csrf, "x\n" * 501)
        assert too_many.status_code == 422 and "at most 500 terms" in too_many.text
        assert _upload(client, csrf, "x" * 1_000_001).status_code == 413
        no_token = client.post("/search/batch", files={"terms": ("t.csv", "ivory\n", "text/csv")})
        assert no_token.status_code == 403, "a batch upload needs the CSRF token"
    finally:
        client.close()


def test_row_requests_any_role_no_js_and_bad_terms(sqlite_server: Server) -> None:
    for role in ("viewer", "analyst", "admin"):
        client, _csrf = sqlite_server.login(role)
        try:
            r = client.get("/search/batch/row", params={"term": "pangolin", "label": role}, headers=HX)
            assert r.status_code == 200 and r.text.startswith('<tr class="batch-row" data-term="pangolin"'), r.text
            assert f'<div class="muted small">{role}</div>' in r.text
        finally:
            client.close()
    client, _csrf = sqlite_server.login("viewer")
    try:
        plain = client.get("/search/batch/row", params={"term": "象牙"})  # no htmx: the term's search
        assert plain.status_code == 303 and plain.headers["location"] == "/search?q=%E8%B1%A1%E7%89%99"
        assert client.get("/search/batch/row", params={"term": "x" * 501}, headers=HX).status_code == 422
        assert client.get("/search/batch/row", params={"term": ""}, headers=HX).status_code == 422
        assert client.get("/search/batch/row", headers=HX).status_code == 422
    finally:
        client.close()
    anonymous = httpx.get(f"{sqlite_server.url}/search/batch/row", params={"term": "ivory"}, headers=HX)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")


def test_a_repeated_row_is_kept_until_a_write(sqlite_server: Server) -> None:
    client, csrf = sqlite_server.login("viewer")
    try:
        params = {"term": "ivory", "label": "kept-test"}
        first = client.get("/search/batch/row", params=params, headers=HX).text
        rows = sqlite_server.app.state.batch_rows
        hits, builds = rows.hits, rows.builds
        assert client.get("/search/batch/row", params=params, headers=HX).text == first
        assert (rows.hits, rows.builds) == (hits + 1, builds), "the second request is answered from memory"
        saved = client.post("/search/saved", data={"csrf_token": csrf, "name": "kept-test", "query": "q=ivory"})
        assert saved.status_code == 303, saved.text  # a write: the row is built again
        assert client.get("/search/batch/row", params=params, headers=HX).text == first
        assert (rows.hits, rows.builds) == (hits + 1, builds + 1)
    finally:
        client.close()


class _Failing(Searcher):
    """The app's searcher, except that two terms fail: as a store error would (any exception)
    and as a domain error (its message is shown)."""

    def batch(self, engine, terms, *, first=5):  # type: ignore[no-untyped-def]
        if terms[0].term == "boom":
            raise RuntimeError("connection lost")
        if terms[0].term == "bad":
            raise DataError("the store is read-only <now>")
        return super().batch(engine, terms, first=first)


def test_a_failed_row_says_so_in_its_cells(sqlite_server: Server) -> None:
    state = sqlite_server.app.state
    old = getattr(state, "searcher", None)
    state.searcher = _Failing(state.scanner.detector)
    client, _csrf = sqlite_server.login("viewer")
    try:
        r = client.get("/search/batch/row", params={"term": "boom", "label": "<b>l</b>"}, headers=HX)
        assert r.status_code == 200, r.text
        assert r.text.startswith('<tr class="batch-row failed" data-term="boom" data-state="failed">'), r.text
        assert "Not searched: the server could not search it; see its log." in r.text
        assert "connection lost" not in r.text and "&lt;b&gt;l&lt;/b&gt;" in r.text
        r = client.get("/search/batch/row", params={"term": "bad"}, headers=HX)
        assert "Not searched: the store is read-only &lt;now&gt;." in r.text
        ok = client.get("/search/batch/row", params={"term": "pangolin", "label": "after-failure"}, headers=HX)
        assert 'data-state="done"' in ok.text, "the other rows go on"
    finally:
        client.close()
        state.searcher = old
