"""The Patrols pages (/patrols, /patrols/{run}, its files) and GET /api/v1/patrols: a real server on
loopback whose patrol folder holds runs written with ``patrol.runs.RunWriter`` and small real files
(a PNG drawn with Pillow, GeoJSON, GPX, a plan and an evaluation in the shapes the loop writes).
Runs are listed newest first with their headline evaluation; a run page shows a month's map, plan
and downloads, the evaluation (and the truth, for a synthetic park) and the provenance; files are
served with their type, only as the run wrote them; unfinished runs are never listed; a damaged
manifest is a clear error page; hostile paths never reach outside the patrol folder; any logged-in
role reads, nobody else; both pages pass axe-core in Chromium at a desktop and a phone width."""

from __future__ import annotations

import http.client
import io
import json
import os
import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser

from wildtrace.patrol.runs import RunWriter

from .conftest import Server
from .test_errors import assert_error
from .test_pages_a11y import AXE, AXE_RUN, IMPACTS, WIDEST
from .test_trade_api import _running

EVIL = "<script>alert('park')</script><img src=x onerror=alert(1)>"
SECRET = "the server's secret"
OLD, NEW = "2026-11-01T0600Z-aaaaaa", "2026-12-01T0600Z-bbbbbb"
DAMAGED, UNFINISHED = "2026-10-01T0600Z-dddddd", "2026-12-05T0600Z-eeeeee"


