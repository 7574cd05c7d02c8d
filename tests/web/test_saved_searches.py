"""Saved searches (store/saved_searches.py, the search page's save/open/delete) on both backends:
a round trip, owner-only (another user neither sees nor deletes one), hostile names
escaped; and the facets' common names in each language."""

from __future__ import annotations

import html
import re
import uuid
from urllib.parse import parse_qs

import pytest

from wildtrace.errors import Invalid, NotFound
from wildtrace.store import saved_searches
from wildtrace.web.search_pages import search_query

from .conftest import Server

EVIL = "<script>alert('saved')</script><img src=x onerror=alert(1)>"


def test_store_round_trip_and_owner_only(server: Server) -> None:
    eng, me, other = server.engine, "u-" + uuid.uuid4().hex[:6], "v-" + uuid.uuid4().hex[:6]
    first = saved_searches.save(eng, me, "  Ivory   in French ", "q=ivory&lang=fr")
    assert first["name"] == "Ivory in French" and first["owner"] == me, first
    again = saved_searches.save(eng, me, "Ivory in French", "q=ivory&lang=es")
    assert again["id"] == first["id"] and again["query"] == "q=ivory&lang=es", "same name: replaced"
    saved_searches.save(eng, me, "A pangolins", "q=pangolin")
    assert [s["name"] for s in saved_searches.list_for(eng, me)] == ["A pangolins", "Ivory in French"]
    assert saved_searches.list_for(eng, other) == []
    with pytest.raises(NotFound):
        saved_searches.get(eng, other, first["id"])
    with pytest.raises(NotFound):
        saved_searches.delete(eng, other, first["id"])
    assert saved_searches.get(eng, me, first["id"])["query"] == "q=ivory&lang=es"
    saved_searches.delete(eng, me, first["id"])
    with pytest.raises(NotFound):
        saved_searches.get(eng, me, first["id"])
    for name, query in (("", "q=x"), ("x" * 201, "q=x"), ("ok", "q=" + "x" * 2001)):
        with pytest.raises(Invalid):
            saved_searches.save(eng, me, name, query)


def test_search_query_keeps_only_the_query_and_filters() -> None:
    assert search_query("?q=ivory&lang=fr&offset=50&evil=1&q=second&platform=") == "q=ivory&lang=fr"
    assert search_query("") == ""


def _saved_ids(page: str) -> dict[str, str]:
    """name -> id of the saved searches listed on a search page."""
    return {html.unescape(m.group(2)): m.group(1) for m in
            re.finditer(r'<li data-saved-id="(\d+)"><a href="/search\?[^"]*" [^>]*>([^<]*)</a>', page)}


def test_pages_save_open_delete_owner_only_escaped(server: Server) -> None:
    me, csrf = server.login("analyst")
    other, other_csrf = server.login("viewer")
    name = f"{EVIL} {uuid.uuid4().hex[:6]}"
    try:
        page = me.get("/search", params={"q": "ivory", "lang": "fr"}).text
        query = html.unescape(re.search(r'<input type="hidden" name="query" value="([^"]+)"', page).group(1))  # type: ignore[union-attr]
        assert parse_qs(query) == {"q": ["ivory"], "lang": ["fr"]}, query
        r = me.post("/search/saved", data={"csrf_token": csrf, "name": name, "query": query + "&offset=9&x=1"})
        assert r.status_code == 303 and parse_qs(r.headers["location"].split("?", 1)[1]) == parse_qs(query), r.headers
        assert me.post("/search/saved", data={"name": "no token", "query": query}).status_code == 403
        page = me.get("/search").text
        ids = _saved_ids(page)
        assert name in ids, page[:3000]
        assert EVIL not in page and "&lt;script&gt;alert(" in page, "the name is escaped"
        sid = ids[name]
        link = html.unescape(re.search(rf'<li data-saved-id="{sid}"><a href="([^"]+)"', page).group(1))  # type: ignore[union-attr]
        assert parse_qs(link.split("?", 1)[1]) == parse_qs(query), link
        assert 'data-listing-id="d10"' in me.get(link).text, "the saved search runs"
        # another user: not listed, not deleted
        assert name not in _saved_ids(other.get("/search").text)
        assert other.post(f"/search/saved/{sid}/delete", data={"csrf_token": other_csrf}).status_code == 404
        assert name in _saved_ids(me.get("/search").text)
        # the viewer keeps their own
        r = other.post("/search/saved", data={"csrf_token": other_csrf, "name": "mine", "query": "q=pangolin"})
        assert r.status_code == 303
        assert "mine" in _saved_ids(other.get("/search").text) and "mine" not in _saved_ids(me.get("/search").text)
        r = me.post(f"/search/saved/{sid}/delete", data={"csrf_token": csrf})
        assert r.status_code == 303 and r.headers["location"] == "/search"
        assert name not in _saved_ids(me.get("/search").text)
        assert me.post("/search/saved", data={"csrf_token": csrf, "name": " ", "query": "q=x"}).status_code == 422
    finally:
        me.close()
        other.close()


def test_species_facets_name_every_language(server: Server) -> None:
    with server.api("viewer") as c:
        body = c.get("/api/v1/search", params={"q": "ivory"}).json()
    elephant = next(f for f in body["facets"]["species"] if f["value"] == "Elephantidae")
    names = {n["lang"]: n["name"] for n in elephant["common_names"]}
    assert names["en"] == "elephant" and names["fr"] == "éléphant" and names["th"] == "ช้าง", names
    assert names["zh-hans"] == "大象" and "zh-hant" not in names, "a name two languages share is given once"
    assert {"es", "vi", "id"} <= set(names), names
    client, _ = server.login("viewer")
    try:
        page = client.get("/search", params={"q": "ivory"}).text
        assert '<span lang="th">ช้าง</span>' in page and '<span lang="fr">éléphant</span>' in page
    finally:
        client.close()
