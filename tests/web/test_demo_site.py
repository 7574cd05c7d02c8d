"""The demo that investigates (issue 23, item 9): the loopback demo marketplace serves a page and the
images of every demo listing; ``load_demo`` stores the listings with URLs on it, their images as
the server's own files and a seller network that links accounts across platforms; ``serve --demo``
wires them together (in process with the library functions, and as the command a user runs)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from wildtrace import Scanner, Settings, demosite
from wildtrace.demosite import catalogue
from wildtrace.images import gallery
from wildtrace.search import Searcher
from wildtrace.sellers import identifiers
from wildtrace.sellers.network import latest_network
from wildtrace.store.sql import SQLStore
from wildtrace.web.app import create_app
from wildtrace.web.demo import demo_login, demo_origin, load_demo
from wildtrace.web.entity_pages import owned_image

from .conftest import _free_port, running

IDS = [f"d{n:02d}" for n in range(1, 36)]
WILDTRACE = str(Path(sys.executable).with_name("wildtrace"))


def test_the_demo_listings_keep_their_ids_and_gain_urls_images_and_contacts() -> None:
    records = catalogue.records()
    assert [r["id"] for r in records] == IDS
    images = catalogue.image_files()
    for r in records:
        assert r["url"] == f"{demosite.DEFAULT_ORIGIN}/listing/{r['id']}", r
        assert r["images"] and all(catalogue.image_name(i) in images for i in r["images"]), r
        assert r["synthetic"].startswith("SYNTHETIC"), r
    by_id = {r["id"]: r for r in records}
    assert "象" in by_id["d04"]["title"] and "rhino_th" in by_id["d04"]["seller_contact"], "Chinese ivory"
    assert by_id["d09"]["title"].startswith("ขาย") and "rhino_th" in by_id["d09"]["seller_contact"], "Thai"


def test_the_demo_site_serves_pages_and_images_on_loopback() -> None:
    site = demosite.start(0)
    try:
        assert site.origin.startswith("http://127.0.0.1:") and site.url("d04") == f"{site.origin}/listing/d04"
        with httpx.Client(timeout=10) as c:
            page = c.get(site.url("d04"))
            assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
            assert "象 牙 手鐲 天然 正品" in page.text and "珍藏閣" in page.text and "LINE id: rhino_th" in page.text
            assert 'src="/images/d04.png"' in page.text and "SYNTHETIC" in page.text
            image = c.get(f"{site.origin}/images/d04.png")
            assert image.status_code == 200 and image.headers["content-type"] == "image/png"
            assert image.content == catalogue.image_files()["d04.png"].read_bytes()
            assert c.get(f"{site.origin}/images/d13.jpg").headers["content-type"] == "image/jpeg"
            index = c.get(site.origin + "/").text
            assert all(f'href="/listing/{i}"' in index for i in IDS)
            for path in ("/listing/nope", "/images/..%2fdemo_listings.jsonl", "/images/../README.md", "/etc/passwd"):
                assert c.get(site.origin + path).status_code == 404, path
            assert c.head(site.url("d09")).status_code == 200
    finally:
        site.close()
    with pytest.raises(httpx.ConnectError):
        httpx.get(site.url("d04"), timeout=5)


def test_a_taken_port_is_one_config_error() -> None:
    with demosite.start(0) as site, pytest.raises(Exception, match="already in use"):
        demosite.start(site.port)


def test_load_demo_links_sellers_copies_images_and_is_idempotent(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    with closing(SQLStore(str(tmp_path / "demo.sqlite"))) as store:
        origin = "http://127.0.0.1:9"
        assert demo_origin(store, default_port=9) == origin, "a new demo database: the default port"
        loaded = load_demo(store, Scanner(settings), origin=origin)
        assert loaded.listings == 35 and loaded.accounts == 35 and loaded.linked_accounts >= 10, loaded
        record = store.latest_result("d04")["listing"]  # type: ignore[index]
        assert record["url"] == origin + "/listing/d04" and record["images"] == ["demo-images/d04.png"]
        assert owned_image(settings.data_dir, record["images"][0]) is not None, "shown as the server's own file"
        stored = latest_network(store.engine)
        assert stored is not None and stored.id == loaded.network_id
        edges = {frozenset((e["a"], e["b"])): e["evidence"] for e in stored.to_dict()["edges"]}
        assert {"type": "identifier", "value": "line:rhino_th"} in edges[frozenset(("taobao:珍藏閣", "line:ร้านยาจีน"))]
        assert {"type": "identifier", "value": "phone:+84912345678"} in edges[
            frozenset(("fb-marketplace:hornking88", "wechat:老张收藏"))]
        assert edges[frozenset(("olx:natural_br", "facebook:obat_tradisional"))][0]["type"] == "image"
        groups = [set(c["accounts"]) for c in stored.to_dict()["components"]]
        assert any({"taobao:珍藏閣", "line:ร้านยาจีน", "wechat:老张收藏", "fb-marketplace:hornking88"} <= g
                   for g in groups), groups
        # the origin is kept: a later start on another workbench port points the site where the URLs do
        assert demo_origin(store, default_port=8151) == origin
        assert demo_origin(store, 8200) == "http://127.0.0.1:8200", "an explicit port wins"
        # the contacts are the sellers' identifiers everywhere: search, the listing's identifiers
        scanner = Scanner(settings)
        _, found = Searcher(scanner.detector).search(store.engine, "+84 912 345 678")
        assert sorted(h.row["listing_id"] for h in found.hits) == ["d01", "d03", "d16"]
        # every identifier the listing page links finds every listing that carries it, first
        searcher = Searcher(scanner.detector)
        for query, carriers in (("hk_horn_88", {"d03", "d04"}), ("rhino_th", {"d04", "d09"}),
                                ("ETH:0x0000000000000000000000000000000000d3a001", {"d09", "d17"}),
                                ("0x0000000000000000000000000000000000d3a001", {"d09", "d17"}),
                                (origin + "/listing/d04", {"d04"}), ("scales_asia", {"d13", "d31"})):
            _, found = searcher.search(store.engine, query)
            first = [h.row["listing_id"] for h in found.hits[:len(carriers)]]
            assert set(first) == carriers and all(h.kind == "identifier" for h in found.hits[:len(carriers)]), (
                query, [(h.row["listing_id"], h.kind) for h in found.hits])
        _, found = searcher.search(store.engine, "hk_horn")  # a piece of a handle is not that handle
        assert not [h for h in found.hits if h.kind == "identifier"]
        values = {i.value for i in identifiers.from_listing(record)}
        assert "line:rhino_th" in values or any("rhino_th" in v for v in values), values
        # the images are fingerprinted as they are stored (the re-posted photo is a near-duplicate)
        assert set(gallery.has_owned_image(store.engine, IDS)) == set(IDS)
        again = load_demo(store, scanner, origin=origin)
        assert again.network_id == loaded.network_id, "the same listings: no new network"
        assert [len(store.versions(i)) for i in IDS] == [1] * 35, "no new versions"


def test_serve_demo_wiring_in_process(tmp_path: Path) -> None:
    """What ``serve --demo`` does, with the library functions and a real server."""
    settings = Settings(data_dir=tmp_path / "data")
    db = str(tmp_path / "demo.sqlite")
    with closing(SQLStore(db)) as store:
        origin = demo_origin(store, _free_port())
    with demosite.start(int(origin.rsplit(":", 1)[1])) as site:
        app = create_app(db, settings, capture_allow_origins={site.origin})
        assert app.state.capture_allow_origins == frozenset({site.origin})
        load_demo(app.state.store, Scanner(settings), origin=site.origin)
        name, password = demo_login(app.state.store.engine)
        url = f"http://127.0.0.1:{_free_port()}"
        with running(app, int(url.rsplit(":", 1)[1])), closing(httpx.Client(base_url=url, timeout=30)) as c:
            _login(c, name, password)
            page = c.get("/listing", params={"id": "d04"}).text
            listing_url = site.url("d04")
            assert listing_url in page, "the listing links to its page on the demo site"
            assert "/listing/image?id=d04" in page and "line:ร้านยาจีน" in page, page[-4000:]
            assert httpx.get(listing_url, timeout=10).status_code == 200


def _login(client: httpx.Client, name: str, password: str) -> None:
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert csrf
    r = client.post("/login", data={"name": name, "password": password, "csrf_token": csrf.group(1)})
    assert r.status_code == 303, r.text


def test_serve_demo_prints_the_site_and_stops_it(tmp_path: Path) -> None:
    port, demo_port = _free_port(), _free_port()
    env = {**os.environ, "WILDTRACE_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen([WILDTRACE, "serve", "--demo", "--port", str(port), "--demo-port", str(demo_port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:  # the login is the last line printed before serving
            lines.append(line)
            if "log in as" in line:
                break
        out = "".join(lines)
        assert f"Demo marketplace (synthetic listing pages to capture): http://127.0.0.1:{demo_port}/" in out, out
        assert re.search(r"Seller network: \d+ of 35 accounts linked", out), out
        login = re.search(r"log in as\s+(\S+) / (\S+)", out)
        assert login, out
        page = httpx.get(f"http://127.0.0.1:{demo_port}/listing/d09", timeout=10)
        assert page.status_code == 200 and "ร้านยาจีน" in page.text
        with closing(httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)) as c:
            for _ in range(200):  # uvicorn starts listening just after the login is printed
                try:
                    c.get("/login")
                    break
                except httpx.TransportError:
                    continue
            _login(c, login.group(1), login.group(2))
            assert f"http://127.0.0.1:{demo_port}/listing/d09" in c.get("/listing", params={"id": "d09"}).text
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(60)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{demo_port}/", timeout=5)


def test_a_demo_listing_is_captured_from_the_demo_site_and_reported(tmp_path: Path) -> None:
    """The investigation's back half on the library: the Chinese ivory listing and the Thai listing
    its seller is linked to, in a case; the demo site's page captured through the address guard
    (allowed for that origin only); the PDF report holds both scripts."""
    from wildtrace.cases import members
    from wildtrace.cases.capture_jobs import CaptureJobs
    from wildtrace.cases.case import load
    from wildtrace.cases.export import export

    settings = Settings(data_dir=tmp_path / "data")
    store = SQLStore(str(tmp_path / "demo.sqlite"))
    with closing(store), demosite.start(0) as site:
        load_demo(store, Scanner(settings), origin=site.origin)
        case = members.create(store, "demo case", "demo")
        members.add_listings(store, case["id"], ["d04", "d09"], "demo")
        members.add_sellers(store, case["id"], ["taobao:珍藏閣"], "demo")
        refused = CaptureJobs(store, tmp_path / "evidence")  # without the demo origin: the guard refuses
        try:
            job = refused.wait(refused.start(case["id"], site.url("d04"), "demo", "d04").id, 120)
            assert job.state == "failed", job
        finally:
            refused.close()
        jobs = CaptureJobs(store, tmp_path / "evidence", allow_origins=frozenset({site.origin}))
        try:
            job = jobs.wait(jobs.start(case["id"], site.url("d04"), "demo", "d04").id, 120)
        finally:
            jobs.close()
        assert job.state == "done", job
        pdf = tmp_path / "case.pdf"
        export(load(store, case["id"]), "pdf", pdf)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert site.url("d04") in text.replace("\n", ""), text[:2000]
    assert "珍藏閣" in text and "ร้านยาจีน" in text, text[:2000]
