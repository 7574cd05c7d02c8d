"""`wildtrace monitor run` end to end against the loopback demo marketplace, traps on: three shapes
(a paginated grid without structured data, JSON-LD product pages, a JavaScript infinite-scroll feed
rendered in real Chromium), robots.txt, a 429 with Retry-After, a price change and a removal between
runs, a listing under two URLs, a hostile listing, redirects to private addresses; signed evidence
verified by `wildtrace evidence verify`. The monitor runs as the user runs it: a subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from wildtrace.demosite import start
from wildtrace.demosite.market import DUPLICATE_ID, HOSTILE_ID

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "evidence"))
from tsa_server import serve_tsa, write_root  # noqa: E402 - the loopback timestamp authority of tests/evidence

pytest.importorskip("scrapy")  # the monitor extra is part of `make install`; this names it if not

WILDTRACE = [sys.executable, "-m", "wildtrace.cli"]


def _sources(folder: Path, origin: str) -> list[Path]:
    """The three shapes as source files (politeness delay 0: all on loopback)."""
    files = {
        "grid": f"""name: t-grid
start_urls: ["{origin}/grid?page=1"]
allow: ['/grid/item/']
follow: ['/grid\\?page=\\d+', '/private/', '/go/']
listing_key: '/grid/item/([^/?#]+)'
extract:
  title: 'css:h1.title::text'
  text: 'css:.description'
  price: 'css:.price::text'
  currency: 'css:.currency::text'
  seller: 'css:a.seller::text'
  seller_url: 'css:a.seller::attr(href)'
  location: 'css:.location::text'
  posted_at: 'css:time.posted::attr(datetime)'
  images: 'css:.gallery img::attr(src)'
rate: {{delay: 0, autothrottle: false}}
capture: {{min_risk: 0.5}}
allow_origins: ["{origin}"]
""",
        "shop": f"""name: t-shop
start_urls: ["{origin}/shop?page=1"]
allow: ['/shop/p/']
follow: ['/shop\\?page=\\d+']
rate: {{delay: 0, autothrottle: false}}
capture: {{min_risk: 0.5}}
allow_origins: ["{origin}"]
""",
        "feed": f"""name: t-feed
