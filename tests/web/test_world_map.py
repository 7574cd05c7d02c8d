"""The dashboard's world map: the shipped SVG, the choropleth of the demo listings, its links and
its table equivalent."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from contextlib import closing
from html.parser import HTMLParser
from pathlib import Path

from playwright.sync_api import Browser

from wildtrace import manifest
from wildtrace.places import country_of
from wildtrace.web.worldmap import PALETTE, breaks, klass, legend, shapes

from .conftest import Server

NS = "{http://www.w3.org/2000/svg}"


def test_the_shipped_svg_parses_and_names_170_countries() -> None:
    file = manifest.path("world_map")
    assert file.stat().st_size < 300_000, file.stat().st_size
    root = ET.parse(file).getroot()
    paths = list(root.iter(f"{NS}path"))
    codes = [str(p.get("data-code")) for p in paths if p.get("data-code")]
    assert len(set(codes)) >= 170, len(set(codes))
    assert all(re.fullmatch(r"[A-Z]{2}", c) for c in codes), codes
    assert all(p.get("data-name") and p.get("d", "").startswith("M") for p in paths)
    assert {"VN", "CN", "TH", "ID", "BR", "GB", "US", "RU", "NG"} <= set(codes)
    view, found = shapes()
    assert view.startswith("0 0 1000 ") and len(found) == len(paths)


def test_classes_and_legend() -> None:
    assert breaks(0) == [] and breaks(1) == [1] and breaks(10) == [1, 2, 4, 6]
    assert [klass(n, breaks(100)) for n in (0, 1, 3, 4, 10, 99, 100)] == [0, 1, 1, 2, 3, 4, 4]
    assert legend(breaks(10), 10) == [(PALETTE[0], "none"), (PALETTE[1], "1"), (PALETTE[2], "2–3"),
                                      (PALETTE[3], "4–5"), (PALETTE[4], "6–10")]


def test_the_legend_css_has_the_palette() -> None:
    css = (Path(__file__).resolve().parents[2] / "src/wildtrace/web/static/app.css").read_text(encoding="utf-8")
    for i, colour in enumerate(PALETTE):
        assert f".swatch-{i} {{ background: {colour}; }}" in css, (i, colour)


def _flagged_countries(server: Server) -> dict[str, int]:
    """Expected: the flagged listings' countries, from the demo file and the queue API."""
    with open(manifest.path("demo_listings"), encoding="utf-8") as fh:
        where = {(r := json.loads(line))["id"]: r.get("location") or "" for line in fh}
    with server.api("viewer") as api:
        items = api.get("/api/v1/queue", params={"verdict": "wildlife_offer", "limit": 500}).json()["items"]
    out: dict[str, int] = {}
    for item in items:
        code = country_of(where.get(item["listing_id"], ""))
        if code:
            out[code] = out.get(code, 0) + 1
    return out


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.country_links: dict[str, str] = {}
        self.rows: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a" and a.get("class") == "country":
            self.country_links[str(a["data-code"])] = str(a["href"])
        if tag == "tr" and a.get("data-code"):
            self.rows.append(str(a["data-code"]))


def test_the_map_colours_the_demo_countries_and_links_work(server: Server) -> None:
    expected = _flagged_countries(server)
    assert {"VN", "CN", "ID"} <= set(expected), expected
    client, _ = server.login("viewer")
    with closing(client):
        page = client.get("/dashboard/map", headers={"HX-Request": "true"})
        assert page.status_code == 200 and "<html" not in page.text
        parsed = _Links()
        parsed.feed(page.text)
        drawn = {s.code for s in shapes()[1]}
        assert set(parsed.country_links) == set(expected) & drawn, (parsed.country_links, expected)
        assert sorted(parsed.rows) == sorted(expected)  # the table names every country, HK too
        for code, n in expected.items():
            assert re.search(rf'<tr data-code="{code}">.*?<td class="num">{n}</td>', page.text), code
        target = client.get(parsed.country_links["VN"])
        assert target.status_code == 200 and "Flagged listings in Vietnam" in target.text
        ids = re.findall(r'href="/listing\?id=([^"]+)"', target.text)
        assert len(ids) == expected["VN"], ids
        assert client.get(f"/listing?id={ids[0]}").status_code == 200
        dashboard = client.get("/dashboard")
        assert 'hx-get="/dashboard/map?' in dashboard.text and 'href="/dashboard/map?' in dashboard.text
        ranged = client.get("/dashboard/map", params={"posted_from": "2999-01-01"})
        assert ranged.status_code == 200 and 'class="country"' not in ranged.text
        assert client.get("/dashboard/map", params={"posted_from": "soon"}).status_code == 422


def test_the_dashboard_loads_the_map_in_the_browser(browser: Browser, sqlite_server: Server) -> None:
    context = browser.new_context(base_url=sqlite_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(20_000)
    sqlite_server.sign_in(page, "viewer")
    page.goto("/dashboard")
    page.wait_for_selector("svg.world-map a.country[data-code=VN]")
    fill = page.get_attribute("svg.world-map a.country[data-code=VN] path", "fill")
    assert fill in PALETTE[1:], fill
    page.click("table.by-country a >> text=Vietnam")
    page.wait_for_url("**/dashboard/map?country=VN*")
    assert page.locator("table.country-listings tbody tr").count() >= 1
    context.close()
