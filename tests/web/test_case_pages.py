"""The case pages on both backends: create, add (the listing page's control, a seller, JSON), notes,
rename, close, every export, delete (admins); what each role may do; members-only cases;
hostile titles; and the flow in Chromium (Playwright, as test_browser.py), with a 390 px check."""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from wildtrace import plugins

from .conftest import PASSWORD, Server

EVIL = "<script>alert('case')</script><img src=x onerror=alert(2)>"


def _post(client: httpx.Client, csrf: str, path: str, **data: str | list[str]) -> httpx.Response:
    return client.post(path, data={"csrf_token": csrf, **data})


def _create(client: httpx.Client, csrf: str, title: str) -> int:
    r = _post(client, csrf, "/cases", title=title)
    assert r.status_code == 303, (r.status_code, r.text[:500])
    found = re.fullmatch(r"/cases/(\d+)", r.headers["location"])
    assert found, r.headers
    return int(found.group(1))


@pytest.fixture
def analyst(server: Server) -> tuple[httpx.Client, str]:
    return server.login("analyst")


def test_the_whole_flow(server: Server, analyst: tuple[httpx.Client, str]) -> None:
    client, csrf = analyst
    title = f"Hanoi horn ring {uuid.uuid4().hex[:6]}"
    cid = _create(client, csrf, title)
    listed = client.get("/cases").text
    assert title in listed and f'href="/cases/{cid}"' in listed

    # the listing page carries the control; htmx loads the picker, which offers the open case
    page = client.get("/listing", params={"id": "d01"}).text
    assert 'hx-get="/cases/picker?listing_id=d01' in page, page[-3000:]
    picker = client.get("/cases/picker", params={"listing_id": "d01"}).text
    assert f'<option value="{cid}">' in picker and 'name="listing_id" value="d01"' in picker, picker
    r = _post(client, csrf, "/cases/add", case=str(cid), listing_id="d01")
    assert (r.status_code, r.headers.get("location")) == (303, f"/cases/{cid}"), r.text[:500]
    hx = client.post("/cases/add", data={"csrf_token": csrf, "case": str(cid), "listing_id": "d02"},
                     headers={"HX-Request": "true"})
    assert hx.status_code == 200 and "Added to" in hx.text, hx.text
    assert _post(client, csrf, f"/cases/{cid}/add", seller="web:seller-one").status_code == 303
    with server.api("analyst") as api:  # JSON, with an API token
        added = api.post(f"/cases/{cid}/add", json={"listing_ids": ["d01", "d03"], "sellers": ["web:seller-one"]})
        assert added.json() == {"case": cid, "added": {"listings": 1, "sellers": 0}}, added.text
    assert _post(client, csrf, f"/cases/{cid}/notes", body="Seller moved to Telegram").status_code == 303
    assert _post(client, csrf, f"/cases/{cid}/rename", title=title + " (renamed)").status_code == 303
    assert _post(client, csrf, f"/cases/{cid}/close").status_code == 303
    refused = _post(client, csrf, f"/cases/{cid}/add", listing_id="d04")
    assert refused.status_code == 422 and "closed" in refused.text, refused.text[:500]

    case = client.get(f"/cases/{cid}").text
    for expected in (title + " (renamed)", ">closed<", 'href="/listing?id=d01"', "web:seller-one",
                     "Seller moved to Telegram", "case.create", "case.add_listing", "case.add_seller",
                     "case.note", "case.rename", "case.close", "Reopen case"):
        assert expected in case, expected
    assert "Delete case" not in case  # analysts do not delete
    assert ">wildlife_offer<" in case or ">depiction_or_faux<" in case or ">not_wildlife<" in case

    viewer, _ = server.login("viewer")
    for fmt in plugins.exporters.names():  # every format the CLI has; viewers may export
        assert f"/cases/{cid}/export?format={fmt}" in case, fmt
        got = viewer.get(f"/cases/{cid}/export", params={"format": fmt})
        assert got.status_code == 200 and got.content, (fmt, got.status_code, got.text[:300])
        assert "attachment" in got.headers["content-disposition"], got.headers
        if fmt == "pdf":
            assert got.content.startswith(b"%PDF"), got.content[:20]
        if fmt == "csv":
            names = zipfile.ZipFile(io.BytesIO(got.content)).namelist()
            assert names and all(n.endswith(".csv") for n in names), names
    assert viewer.get(f"/cases/{cid}/export", params={"format": "docx"}).status_code == 422

    admin, admin_csrf = server.login("admin")
    assert _post(admin, admin_csrf, f"/cases/{cid}/delete").status_code == 303
    assert admin.get(f"/cases/{cid}").status_code == 404
    assert f'href="/cases/{cid}"' not in admin.get("/cases").text
    with server.api("admin") as api:
        audit = api.get("/api/v1/audit", params={"limit": 50}).json()["items"]
    assert any(a["action"] == "case.delete" and a["target"] == f"case:{cid}" and a["actor"] == "admin"
               for a in audit), audit[:5]


