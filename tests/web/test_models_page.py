"""Retrain from my labels (``/models``) on both backends, with a real server of its own (accepting
a model changes what its workbench scans with, so it never shares the session's server): labels
given through the real API, a real background job training on them, both evaluations on the page,
accept (CSRF, audited) switching what new scans use, the model named on the queue and listing
pages, what a viewer may not do, a failing job's one line, and model folders never overwritten.
The page flow runs in Chromium (Playwright)."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect
from store.conftest import drop_pg_database, fresh_pg_database

from wildtrace import Scanner, Settings
from wildtrace.errors import DataError
from wildtrace.learn import retrain
from wildtrace.learn.workbench import in_use
from wildtrace.store import accounts as auth
from wildtrace.store import text_models
from wildtrace.web.app import create_app
from wildtrace.web.demo import load_demo

from .conftest import PASSWORD, ROLES, Server, _free_port, running

#: Polls of a retraining job (every 0.2 s): a bound against a hang, not a timing check
JOB_POLLS = 1500


def _serve(db: str, tmp: Path) -> Iterator[Server]:
    settings = Settings(data_dir=tmp / "data")
    app = create_app(db, settings)
    load_demo(app.state.store, Scanner(settings))  # the app's own scanner is left to the workbench
    server = Server(f"http://127.0.0.1:{_free_port()}", app)
    for role in ROLES:
        auth.add_user(app.state.store.engine, role, role, PASSWORD, actor="test")
        server.tokens[role] = auth.create_token(app.state.store.engine, role, "tests")
    with running(app, int(server.url.rsplit(":", 1)[1])):
        yield server


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def models_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp(f"models-{request.param}")
    if request.param == "sqlite":
        yield from _serve(str(tmp / "w.sqlite"), tmp)
        return
    url, admin_url = fresh_pg_database()
    yield from _serve(url, tmp)
    drop_pg_database(url, admin_url)


def _wait(api: httpx.Client, job_id: str) -> dict[str, Any]:
    for _ in range(JOB_POLLS):
        job = api.get(f"/api/v1/models/jobs/{job_id}").json()
        if job["finished"]:
            return job  # type: ignore[no-any-return]
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def _label(api: httpx.Client, ids: list[str], label: str) -> None:
    r = api.post("/api/v1/labels/bulk", json={"listing_ids": ids, "label": label})
    assert r.status_code == 201, r.text


def _split(server: Server) -> tuple[list[str], list[str]]:
    """Demo listings the rules call offers, and the others (labelled as the analysts' truth)."""
    with server.api("viewer") as api:
        items = api.get("/api/v1/queue", params={"limit": 500}).json()["items"]
    offers = sorted(r["listing_id"] for r in items if r["verdict"] == "wildlife_offer")
    other = sorted(r["listing_id"] for r in items if r["verdict"] != "wildlife_offer")
    return offers, other


def _folder_digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_retrain_compare_accept(models_server: Server) -> None:
    server = models_server
    offers, other = _split(server)
    assert len(offers) >= 6 and len(other) >= 6, (offers, other)
    analyst, csrf = server.login("analyst")
    viewer, viewer_csrf = server.login("viewer")

    # a viewer may look, not start
    page = viewer.get("/models")
    assert page.status_code == 200 and "Retrain from my labels" not in page.text, page.text[-2000:]
    assert viewer.post("/models/retrain", data={"csrf_token": viewer_csrf}).status_code == 403
    with server.api("viewer") as api:
        assert api.post("/api/v1/models/retrain").status_code == 403

    with server.api("analyst") as api:
        # one class only: the job fails with one clear line, shown on the page
        _label(api, other[:6], "not_wildlife")
        r = analyst.post("/models/retrain", data={"csrf_token": csrf})
        assert r.status_code == 303 and r.headers["location"] == "/models#jobs", r.text[:300]
        failed = _wait(api, api.get("/api/v1/models").json()["jobs"][0]["id"])
        assert failed["state"] == "failed" and "one-class training set" in failed["reason"], failed
        assert "\n" not in failed["reason"], failed
        shown = analyst.get("/models").text
        assert "Retraining failed: one-class training set" in shown, shown[-3000:]
        assert api.get("/api/v1/models").json()["items"] == []

        # both classes: a model, evaluated beside the one in use
        _label(api, offers, "wildlife_offer")
        _label(api, other[6:], "not_wildlife")
        started = api.post("/api/v1/models/retrain")
        assert started.status_code == 202 and started.json()["state"] in ("queued", "running"), started.text
        job = _wait(api, started.json()["id"])
        assert job["state"] == "done", job
        model = api.get("/api/v1/models").json()["items"][0]
        assert model["id"] == job["model_id"] and model["status"] == "candidate", model
        assert model["labels"] == len(offers) + len(other) and model["positives"] == len(offers), model
        ev = model["evaluation"]
        assert ev["group_by"] == "seller" and ev["labels"] == model["labels"], ev
        for side in ("new", "current"):
            for key in ("pr_auc", "precision", "recall", "f1"):
                assert ev[side]["model"][key]["value"] is not None and len(ev[side]["model"][key]["ci95"]) == 2, \
                    (side, key, ev[side]["model"])
            assert ev[side]["setting"]["n"] == model["labels"], ev[side]["setting"]
        folder = Path(model["path"])
        assert folder.parent == server.app.state.settings.data_dir.resolve() / "models", folder
        assert folder.name == model["id"] and (folder / "model.json").is_file(), folder
        before = _folder_digest(folder)

    shown = analyst.get("/models", params={"model": model["id"]}).text
    assert "average precision (AP)" in shown and f"new: {model['name']} {model['version']}" in shown, shown[-4000:]
    # the model in use is whatever the settings resolve to (the rules alone, or the shipped model)
    assert f"in use: {in_use(server.app.state.settings, server.engine)}" in shown, shown[-4000:]
    assert f'action="/models/{model["id"]}/accept"' in shown
    assert "Accept model" not in viewer.get("/models").text

    # accepting: analysts only, with the CSRF token, audited
    assert viewer.post(f"/models/{model['id']}/accept", data={"csrf_token": viewer_csrf}).status_code == 403
    no_csrf = analyst.post(f"/models/{model['id']}/accept")
    assert no_csrf.status_code == 403 and "CSRF" in no_csrf.text, no_csrf.text[:300]
    assert text_models.active(server.engine) is None
    ok = analyst.post(f"/models/{model['id']}/accept", data={"csrf_token": csrf})
    assert ok.status_code == 303, ok.text[:300]
    with server.api("admin") as api:
        audit = api.get("/api/v1/audit", params={"target": f"model:{model['id']}"}).json()["items"]
        assert [a["action"] for a in audit] == ["model.accept", "model.train"], audit
        assert audit[0]["actor"] == "analyst" and audit[0]["after"] == {"active": model["id"]}, audit

    # the workbench now scans with it: the results of a new scan name it, and so do the pages
    stamp = f"{model['name']} {model['version']}"
    with server.api("analyst") as api:
        scanned = api.post("/api/v1/scan", json={"listings": [
            {"id": "new-after-accept", "title": "Genuine rhino horn piece, WhatsApp to order", "seller": "zz"}]})
        assert scanned.status_code == 200, scanned.text
        (result,) = scanned.json()["results"]
        assert result["model"]["text_model"] == stamp, result["model"]
        stored = api.get("/api/v1/listings/new-after-accept").json()["result"]
        assert stored["model"]["text_model"] == stamp, stored["model"]
    listing = analyst.get("/listing", params={"id": "new-after-accept"}).text
    assert f"text model {stamp}" in listing, listing[:3000]
    queue = analyst.get("/", params={"seller": "zz"}).text
    assert f"{model['name']} {model['version']}" in queue and "Every listing on this page was scored by" in queue, \
        queue[:4000]
    assert 'href="/models"' in queue
    # what to label next: "uncertain first" is in the queue's sort menu and works
    assert '<option value="uncertain"' in queue, queue[:4000]
    uncertain = analyst.get("/", params={"sort": "uncertain"})
    assert uncertain.status_code == 200 and 'aria-sort="ascending"' in uncertain.text, uncertain.text[:2000]
    assert f"{model['name']} {model['version']}" in analyst.get("/models").text

    # a second retrain writes a second folder and never touches the first
    with server.api("analyst") as api:
        second = _wait(api, api.post("/api/v1/models/retrain").json()["id"])
        assert second["state"] == "done" and second["model_id"] != model["id"], second
        again = text_models.get(server.engine, second["model_id"])
        assert Path(again["path"]) != folder and again["status"] == "candidate", again
        assert "in use: workbench-" in analyst.get("/models", params={"model": again["id"]}).text
    assert _folder_digest(folder) == before
    assert text_models.active(server.engine)["id"] == model["id"]  # type: ignore[index]


def test_a_model_folder_is_never_overwritten(tmp_path: Path) -> None:
    folder = tmp_path / "models" / "20260101-000000-abcdef"
    folder.mkdir(parents=True)
    (folder / "model.json").write_text("{}")

    class Model:
        def save(self, directory: Path) -> None:
            raise AssertionError("never called for a folder that exists")

    with pytest.raises(DataError, match="never overwritten"):
        retrain._save_new(Model(), folder)
    assert (folder / "model.json").read_text() == "{}"


def test_the_page_flow_in_chromium(sqlite_models_server: Server, browser: Browser) -> None:
    server = sqlite_models_server
    offers, other = _split(server)
    with server.api("analyst") as api:  # labels as an analyst gives them (idempotent across tests)
        _label(api, offers, "wildlife_offer")
        _label(api, other, "not_wildlife")
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(server.url + "/login")
        page.fill("input[name=name]", "analyst")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.get_by_role("navigation", name="Workbench").get_by_role("link", name="Models").click()
        expect(page).to_have_url(re.compile(r"/models$"))
        page.get_by_role("button", name="Retrain from my labels").click()
        job = page.locator("#jobs li").first
        expect(job).to_have_attribute("data-state", re.compile("queued|running|done"))
        # done: the page reloads itself and shows the comparison with an accept button
        accept = page.get_by_role("button", name=re.compile(r"^Accept model "))
        expect(accept).to_be_visible(timeout=300_000)
        expect(page.locator("table.comparison tr[data-figure=pr_auc] td.new")).to_have_text(re.compile(r"\d\.\d{3}"))
        expect(page.locator("table.comparison tr[data-figure=pr_auc] td.current")).to_have_text(
            re.compile(r"\d\.\d{3}"))
        page.reload()  # the job survives a reload
        expect(page.locator("#jobs li[data-state=done]").first).to_be_visible()
        accept.click()
        expect(page.locator("tr.model-row[data-status=active]")).to_have_count(1)
        expect(page.locator(".model-in-use")).to_contain_text("workbench-")
        page.set_viewport_size({"width": 390, "height": 844})  # the comparison scrolls in its box
        page.reload()
        page.wait_for_load_state("load")
        wide = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert wide <= 0, f"/models is {wide} px wider than a 390 px screen"
    finally:
        context.close()


@pytest.fixture(scope="module")
def sqlite_models_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from _serve(str(tmp_path_factory.mktemp("models-browser") / "w.sqlite"), tmp_path_factory.mktemp("b"))
