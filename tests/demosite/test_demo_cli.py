"""``wildtrace demo --marketplace``: the marketplace in the foreground, its URL and the next
command printed, Ctrl-C ends it with exit 0 and no traceback; plain ``wildtrace demo`` unchanged;
the example sources load and fit the marketplace's pages."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import parsel
import pytest
from click.testing import CliRunner

from wildtrace import demosite
from wildtrace.cli import cli
from wildtrace.monitor.sources import load

from .conftest import client, crawl_list

ROOT = Path(__file__).resolve().parents[2]
WILDTRACE = str(Path(sys.executable).with_name("wildtrace"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_demo_marketplace_serves_until_ctrl_c() -> None:
    port = _free_port()
    proc = subprocess.Popen([WILDTRACE, "demo", "--marketplace", "--port", str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.strip() == f"WildTrace demo marketplace (SYNTHETIC listings) at http://127.0.0.1:{port}/", first
        lines = [proc.stdout.readline() for _ in range(4)]
        assert any("wildtrace monitor run examples/sources/*.yaml" in ln for ln in lines), lines
        assert httpx.get(f"http://127.0.0.1:{port}/grid", timeout=10).status_code == 200
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 0 and "Traceback" not in err, err
    assert "stopped" in out


def test_plain_demo_is_unchanged_and_port_needs_marketplace() -> None:
    runner = CliRunner()
    r = runner.invoke(cli, ["demo", "--top", "3"], prog_name="wildtrace")
    assert r.exit_code == 0 and "SYNTHETIC" in r.output and "wildtrace serve --demo" in r.output, r.output
    r = runner.invoke(cli, ["demo", "--port", "8151"], prog_name="wildtrace")
    assert r.exit_code == 2 and "--marketplace" in r.output


@pytest.mark.parametrize("name", ["grid", "jsonld", "feed"])
def test_example_sources_load_and_fit_the_marketplace(name: str, site: demosite.DemoSite) -> None:
    source = load(ROOT / "examples" / "sources" / f"{name}.yaml")
    assert source.allow_origins == (demosite.DEFAULT_ORIGIN,) and source.start_urls[0].startswith(
        demosite.DEFAULT_ORIGIN + "/")
    shape = {"grid": "grid", "jsonld": "shop", "feed": "feed"}[name]
    start = source.start_urls[0][len(demosite.DEFAULT_ORIGIN):]
    with client(site) as c:
        if shape == "feed":
            found = [i["url"] for n in (0, 4, 8) for i in c.get(f"/api/feed?cursor={n}").json()["items"]]
        else:
            pages, found = crawl_list(c, start)
            assert all(source.is_followed(site.origin + p) for p in pages[1:]), pages
        # the draft under /private/ looks like a listing: robots.txt, not the source, keeps it out
        listings = sorted({h for h in found if source.is_listing(site.origin + h) and not h.startswith("/private/")})
        assert source.listing_key is not None
        keys = sorted(m.group(1) for h in listings if (m := source.listing_key.search(h)))
        assert keys == sorted(site.market.ids(shape)), (listings, keys)
        if name == "grid":  # the grid's extraction rules find every field
            sel = parsel.Selector(c.get("/grid/item/d01").text)
            got = {field: (sel.css(rule[4:]).getall() if field == "images" else sel.css(rule[4:]).get())
                   for field, rule in source.extract.items()}
            assert got == {"title": "Raw rhino horn pieces, 100% genuine, ship worldwide",
                           "text": "Whole and sliced. Price per gram, DM me on WhatsApp +84 912 345 678",
                           "price": "1,200.00", "currency": "USD", "seller": "hornking88",
                           "seller_url": "/seller/hornking88", "location": "Hanoi, VN",
                           "posted_at": "2026-11-02T10:00:00Z", "images": ["/images/d01.png"]}, got


def test_ctrl_c_stops_the_marketplace_even_when_its_parent_ignored_sigint() -> None:
    """A parent that ignores SIGINT passes that on to its children (Python then raises no
    KeyboardInterrupt); the marketplace handles Ctrl-C itself, so it still stops."""
    port = _free_port()
    proc = subprocess.Popen([WILDTRACE, "demo", "--marketplace", "--port", str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        assert proc.stdout is not None
        for _ in range(5):
            proc.stdout.readline()
        assert httpx.get(f"http://127.0.0.1:{port}/grid", timeout=10).status_code == 200
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 0 and "stopped" in out, err