start_urls: ["{origin}/feed"]
allow: ['/feed/item/']
javascript: {{scroll: 20, wait: 0.3}}
rate: {{delay: 0, autothrottle: false}}
capture: {{min_risk: 0.5}}
allow_origins: ["{origin}"]
""",
    }
    out = []
    for name, text in files.items():
        path = folder / f"{name}.yaml"
        path.write_text(text)
        out.append(path)
    return out


def _run(args: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*WILDTRACE, *args], env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:  # type: ignore[type-arg]
    tmp = tmp_path_factory.mktemp("monitor")
    site = start(port=0, traps=True)
    env = {**os.environ, "WILDTRACE_DATA_DIR": str(tmp / "data"), "WILDTRACE_MONITOR_CONTACT": "test@example.org"}
    keys = tmp / "keys"
    made = _run(["evidence", "keygen", str(keys)], env)
    assert made.returncode == 0, made.stderr
    sources = _sources(tmp, site.origin)
    site.market.answer_429("/grid", retry_after=2, times=1)  # the first grid page: come back in 2 s
    db = tmp / "monitor.sqlite"
    with serve_tsa() as tsa:  # a real RFC 3161 authority on loopback (tests/evidence/tsa_server.py)
        first = _run(["monitor", "run", *map(str, sources), "--db", str(db), "--key",
                      str(keys / "wildtrace-evidence.key"), "--tsa-url", tsa.url + "/tsa", "--allow-origin", tsa.url,
                      "--json"], env)
        root = write_root(tsa.pki, tmp / "tsa-root.pem")
    yield {"site": site, "env": env, "tmp": tmp, "db": db, "sources": sources, "keys": keys, "first": first,
           "first_log": site.market.requests, "tsa_root": root}
    site.close()


def _reports(proc: subprocess.CompletedProcess[str]) -> dict[str, dict]:  # type: ignore[type-arg]
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {r["source"]: r for r in map(json.loads, proc.stdout.splitlines())}


def test_every_listing_of_every_shape_is_new_and_extracted(world: dict) -> None:  # type: ignore[type-arg]
    from wildtrace.store import open_store

    reports = _reports(world["first"])
    market = world["site"].market
    store = open_store(world["db"])
    try:
        # the duplicate trap (a shop listing the grid also shows) is new where it is first seen: the
        # sources crawl at the same time, so on a busy machine the grid's copy can come first; it is
        # stored once either way (test_one_listing_under_two_urls_is_stored_once)
        [stored] = [i for i in store.listing_ids() if i.split(":", 1)[1].startswith(DUPLICATE_ID)]
        home = stored.split(":", 1)[0]
        for shape, name in (("grid", "t-grid"), ("shop", "t-shop"), ("feed", "t-feed")):
            expected = set(market.ids(shape))
            if name == home:
                expected.add(DUPLICATE_ID)
            else:
                expected.discard(DUPLICATE_ID)
            counts = reports[name]["counts"]
            assert counts["new"] == len(expected), (name, counts, reports[name]["errors"])
            for listing_id in expected:
                versions = store.versions(f"{name}:{listing_id}")
                assert versions, f"{name}: {listing_id} not stored"
                record = versions[-1]["record"]
                shown = market.listing(listing_id) or {}
                wanted = ["title", "seller", "url", "platform", "images", "location", "posted_at"]
                wanted += ["price", "currency"] if shown.get("price") and shown.get("currency") else []
                for field in wanted:
                    assert record.get(field), (name, listing_id, field, record)
                assert record["source_kind"] == "marketplace", "the scan reads a monitored listing as a marketplace's"
                files = record.get("image_files", [])
                if listing_id == HOSTILE_ID:  # its images point at private addresses and ../ paths: refused, said why
                    assert any(i.get("sha256") for i in files) and any(i.get("error") for i in files), files
                else:
                    assert files and all(i.get("sha256") for i in files), files
    finally:
        store.close()


def test_robots_disallowed_path_is_never_fetched(world: dict) -> None:  # type: ignore[type-arg]
    assert [r for r in world["first_log"] if r.path.startswith("/private/")] == []
    assert any(r.path == "/robots.txt" for r in world["first_log"])
    assert _reports(world["first"])["t-grid"]["counts"].get("robots", 0) >= 1


def test_retry_after_is_honoured_for_the_host(world: dict) -> None:  # type: ignore[type-arg]
    log = [r for r in world["first_log"] if not r.path.startswith("/feed") and "/api/feed" not in r.path]
    throttled = [r for r in log if r.status == 429]
    assert len(throttled) == 1
    again = [r for r in log if r.path == throttled[0].path and r.monotonic > throttled[0].monotonic]
    assert again and again[0].status == 200
    assert again[0].monotonic - throttled[0].monotonic >= 2.0


def test_user_agent_names_wildtrace_and_the_contact(world: dict) -> None:  # type: ignore[type-arg]
    agents = {r.user_agent for r in world["first_log"] if not r.path.startswith(("/static", "/api"))}
    assert agents and all("WildTrace/" in a and "test@example.org" in a for a in agents)  # Chromium's too


def test_redirects_to_private_addresses_are_refused(world: dict) -> None:  # type: ignore[type-arg]
    report = _reports(world["first"])["t-grid"]
    assert report["counts"].get("refused", 0) >= 2
    reasons = " ".join(e["reason"] for e in report["errors"])
    assert "address guard" in reasons and "169.254.169.254" in reasons
    canary = world["site"].market.canary_origin
    assert canary is not None  # the second loopback server /go/2 points at was never reached
    assert not world["site"].market.canary_requests


def test_one_listing_under_two_urls_is_stored_once(world: dict) -> None:  # type: ignore[type-arg]
    from wildtrace.store import open_store

    reports = _reports(world["first"])
    assert sum(r["counts"].get("duplicates", 0) for r in reports.values()) >= 1
    store = open_store(world["db"])
    try:
        ids = [i for i in store.listing_ids() if i.split(":", 1)[1].startswith(DUPLICATE_ID)]
        assert len(ids) == 1, ids
        assert len(store.versions(ids[0])) == 1
    finally:
        store.close()


def test_hostile_listing_is_stored_and_captured_inert(world: dict) -> None:  # type: ignore[type-arg]
    from wildtrace.store import open_store

    store = open_store(world["db"])
    try:
        ids = [i for i in store.listing_ids() if HOSTILE_ID in i]
        assert ids
        result = store.latest_result(ids[0])
        assert result is not None and result["risk_score"] >= 0.5
        record = store.versions(ids[0])[-1]["record"]  # its ../ and private image URLs: refused, with why
        assert [i for i in record["image_files"] if i.get("error")]
    finally:
        store.close()


def test_high_risk_listings_are_captured_signed_and_verify(world: dict) -> None:  # type: ignore[type-arg]
    reports = _reports(world["first"])
    keys = world["keys"]
    for name, report in reports.items():
        high = [c for c in report["changes"] if c["risk"] is not None and c["risk"] >= 0.5]
        assert report["counts"].get("captured", 0) == len(high), (name, report["counts"], report["errors"])
        if not high:
            continue
        assert report["seal"]["status"] == "sealed", report["seal"]
        folder = Path(report["evidence_dir"])
        assert list((folder / "packages").glob("*.wacz"))
        verified = _run(["evidence", "verify", str(folder), "--public-key", str(keys / "wildtrace-evidence.pub"),
                         "--tsa-ca-file", str(world["tsa_root"])], world["env"])
        assert verified.returncode == 0, verified.stdout + verified.stderr
        said = verified.stdout + verified.stderr
        assert "timestamp" in said and "not requested" not in said and "not checked" not in said, said


def test_second_run_sees_the_changed_price_and_the_gone_listing(world: dict) -> None:  # type: ignore[type-arg]
    from wildtrace.store import open_store

    market = world["site"].market
    shop = market.ids("shop")
    changed_id, gone_id = shop[0], shop[1]
    market.set_price(changed_id, "999.00")
    market.remove(gone_id)
    market.clear_log()
    second = _run(["monitor", "run", str(world["sources"][1]), "--db", str(world["db"]), "--key",
                   str(world["keys"] / "wildtrace-evidence.key")], world["env"])
    assert second.returncode == 0, second.stderr[-3000:]
    line = second.stdout.splitlines()[0]
    assert "1 changed" in line and "1 gone" in line and "0 new" in line, line
    store = open_store(world["db"])
    try:
        ids = {i.split(":", 1)[1].split("-")[0]: i for i in store.listing_ids() if i.startswith("t-shop:")}
        versions = store.versions(ids[changed_id])
        assert len(versions) == 2 and versions[-1]["record"]["price"] != versions[0]["record"]["price"]
    finally:
        store.close()
    status = _run(["monitor", "status", "--db", str(world["db"]), "--json"], world["env"])
    rows = {r["source"]: r for r in map(json.loads, status.stdout.splitlines())}
    assert rows["t-shop"]["listings_gone"] == 1 and rows["t-shop"]["counts"]["changed"] == 1


@pytest.mark.parametrize("capture", [False, True], ids=["no-capture", "capture"])
def test_a_killed_run_resumes_without_fetching_anything_twice(tmp_path: Path, capture: bool) -> None:
    """SIGKILL in the middle of a pass; the next run resumes it: no page or image is answered twice,
    every listing is stored, and (with captures) every high-risk listing is captured once, sealed,
    and the folder verifies."""
    site = start(port=0, traps=False)
    try:
        env = {**os.environ, "WILDTRACE_DATA_DIR": str(tmp_path / "data"), "WILDTRACE_MONITOR_CONTACT": "t@e.org"}
        grid = _sources(tmp_path, site.origin)[0]
        grid.write_text(grid.read_text().replace("delay: 0,", "delay: 0.2,"))
        hung = f"/grid/item/{site.market.ids('grid')[3]}"
        site.market.hang(hung)
        db = tmp_path / "m.sqlite"
        made = _run(["evidence", "keygen", str(tmp_path / "keys")], env)
        assert made.returncode == 0, made.stderr
        key = str(tmp_path / "keys" / "wildtrace-evidence.key")
        how = ["--key", key, "--no-screenshot"] if capture else ["--no-capture"]
        proc = subprocess.Popen([*WILDTRACE, "monitor", "run", str(grid), "--db", str(db), *how], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert site.market.wait_held(120), "the monitor never reached the hung page"
        time.sleep(1.0)  # pages answered before the hung one are processed (one request in flight per host)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        site.market.release()
        first = site.market.requests
        resumed = _run(["monitor", "run", str(grid), "--db", str(db), *how, "--json"], env)
        report = _reports(resumed)["t-grid"]
        assert report["resumed"] and report["state"] == "finished"
        assert report["counts"]["new"] == len(site.market.ids("grid")), report["counts"]
        answered = Counter(r.path for r in site.market.requests if r.status == 200 and r.path != "/robots.txt")
        twice = {p: n for p, n in answered.items() if n > 1 and p != hung}
        assert not twice, twice
        if capture:
            from wildtrace.evidence.custody import CustodyLog

            folder = tmp_path / "data" / "evidence" / "monitor-t-grid"
            entries = [e for _, e in CustodyLog(folder).entries() if e and e.get("event") == "capture"]
            captured = Counter(e["listing_id"] for e in entries)
            assert captured and max(captured.values()) == 1, captured
            from wildtrace.store import open_store

            store = open_store(db)
            try:
                high = {i for i in store.listing_ids()
                        if ((store.latest_result(i) or {}).get("risk_score") or 0) >= 0.5}
            finally:
                store.close()
            assert high and high == set(captured), (high, captured)  # before and after the kill, once each
            assert all(e.get("http_status") == 200 for e in entries)
            verified = _run(["evidence", "verify", str(folder), "--public-key",
                             str(tmp_path / "keys" / "wildtrace-evidence.pub")], env)
            assert verified.returncode == 0, verified.stdout + verified.stderr
            assert "ok: seal" in verified.stdout
        assert len([r for r in first if r.status == 200]) >= 3  # the first run really got somewhere
        from wildtrace.store import open_store

        store = open_store(db)
        try:
            stored = {i.split(":", 1)[1] for i in store.listing_ids()}
        finally:
            store.close()
        assert set(site.market.ids("grid")) <= stored
    finally:
        site.close()


def test_schedule_runs_what_is_due_in_its_own_process(tmp_path: Path) -> None:
    site = start(port=0, traps=False)
    try:
        env = {**os.environ, "WILDTRACE_DATA_DIR": str(tmp_path / "data"), "WILDTRACE_MONITOR_CONTACT": "t@e.org"}
        shop = _sources(tmp_path, site.origin)[1]
        unscheduled = _run(["monitor", "schedule", str(shop), "--once"], env)
        assert unscheduled.returncode == 2 and "schedule" in unscheduled.stderr
        shop.write_text(shop.read_text() + "schedule: {every: 6h}\n")
        db = tmp_path / "s.sqlite"
        first = _run(["monitor", "schedule", str(shop), "--db", str(db), "--once", "--no-capture"], env)
        assert first.returncode == 0, first.stderr[-2000:]
        assert "running t-shop" in first.stdout and "12 new" in first.stdout, first.stdout
        served = len(site.market.requests)
        again = _run(["monitor", "schedule", str(shop), "--db", str(db), "--once", "--no-capture"], env)
        assert again.returncode == 0 and "running" not in again.stdout  # not due for 6 hours
        assert len(site.market.requests) == served
    finally:
        site.close()


def test_a_sources_cookies_and_headers_are_sent(tmp_path: Path) -> None:
    """Per-job cookies (a login or a cookie banner already answered) and headers reach the site."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            seen.append({k.lower(): v for k, v in self.headers.items()} | {"path": self.path})
            body = (b"<html><body><a href='/item/1'>one</a></body></html>" if self.path == "/list" else
                    b"<html><head><title>Ivory bangle</title></head><body><h1>Ivory bangle</h1>"
                    b"<p>Old ivory bangle for sale, 300 USD</p></body></html>")
            self.send_response(404 if self.path == "/robots.txt" else 200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        origin = f"http://127.0.0.1:{server.server_address[1]}"
        (tmp_path / "cookies.json").write_text('{"session": "s3cr3t", "consent": "yes"}')
        (tmp_path / "headers.yaml").write_text("Accept-Language: vi-VN\n")
        source = tmp_path / "login.yaml"
        source.write_text(f"name: login\nstart_urls: ['{origin}/list']\nallow: ['/item/']\n"
                          f"cookies_file: cookies.json\nheaders_file: headers.yaml\nrate: {{delay: 0}}\n"
                          "capture: {min_risk: 1.0}\n")  # nothing is captured: a first pass with nothing to seal
        env = {**os.environ, "WILDTRACE_DATA_DIR": str(tmp_path / "data"), "WILDTRACE_MONITOR_CONTACT": "t@e.org"}
        r = _run(["monitor", "run", str(source), "--db", str(tmp_path / "c.sqlite"), "--allow-origin", origin], env)
        assert r.returncode == 0 and "1 new" in r.stdout, r.stdout + r.stderr[-2000:]
        pages = [h for h in seen if h["path"] in ("/list", "/item/1")]
        assert len(pages) == 2
        for h in pages:
            assert "session=s3cr3t" in h.get("cookie", "") and "consent=yes" in h.get("cookie", "")
            assert h.get("accept-language") == "vi-VN" and "t@e.org" in h.get("user-agent", "")
    finally:
        server.shutdown()
        server.server_close()


def test_the_browser_of_a_javascript_source_is_guarded_on_every_hop(tmp_path: Path) -> None:
    """Chromium follows redirects itself: /go/2 (to another loopback service) and /go/1 (to the
    cloud metadata address) must be refused at the connection, and the feed still works."""
    site = start(port=0, traps=True)
    try:
        env = {**os.environ, "WILDTRACE_DATA_DIR": str(tmp_path / "data"), "WILDTRACE_MONITOR_CONTACT": "t@e.org"}
        feed = _sources(tmp_path, site.origin)[2]
        feed.write_text(feed.read_text().replace(f'start_urls: ["{site.origin}/feed"]',
                                                 f'start_urls: ["{site.origin}/go/2", "{site.origin}/go/1", '
                                                 f'"{site.origin}/feed"]'))
        r = _run(["monitor", "run", str(feed), "--db", str(tmp_path / "j.sqlite"), "--no-capture", "--json"], env)
        report = _reports(r)["t-feed"]
        assert not site.market.canary_requests
        assert report["counts"]["new"] == len(site.market.ids("feed"))
        failed = {e["url"].rsplit("/", 2)[-2] + "/" + e["url"].rsplit("/", 1)[-1] for e in report["errors"]}
        assert {"go/1", "go/2"} <= failed, report["errors"]
    finally:
        site.close()
