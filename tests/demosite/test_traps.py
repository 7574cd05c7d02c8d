"""The traps the monitor's tests arm on the demo marketplace: 429 with Retry-After, a hung path,
price changes and removals, one listing under several URLs, a hostile page, redirects to private
addresses; and the request log that lets a test see what a crawler did."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from wildtrace import Scanner, demosite
from wildtrace.demosite import hostile
from wildtrace.errors import NotFound
from wildtrace.rejects import Reject

from .conftest import client, crawl_list, doc, links


def test_answer_429_with_retry_after_then_normally_and_the_log_says_so(site: demosite.DemoSite) -> None:
    site.market.answer_429("/grid", retry_after=3, times=2)
    with client(site) as c:
        answers = [c.get("/grid?page=1") for _ in range(3)]
        other = c.get("/shop")
    assert [a.status_code for a in answers] == [429, 429, 200] and other.status_code == 200
    assert answers[0].headers["retry-after"] == "3"
    log = site.market.fetched("/grid")
    assert [(r.method, r.path, r.status, r.user_agent) for r in log] == \
        [("GET", "/grid?page=1", 429, "demosite-tests/1")] * 2 + [("GET", "/grid?page=1", 200, "demosite-tests/1")]
    assert log[0].monotonic <= log[1].monotonic <= log[2].monotonic and log[0].wall > 1e9
    assert site.requests[-1].path == "/shop" and site.market.fetched("/grid?page=2") == []


def test_a_price_change_and_a_removal_show_on_every_page(site: demosite.DemoSite) -> None:
    site.market.set_price("d02", "1999.5")  # shop
    site.market.set_price("d01", 75)  # grid
    site.market.remove("d03")  # feed
    site.market.remove("d04")  # grid
    with client(site) as c:
        product = c.get("/shop/p/d02-any-words").text
        assert '"price":"1999.50"' in product and 'content="1999.50"' in product
        assert doc(c.get("/grid/item/d01")).xpath("string(//span[@class='price'])") == "75.00"
        assert c.get("/feed/item/d03").status_code == 404 and c.get("/grid/item/d04").status_code == 404
        assert c.get(site.url("d04")).status_code == 404
        _, grid = crawl_list(c, "/grid")
        feed = [i["id"] for cursor in (0, 4, 8) for i in c.get(f"/api/feed?cursor={cursor}").json()["items"]]
        seller = c.get("/seller/hornking88")  # d01's seller
    assert "/grid/item/d04" not in grid and "/grid/item/d07" in grid and "d03" not in feed and len(feed) == 10
    assert "d04" not in site.market.ids("grid") and seller.status_code == 200
    site.market.restore("d04")
    assert "d04" in site.market.ids("grid")
    with pytest.raises(NotFound):
        site.market.remove("nope")


def test_a_new_listing_can_appear_in_a_shape(site: demosite.DemoSite) -> None:
    site.market.add({"id": "n01", "title": "New: pangolin scales", "price": "10", "currency": "USD",
                     "seller": "newbie", "images": ["demo-images/d02.png"]}, "feed")
    with client(site) as c:
        last = c.get("/api/feed?cursor=8").json()
        assert [i["id"] for i in last["items"]] == ["d27", "d30", "d33", "n01"] and last["next"] is None
        assert "pangolin" in c.get("/feed/item/n01").text


def test_one_listing_under_several_urls(trapped: demosite.DemoSite) -> None:
    dup = demosite.DUPLICATE_ID
    with client(trapped) as c:
        shop_links = links(doc(c.get("/shop?page=1")))
        _, grid_links = crawl_list(c, "/grid")
        canonical = "/shop/p/d17-tiger-bone-wine-old-stock"
        tracked = c.get(canonical + "?utm_source=home&ref=grid#reviews")
        plain = c.get(canonical)
        grid_copy = doc(c.get(f"/grid/item/{dup}"))
    assert shop_links.count(canonical) == 1 and canonical + "?utm_source=home&ref=grid#reviews" in shop_links
    assert f"/grid/item/{dup}" in grid_links and dup not in trapped.market.ids("grid")
    assert tracked.text == plain.text  # the fragment is never sent; the query changes nothing
    assert grid_copy.xpath("//link[@rel='canonical']/@href") == [trapped.origin + canonical]
    assert trapped.market.fetched(canonical)[0].path == canonical + "?utm_source=home&ref=grid"


def test_the_hostile_listing_is_escaped_valid_and_high_risk(trapped: demosite.DemoSite, scanner: Scanner) -> None:
    with client(trapped) as c:
        response = c.get("/grid/item/x01")
        page = doc(response)
        _, grid = crawl_list(c, "/grid")
    record = hostile.HOSTILE
    assert "/grid/item/x01" in grid and "x01" in trapped.market.ids("grid")
    assert page.xpath("string(//h1[@class='title'])") == record["title"]  # text, not markup
    assert page.xpath("string(//div[@class='description'])") == record["text"]
    assert page.xpath("string(//span[@class='location'])") == "../../etc/passwd"
    assert "\u202e" in page.xpath("string(//a[@class='seller'])")
    assert page.xpath("string(//span[@class='price'])") == "950.00"
    assert len(page.xpath("//div[@class='description']/@data-blob")[0]) == 50_000
    assert page.xpath("//meta[@http-equiv='refresh']/@content") == [f"0; url={hostile.METADATA}"]
    assert page.xpath("//a[starts-with(@href, 'javascript:')]") and page.xpath("//*[@onclick]")
    assert len(page.xpath("//script")) >= 3 and page.xpath(f"//iframe[@src='{hostile.METADATA}']")
    assert "/images/d04.png" in page.xpath("//div[@class='gallery']/img/@src")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    result = next(iter(scanner.scan([{"id": "x01", "title": record["title"], "text": record["text"]}])))
    assert not isinstance(result, Reject) and result.risk_score >= 0.5, result


def test_redirects_to_private_addresses_and_the_canary(trapped: demosite.DemoSite) -> None:
    market = trapped.market
    assert market.canary_origin and market.canary_origin != trapped.origin
    with client(trapped) as c:
        page1 = links(doc(c.get("/grid?page=1")))
        go1, go2 = c.get("/go/1"), c.get("/go/2")
        s1, s2 = c.get("/grid/item/sponsored-1"), c.get("/grid/item/sponsored-2")
    assert {"/go/1", "/go/2", "/grid/item/sponsored-1", "/grid/item/sponsored-2"} <= set(page1)
    assert go1.status_code == 302 and go1.headers["location"] == "http://169.254.169.254/latest/meta-data/"
    assert go2.status_code == 302 and go2.headers["location"] == market.canary_origin + "/"
    assert (s1.status_code, s1.headers["location"], s2.headers["location"]) == (302, "/go/1", "/go/2")
    assert market.canary_requests == []
    assert httpx.get(market.canary_origin + "/x", timeout=10).status_code == 200  # what a bad monitor does
    assert [r.path for r in market.canary_requests] == ["/x"]


def test_hang_holds_a_request_until_release(site: demosite.DemoSite) -> None:
    site.market.hang("/grid/item/d07")
    got: list[int] = []
    thread = threading.Thread(target=lambda: got.append(httpx.get(site.origin + "/grid/item/d07", timeout=30).status_code))
    thread.start()
    assert site.market.wait_held(timeout=20) and site.market.held == 1
    with client(site) as c:
        assert c.get("/grid/item/d10").status_code == 200  # other paths answer meanwhile
    assert got == [] and site.market.fetched("/grid/item/d07") == []
    site.market.release()
    thread.join(20)
    assert got == [200] and site.market.held == 0 and len(site.market.fetched("/grid/item/d07")) == 1


def test_closing_the_site_ends_a_hung_request() -> None:
    site = demosite.start(0)
    site.market.hang("/feed")
    errors: list[BaseException] = []

    def fetch() -> None:
        try:
            httpx.get(site.origin + "/feed", timeout=30)
        except httpx.HTTPError as exc:
            errors.append(exc)

    thread = threading.Thread(target=fetch)
    thread.start()
    assert site.market.wait_held(timeout=20)
    site.close()
    thread.join(20)
    assert not thread.is_alive() and site.market.held == 0


def test_state_changes_and_requests_from_many_threads(site: demosite.DemoSite) -> None:
    prices: set[str] = set()
    stop = threading.Event()

    def change() -> None:
        n = 0
        while not stop.is_set():
            site.market.set_price("d01", "100" if n % 2 else "200")
            n += 1
            time.sleep(0.001)

    def read() -> None:
        with client(site) as c:
            for _ in range(15):
                prices.add(doc(c.get("/grid/item/d01")).xpath("string(//span[@class='price'])"))

    changer = threading.Thread(target=change)
    changer.start()
    readers = [threading.Thread(target=read) for _ in range(4)]
    for t in readers:
        t.start()
    for t in readers:
        t.join(60)
    stop.set()
    changer.join(10)
    assert prices <= {"100.00", "200.00", "1,200.00"} and prices, prices
    assert len(site.market.fetched("/grid/item/d01")) == 60
