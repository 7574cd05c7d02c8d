"""Every workbench page in real Chromium, at a desktop and a phone width: a full-page screenshot,
no horizontal overflow, and no serious or critical axe-core (WCAG 2 A/AA) violation.

The pages are one table (``PAGES``): add a row when a page is added. axe-core comes from the npm
registry (package.json, ``make node-deps`` / ``npm ci``); screenshots go under pytest's tmp_path,
or under ``WILDTRACE_SCREENSHOTS`` when it names a folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote

import fastapi.routing
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Response

from wildtrace.store import crawl
from wildtrace.trade.load import load_paths
from wildtrace.trade.schema import connect
from wildtrace.trade.synth import generate

from .conftest import Server
from .test_listing_monitor import seed_monitor
from .test_sources_page import seed_sources

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

#: (name, address). ``{listing}``, ``{seller}``, ``{case}`` are filled from the demo data,
#: ``{source}`` from the monitor sources seeded with it (test_sources_page.seed_sources),
#: ``{monitor_listing}`` a listing the monitor saw, captured and found gone (test_listing_monitor);
#: ``POST batch`` uploads a term list through the search page's form; ``/login`` is visited logged out;
#: the trade pages read a small synthetic trade database (``trade`` below); ``{run}`` is a finished
#: patrol run with two months, a plan and an evaluation (``patrol_run`` below).
PAGES: list[tuple[str, str]] = [
    ("queue", "/"),
    ("queue-filtered", "/?verdict=wildlife_offer&sort=posted"),
    ("search", "/search?q=ivory&verdict=wildlife_offer&lang=en"),
    ("batch-search", "POST batch"),
    ("dashboard", "/dashboard"),
    ("dashboard-range", "/dashboard?posted_from=2026-01-01&posted_to=2026-12-31"),
    ("world-map", "/dashboard/map"),
    ("world-map-country", "/dashboard/map?country=VN"),
    ("cases", "/cases"),
    ("case", "/cases/{case}"),
    ("listing", "/listing?id={listing}"),
    ("listing-monitor", "/listing?id={monitor_listing}"),
    ("seller", "/seller?name={seller}"),
    ("trade", "/trade"),
    ("trade-report", "/trade/report?unit=kg"),
    ("trade-reconcile", "/trade/reconcile"),
    ("trade-screen", "/trade/screen"),
    ("trade-trends", "/trade/trends"),
    ("trade-routes", "/trade/routes"),
    ("trade-records", "/trade/records"),
    ("sources", "/sources"),
    ("source", "/sources/{source}"),
    ("models", "/models"),
    ("patrols", "/patrols"),
    ("patrol-run", "/patrols/{run}"),
    ("users", "/admin/users"),
    ("login", "/login"),
    ("error", "/cases/999999"),
]
#: (name, width, height)
VIEWPORTS = [("desktop", 1366, 900), ("phone", 390, 844)]
IMPACTS = ("serious", "critical")

#: The widest element past the right edge, as "tag#id.class (right edge px): text".
WIDEST = """() => {
  const w = document.documentElement.clientWidth;
  let worst = null, right = w;
  for (const e of document.querySelectorAll('body *')) {
    const r = e.getBoundingClientRect().right;
    if (r > right + 0.5) { right = r; worst = e; }
  }
  if (!worst) return '';
  const cls = typeof worst.className === 'string' && worst.className ? '.' + worst.className.trim().split(/\\s+/).join('.') : '';
  return `${worst.tagName.toLowerCase()}${worst.id ? '#' + worst.id : ''}${cls} (right edge ${Math.round(right)} px): `
    + (worst.textContent || '').trim().slice(0, 60);
}"""
AXE_RUN = """async () => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}});
  return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                 targets: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
}"""


@pytest.fixture(scope="module")
def axe_script() -> Path:
    if not AXE.is_file():
        pytest.fail(f"{AXE.relative_to(ROOT)} is missing: run `npm ci` (or `make node-deps`) in {ROOT}",
                    pytrace=False)
    return AXE


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("WILDTRACE_SCREENSHOTS")
    out = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture(scope="module")
def demo(sqlite_server: Server) -> dict[str, str]:
    """Ids the page table refers to: a flagged demo listing, its seller, a case holding it, a
    monitor source with two passes and hostile fetch errors, and a listing the monitor saw (with a
    duplicate, a capture with its screenshot, and gone)."""
    with sqlite_server.api("admin") as api:
        items = api.get("/api/v1/queue", params={"verdict": "wildlife_offer", "limit": 5}).json()["items"]
        first = next(i for i in items if i["seller"] and not i["listing_id"].startswith("evil"))
        case = api.post("/api/v1/cases", json={"title": "Accessibility check"}).json()["id"]
        api.post(f"/api/v1/cases/{case}/listings", json={"listing_id": first["listing_id"]}).raise_for_status()
    seed_sources(sqlite_server.engine)
    with ThreadPoolExecutor(1) as pool:  # its screenshot's Playwright, beside this module's browser
        seen = pool.submit(seed_monitor, sqlite_server, shot=True).result()
    crawl.mark_gone(sqlite_server.engine, seen["source"], "/item/101", status=404, run_id=seen["run"])
    return {"listing": quote(first["listing_id"]), "seller": quote(first["seller"]), "case": str(case),
            "source": "grid-market", "monitor_listing": quote(seen["id"])}


@pytest.fixture(scope="module")
def trade(sqlite_server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A small synthetic trade database for the trade pages (the server's own is restored after)."""
    tmp = tmp_path_factory.mktemp("a11y-trade")
    synth = generate(tmp / "synth", 3_000, seed=5)
    con = connect(tmp / "trade.duckdb")
    loaded = load_paths(con, [*synth.bulk_files, synth.lemis])
    con.close()
    assert all(r.status == "loaded" for r in loaded), loaded
    state = sqlite_server.app.state
    before = (state.trade_db, state.trade_ranges)
    state.trade_db, state.trade_ranges = tmp / "trade.duckdb", synth.ranges
    yield
    state.trade_db, state.trade_ranges = before


