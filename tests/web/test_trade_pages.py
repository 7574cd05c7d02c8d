"""The trade pages (/trade...): a real server on loopback over a DuckDB loaded from the seeded
synthetic generator (CITES bulk and LEMIS files) and from a hand-written file with hostile taxon
names. Pages render with charts (SVG with a title and a table beside them), names beside codes,
both reports side by side and filters; each flag links to its records (page, CSV, JSON);
synthetic data is named as such; a LEMIS-only database says what the analyses cover; no
database is one sentence naming the command; hostile names stay escaped; viewers read."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser

from wildtrace.trade.load import load_paths
from wildtrace.trade.schema import connect
from wildtrace.trade.synth import SynthResult, generate

from .conftest import PASSWORD, Server
from .test_trade_api import _running

#: every page this module adds (the accessibility and screenshot tests can list them)
PAGES = ("/trade", "/trade/report", "/trade/reconcile", "/trade/screen", "/trade/trends", "/trade/routes",
         "/trade/records")
EVIL = "<script>alert('taxon')</script><img src=x onerror=alert(1)>"
FIXTURE = Path(__file__).resolve().parents[1] / "trade" / "data" / "trade_db_1.csv"


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    return generate(tmp_path_factory.mktemp("pages-synth"), 6_000, seed=7)


def _db(path: Path, files: list[Path]) -> Path:
    con = connect(path)
    results = load_paths(con, files)
    assert all(r.status == "loaded" for r in results), results
    con.close()  # the server opens it read-only
    return path


@pytest.fixture(scope="module")
def server(synth: SynthResult, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("pages-trade")
    with _running(tmp, _db(tmp / "trade.duckdb", [*synth.bulk_files, synth.lemis]), synth.ranges) as srv:
        yield srv


@pytest.fixture(scope="module")
def viewer(server: Server) -> Iterator[httpx.Client]:
    client, _ = server.login("viewer")
    yield client
    client.close()


def _page(client: httpx.Client, path: str, **params: object) -> str:
    r = client.get(path, params=params) if params else client.get(path)  # type: ignore[arg-type]
    assert r.status_code == 200, (path, r.status_code, r.text[:500])
    assert r.headers["content-type"].startswith("text/html")
    return r.text


def _svgs(text: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", text, flags=re.S)


def test_every_page_renders_charts_names_and_both_reports(viewer: httpx.Client) -> None:
    for path in PAGES[:-1]:
        text = _page(viewer, path)
        svgs = _svgs(text)
        assert svgs, path
        for svg in svgs:  # each chart names itself for screen readers
            assert 'role="img"' in svg and 'aria-label="' in svg and "<title>" in svg, (path, svg[:300])
        assert "<script" not in text.replace('<script src="/static/', ""), path
        # a table equivalent of each chart, in a scrolling wrapper
        assert text.count("<details>") >= 3 and 'class="table-wrap"' in text, path
        # exporter- and importer-reported quantities side by side
        assert "exporter-reported" in text and "importer-reported" in text, path
        # names beside codes: countries and terms
        assert re.search(r"[A-Z][a-z]+[^<>()]* \([A-Z]{2}\)", text), path
        assert "live (LIV)" in text, path
        # the filter form: a GET form with real labels
        assert re.search(r'<form method="get" action="/trade[^"]*" class="trade-filters"', text), path
        for label in ("Taxon", "From year", "To year", "Term", "Unit", "Country"):
            assert f"<label>{label} " in text, (path, label)
        assert "Synthetic data" in text and "wildtrace trade synth" in text, path


def test_the_report_names_sources_and_draws_lemis(viewer: httpx.Client) -> None:
    text = _page(viewer, "/trade")
    assert "Synthetic data made by wildtrace trade synth" in text and "trade.cites.org" not in text
    assert "synthetic (wildtrace trade synth)" in text
    assert "LEMIS line items (US imports and exports)" in text
    assert "US imports (declared to USFWS)" in text and "LEMIS line items per year: all, refused, seized" in text
    assert "dead animal (whole) (DEA)" in text or "meat (MEA)" in text
    for name in ("reconcile", "screen", "trends", "routes"):
        assert f'href="/trade/{name}?' in text, name
    # the CITES analyses say they read no LEMIS rows, rather than counting zeros
    assert "no LEMIS rows in this selection" in text


def test_each_flag_links_to_the_records_behind_it(viewer: httpx.Client) -> None:
    text = _page(viewer, "/trade/reconcile")
    links = re.findall(r'class="flag-records" href="(/trade/records\?[^"]+)"', text)
    assert links, text[-3000:]
    link = unescape(links[0])
    ids = [v for k, v in httpx.URL(link).params.multi_items() if k == "id"]
    assert len(ids) >= 2  # both sides of the mismatch
    records = _page(viewer, link)
    for i in ids:
        assert f'<td class="mono small">{i}</td>' in records, i
    assert "exporter" in records and "importer" in records and "live (LIV)" in records
    got = viewer.get(link + "&format=csv")
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(got.text)))
    assert sorted(r["record_id"] for r in rows) == sorted(ids)
    assert all(r["exporter_name"].endswith(f"({r['exporter']})") for r in rows), rows
    js = viewer.get(link + "&format=json")
    assert js.status_code == 200 and sorted(r["record_id"] for r in js.json()) == sorted(ids)
    # a new route names no record ids: its link selects the route and its year
    routes = _page(viewer, "/trade/routes")
    route = re.search(r'class="flag-records" href="(/trade/records\?taxon=[^"]+&amp;exporter=[^"]+)"', routes)
    assert route, routes[-3000:]
    assert "record-row" in _page(viewer, unescape(route.group(1)))


def test_filters_narrow_flags_and_charts(viewer: httpx.Client, synth: SynthResult) -> None:
    truth = json.loads(synth.truth.read_text())
    spike = next(a for a in truth["anomalies"] if a["kind"] == "spike")
    full = _page(viewer, "/trade/trends")
    one = _page(viewer, "/trade/trends", taxon=spike["taxon"], year_from=spike["year"], year_to=spike["year"])
    assert one.count('class="flag-row"') >= 1 and one.count('class="flag-row"') < full.count('class="flag-row"')
    assert f'value="{spike["taxon"]}"' in one  # the form keeps the filter
    jp = _page(viewer, "/trade/report", country="JP", term="LIV")
    assert '<option value="JP" selected>Japan (JP)</option>' in jp
    assert "live (LIV), number of specimens" in jp
    assert "meat (MEA)," not in re.sub(r"<select.*?</select>", "", jp, flags=re.S)
    bad = viewer.get("/trade/trends", params={"year_from": "'; DROP TABLE records"})
    assert bad.status_code == 422
    assert viewer.get("/trade/screen", params={"country": "<b>"}).status_code == 422


def test_pages_need_login_and_every_role_reads(server: Server) -> None:
    anon = httpx.Client(base_url=server.url, timeout=30)
    for path in PAGES:
        r = anon.get(path)
        assert (r.status_code, r.headers.get("location")) == (303, "/login"), path
    anon.close()
    for role in ("viewer", "analyst", "admin"):
        client, _ = server.login(role)
        assert client.get("/trade/screen").status_code == 200, role
        client.close()


def test_no_database_says_how_to_make_one(tmp_path: Path) -> None:
    with _running(tmp_path / "srv", tmp_path / "nope" / "trade.duckdb") as server:
        client, _ = server.login("viewer")
        for path in PAGES:
            r = client.get(path)
            assert r.status_code == 200, (path, r.status_code, r.text[:300])
            assert "wildtrace trade load FILES --db PATH" in r.text and "Traceback" not in r.text, path
        client.close()


def test_lemis_only_database_says_what_the_analyses_cover(synth: SynthResult, tmp_path: Path) -> None:
    db = _db(tmp_path / "lemis.duckdb", [synth.lemis])
    with _running(tmp_path / "srv", db) as server:
        client, _ = server.login("viewer")
        for name in ("trends", "routes", "screen", "reconcile"):
            text = _page(client, f"/trade/{name}")
            assert "no LEMIS rows in this selection" in text, name
            assert "No flag counts: this analysis read no records." in text, name
            assert "spike: 0" not in text and "new_route: 0" not in text, name
        report = _page(client, "/trade")
        assert "LEMIS outcomes per year" in report and _svgs(report)
        with server.api("viewer") as api:  # the API says the same (the same library call)
            body = api.get("/api/v1/trade/trends").json()
        assert body["flag_counts"] == {} and "no LEMIS rows in this selection" in body["covers"]["statement"]
        client.close()


def test_hostile_taxon_names_stay_escaped(tmp_path: Path) -> None:
    lines = FIXTURE.read_text().splitlines()
    lines = [lines[0], *(ln.replace("Python reticulatus", EVIL.replace(",", " ")) for ln in lines[1:])]
    (tmp_path / "evil.csv").write_text("\n".join(lines) + "\n")
    db = _db(tmp_path / "evil.duckdb", [tmp_path / "evil.csv"])
    with _running(tmp_path / "srv", db) as server:
        client, _ = server.login("viewer")
        for path in PAGES:
            text = _page(client, path, taxon=EVIL)
            assert "<script>alert" not in text and "<img src=x" not in text, path
            assert "&lt;script&gt;alert" in text, path
        records = _page(client, "/trade/records", taxon=EVIL.replace(",", " "))
        assert "record-row" in records and "<script>alert" not in records
        client.close()


def test_pages_fit_a_phone_and_a_desktop_in_chromium(server: Server, browser: Browser) -> None:
    """No horizontal overflow at 390 px or 1366 px: wide tables scroll inside their wrapper."""
    for width, height in ((390, 844), (1366, 900)):
        ctx = browser.new_context(viewport={"width": width, "height": height})
        page = ctx.new_page()
        page.goto(f"{server.url}/login")
        page.fill("input[name=name]", "viewer")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()
        for path in (*PAGES[:-1], "/trade/records?year_from=2010&year_to=2011"):
            page.goto(f"{server.url}{path}")
            over = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert over <= 0, (width, path, over)
            assert page.locator("svg[role=img] title").count() or path.startswith("/trade/records"), path
        ctx.close()