def _png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    img = Image.new("RGB", (width, height), colour)
    for x in range(0, width, 50):  # a few cells, so the file is a real picture
        img.paste((40, 90, 60), (x, 0, x + 20, height // 2))
    img.save(out, format="PNG")
    return out.getvalue()


def _plan(month: str, budget: float = 20.0) -> dict[str, Any]:
    """A plan as ``plan.Plan.to_dict`` writes it."""
    stops = [{"cell_id": i, "lon": 30.0 + i / 100, "lat": -1.0, "risk": 0.2} for i in range(3)]
    routes = [{"post_id": "Post Alpha", "team": 0, "post_lon": 30.0, "post_lat": -1.0, "stops": stops,
               "distance_km": 18.4, "risk_covered": 0.6, "duration_h": None, "cell_ids": [0, 1, 2],
               "waypoints": [[30.0, -1.0], [30.01, -1.0], [30.0, -1.0]]},
              {"post_id": EVIL, "team": 1, "post_lon": 30.2, "post_lat": -1.1, "stops": stops[:1],
               "distance_km": 7.25, "risk_covered": 0.2, "duration_h": None, "cell_ids": [0],
               "waypoints": []}]
    return {"routes": routes, "budget_km": budget, "candidates": 40, "total_risk": 4.0, "risk_covered": 0.8,
            "share_covered": 0.2, "status": "solved", "reason": f"solution limit ({month})",
            "method": "ortools", "distance_model": "straight line", "search": {}, "notes": [],
            "meta": {}, "created": "2026-12-01T06:00:00Z"}


def _section(pr: float, auc: float) -> dict[str, Any]:
    return {"roc_auc": auc, "roc_auc_ci": [auc - 0.05, auc + 0.05], "pr_auc": pr,
            "pr_auc_ci": [pr - 0.06, pr + 0.06], "found_top_5pct": 0.21, "found_top_5pct_ci": [0.15, 0.27],
            "found_top_10pct": 0.34, "found_top_10pct_ci": [0.28, 0.4], "found_top_20pct": 0.52}


#: As ``evaluate.year_ahead`` writes it (figures at [ranker][figure], intervals at figure_ci).
EVALUATION = {"test_year": 2025, "train_years": [2021, 2022, 2023, 2024], "n": 1840, "cells": 212,
              "positives": 61, "reps": 200, "unit": "patrolled cell-month of the test year (effort_km > 0)",
              "model": _section(0.312, 0.741), "unweighted": _section(0.255, 0.702),
              "baseline": _section(0.198, 0.655),
              "differences": {"model-baseline": {"pr_auc": 0.114, "pr_auc_ci": [0.05, 0.17],
                                                 "found_top_10pct": 0.06, "found_top_10pct_ci": [-0.01, 0.12]},
                              "model-unweighted": {"pr_auc": 0.057, "pr_auc_ci": [-0.01, 0.12]}},
              "truth": {"n": 2760, "unit": "every cell-month of the test year, patrolled or not",
                        "model": {**_section(0.61, 0.83), "spearman": 0.58, "spearman_ci": [0.5, 0.66]},
                        "baseline": _section(0.4, 0.71)}}


def write_run(root: Path, run_id: str, months: list[str], *, park: str = "Kibale (test)",
              synthetic: bool = True, created: str = "2026-12-01T06:00:00Z",
              evaluation: dict[str, Any] | None = EVALUATION) -> dict[str, bytes]:
    """A finished run with real files; returns the bytes written per file name."""
    w = RunWriter(root, run_id)
    written: dict[str, bytes] = {}
    files: dict[str, dict[str, str]] = {}
    for i, month in enumerate(months):
        names = {"risk_png": f"risk-{month}.png", "risk_geojson": f"risk-{month}.geojson",
                 "plan_gpx": f"plan-{month}.gpx", "plan_geojson": f"plan-{month}.geojson",
                 "plan_json": f"plan-{month}.json"}
        bodies = {names["risk_png"]: _png(1000, 800, (200, 60 + 40 * i, 40)),
                  names["risk_geojson"]: json.dumps({"type": "FeatureCollection", "features": [],
                                                     "month": month}).encode(),
                  names["plan_gpx"]: (f'<?xml version="1.0"?><gpx version="1.1" creator="wildtrace">'
                                      f"<rte><name>{month}</name></rte></gpx>").encode(),
                  names["plan_geojson"]: b'{"type": "FeatureCollection", "features": []}'}
        for name, body in bodies.items():
            w.path(name).write_bytes(body)
        written.update(bodies)
        written[names["plan_json"]] = w.write_json(names["plan_json"], _plan(month)).read_bytes()
        files[month] = names
    if evaluation is not None:
        written["evaluation.json"] = w.write_json("evaluation.json", evaluation).read_bytes()
    w.finish({"wildtrace_version": "0.1.0", "model_version": "iware-e/0.1 (5 members)", "created": created,
              "inputs": [{"name": "patrols.xml", "sha256": "ab" * 32}], "config": {"cell_km": 1.0,
                                                                                 "budget_km": 20.0},
              "synthetic": synthetic, "park": {"name": park, "area_km2": 212.0, "cells": 230, "cell_km": 1.0,
                                               "crs": "EPSG:6933"},
              "months": months, "files": files, "evaluation": "evaluation.json" if evaluation else None,
              "notes": ["layer rivers: missing, skipped"]})
    return written


@pytest.fixture(scope="module")
def patrol(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, bytes]]]:
    tmp = tmp_path_factory.mktemp("patrol-pages")
    with _running(tmp, None) as server:
        root = Path(server.app.state.settings.patrol_dir)
        written = write_run(root, OLD, ["2026-01", "2026-02"], created="2026-11-01T06:00:00Z")
        write_run(root, NEW, ["2026-03"], park=EVIL, synthetic=False, created="2026-12-01T06:00:00Z",
                  evaluation={k: v for k, v in EVALUATION.items() if k != "truth"})
        write_run(root, DAMAGED, ["2026-01"], created="2026-10-01T06:00:00Z")
        (root / DAMAGED / "manifest.json").write_text('{"run_id": "' + DAMAGED + '", "months": [')
        unfinished = RunWriter(root, UNFINISHED)
        unfinished.write_json("evaluation.json", EVALUATION)
        (tmp / "secret.txt").write_text(SECRET)
        yield server, written


@pytest.fixture(scope="module")
def viewer(patrol: tuple[Server, dict[str, bytes]]) -> Iterator[httpx.Client]:
    client, _ = patrol[0].login("viewer")
    yield client
    client.close()


def _text(r: httpx.Response) -> str:
    assert r.status_code == 200, (r.status_code, r.text[:500])
    return r.text