@pytest.fixture(scope="module")
def patrol_run(sqlite_server: Server) -> Iterator[str]:
    """A finished patrol run in the server's patrol folder, written with ``patrol.runs.RunWriter``
    as test_patrol_pages writes it (two months: a risk map PNG, a plan with a hostile post name,
    the evaluation with the truth); removed after, so the folder is as the session had it."""
    from .test_patrol_pages import OLD, write_run  # here, not above: that module imports this one

    root = Path(sqlite_server.app.state.settings.patrol_dir)
    write_run(root, OLD, ["2026-01", "2026-02"])
    yield OLD
    shutil.rmtree(root / OLD)


@pytest.fixture(scope="module")
def contexts(browser: Browser, sqlite_server: Server, axe_script: Path) -> Iterator[dict[str, BrowserContext]]:
    """Per viewport: one context logged in as admin. axe comes in as an init script (injected by
    the browser, so the site's CSP stays enforced and a blocked inline style or script shows)."""
    out: dict[str, BrowserContext] = {}
    for name, width, height in VIEWPORTS:
        context = _context(browser, sqlite_server, width, height, axe_script)
        page = context.new_page()
        sqlite_server.sign_in(page, "admin")
        page.close()
        out[name] = context
    yield out
    for context in out.values():
        context.close()


def _open(page: Page, address: str, tmp: Path) -> int:
    """Go to the page (or submit the batch search); the response status."""
    if address == "POST batch":
        terms = tmp / "terms.csv"
        terms.write_text("term,label\nivory,ivory\npangolin,pangolin\n犀角,rhino horn\n", encoding="utf-8")
        page.goto("/search")
        page.set_input_files("form.batch input[type=file]", str(terms))
        with page.expect_navigation() as nav:
            page.click("form.batch button[type=submit]")
        response: Response | None = nav.value
        # the rows load themselves (a locator's wait: wait_for_function's polling is an eval the CSP refuses)
        page.locator("tr.batch-row[data-state=pending]").first.wait_for(state="detached")
    else:
        response = page.goto(address)
    page.wait_for_load_state("networkidle")
    assert response is not None, address
    return response.status


def _context(browser: Browser, server: Server, width: int, height: int, axe: Path) -> BrowserContext:
    context = browser.new_context(base_url=server.url, viewport={"width": width, "height": height})
    context.add_init_script(path=str(axe))
    return context


def _violations(page: Page) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = page.evaluate(AXE_RUN)
    return [v for v in found if v["impact"] in IMPACTS]


