"""Bulk "add to case" from the queue and from search hits (POST /bulk-case), the role limits on
it, and the queue's thumbnails (only for images this server keeps), on both backends; a browser
run that selects with the keyboard and adds, at 390 px without overflow."""

from __future__ import annotations

import html
import io
import re
import uuid
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, expect

from wildtrace.images import gallery
from wildtrace.store import cases

from .conftest import PASSWORD, Server


def _png() -> bytes:
    """A real 8 x 8 PNG (a thumbnail must be able to read it)."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def _seed(server: Server) -> dict[str, str]:
    """Three listings of two sellers: one with a kept image (and a remote one), one with only a
    remote image, one whose image path leaves the data folder."""
    tag = uuid.uuid4().hex[:8]
    image = Path(server.app.state.settings.data_dir) / "thumbs" / f"{tag}.png"
    image.parent.mkdir(parents=True, exist_ok=True)
    image.write_bytes(_png())
    a, b = f"bulk-a-{tag}", f"bulk-b-{tag}"
    listings = [
        {"id": f"{tag}-1", "seller": a, "platform": "Facebook", "title": "Rhino horn <script>x</script>",
         "images": ["https://cdn.example.com/horn.jpg", f"thumbs/{tag}.png"], "posted_at": "2026-02-01"},
        {"id": f"{tag}-2", "seller": b, "platform": "zalo", "title": "Ivory bangle",
         "images": ["https://cdn.example.com/bangle.jpg"], "posted_at": "2026-02-02"},
        {"id": f"{tag}-3", "seller": a, "platform": "Facebook", "title": "Pangolin scales",
         "images": ["../../etc/passwd.png"], "posted_at": "2026-02-03"},
    ]
    with server.api("analyst") as c:
        c.post("/api/v1/scan", json={"listings": listings}).raise_for_status()
    return {"tag": tag, "a": a, "b": b}


def _create(client: httpx.Client, csrf: str, title: str) -> int:
    r = client.post("/cases", data={"csrf_token": csrf, "title": title})
    assert r.status_code == 303, r.text[:500]
    return int(r.headers["location"].rsplit("/", 1)[1])


def _members(server: Server, cid: int) -> tuple[set[str], set[str]]:
    case = cases.get_case(server.engine, cid)
    return {m["listing_id"] for m in case["listings"]}, {s["seller"] for s in case["sellers"]}


@pytest.fixture
def seeded(server: Server) -> dict[str, str]:
    return _seed(server)


def test_bulk_add_from_the_queue(server: Server, seeded: dict[str, str]) -> None:
    tag = seeded["tag"]
    client, csrf = server.login("analyst")
    try:
        cid = _create(client, csrf, f"Bulk {tag}")
        page = client.get("/", params={"seller": seeded["a"]}).text
        assert 'class="select-all"' in page and 'hx-post="/bulk-case"' in page, page[:3000]
        assert re.search(rf'<option value="{cid}">Bulk {tag} \(#{cid}\)</option>', page)
        boxes = re.findall(r'<input type="checkbox" name="listing_id" value="([^"]+)" form="bulk"', page)
        assert sorted(boxes) == [f"{tag}-1", f"{tag}-3"], boxes
        # a plain form post (no htmx) adds the listings and goes to the case
        r = client.post("/bulk-case", data={"csrf_token": csrf, "case": str(cid), "add": "listings",
                                            "listing_id": boxes, "label": "unsure"})
        assert r.status_code == 303 and r.headers["location"] == f"/cases/{cid}", r.text
        assert _members(server, cid) == ({f"{tag}-1", f"{tag}-3"}, set())
        # htmx: the sellers of the selected listings, answered with a status line
        r = client.post("/bulk-case", headers={"HX-Request": "true"},
                        data={"csrf_token": csrf, "case": str(cid), "add": "sellers",
                              "listing_id": [f"{tag}-1", f"{tag}-2", f"{tag}-3"]})
        assert r.status_code == 200, r.text
        assert "Added 0 new listings and 2 new sellers (of 3 selected)" in r.text, r.text
        assert _members(server, cid)[1] == {f"facebook:{seeded['a']}", f"zalo:{seeded['b']}"}
        r = client.post("/bulk-case", data={"csrf_token": csrf, "case": str(cid), "add": "both",
                                            "listing_id": [f"{tag}-2"]})
        assert r.status_code == 303
        assert _members(server, cid)[0] == {f"{tag}-1", f"{tag}-2", f"{tag}-3"}
        for bad in ({"listing_id": [], "add": "listings"}, {"listing_id": [f"{tag}-1"], "add": "everything"},
                    {"listing_id": [f"{tag}-1"], "add": "listings", "case": "x"}):
            data = {"csrf_token": csrf, "case": str(cid), **bad}
            assert client.post("/bulk-case", data=data).status_code == 422, bad
        assert client.post("/bulk-case", data={"case": str(cid), "listing_id": [f"{tag}-1"]}).status_code == 403, \
            "the CSRF token is required"
        client.post(f"/cases/{cid}/close", data={"csrf_token": csrf})
        r = client.post("/bulk-case", data={"csrf_token": csrf, "case": str(cid), "listing_id": [f"{tag}-1"]})
        assert r.status_code in (403, 409, 422), (r.status_code, r.text)
    finally:
        client.close()


def test_bulk_add_from_search_hits(server: Server, seeded: dict[str, str]) -> None:
    tag = seeded["tag"]
    client, csrf = server.login("analyst")
    try:
        cid = _create(client, csrf, f"Search bulk {tag}")
        page = client.get("/search", params={"q": "pangolin"}).text
        assert '<form id="bulk" method="post" action="/bulk-case"' in page
        boxes = re.findall(r'<input type="checkbox" name="listing_id" value="([^"]+)" form="bulk"', page)
        assert f"{tag}-3" in boxes and "d02" in boxes, boxes
        r = client.post("/bulk-case", data={"csrf_token": csrf, "case": str(cid), "add": "both",
                                            "listing_id": [f"{tag}-3", "d02"]})
        assert r.status_code == 303, r.text
        listings, sellers = _members(server, cid)
        assert listings == {f"{tag}-3", "d02"} and f"facebook:{seeded['a']}" in sellers, (listings, sellers)
    finally:
        client.close()


def test_viewers_get_no_bulk_controls_and_a_403(server: Server, seeded: dict[str, str]) -> None:
    analyst, csrf = server.login("analyst")
    cid = _create(analyst, csrf, "Viewer may not add")
    analyst.close()
    viewer, vcsrf = server.login("viewer")
    try:
        for path, params in (("/", {"seller": seeded["a"]}), ("/search", {"q": "pangolin"})):
            page = viewer.get(path, params=params).text
            assert seeded["tag"] in page, path
            for control in ('name="listing_id"', 'class="select-all"', "/bulk-case", 'id="bulk"', 'name="case"'):
                assert control not in page, (path, control)
        r = viewer.post("/bulk-case", data={"csrf_token": vcsrf, "case": str(cid), "listing_id": [f"{seeded['tag']}-1"]})
        assert r.status_code == 403, r.text
        assert _members(server, cid) == (set(), set())
    finally:
        viewer.close()


def test_thumbnails_only_for_kept_images(server: Server, seeded: dict[str, str]) -> None:
    tag = seeded["tag"]
    client, _ = server.login("viewer")
    try:
        page = client.get("/", params={"seller": seeded["a"]}).text
        page += client.get("/", params={"seller": seeded["b"]}).text
        imgs = re.findall(r'<img class="thumb" [^>]*>', page)
        assert len(imgs) == 1, imgs
        img = imgs[0]
        for attr in ('loading="lazy"', 'width="48"', 'height="48"', 'alt="Image of Rhino horn &lt;script&gt;x&lt;/script&gt;"'):
            assert attr in img, (attr, img)
        src = html.unescape(re.search(r'src="([^"]+)"', img).group(1))  # type: ignore[union-attr]
        assert src == f"/listing/image?id={tag}-1&n=1&size=thumb", src
        r = client.get(src)
        assert r.status_code == 200 and r.headers["content-type"].startswith("image/"), r.status_code
        assert "cdn.example.com" not in " ".join(imgs) and "passwd" not in page
        # once the listing page has fingerprinted its images, the queue reads them from the store
        assert client.get("/listing", params={"id": f"{tag}-1"}).status_code == 200
        assert gallery.has_owned_image(server.engine, [f"{tag}-1", f"{tag}-2"]) == {f"{tag}-1": 1}
        again = re.findall(r'<img class="thumb" [^>]*>', client.get("/", params={"seller": seeded["a"]}).text)
        assert again == imgs, again
    finally:
        client.close()


def test_browser_bulk_add_by_keyboard_at_390(browser: Browser, sqlite_server: Server) -> None:
    seeded = _seed(sqlite_server)
    tag = seeded["tag"]
    analyst, csrf = sqlite_server.login("analyst")
    cid = _create(analyst, csrf, f"Keyboard {tag} " + "W" * 200)
    long_name = f"{tag} " + "W" * 190
    assert analyst.post("/search/saved", data={"csrf_token": csrf, "name": long_name, "query": "q=ivory"}).status_code == 303
    analyst.close()
    errors: list[str] = []
    context = browser.new_context(base_url=sqlite_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto("/login")
        page.fill("input[name=name]", "analyst")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.goto(f"/?seller={seeded['a']}")
        page.select_option("#bulk select[name=case]", str(cid))
        page.locator("body").focus()
        page.keyboard.press("x")  # the first row is current: select it
        expect(page.locator("#bulk .sel-count .n")).to_have_text("1")
        page.keyboard.press("Shift+X")  # the whole page
        expect(page.locator("#bulk .sel-count .n")).to_have_text("2")
        expect(page.locator("input.select-all")).to_be_checked()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, ("queue", width)
        page.keyboard.press("?")
        expect(page.locator("#shortcuts")).to_contain_text("add the selected listings to the chosen case")
        page.keyboard.press("Escape")
        page.keyboard.press("c")
        expect(page.locator("#bulk-status")).to_contain_text("Added 2 new listings")
        assert _members(sqlite_server, cid)[0] == {f"{tag}-1", f"{tag}-3"}
        expect(page.locator("h1")).to_have_text("Triage queue")  # still on the queue
        page.goto("/search?q=ivory")
        expect(page.locator("ul.saved")).to_contain_text(tag)
        page.keyboard.press("?")
        expect(page.locator("#shortcuts")).to_contain_text("go to the search box")
        page.keyboard.press("Escape")
        page.keyboard.press("/")
        assert page.evaluate("document.activeElement.name") == "q"
        page.locator("input.select-all").check()
        page.click("#bulk button.add-sellers")
        expect(page.locator("#bulk-status")).to_contain_text("new seller")
        assert f"zalo:{seeded['b']}" in _members(sqlite_server, cid)[1]
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, ("search", width)
        assert not errors, errors
    finally:
        context.close()
