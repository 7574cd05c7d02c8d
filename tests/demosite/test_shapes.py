"""The demo marketplace's three shapes, read as a crawler reads them (lxml, no JavaScript): the
grid's plain HTML, the shop's JSON-LD and OpenGraph, the feed's API and microdata, robots.txt."""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from wildtrace import demosite
from wildtrace.demosite import catalogue

from .conftest import client, crawl_list, doc, links

IDS = [f"d{n:02d}" for n in range(1, 36)]
BY_ID = {str(r["id"]): r for r in catalogue.records()}


def _ids(found: list[str], pattern: str) -> list[str]:
    return [m.group(1) for h in found if (m := re.fullmatch(pattern, h))]


def test_the_three_shapes_partition_the_demo_listings(site: demosite.DemoSite) -> None:
    with client(site) as c:
        grid_pages, grid_links = crawl_list(c, "/grid?page=1")
        shop_pages, shop_links = crawl_list(c, "/shop?page=1")
        batches, cursor = [], 0
        while cursor is not None:
            batch = c.get(f"/api/feed?cursor={cursor}").json()
            batches.append(batch)
            cursor = batch["next"]
    grid = _ids(grid_links, r"/grid/item/(\w+)")
    shop = _ids(shop_links, r"/shop/p/(d\d\d)-[a-z0-9-]+")
    feed = [i["id"] for b in batches for i in b["items"]]
    assert grid_pages == ["/grid?page=1", "/grid?page=2"] and len(shop_pages) == 2 and len(batches) == 3
    assert len(grid) == len(set(grid)) == 12 and len(shop) == len(set(shop)) == 12 and len(feed) == 11
    assert sorted(grid + shop + feed) == IDS, (grid, shop, feed)
    assert grid == site.market.ids("grid") and shop == site.market.ids("shop") and feed == site.market.ids("feed")
    assert all(i["url"] == f"/feed/item/{i['id']}" for b in batches for i in b["items"])
    # traps are off: no redirects, no hostile listing, no second URL of a listing
    assert not any(h.startswith("/go/") or "sponsored" in h or "utm_" in h for h in grid_links + shop_links)
    assert "/private/grid/item/draft-1" in grid_links  # robots.txt's bait is always there


def test_grid_item_pages_are_plain_html_with_every_field(site: demosite.DemoSite) -> None:
    with client(site) as c:
        page = doc(c.get("/grid/item/d01"))
        assert c.get("/grid/item/d02").status_code == 404  # a shop listing is not in the grid
    record = BY_ID["d01"]
    assert not page.xpath("//script") and not page.xpath("//*[@itemscope]")  # no structured data
    assert page.xpath("string(//h1[@class='title'])") == record["title"]
    assert page.xpath("string(//div[@class='description'])") == record["text"]
    assert page.xpath("string(//span[@class='price'])") == "1,200.00"
    assert page.xpath("string(//span[@class='currency'])") == "USD"
    assert page.xpath("//a[@class='seller']/@href") == ["/seller/hornking88"]
    assert page.xpath("string(//a[@class='seller'])") == "hornking88"
    assert page.xpath("string(//span[@class='location'])") == record["location"]
    assert page.xpath("//time[@class='posted']/@datetime") == [record["posted_at"]]
    assert page.xpath("//div[@class='gallery']/img/@src") == ["/images/d01.png"]