@pytest.mark.parametrize("viewport", [v[0] for v in VIEWPORTS])
@pytest.mark.parametrize(("name", "address"), PAGES, ids=[p[0] for p in PAGES])
def test_page_fits_and_passes_axe(name: str, address: str, viewport: str, browser: Browser,
                                  sqlite_server: Server, contexts: dict[str, BrowserContext],
                                  demo: dict[str, str], trade: None, patrol_run: str, axe_script: Path,
                                  shots: Path, tmp_path: Path) -> None:
    url = address.format(**demo, run=patrol_run)
    if address == "/login":
        width, height = next((w, h) for n, w, h in VIEWPORTS if n == viewport)
        context = _context(browser, sqlite_server, width, height, axe_script)
    else:
        context = contexts[viewport]
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    page.on("response", lambda r: errors.append(f"{r.url}: {r.status}")
            if r.status >= 400 and r.request.resource_type != "document" else None)
    try:
        status = _open(page, url, tmp_path)
        expected = 404 if name == "error" else 200
        assert status == expected, f"{name} ({url}) answered {status}, not {expected}"
        page.screenshot(path=str(shots / f"{name}-{viewport}.png"), full_page=True)
        problems = []
        if address != "/login" and page.locator("header.top nav a").count() < 5:
            problems.append("the page has lost the workbench navigation")
        scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        if scroll > client:
            problems.append(f"horizontal overflow: scrollWidth {scroll} > clientWidth {client}; "
                            f"widest: {page.evaluate(WIDEST)}")
        for v in _violations(page):
            problems.append(f"axe {v['id']} ({v['impact']}): {v['help']}; targets: {json.dumps(v['targets'])}")
        problems += [f"browser error (CSP, a failed load, a script): {e[:300]}" for e in errors]
        assert not problems, f"{name} ({url}) at {viewport}:\n  " + "\n  ".join(problems)
    finally:
        page.close()
        if address == "/login":
            context.close()


def get_routes(app: Any) -> set[str]:
    """The path of every GET route of ``app``, those of included routers too. FastAPI 0.165 keeps
    an included router as one entry of ``app.routes`` (an ``_IncludedRouter``), so its routes are
    walked with ``fastapi.routing.iter_route_contexts``, as FastAPI's own OpenAPI does; an older
    FastAPI, without it, lists them in ``app.routes`` itself."""
    walk = getattr(fastapi.routing, "iter_route_contexts", None)
    routes = walk(app.routes) if walk is not None else app.routes
    return {r.path for r in routes if "GET" in (getattr(r, "methods", None) or set())}


def _shape(address: str) -> str:
    """A page address as a route path: no query, every ``{placeholder}`` alike."""
    return re.sub(r"\{[^}]*\}", "{}", address.split("?")[0])


def test_page_table_names_every_page_route(sqlite_server: Server) -> None:
    """A new HTML page (a GET route outside the API) needs a row in PAGES; and every row names a
    route the walk found (so a walk that sees nothing fails here rather than passing)."""
    skip = {"/healthz",  # not HTML
            "/cases/picker", "/cases/{case_id}/export", "/listing/image",  # a menu fragment, downloads
            "/listing/monitor-screenshot",  # a monitor capture's screenshot (an image)
            "/listing/ocr",  # an image's text: an htmx fragment of the listing page (no JS: a redirect)
            "/search/batch/row",  # a term's row of the batch page (an htmx fragment; test_batch_rows.py)
            "/cases/{case_id}/evidence/{capture_id}/{name}",  # an evidence file
            "/cases/{case_id}/evidence",  # the case page's evidence section (a fragment, checked there)
            "/cases/{case_id}/captures/{job_id}",  # a capture job's status fragment (needs a running job)
            "/models/jobs/{job_id}",  # a retraining job's status fragment (test_models_page.py)
            "/patrols/{run_id}/files/{name}"}  # a patrol run's files (a PNG, downloads)
    routes = get_routes(sqlite_server.app)
    assert skip <= routes, f"no longer routes, drop them from skip: {sorted(skip - routes)}"
    pages = {p for p in routes if not p.startswith("/api/") and p not in skip}
    covered = {_shape(a) for name, a in PAGES if a != "POST batch" and name != "error"}
    missing = sorted(p for p in pages if _shape(p) not in covered)
    assert not missing, f"add these pages to PAGES in {Path(__file__).name}: {missing}"
    unknown = sorted(a for name, a in PAGES if a != "POST batch" and name != "error" and _shape(a) not in {_shape(p) for p in pages})
    assert not unknown, f"rows of PAGES that name no GET page route the walk found: {unknown}"
