"""The listing and seller pages (web/entity_pages.py) on both backends, and at 390 px in Chromium."""

from __future__ import annotations

import re
import uuid
from contextlib import closing
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from fastapi.templating import Jinja2Templates
from playwright.sync_api import Browser

from wildtrace.sellers.judgements import JudgementStore
from wildtrace.sellers.network import NetworkBuilder, latest_network, save_network
from wildtrace.web import entity_pages
from wildtrace.web.entity_pages import NO_NETWORK, Formats, owned_image
from wildtrace.web.templating import LABEL_KEYS, SHORT_LABELS, configure, label_buttons

from .conftest import PASSWORD, Server

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000100ffff03000006000557bfabd40000000049454e44ae426082")
WALLET = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"


def _seed(server: Server) -> dict[str, str]:
    """Two sellers on two platforms sharing a phone; the first with a wallet, a remote and a
    local image and hostile text. Returns their names and listing ids."""
    tag = uuid.uuid4().hex[:8]
    image = Path(server.app.state.settings.data_dir) / "captures" / f"{tag}.png"
    image.parent.mkdir(parents=True, exist_ok=True)
    image.write_bytes(PNG)
    a, b = f"horn-{tag}", f"<b>horn</b>-{tag}"
    listings = [
        {"id": f"{tag}-1", "seller": a, "platform": "facebook", "posted_at": "2026-03-01",
         "title": "Rhino horn <script>alert('x')</script>", "price": 1234567.5, "currency": "USD",
         "text": f"Call +84 987 654 321, pay BTC {WALLET}",
         "images": ["https://cdn.example.com/horn.jpg", f"captures/{tag}.png", "../../etc/passwd.png"]},
        {"id": f"{tag}-2", "seller": a, "platform": "facebook", "posted_at": "2026-04-02",
         "title": "Ivory bangle antique", "text": "WhatsApp +84 987 654 321"},
        {"id": f"{tag}-3", "seller": b, "platform": "zalo", "posted_at": "2026-05-03",
         "title": "Pangolin scales", "text": "Zalo +84987654321"},
    ]
    with server.api("analyst") as c:
        c.post("/api/v1/scan", json={"listings": listings}).raise_for_status()
    return {"a": a, "b": b, "tag": tag, "first": f"{tag}-1"}


def _login(server: Server, role: str) -> httpx.Client:
    """A session-cookie client (the pages read; no form is posted, so no CSRF token needed)."""
    client = httpx.Client(base_url=server.url, timeout=30)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert csrf
    r = client.post("/login", data={"name": role, "password": PASSWORD, "csrf_token": csrf.group(1)})
    assert r.status_code == 303, r.text
    return client


@pytest.fixture
def seeded(server: Server) -> dict[str, str]:
    return _seed(server)


def _network(server: Server, seeded: dict[str, str]) -> None:
    store = server.app.state.store
    builder = NetworkBuilder()
    for n in (1, 2, 3):
        result = store.latest_result(f"{seeded['tag']}-{n}")
        assert result is not None
        builder.add_result(result)
    save_network(server.engine, builder.build().to_dict(), {}, source="test")


def test_listing_shows_images_identifiers_and_escapes(server: Server, seeded: dict[str, str]) -> None:
    client = _login(server, "viewer")
    with closing(client):
        if latest_network(server.engine) is None:
            page = client.get("/listing", params={"id": seeded["first"]})
            assert NO_NETWORK in page.text
        page = client.get("/listing", params={"id": seeded["first"]}, headers={"Accept-Language": "en-US,en;q=0.8"})
        assert page.status_code == 200, page.text
        html = page.text
        assert "<script>alert('x')" not in html and "&lt;script&gt;alert(" in html
        assert 'href="/search?q=%2B84987654321"' in html, "the phone links to the domain search"
        assert WALLET in html
        assert 'href="https://cdn.example.com/horn.jpg"' in html and 'src="https://cdn.example.com' not in html
        full = f"/listing/image?id={seeded['first']}&amp;n=1"
        assert f'src="{full}&amp;size=small"' in html, "the server's own file is a thumbnail"
        assert f'href="{full}"' in html, "the thumbnail links to the full image (no JS needed)"
        assert "/listing/image?id=" + seeded["first"] + "&amp;n=2" not in html, "a path outside is no thumbnail"
        assert "$1,234,567.50" in html and "Mar 1, 2026" in html, "money and date in en-US"
        assert "Colour legend" in html
        got = client.get("/listing/image", params={"id": seeded["first"], "n": 1})
        assert got.status_code == 200 and got.content == PNG
        for n in (0, 2, 9):
            assert client.get("/listing/image", params={"id": seeded["first"], "n": n}).status_code == 404
        de = client.get("/listing", params={"id": seeded["first"]}, headers={"Accept-Language": "de-DE"})
        assert "1.234.567,50" in de.text, "money in the browser's locale"


