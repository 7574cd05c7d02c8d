"""Capture and evidence on the case page (issue 23, items 1 and 8): a capture started from the page
runs as a background job whose progress the page polls, through the address guard (the one origin
the workbench allows, nothing else private), into evidence rows with their hashes; Verify says ok,
then tampered once a file changes; the PDF and HTML reports embed the screenshot with its banner.
Role limits on every new action, and the JSON error shape of the case routes.

A real workbench (uvicorn on loopback, SQLite) with a real loopback page server; the screenshot is
taken by Debian's Chromium (the capture's own step), and the last test drives the page in Chromium."""

from __future__ import annotations

import io
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from PIL import Image
from playwright.sync_api import Browser, expect

from wildtrace import Scanner, Settings
from wildtrace.cases.capture_jobs import MAX_WAITING, CaptureJobs
from wildtrace.errors import Invalid
from wildtrace.evidence.banner import PAD
from wildtrace.store import accounts as auth
from wildtrace.web.app import create_app

from .conftest import PASSWORD, ROLES, Server, _free_port, running

#: polls of a capture job (every 0.2 s): a bound against a hang, not a timing check
MAX_POLLS = 600
BANNER = (255, 243, 205)
#: a 4x4 red PNG, the page's image
RED_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000004000000040802000000269309290000001549444154789c63f8cfc0"
    "f09f8181e13f03031c0000a3a10fe1f2d6fa5d0000000049454e44ae426082")
PAGE = ("<!doctype html><html><head><meta charset='utf-8'><title>Ivory bangle</title></head><body>"
        "<h1>Old ivory bangle, real</h1><p>WhatsApp +84 912 345 678</p><img src='/horn.png' alt='horn'>"
        "<div style='height:3000px;background:#cde'>tall</div></body></html>")