def test_runs_are_listed_newest_first_with_their_evaluation(viewer: httpx.Client) -> None:
    page = _text(viewer.get("/patrols"))
    order = re.findall(r'data-run-id="([^"]+)"', page)
    assert order == [NEW, OLD, DAMAGED], order  # the unfinished run is never listed
    assert '<a href="/patrols" aria-current="page">Patrols</a>' in page
    old = page[page.index(f'data-run-id="{OLD}"'):page.index(f'data-run-id="{DAMAGED}"')]
    assert "synthetic" in old and "iware-e/0.1 (5 members)" in old and "2026-01, 2026-02" in old
    assert "0.312" in old and "[0.25, 0.37]" in old and "0.198" in old and "0.741" in old
    new = page[page.index(f'data-run-id="{NEW}"'):page.index(f'data-run-id="{OLD}"')]
    assert 'class="tag synthetic"' not in new
    damaged = page[page.index(f'data-run-id="{DAMAGED}"'):]
    assert "This run cannot be read" in damaged and "manifest.json is damaged" in damaged
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page


def test_a_run_page_shows_the_latest_month_and_switches(viewer: httpx.Client) -> None:
    page = _text(viewer.get(f"/patrols/{OLD}"))
    assert f'src="/patrols/{OLD}/files/risk-2026-02.png"' in page and 'width="1000" height="800"' in page
    assert f'href="/patrols/{OLD}?month=2026-02" aria-current="page"' in page
    assert "Risk map, 2026-02" in page and "synthetic park" in page
    assert len(re.findall(r'class="route-row"', page)) == 2
    text = unescape(page)
    assert "18.4 of 20.0" in text and "7.2 of 20.0" in text and "20%" in text  # distance of budget, share
    assert EVIL in text and EVIL not in page  # a hostile post name, escaped
    for name in ("plan-2026-02.gpx", "plan-2026-02.geojson", "risk-2026-02.geojson", "evaluation.json"):
        assert f'href="/patrols/{OLD}/files/{name}" download' in page, name
    evaluation = page[page.index('id="table-evaluation-caption"'):page.index('id="table-truth-caption"')]
    assert "0.312" in evaluation and "0.255" in evaluation and "0.198" in evaluation
    assert "34%" in evaluation and "[28, 40]" in evaluation and "52%" in evaluation
    assert "+0.114" in evaluation and "[0.05, 0.17]" in evaluation and "+6 pts" in evaluation  # paired
    assert "+0.057" in evaluation and "Spearman" not in evaluation
    assert "Scored on 1840 cell-months of 212 cells, 61 with a detection; unit: patrolled" in text
    assert "trained on 2021, 2022, 2023, 2024" in text and "2025" in text
    truth = page[page.index('id="table-truth-caption"'):]
    assert "0.610" in truth and "ground truth" in truth and "0.580" in truth and "Spearman" in truth
    assert "Scored on 2760 cell-months; unit: every cell-month" in unescape(truth)
    assert "ab" * 32 in page and "iware-e/0.1 (5 members)" in page and "layer rivers: missing" in page
    first = _text(viewer.get(f"/patrols/{OLD}", params={"month": "2026-01"}))
    assert f'src="/patrols/{OLD}/files/risk-2026-01.png"' in first and "Risk map, 2026-01" in first
    assert f'href="/patrols/{OLD}?month=2026-01" aria-current="page"' in first
    real = _text(viewer.get(f"/patrols/{NEW}"))
    assert "synthetic park" not in real and "ground truth" not in real and "Risk map, 2026-03" in real


def test_files_are_served_as_written_with_their_type(patrol: tuple[Server, dict[str, bytes]],
                                                      viewer: httpx.Client) -> None:
    _, written = patrol
    png = viewer.get(f"/patrols/{OLD}/files/risk-2026-01.png")
    assert png.status_code == 200 and png.content == written["risk-2026-01.png"]
    assert png.headers["content-type"] == "image/png"
    assert png.headers["content-disposition"].startswith("inline")
    assert "max-age" in png.headers["cache-control"] and "no-store" not in png.headers["cache-control"]
    assert png.headers["x-content-type-options"] == "nosniff"
    again = viewer.get(f"/patrols/{OLD}/files/risk-2026-01.png", headers={"If-None-Match": png.headers["etag"]})
    assert again.status_code == 304 and not again.content
    for name, ctype in (("plan-2026-02.gpx", "application/gpx+xml"), ("plan-2026-02.geojson", "application/geo+json"),
                        ("evaluation.json", "application/json")):
        r = viewer.get(f"/patrols/{OLD}/files/{name}")
        assert r.status_code == 200 and r.content == written[name], name
        assert r.headers["content-type"].startswith(ctype), (name, r.headers["content-type"])
        assert r.headers["content-disposition"] == f'attachment; filename="{OLD}-{name}"', name