def test_seller_page_shows_timeline_links_and_judgements(server: Server, seeded: dict[str, str]) -> None:
    _network(server, seeded)
    with JudgementStore(server.engine) as judgements:
        judgements.judge(f"facebook:{seeded['a']}", f"zalo:{seeded['b']}", "same", author="ana",
                         note="<i>same phone</i>")
    client = _login(server, "analyst")
    with closing(client):
        html = client.get("/seller", params={"name": seeded["a"]}).text
        timeline = html[html.index('class="timeline"'):]
        assert timeline.index(f"{seeded['tag']}-1") < timeline.index(f"{seeded['tag']}-2"), "oldest first"
        assert "/seller?" + urlencode({"name": seeded['b']}) in html, html[html.index("<h2>Linked accounts"):][:900]
        assert "identifier phone:+84987654321" in html
        assert "&lt;b&gt;horn&lt;/b&gt;" in html and "<b>horn</b>" not in html
        assert "same" in html and "by ana" in html and "&lt;i&gt;same phone&lt;/i&gt;" in html
        assert 'class="chart risk-chart"' in html and "facebook" in html
        assert 'href="/search?q=%2B84987654321"' in html
        assert "add-to-case" in html
        other = client.get("/seller", params={"name": seeded["b"]}).text
        assert "/seller?" + urlencode({"name": seeded['a']}) in other
        listing = client.get("/listing", params={"id": seeded["first"]}).text
        assert f"zalo:{seeded['b'].replace('<', '&lt;').replace('>', '&gt;')}" in listing


def test_formats_without_a_known_locale_and_image_paths(tmp_path: Path) -> None:
    plain = Formats("xx_YY")
    assert plain.money(1234.5, "EUR").endswith("EUR") and "1" in plain.money(1234.5, "EUR")
    assert plain.date("2026-03-01T10:00:00Z") == "2026-03-01"
    assert Formats("en").money(None, None) == "" and Formats("en").date(None) == ""
    assert Formats("en").money("", "USD") == "" and Formats("en").money("ask", "USD") == "ask USD"
    (tmp_path / "a.png").write_bytes(PNG)
    assert owned_image(tmp_path, "a.png") is not None
    assert owned_image(tmp_path, "../a.png") is None and owned_image(tmp_path, "https://x/a.png") is None


def test_kept_formats_equal_formatting_afresh() -> None:
    """Money and dates are formatted once per (locale, value) and kept: a kept answer is what
    formatting afresh gives, 1, 1.0 and True are not one key, and hostile long text is never kept."""
    fresh_money, fresh_date = entity_pages._money.__wrapped__, entity_pages._date.__wrapped__
    for locale in ("en", "de_DE", "th", "xx_YY"):
        fmt = Formats(locale)
        for amount, currency in ((1, "USD"), (1.0, "USD"), (True, "USD"), ("1", "usd"), (1234.5, "EUR"),
                                 ("ask", "USD"), ("12,5", ""), (10**6, "VND"), (-3, "XX1")):
            for _ in range(2):  # formatted, then kept
                assert fmt.money(amount, currency) == fresh_money(locale, amount, currency), (locale, amount)
        for day in ("2026-03-01", "2026-03-01T10:00:00Z", "2026-02-30", "2026-13-01x"):
            assert fmt.date(day) == fmt.date(day) == fresh_date(locale, day[:10])
    kept = entity_pages._money.cache_info().currsize
    assert Formats("en").money("9" * 200, "USD") == fresh_money("en", "9" * 200, "USD")
    assert entity_pages._money.cache_info().currsize == kept


def test_label_buttons_are_what_the_template_loop_wrote() -> None:
    """``label_buttons`` (built in Python for speed) writes exactly what ``_rows.html``'s loop
    wrote, hostile listing ids included."""
    env = configure(Jinja2Templates(directory=str(Path(entity_pages.__file__).parent / "templates"))).env
    loop = env.from_string(
        """{% for l in LABELS %}<button type="button" class="lbl" data-key="{{ LABEL_KEYS[l] }}" """
        """title="Label {{ l }} (key {{ LABEL_KEYS[l] }})"\n      hx-post="/label" hx-vals='{"listing_id": """
        """{{ lid|tojson }}, "label": "{{ l }}"}'\n      hx-target="previous .label-cell" hx-swap="outerHTML"\n"""
        """      ><kbd>{{ LABEL_KEYS[l] }}</kbd> {{ SHORT_LABELS.get(l, l) }}</button>{% endfor %}""")
    for lid in ("w0000001", "<script>alert(1)</script>", "a'b\"c&d", "犀角-1", "x\u2028y\\", "</td>"):
        assert str(label_buttons(lid)) == loop.render(lid=lid, SHORT_LABELS=SHORT_LABELS), lid
    assert len(LABEL_KEYS) == str(label_buttons("x")).count("<button")


def test_browser_listing_and_seller_fit_390_px(browser: Browser, sqlite_server: Server) -> None:
    seeded = _seed(sqlite_server)
    _network(sqlite_server, seeded)
    context = browser.new_context(base_url=sqlite_server.url, viewport={"width": 390, "height": 800})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sqlite_server.sign_in(page, "analyst")
    for url in (f"/listing?id={seeded['first']}", "/seller?" + urlencode({"name": seeded['a']})):
        page.goto(url)
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        wide = page.evaluate("[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect()"
                             ".right > innerWidth + 1).slice(-3).map(e => e.tagName + '.' + e.className)")
        assert width <= 390, f"horizontal overflow at 390 px on {url}: {width} ({wide})"
    page.goto(f"/listing?id={seeded['first']}")
    page.click("ul.idents a.ident >> text=+84987654321")
    page.wait_for_url("**/search?q=*")
    assert errors == [], errors
    context.close()