def test_shop_pages_carry_schema_org_json_ld_and_opengraph(site: demosite.DemoSite) -> None:
    with client(site) as c:
        listed = [h for h in links(doc(c.get("/shop"))) if h.startswith("/shop/p/")]
        assert "/shop/p/d02-vay-te-te-loai-1-gia-tot" in listed and "/shop/p/d14-listing" in listed, listed
        page = doc(c.get("/shop/p/d02-vay-te-te-loai-1-gia-tot"))
        image = c.get("/images/d02.png")
    blocks = [json.loads(t) for t in page.xpath("//script[@type='application/ld+json']/text()")]
    product = next(b for b in blocks if b["@type"] == "Product")
    url = f"{site.origin}/shop/p/d02-vay-te-te-loai-1-gia-tot"
    assert product["@context"] == "https://schema.org" and product["sku"] == "d02"
    assert product["name"] == BY_ID["d02"]["title"] and product["description"] == BY_ID["d02"]["text"]
    assert product["image"] == [f"{site.origin}/images/d02.png"] and product["url"] == url
    assert product["releaseDate"] == BY_ID["d02"]["posted_at"]
    offer = product["offers"]
    assert offer["@type"] == "Offer" and offer["price"] == "2500000.00" and offer["priceCurrency"] == "VND"
    assert offer["availability"] == "https://schema.org/InStock"
    assert offer["seller"]["@type"] in ("Person", "Organization") and offer["seller"]["name"] == "thuoc_nam_hn"
    assert offer["seller"]["url"] == f"{site.origin}/seller/thuoc_nam_hn"
    assert offer["availableAtOrFrom"]["name"] == BY_ID["d02"]["location"]
    assert any(b["@type"] == "BreadcrumbList" for b in blocks)
    meta = {m.get("property"): m.get("content") for m in page.xpath("//meta[@property]")}
    assert meta["og:type"] == "product" and meta["og:url"] == url and meta["og:image"] == product["image"][0]
    assert meta["article:published_time"] == BY_ID["d02"]["posted_at"]
    assert meta["product:price:amount"] == "2500000.00" and meta["product:price:currency"] == "VND"
    assert page.xpath("//link[@rel='canonical']/@href") == [url]
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"


def test_feed_links_are_not_in_the_html_and_items_carry_microdata(site: demosite.DemoSite) -> None:
    with client(site) as c:
        feed = c.get("/feed")
        script = c.get("/static/feed.js")
        item_response = c.get("/feed/item/d03")
        item = doc(item_response)
        assert c.get("/api/feed?cursor=x").status_code == 400 and c.get("/api/feed?cursor=99").status_code == 400
        assert c.get("/feed/item/d01").status_code == 404
    page = doc(feed)
    assert not [h for h in links(page) if "/feed/item/" in h] and "/feed/item/" not in feed.text
    assert page.xpath("//script/@src") == ["/static/feed.js"]
    csp = feed.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "connect-src 'self'" in csp
    assert "script-src" not in item_response.headers["content-security-policy"] and script.headers["content-type"].startswith("text/javascript")
    assert "/api/feed?cursor=" in script.text
    product = item.xpath("//*[@itemtype='https://schema.org/Product']")[0]
    prop: dict[str, Any] = {}
    for e in product.xpath(".//*[@itemprop]"):
        prop.setdefault(e.get("itemprop"), e)  # the first: the product's name before its seller's
    assert prop["name"].text_content() == BY_ID["d03"]["title"] and prop["sku"].get("content") == "d03"
    assert prop["price"].get("content") == "88000.00" and prop["priceCurrency"].get("content") == "CNY"
    assert prop["image"].get("src") == "/images/d03.png" and prop["releaseDate"].get("datetime") == BY_ID["d03"]["posted_at"]
    assert prop["seller"].get("itemtype") in ("https://schema.org/Person", "https://schema.org/Organization")
    assert prop["description"].text_content() == BY_ID["d03"]["text"]


def test_robots_txt_disallows_private_and_the_old_paths_still_answer(site: demosite.DemoSite) -> None:
    with client(site) as c:
        robots = c.get("/robots.txt")
        draft = c.get("/private/grid/item/draft-1")
        index = c.get("/")
        api = c.get("/api/feed?cursor=0")
        assert c.get("/go/1").status_code == 404 and c.get("/grid/item/x01").status_code == 404
        assert c.get(site.url("d04")).status_code == 200
    assert robots.status_code == 200 and robots.headers["content-type"].startswith("text/plain")
    assert robots.text == "User-agent: *\nDisallow: /private/\n"
    assert draft.status_code == 200 and "DRAFT" in draft.text
    assert all(f'href="/listing/{i}"' in index.text for i in IDS)
    assert orjson.loads(api.content)["next"] == 4


def test_bench_pages_for_speed_runs() -> None:
    with demosite.start(0, bench=120) as s, client(s) as c:
        pages, found = crawl_list(c, "/bench?page=1")
        item = doc(c.get("/bench/item/119"))
        assert c.get("/bench/item/120").status_code == 404 and c.get("/bench?page=4").status_code == 404
    items = [h for h in found if h.startswith("/bench/item/")]
    assert len(pages) == 3 and items == [f"/bench/item/{n}" for n in range(120)]
    assert item.xpath("string(//h1[@class='title'])") == f"{BY_ID['d15']['title']} (copy 119)"
    with demosite.start(0) as s, client(s) as c:
        assert c.get("/bench?page=1").status_code == 404  # off unless asked for