def _raw(server: Server, path: str, cookie: str) -> tuple[int, bytes]:
    """A GET sent byte for byte (httpx would tidy ``..`` away before it left)."""
    host, port = server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.putrequest("GET", path, skip_accept_encoding=True)
    conn.putheader("Cookie", cookie)
    conn.endheaders()
    r = conn.getresponse()
    out = r.status, r.read()
    conn.close()
    return out


def test_hostile_paths_never_leave_the_patrol_folder(patrol: tuple[Server, dict[str, bytes]],
                                                     viewer: httpx.Client) -> None:
    server, _ = patrol
    root = Path(server.app.state.settings.patrol_dir)
    secret = root.parent.parent / "secret.txt"
    run = root / NEW
    os.symlink(secret, run / "linked.png")  # a link in the run folder, not in the manifest
    target = run / "plan-2026-03.gpx"
    target.rename(run / "moved.gpx")
    os.symlink(secret, target)  # a file the manifest names, swapped for a link pointing outside
    cookie = "; ".join(f"{k}={v}" for k, v in viewer.cookies.items())
    paths = ["/patrols/../../secret.txt", f"/patrols/{NEW}/files/../../../secret.txt",
             f"/patrols/{NEW}/files/..%2F..%2F..%2Fsecret.txt", f"/patrols/{NEW}/files/%2e%2e%2fmanifest.json",
             f"/patrols/{NEW}/files/manifest.json", f"/patrols/{NEW}/files/%2Fetc%2Fpasswd",
             f"/patrols/{NEW}/files/linked.png", f"/patrols/{NEW}/files/plan-2026-03.gpx",
             f"/patrols/{NEW}/files/moved.gpx", "/patrols/..%2F..%2Fsecret.txt/files/x.png",
             "/patrols/%2e%2e", "/patrols/2026-12-01T0600Z-BBBBBB", f"/patrols/{UNFINISHED}",
             f"/patrols/{UNFINISHED}/files/evaluation.json", "/patrols/2026-12-01T0600Z-ffffff",
             f"/patrols/{NEW}?month=..%2F..%2Fsecret", f"/patrols/{NEW}?month=2026-13",
             f"/patrols/{NEW}?month=2026-04", "/api/v1/patrols/..%2F..%2Fsecret.txt",
             f"/patrols/{NEW}/files/" + "a" * 300]
    for path in paths:
        status, body = _raw(server, path, cookie)
        assert status in (400, 404), (path, status, body[:300])
        assert SECRET.encode() not in body and b"Traceback" not in body, path
    assert _raw(server, f"/patrols/{NEW}?month=2026-13", cookie)[0] == 400
    assert _raw(server, f"/patrols/{NEW}/files/plan-2026-03.gpx", cookie)[0] == 404


def test_a_damaged_run_is_a_clear_error(patrol: tuple[Server, dict[str, bytes]], viewer: httpx.Client) -> None:
    server, _ = patrol
    r = viewer.get(f"/patrols/{DAMAGED}")
    assert r.status_code == 500 and "Traceback" not in r.text
    assert f"patrol run {DAMAGED}: manifest.json is damaged" in unescape(r.text)
    assert str(server.app.state.settings.patrol_dir) not in r.text  # no server path
    with server.api("viewer") as api:
        err = assert_error(api.get(f"/api/v1/patrols/{DAMAGED}"), 500, "damaged_run")
        assert "manifest.json is damaged" in err["message"]