class _Pages(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        if self.path.startswith("/listing/"):
            status, ctype, body, extra = 200, "text/html; charset=utf-8", PAGE.encode(), {}
        elif self.path == "/slow":
            time.sleep(0.5)
            status, ctype, body, extra = 200, "text/html", b"<html>slow</html>", {}
        elif self.path == "/horn.png":
            status, ctype, body, extra = 200, "image/png", RED_PNG, {}
        elif self.path == "/to-private":  # the allowed origin sends the fetch to another loopback address
            status, ctype, body, extra = 302, "text/html", b"", {"Location": "http://127.0.0.2:9/"}
        else:
            status, ctype, body, extra = 404, "text/html", b"<html>gone</html>", {}
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def bench(site: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A workbench that may capture from ``site`` (and from no other private address)."""
    tmp = tmp_path_factory.mktemp("capture-pages")
    settings = Settings(data_dir=tmp / "data")
    app = create_app(str(tmp / "w.sqlite"), settings, capture_allow_origins=[site])
    scanner = Scanner(settings)
    app.state.scanner = scanner
    listings = [{"id": f"cap-{n}", "title": "Old ivory bangle, real", "text": "WhatsApp +84 912 345 678",
                 "seller": "bangles", "platform": "web", "url": f"{site}/listing/{n}"} for n in range(1, 4)]
    listings.append({"id": "cap-nourl", "title": "Ivory carving", "seller": "bangles"})
    app.state.store.save(list(scanner.scan(listings)))  # type: ignore[arg-type]
    server = Server(f"http://127.0.0.1:{_free_port()}", app)
    for role in (*ROLES, "analyst2"):
        auth.add_user(app.state.store.engine, role, role if role in ROLES else "analyst", PASSWORD, actor="test")
        server.tokens[role] = auth.create_token(app.state.store.engine, role, "tests")
    with running(app, int(server.url.rsplit(":", 1)[1])):
        yield server


def _post(client: httpx.Client, csrf: str, path: str, headers: dict[str, str] | None = None,
          **data: str) -> httpx.Response:
    return client.post(path, data={"csrf_token": csrf, **data}, headers=headers)


def _case(bench: Server, *listing_ids: str) -> int:
    with bench.api("analyst") as api:
        cid = int(api.post("/api/v1/cases", json={"title": "Bangles"}).json()["id"])
        if listing_ids:
            api.post(f"/cases/{cid}/add", json={"listing_ids": list(listing_ids)}).raise_for_status()
    return cid


def _wait(client: httpx.Client, cid: int, job: str) -> dict[str, Any]:
    """Poll the job's status (as JSON) until it is finished; returns it."""
    for _ in range(MAX_POLLS):
        got = client.get(f"/cases/{cid}/captures/{job}", headers={"Accept": "application/json"})
        assert got.status_code == 200, got.text
        if got.json()["finished"]:
            return got.json()  # type: ignore[no-any-return]
        time.sleep(0.2)
    raise AssertionError(f"capture job {job} did not finish")


def _evidence_dir(bench: Server, cid: int) -> Path:
    return Path(bench.app.state.settings.data_dir) / "evidence" / f"case-{cid}"


def test_capture_verify_tamper_and_report(bench: Server, site: str, tmp_path: Path) -> None:
    client, csrf = bench.login("analyst")
    cid = _case(bench, "cap-1")
    page = client.get(f"/cases/{cid}").text
    assert f'action="/cases/{cid}/captures"' in page and 'name="listing_id" value="cap-1"' in page, page[-4000:]
    assert 'value="cap-nourl"' not in page  # a listing without an address has no capture button

    started = _post(client, csrf, f"/cases/{cid}/captures", headers={"HX-Request": "true"}, listing_id="cap-1")
    assert started.status_code == 202, started.text
    job = re.search(rf'hx-get="/cases/{cid}/captures/([0-9a-f]{{32}})"', started.text)
    assert job and 'hx-trigger="every 1s"' in started.text, started.text
    states = set()
    for _ in range(MAX_POLLS):  # the fragment the page polls
        fragment = client.get(f"/cases/{cid}/captures/{job.group(1)}", headers={"HX-Request": "true"})
        state = re.search(r'data-state="(\w+)"', fragment.text)
        assert state, fragment.text
        states.add(state.group(1))
        if state.group(1) in ("done", "failed"):
            break
        time.sleep(0.2)
    assert state.group(1) == "done", fragment.text
    assert "hx-get" not in fragment.text and fragment.headers.get("hx-trigger") == "evidence-changed"
    assert states <= {"queued", "fetching", "screenshot", "hashing", "signed", "done"}, states

    custody = [orjson.loads(line) for line in (_evidence_dir(bench, cid) / "custody.jsonl").read_text().splitlines()]
    entry = next(e for e in custody if e["event"] == "capture")
    assert entry["operator"] == "analyst" and entry["listing_id"] == "cap-1", entry  # the user is named
    files = {f["path"].rsplit("/", 1)[-1]: f for f in entry["files"]}
    assert set(files) == {"page.warc.gz", "screenshot.png"}, entry
    evidence = client.get(f"/cases/{cid}").text
    for f in files.values():
        assert f["sha256"] in evidence, f
    assert "Not verified yet" in evidence and "case.add_capture" in evidence

    shot = _evidence_dir(bench, cid) / files["screenshot.png"]["path"]
    with Image.open(shot) as image:  # the banner is drawn above the page
        assert image.convert("RGB").getpixel((PAD // 2, PAD // 2)) == BANNER, image.size
        banner_rows = image.height
    served = client.get(f"/cases/{cid}/evidence/{entry['capture_id']}/screenshot.png")
    assert served.status_code == 200 and served.headers["content-type"] == "image/png", served.headers
    assert served.content == shot.read_bytes()
    thumb = client.get(f"/cases/{cid}/evidence/{entry['capture_id']}/screenshot.png", params={"thumbnail": 1})
    with Image.open(io.BytesIO(thumb.content)) as small:
        assert small.width == 320 and small.height <= 320, small.size
    for bad in ("../custody.jsonl", "custody.jsonl", "page.warc.gz/..", "nope.png"):
        assert client.get(f"/cases/{cid}/evidence/{entry['capture_id']}/{bad}").status_code == 404, bad

    assert _post(client, csrf, f"/cases/{cid}/verify").status_code == 303
    ok = client.get(f"/cases/{cid}").text
    assert ok.count('data-status="ok"') == 2 and "problems found" not in ok, ok[-5000:]

    warc = _evidence_dir(bench, cid) / files["page.warc.gz"]["path"]
    with open(warc, "ab") as fh:  # someone changes the evidence
        fh.write(b"tampered")
    with bench.api("analyst") as api:
        result = api.post(f"/cases/{cid}/verify", headers={"Accept": "application/json"}).json()
    key = f"{entry['capture_id']}/page.warc.gz"
    assert not result["ok"] and result["files"][key]["status"] == "tampered", result
    assert "SHA-256" in result["files"][key]["reason"], result
    hx = client.post(f"/cases/{cid}/verify", data={"csrf_token": csrf}, headers={"HX-Request": "true"})
    assert 'data-status="tampered"' in hx.text and 'data-status="ok"' in hx.text and "problems found" in hx.text
    assert "case.verify" in client.get(f"/cases/{cid}").text  # in the timeline, with the user

    pdf = tmp_path / "case.pdf"
    pdf.write_bytes(client.get(f"/cases/{cid}/export", params={"format": "pdf"}).content)
    listed = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert len(listed.strip().splitlines()) >= 3, listed  # the header lines and at least one image
    subprocess.run(["pdfimages", "-png", str(pdf), str(tmp_path / "img")], check=True)
    first = sorted(tmp_path.glob("img-*.png"))
    assert first, listed
    with Image.open(first[0]) as embedded:  # the page's first slice starts with the banner
        assert embedded.convert("RGB").getpixel((PAD // 2, PAD // 2)) == BANNER
        assert embedded.height <= banner_rows
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert f"Capture {entry['capture_id']}" in text and f"{site}/listing/1" in text.replace(" ", ""), text[-2000:]
    report = client.get(f"/cases/{cid}/export", params={"format": "html"}).text
    assert "data:image/png;base64," in report and "overflow-wrap:anywhere" in report

    shot.unlink()  # and then the screenshot goes
    with bench.api("analyst") as api:
        result = api.post(f"/cases/{cid}/verify", headers={"Accept": "application/json"}).json()
    gone = result["files"][f"{entry['capture_id']}/screenshot.png"]
    assert gone["status"] == "missing" and result["counts"] == {"ok": 0, "tampered": 1, "missing": 1}, result
    assert 'data-status="missing"' in client.get(f"/cases/{cid}/evidence").text
    assert client.get(f"/cases/{cid}/evidence/{entry['capture_id']}/screenshot.png").status_code == 404


def test_the_guard_allows_only_the_named_origin(bench: Server, site: str) -> None:
    client, csrf = bench.login("analyst")
    cid = _case(bench)
    other = f"http://127.0.0.1:{_free_port()}/listing/1"
    for url, why in ((other, "refused"), (f"{site}/to-private", "redirect to another host"),
                     ("http://169.254.169.254/latest/meta-data/", "refused")):
        with bench.api("analyst") as api:
            job = api.post(f"/cases/{cid}/captures", json={"url": url})
        assert job.status_code == 202, job.text
        done = _wait(client, cid, job.json()["id"])
        assert done["state"] == "failed" and done["reason"].startswith(why), (url, done)
    page = client.get(f"/cases/{cid}").text
    assert page.count("<td>failed") == 3 and "redirect to another host" in page, page[-3000:]  # kept, with reasons


def test_role_limits_and_json_errors(bench: Server, site: str) -> None:
    cid = _case(bench, "cap-2")
    viewer, vcsrf = bench.login("viewer")
    page = viewer.get(f"/cases/{cid}").text
    assert "capture-form" not in page and "Capture page" not in page and ">Verify<" not in page
    for path, data in ((f"/cases/{cid}/captures", {"url": f"{site}/listing/2"}), (f"/cases/{cid}/verify", {})):
        assert _post(viewer, vcsrf, path, **data).status_code == 403, path
    with bench.api("viewer") as api:
        refused = api.post(f"/cases/{cid}/captures", json={"url": f"{site}/listing/2"})
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden", refused.text
    with bench.api("analyst") as api:
        bad = api.post(f"/cases/{cid}/add", json={"listing_ids": "cap-2"})
        assert bad.status_code == 422 and set(bad.json()["error"]) == {"status", "code", "message", "details"}
        closed_case = _case(bench)
        assert api.post(f"/cases/{closed_case}/close").status_code == 303
        assert api.post(f"/cases/{closed_case}/captures", json={"url": site}).json()["error"]["code"] == "invalid_value"
        assert api.post(f"/cases/{cid}/captures", json={"url": "javascript:alert(1)"}).status_code == 422
        assert api.post(f"/cases/{cid}/captures", json={"listing_id": "cap-nourl"}).status_code == 422
        job = api.post(f"/cases/{cid}/captures", json={"listing_id": "cap-2"}).json()
        assert job["user"] == "analyst" and job["url"] == f"{site}/listing/2", job
        evil = api.post(f"/cases/{cid}/captures", json={"url": f"{site}/x?<script>alert(1)</script>"}).json()
    fragment = viewer.get(f"/cases/{cid}/captures/{evil['id']}").text  # viewers see the status
    assert "<script>alert" not in fragment and "&lt;script&gt;alert(1)" in fragment, fragment
    with bench.api("analyst") as api:
        api.post(f"/api/v1/cases/{cid}/members", json={"user": "analyst"}).raise_for_status()
    assert viewer.get(f"/cases/{cid}/captures/{job['id']}").status_code == 404  # members only now
    with bench.api("analyst2") as other:
        assert other.post(f"/cases/{cid}/captures", json={"url": site}).status_code == 404
    admin, acsrf = bench.login("admin")
    assert admin.get(f"/cases/{cid}/captures/{job['id']}").status_code == 200
    assert _post(admin, acsrf, f"/cases/{cid}/delete").status_code == 303  # admins delete
    assert admin.get(f"/cases/{cid}/evidence").status_code == 404


def test_the_capture_in_a_browser_at_390_px(bench: Server, browser: Browser) -> None:
    cid = _case(bench, "cap-3")
    errors: list[str] = []
    context = browser.new_context(base_url=bench.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(90_000)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/login")
    page.fill("input[name=name]", "analyst")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"/cases/{cid}")
    page.click("form.capture-listing button")
    job = page.locator("#capture-jobs li.capture-job").first
    expect(job).to_have_attribute("data-state", "done")
    expect(page.locator("#evidence li.evidence-file")).to_have_count(2)  # reloaded when the job finished
    page.click("form.verify-form button")
    expect(page.locator("#evidence li.evidence-file[data-status=ok]")).to_have_count(2)
    expect(page.locator("#evidence img")).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), \
        page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    assert errors == [], errors
    context.close()


def test_a_refused_capture_and_a_verify_on_both_backends(server: Server) -> None:
    """The shared workbench (no allowed origin): loopback is refused, the failure is kept in the
    case with its reason, and a verification is recorded and shown, on SQLite and PostgreSQL."""
    client, csrf = server.login("analyst")
    with server.api("analyst") as api:
        cid = int(api.post("/api/v1/cases", json={"title": "Refused"}).json()["id"])
    started = _post(client, csrf, f"/cases/{cid}/captures", url="http://127.0.0.1:9/listing")
    assert started.status_code == 303 and started.headers["location"] == f"/cases/{cid}#capture-jobs"
    job = re.search(r'id="job-([0-9a-f]{32})"', client.get(f"/cases/{cid}").text)
    assert job, client.get(f"/cases/{cid}").text[-3000:]
    done = _wait(client, cid, job.group(1))
    assert done["state"] == "failed" and done["reason"].startswith("refused: 127.0.0.1"), done
    assert _post(client, csrf, f"/cases/{cid}/verify").status_code == 303
    page = client.get(f"/cases/{cid}").text
    assert "<td>failed" in page and "Last verified" in page and "case.verify" in page, page[-4000:]
    viewer, _ = server.login("viewer")
    assert "Last verified" in viewer.get(f"/cases/{cid}/evidence").text


def test_one_user_may_have_only_so_many_captures_under_way(bench: Server, site: str, tmp_path: Path) -> None:
    jobs = CaptureJobs(bench.app.state.store, tmp_path / "ev", allow_origins=frozenset({site}), workers=1)
    cid = _case(bench)
    try:
        started = [jobs.start(cid, f"{site}/slow", "analyst") for _ in range(MAX_WAITING)]
        with pytest.raises(Invalid, match="under way"):
            jobs.start(cid, f"{site}/slow", "analyst")
        assert jobs.start(cid, f"{site}/slow", "admin").user == "admin"  # others are not held up
        assert [j.id for j in jobs.for_case(cid)][-1] == started[0].id  # newest first
    finally:
        jobs.close()


def test_a_bad_allowed_origin_fails_when_the_app_is_made(tmp_path: Path) -> None:
    from wildtrace.errors import ConfigError
    from wildtrace.web.app import create_app

    with pytest.raises(ConfigError, match="scheme://host:port"):
        create_app(str(tmp_path / "w.sqlite"), capture_allow_origins={"127.0.0.1 port 80"})
