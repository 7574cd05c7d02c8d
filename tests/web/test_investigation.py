"""A whole investigation in the browser, as a new analyst runs it on ``serve --demo``.

Real parts only: the demo marketplace on loopback (``wildtrace.demosite``), the workbench served
by uvicorn with that origin allowed for captures (as ``serve --demo`` wires it), Debian's Chromium
driven by Playwright, and ``pdftotext`` reading the exported case report back.

log in → search "ivory" → open the Chinese listing (象牙) → add it and its seller to a new case
→ add the Thai listing → capture the Chinese listing's page from the demo site → verify →
export the PDF → the PDF's text holds the Chinese and Thai strings and the capture's hash.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from wildtrace import Scanner, Settings, demosite
from wildtrace.store import accounts as auth
from wildtrace.web.app import create_app
from wildtrace.web.demo import load_demo

from .conftest import PASSWORD, _free_port, running

#: how long the browser waits for the capture job (Chromium loads and screenshots the page)
CAPTURE_WAIT_MS = 120_000


@pytest.fixture(scope="module")
def demo_workbench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    """(workbench URL, demo site origin, data folder), wired as ``serve --demo`` wires them."""
    tmp = tmp_path_factory.mktemp("investigation")
    settings = Settings(data_dir=tmp / "data")
    site = demosite.start(_free_port())
    try:
        app = create_app(str(tmp / "w.sqlite"), settings, capture_allow_origins={site.origin})
        scanner = Scanner(settings)
        app.state.scanner = scanner
        loaded = load_demo(app.state.store, scanner, origin=site.origin)
        assert loaded.linked_accounts > 0, loaded  # the demo's sellers are linked
        auth.add_user(app.state.store.engine, "ana", "analyst", PASSWORD, actor="test")
        port = _free_port()
        with running(app, port):
            yield f"http://127.0.0.1:{port}", site.origin, tmp / "data"
    finally:
        site.close()


def _login(page: Page, url: str) -> None:
    page.goto(url + "/login")
    page.get_by_label("Name").fill("ana")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("log in", re.I)).click()
    expect(page.locator(".me")).to_contain_text("ana")


def _search(page: Page, url: str, text: str) -> None:
    page.goto(url + "/search")
    box = page.locator("input[name=q]").first
    box.fill(text)
    box.press("Enter")
    page.wait_for_load_state()


def _add_to_case(page: Page, scope: str, case_title: str) -> None:
    form = page.locator(f"{scope} form.add-to-case").first
    select = form.locator("select[name=case]")
    value = select.locator("option", has_text=case_title[:40]).first.get_attribute("value")
    assert value, "the new case is not offered"
    select.select_option(value)
    form.get_by_role("button", name="Add to case").click()
    expect(page.locator(f"{scope} .add-to-case[role=status]").first).to_contain_text("Added to")


def test_an_investigation_from_first_hit_to_case_file(browser: Browser, demo_workbench: tuple[str, str, Path],
                                                     tmp_path: Path) -> None:
    url, origin, _ = demo_workbench
    context = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True)
    page = context.new_page()
    _login(page, url)

    # a new case
    page.goto(url + "/cases")
    page.get_by_label("title of a new case").fill("Operation Tusk: Hong Kong bangles")
    page.get_by_role("button", name="Create case").click()
    expect(page.locator("h1")).to_contain_text("Operation Tusk")
    case_url = page.url

    # search "ivory": the Chinese listing is among the hits (象牙 is resolved, not matched as text)
    _search(page, url, "ivory")
    hit = page.locator("tr.row a", has_text="手鐲").first
    expect(hit).to_be_visible()
    hit.click()
    expect(page.locator("h1")).to_contain_text("象 牙 手鐲")
    _add_to_case(page, "body", "Operation Tusk")

    # its seller, from the seller page, which shows the accounts linked across platforms
    page.locator("dd a", has_text="珍藏閣").first.click()
    expect(page.locator("h1")).to_contain_text("珍藏閣")
    expect(page.locator("ul.links")).to_contain_text("老张收藏")  # the same WeChat id, another platform
    _add_to_case(page, ".seller-cases", "Operation Tusk")

    # the Thai listing the seller's LINE id leads to
    _search(page, url, "rhino horn")
    thai = page.locator("tr.row a", has_text="นอแรด").first
    expect(thai).to_be_visible()
    thai.click()
    _add_to_case(page, "body", "Operation Tusk")

    # the case holds both listings and the seller; capture the Chinese listing's page
    page.goto(case_url)
    expect(page.locator("table.case-listings")).to_contain_text("手鐲")
    expect(page.locator("table.case-listings")).to_contain_text("นอแรด")
    expect(page.locator("ul.case-sellers")).to_contain_text("珍藏閣")
    row = page.locator("table.case-listings tr", has_text="手鐲")
    row.get_by_role("button", name="Capture page").click()
    job = page.locator("li.capture-job").first
    expect(job).to_have_attribute("data-state", "done", timeout=CAPTURE_WAIT_MS)
    evidence = page.locator("#evidence")
    expect(evidence.locator("li.evidence-file").first).to_be_visible()
    assert origin + "/listing/d04" in evidence.inner_text()

    # verify: every file ok
    evidence.get_by_role("button", name="Verify").click()
    expect(page.locator("#evidence .verify-status")).to_contain_text("ok")
    files = page.locator("#evidence li.evidence-file")
    assert files.count() >= 2
    for i in range(files.count()):
        assert files.nth(i).get_attribute("data-status") == "ok"
    shot = page.locator("#evidence li.evidence-file", has_text=".png").first
    sha = shot.locator("code.sha256").inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", sha), sha

    # export the PDF from the case page; pdftotext reads the Chinese, the Thai and the hash back
    with page.expect_download() as got:
        page.locator("a.export", has_text=re.compile("PDF", re.I)).first.click()
    pdf = tmp_path / "case.pdf"
    got.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True,
                          text=True).stdout
    flat = re.sub(r"\s+", "", text)
    assert "手鐲" in flat, text[:2000]
    assert "นอแรด" in flat, text[:2000]
    assert "珍藏閣" in flat, text[:2000]
    assert sha in flat, text[:2000]  # the screenshot's hash, wrapped across lines in the report
    context.close()