def test_what_each_role_may_do(server: Server, analyst: tuple[httpx.Client, str]) -> None:
    client, csrf = analyst
    cid = _create(client, csrf, "Roles")
    viewer, vcsrf = server.login("viewer")
    assert viewer.get(f"/cases/{cid}").status_code == 200 and viewer.get("/cases").status_code == 200
    assert 'action="/cases"' not in viewer.get("/cases").text  # no create form
    page = viewer.get(f"/cases/{cid}").text
    assert "Rename" not in page and "Add note" not in page and "Close case" not in page
    assert "add-to-case" not in viewer.get("/listing", params={"id": "d01"}).text
    for path, data in (("/cases", {"title": "nope"}), (f"/cases/{cid}/add", {"listing_id": "d01"}),
                       ("/cases/add", {"case": str(cid), "listing_id": "d01"}),
                       (f"/cases/{cid}/notes", {"body": "nope"}), (f"/cases/{cid}/rename", {"title": "nope"}),
                       (f"/cases/{cid}/close", {}), (f"/cases/{cid}/delete", {})):
        assert _post(viewer, vcsrf, path, **data).status_code == 403, path
    assert _post(client, csrf, f"/cases/{cid}/delete").status_code == 403  # analysts do not delete
    assert client.post(f"/cases/{cid}/notes", data={"body": "no token"}).status_code == 403  # CSRF
    assert client.get(f"/cases/{cid}").status_code == 200


def test_a_members_only_case_is_not_there_for_others(server: Server) -> None:
    with server.api("analyst") as api:
        cid = api.post("/api/v1/cases", json={"title": "Members only"}).json()["id"]
        api.post(f"/api/v1/cases/{cid}/members", json={"user": "admin"}).raise_for_status()
    viewer, vcsrf = server.login("viewer")
    assert viewer.get(f"/cases/{cid}").status_code == 404
    assert f'href="/cases/{cid}"' not in viewer.get("/cases").text
    assert viewer.get(f"/cases/{cid}/export", params={"format": "ftm"}).status_code == 404
    member, csrf = server.login("analyst")
    assert member.get(f"/cases/{cid}").status_code == 200
    assert f'<option value="{cid}">' in member.get("/cases/picker", params={"seller": "x"}).text


def test_hostile_text_is_escaped(server: Server, analyst: tuple[httpx.Client, str]) -> None:
    client, csrf = analyst
    cid = _create(client, csrf, EVIL)
    assert _post(client, csrf, f"/cases/{cid}/notes", body=EVIL).status_code == 303
    assert _post(client, csrf, f"/cases/{cid}/add", seller=EVIL).status_code == 303
    for page in (client.get("/cases").text, client.get(f"/cases/{cid}").text,
                 client.get("/cases/picker", params={"listing_id": "evil-script"}).text):
        assert "<script>alert" not in page and "<img src=x" not in page, page[:2000]
        assert "&lt;script&gt;alert" in page


def _login(browser: Browser, server: Server, role: str, width: int, height: int, errors: list[str]) -> Page:
    page = browser.new_context(base_url=server.url, viewport={"width": width, "height": height}).new_page()
    page.set_default_timeout(10_000)
    page.on("dialog", lambda d: (errors.append(d.message), d.dismiss()))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/login")
    page.fill("input[name=name]", role)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Triage queue")
    return page


_WIDE = """() => {
  const out = [document.documentElement.scrollWidth, innerWidth];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > innerWidth + 0.5) out.push(el.tagName + '.' + el.className + ' ' + Math.round(r.right));
  }
  return out.slice(0, 12);
}"""


def _no_overflow(page: Page) -> Any:
    """True when nothing widens the page once its stylesheets have loaded (a page measured
    before its CSS arrives overflows by design); the widest parts are printed on failure."""
    page.wait_for_load_state("load")
    ok = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    if not ok:
        print("overflow:", page.url, page.evaluate(_WIDE))
    return ok


def test_the_flow_in_a_browser_and_at_390_px(browser: Browser, sqlite_server: Server) -> None:
    errors: list[str] = []
    page = _login(browser, sqlite_server, "analyst", 1366, 900, errors)
    page.click("header nav a[href='/cases']")
    title = "Ivory " + "W" * 300  # one long unbroken word must not widen the page
    page.fill("form.new-case input[name=title]", title)
    page.click("form.new-case button[type=submit]")
    expect(page.locator("h1.case-title")).to_have_text(title)
    cid = page.url.rsplit("/", 1)[1]

    for url in ("/listing?id=evil-big", "/seller?name=bigseller"):  # the control htmx loads
        page.goto(url)
        control = page.locator("form.add-to-case")
        control.locator("select[name=case]").select_option(cid)
        control.locator("button[type=submit]").click()
        expect(page.locator(".add-to-case[role=status]")).to_contain_text("Added to")

    page.goto(f"/cases/{cid}")
    expect(page.locator("table.case-listings a[href='/listing?id=evil-big']")).to_have_count(1)
    expect(page.locator("ul.case-sellers")).to_contain_text("bigseller")
    page.fill("form.note-form textarea", "Seen again on " + "x" * 400)
    page.click("form.note-form button[type=submit]")
    expect(page.locator("ul.case-notes")).to_contain_text("Seen again on")
    page.fill("form[action$='/rename'] input[name=title]", "Ivory, renamed")
    page.click("form[action$='/rename'] button[type=submit]")
    expect(page.locator("h1.case-title")).to_have_text("Ivory, renamed")
    page.click("text=Close case")
    expect(page.locator("#case-status")).to_have_text("closed")
    expect(page.locator("table.timeline")).to_contain_text("case.close")
    assert _no_overflow(page)

    with sqlite_server.api("analyst") as api:  # a long unbroken title in the list too
        api.post("/api/v1/cases", json={"title": title}).raise_for_status()
    narrow = _login(browser, sqlite_server, "analyst", 390, 844, errors)
    page.goto(f"/cases/{cid}")
    page.click("text=Reopen case")  # the open case's forms are on the page too
    for url in ("/cases", f"/cases/{cid}"):
        narrow.goto(url)
        assert _no_overflow(narrow), (url, narrow.evaluate("[document.documentElement.scrollWidth, innerWidth]"))
    assert errors == [], errors
