"""The listing page's images on both backends, with real image files in the server's data folder:
thumbnails and the lightbox (plain links without JS), OCR text, near-duplicates by perceptual
hash, the thumbnail route, hostile file names; the lightbox's keys and 390 px in Chromium. Also
the seller page's "add to case" per account."""

from __future__ import annotations

import io
import re
import shutil
import uuid
from contextlib import closing
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from images.pictures import photo, printed, recompressed
from PIL import Image
from playwright.sync_api import Browser

from wildtrace.store import cases

from .conftest import Server

HOSTILE_NAME = '<img src=x onerror=alert(1)> "q" ;rm -rf ~ 象牙.png'


def _seed(server: Server) -> dict[str, str]:
    """Listing A: a photo, printed words, a remote image, a path out of the data folder (to a
    real file) and a hostile file name; B: A's photo resized and recompressed; C: an unrelated photo."""
    tag = uuid.uuid4().hex[:8]
    data = Path(server.app.state.settings.data_dir)
    folder = data / "images" / tag
    horn = photo(folder / "horn.png", seed=41)
    recompressed(horn, folder / "horn-small.jpg")
    photo(folder / "other.png", seed=42)
    printed(folder / "words.png", "RHINO HORN 0987654321")
    photo(folder / HOSTILE_NAME, seed=43)
    photo(data.parent / "outside.png", seed=44)
    base = f"images/{tag}"
    listings = [
        {"id": f"{tag}-A", "seller": f"s-{tag}", "platform": "facebook", "title": "Rhino horn, real photos",
         "images": [f"{base}/horn.png", f"{base}/words.png", "https://cdn.example.com/horn.jpg",
                    "../outside.png", f"{base}/{HOSTILE_NAME}"]},
        {"id": f"{tag}-B", "seller": f"t-{tag}", "platform": "zalo", "title": "Rhino horn bowl",
         "images": [f"{base}/horn-small.jpg"]},
        {"id": f"{tag}-C", "seller": f"u-{tag}", "platform": "zalo", "title": "Ivory bangle",
         "images": [f"{base}/other.png"]},
    ]
    with server.api("analyst") as c:
        c.post("/api/v1/scan", json={"listings": listings}).raise_for_status()
    return {"tag": tag, "a": f"{tag}-A", "b": f"{tag}-B", "c": f"{tag}-C"}


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="needs tesseract-ocr")
def test_listing_images_ocr_near_duplicates_and_lightbox(server: Server) -> None:
    seeded = _seed(server)
    client, _ = server.login("viewer")
    with closing(client):
        for other in ("b", "c"):  # the first view fingerprints a listing's images
            assert client.get("/listing", params={"id": seeded[other]}).status_code == 200
        a = seeded["a"]
        html = client.get("/listing", params={"id": a}).text
        slot = f'hx-get="/listing/ocr?id={a}&amp;n=1" hx-trigger="load"'
        assert slot in html and f'<a href="/listing/ocr?id={a}&amp;n=1">' in html, "read by htmx, or a link"
        assert f"/listing/ocr?id={a}&amp;n=0" in html and f"/listing/ocr?id={a}&amp;n=2" not in html
        read = client.get("/listing/ocr", params={"id": a, "n": 1}, headers={"HX-Request": "true"})
        assert read.status_code == 200 and "RHINO HORN 0987654321" in read.text and "<html" not in read.text
        back = client.get("/listing/ocr", params={"id": a, "n": 1}, follow_redirects=False)
        assert back.status_code == 303 and back.headers["location"] == f"/listing?id={a}#image-1", "without JS"
        for n in (2, 3, 9):
            assert client.get("/listing/ocr", params={"id": a, "n": n}).status_code == 404, n
        html = client.get("/listing", params={"id": a}).text
        assert slot not in html, "read once, then shown from the store"
        ocr = re.findall(r'<pre class="ocr-text">([^<]*)</pre>', html)
        assert ocr and "RHINO HORN 0987654321" in ocr[0], ("the OCR text of the printed image", ocr)
        near = html[html.index('id="image-0"'):html.index('id="image-1"')]
        assert f'href="/listing?id={seeded["b"]}#image-0"' in near, near
        assert seeded["c"] not in html, "an unrelated image is no near-duplicate"
        assert f'<a class="lightbox-open" href="/listing/image?id={a}&amp;n=0"' in html, "a plain link without JS"
        assert '<dialog class="lightbox" id="lightbox"' in html and '<script src="/static/lightbox.js" defer>' in html
        assert 'src="https://cdn.example.com' not in html and 'href="https://cdn.example.com/horn.jpg"' in html
        assert "n=3" not in html, "a path out of the data folder is no image of the server"
        assert "<img src=x" not in html and 'id="image-4"' in html
        assert client.get("/listing/image", params={"id": a, "n": 0}).content == \
            (Path(server.app.state.settings.data_dir) / "images" / seeded["tag"] / "horn.png").read_bytes()
        for n, size, box in ((0, "thumb", 96), (1, "small", 320), (4, "thumb", 96)):
            got = client.get("/listing/image", params={"id": a, "n": n, "size": size})
            assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg", (n, got.text[:200])
            with Image.open(io.BytesIO(got.content)) as img:
                assert max(img.size) == box, (n, img.size)
        for n in (2, 3, 5):
            assert client.get("/listing/image", params={"id": a, "n": n, "size": "thumb"}).status_code == 404
        assert client.get("/listing/image", params={"id": a, "n": 0, "size": "huge"}).status_code == 422
        assert client.get("/listing/image", params={"id": "no-such", "n": 0}).status_code == 404
        plain = client.get("/listing", params={"id": "evil-script"}).text
        assert "lightbox.js" not in plain and "<dialog" not in plain, "no viewer where no image is shown"
        second = client.get("/listing", params={"id": seeded["b"]}).text
        assert f'href="/listing?id={a}#image-0"' in second, "the pair is found from both sides"