def test_the_json_twins(patrol: tuple[Server, dict[str, bytes]]) -> None:
    server, _ = patrol
    with server.api("viewer") as api:
        runs = api.get("/api/v1/patrols").json()["runs"]
        assert [r["run_id"] for r in runs] == [NEW, OLD, DAMAGED]
        assert runs[1]["evaluation"]["model"]["pr_auc"] == {"value": 0.312, "ci95": [0.252, 0.372]}
        assert runs[1]["synthetic"] is True and runs[2]["problem"]
        body = api.get(f"/api/v1/patrols/{OLD}").json()
        assert body["manifest"]["inputs_hash"] and body["manifest"]["model_version"].startswith("iware-e")
        assert body["evaluation"]["baseline"]["pr_auc"] == 0.198
        assert body["plans"]["2026-01"]["routes"][0]["distance_km"] == 18.4
        assert body["files"]["2026-02"]["plan_gpx"] == f"/patrols/{OLD}/files/plan-2026-02.gpx"
        assert api.get(body["files"]["2026-02"]["plan_gpx"]).status_code == 200  # a token reads files too
        assert_error(api.get("/api/v1/patrols/2026-12-01T0600Z-ffffff"), 404, "not_found")
        assert_error(api.get("/api/v1/patrols/nope"), 404, "not_found")
    anon = httpx.Client(base_url=server.url, timeout=30)
    assert_error(anon.get("/api/v1/patrols"), 401, "login_required")
    assert_error(anon.get(f"/api/v1/patrols/{OLD}"), 401, "login_required")
    anon.close()


def test_pages_need_login_and_every_role_reads(patrol: tuple[Server, dict[str, bytes]]) -> None:
    server, _ = patrol
    anon = httpx.Client(base_url=server.url, timeout=30)
    for path in ("/patrols", f"/patrols/{OLD}", f"/patrols/{OLD}/files/risk-2026-01.png"):
        r = anon.get(path)
        assert (r.status_code, r.headers.get("location")) == (303, "/login"), path
    anon.close()
    for role in ("viewer", "analyst", "admin"):
        client, _ = server.login(role)
        assert client.get(f"/patrols/{OLD}").status_code == 200, role
        assert client.get(f"/patrols/{OLD}/files/risk-2026-01.png").status_code == 200, role
        client.close()


def test_no_run_says_how_to_make_one_and_a_bare_run_shows(tmp_path: Path) -> None:
    """An empty folder says which command makes a run; a run without evaluation, map or routes
    says so instead of failing."""
    with _running(tmp_path / "srv", None) as server:
        client, _ = server.login("viewer")
        page = _text(client.get("/patrols"))
        assert "No patrol run on this server yet" in page and "wildtrace patrol demo" in page
        w = RunWriter(server.app.state.settings.patrol_dir)
        w.write_json("plan-2026-05.json", {**_plan("2026-05"), "routes": [], "share_covered": 0.0,
                                           "notes": ["no post can reach a cell within 1 km"]})
        bare = w.finish({"wildtrace_version": "0.1.0", "model_version": "m", "inputs": [], "config": {},
                         "synthetic": False, "park": {}, "months": ["2026-05"],
                         "files": {"2026-05": {"plan_json": "plan-2026-05.json"}}, "evaluation": None})
        listed = _text(client.get("/patrols"))
        assert f'data-run-id="{bare}"' in listed and "n/a" in listed
        text = unescape(_text(client.get(f"/patrols/{bare}")))
        for said in ("This run has no risk map picture for this month.", "No route: no cell could be reached",
                     "no post can reach a cell within 1 km", "This run has no evaluation."):
            assert said in text, said
        client.close()


def test_pages_pass_axe_and_fit_a_phone_in_chromium(patrol: tuple[Server, dict[str, bytes]],
                                                      browser: Browser) -> None:
    """axe-core (WCAG 2 A/AA: no serious or critical violation), no horizontal overflow at 390 px
    or 1366 px, the map loaded under the site's CSP, no browser error."""
    server, _ = patrol
    errors: list[str] = []
    for width, height in ((1366, 900), (390, 844)):
        ctx = browser.new_context(base_url=server.url, viewport={"width": width, "height": height})
        ctx.add_init_script(path=str(AXE))
        page = ctx.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        server.sign_in(page, "viewer")
        for path in ("/patrols", f"/patrols/{OLD}", f"/patrols/{NEW}?month=2026-03"):
            response = page.goto(path)
            page.wait_for_load_state("networkidle")
            assert response is not None and response.status == 200, path
            over = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert over <= 0, (width, path, over, page.evaluate(WIDEST))
            found = [v for v in page.evaluate(AXE_RUN) if v["impact"] in IMPACTS]
            assert not found, (width, path, found)
            if path != "/patrols":
                shown = page.evaluate("[...document.images].map(i => [i.naturalWidth, i.clientWidth])")
                assert shown and shown[0][0] == 1000 and 0 < shown[0][1] <= width, (width, path, shown)
        assert not errors, errors
        ctx.close()