def test_seller_adds_each_account_to_a_case(sqlite_server: Server) -> None:
    seeded = _seed(sqlite_server)
    account = f"facebook:s-{seeded['tag']}"
    case = cases.create_case(sqlite_server.engine, f"Horn {seeded['tag']}", "analyst")
    client, csrf = sqlite_server.login("analyst")
    with closing(client):
        html = client.get("/seller", params={"name": f"s-{seeded['tag']}"}).text
        picker = re.findall(r'hx-get="(/cases/picker[^"]*)"', html)
        assert picker == ["/cases/picker?" + urlencode({"seller": account})], picker
        form = client.get(picker[0].replace("&amp;", "&")).text
        assert f'name="seller" value="{account}"' in form, form
        done = client.post("/cases/add", data={"csrf_token": csrf, "seller": account, "case": str(case["id"])})
        assert done.status_code in (200, 303), done.text
    assert account in [s["seller"] for s in cases.get_case(sqlite_server.engine, int(case["id"]))["sellers"]]
    viewer, _ = sqlite_server.login("viewer")
    with closing(viewer):
        assert "/cases/picker" not in viewer.get("/seller", params={"name": f"s-{seeded['tag']}"}).text


def test_browser_lightbox_keys_focus_and_390_px(browser: Browser, sqlite_server: Server) -> None:
    seeded = _seed(sqlite_server)
    context = browser.new_context(base_url=sqlite_server.url, viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sqlite_server.sign_in(page, "viewer")
    page.goto(f"/listing?id={quote(seeded['a'])}")
    page.wait_for_load_state("networkidle")
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate("[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect()"
                         ".right > innerWidth + 1).slice(-3).map(e => e.tagName + '.' + e.className)")
    assert width <= 390, f"horizontal overflow at 390 px: {width} ({wide})"
    page.locator("pre.ocr-text").first.wait_for()
    assert "RHINO HORN" in page.locator("pre.ocr-text").first.inner_text(), "htmx loads the image's text"
    first = page.locator("a.lightbox-open").first
    first.focus()
    page.keyboard.press("Enter")
    dialog = page.locator("dialog.lightbox")
    dialog.wait_for(state="visible")
    assert "n=0" in (page.locator(".lightbox-image").get_attribute("src") or "")
    assert "(1 of 3)" in page.locator(".lightbox-caption").inner_text()
    page.keyboard.press("ArrowRight")
    assert "n=1" in (page.locator(".lightbox-image").get_attribute("src") or "")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert "n=4" in (page.locator(".lightbox-image").get_attribute("src") or ""), "wraps to the last"
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.classList.contains('lightbox-open')"), "focus returns"
    assert page.evaluate("document.activeElement.getAttribute('href')").endswith("n=0")
    assert errors == [], errors
    context.close()
    plain = browser.new_context(base_url=sqlite_server.url, java_script_enabled=False)
    page = plain.new_page()
    sqlite_server.sign_in(page, "viewer")
    page.goto(f"/listing?id={quote(seeded['a'])}")
    page.locator("a.lightbox-open").first.click()
    page.wait_for_url("**/listing/image?*n=0")
    plain.close()
