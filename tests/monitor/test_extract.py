"""Page extraction for the monitor: real page shapes (fixtures name their sources), the order of
evidence, prices, keys, canonical URLs and hostile pages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from wildtrace.monitor.extract import LIMITS, MAX_IMAGES, check_rules, extract
from wildtrace.monitor.prices import Price, iso_date, parse_price
from wildtrace.monitor.urls import canonical_url

FIXTURES = Path(__file__).parent / "fixtures"


def page(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def jsonld_page(data: object, head: str = "", body: str = "") -> bytes:
    block = json.dumps(data)
    return (f'<html><head>{head}<script type="application/ld+json">{block}</script></head>'
            f"<body>{body}</body></html>").encode()


# --- one page per kind of evidence ---------------------------------------------------------------

def test_shopify_jsonld_product() -> None:
    got = extract("https://oldcurio.example/products/carved-bangle?utm_source=ig&fbclid=x",
                  page("shopify_product.html"), platform="oldcurio")
    assert got.record == {
        "title": "Carved Bangle",
        "text": "Hand carved bangle, creamy white, antique. Old stock from an estate.",
        "price": "1250", "currency": "USD",
        "url": "https://oldcurio.example/products/carved-bangle", "platform": "oldcurio",
        "images": ["https://oldcurio.example/cdn/shop/products/bangle_1024x1024.jpg?v=1700000000",
                   "https://oldcurio.example/cdn/shop/products/bangle-side_1024x1024.jpg?v=1700000001"],
    }, got
    assert got.key == "OC-2231" and got.methods["key"] == "jsonld"
    # JSON-LD comes before OpenGraph, which had the same price written "1,250.00"
    assert {got.methods[f] for f in ("title", "text", "price", "currency", "images")} == {"jsonld"}
    assert got.images == got.record["images"] and got.problems == []


def test_woocommerce_graph_with_seller_and_entities() -> None:
    got = extract("https://vintagefinds.example/product/tortoiseshell-comb/", page("woocommerce_product.html"))
    r = got.record
    assert (r["title"], r["price"], r["currency"]) == ("Tortoiseshell comb", "45", "GBP"), got
    assert r["text"] == "Genuine tortoiseshell comb, 1920s. Ships worldwide & discreetly."
    assert (r["seller"], r["seller_url"]) == ("Vintage Finds", "https://vintagefinds.example")
    assert r["images"] == ["https://vintagefinds.example/wp-content/uploads/2024/02/comb.jpg"]
    # the empty sku is passed over for the @id; the date comes from htmldate (article:modified_time)
    assert got.key == "https://vintagefinds.example/product/tortoiseshell-comb/#product"
    assert got.methods["posted_at"] == "htmldate" and r["posted_at"] == "2024-02-11"


def test_microdata_item_page() -> None:
    got = extract("https://www.market.example/itm/294411556677", page("microdata_listing.html"))
    r = got.record
    assert r["title"].endswith("Antique carved libation cup") and r["price"] == "3200", got
    assert (r["currency"], r["seller"], r["location"]) == ("USD", "asia_antiques_88", "Hong Kong")
    assert r["seller_url"] == "https://www.market.example/usr/asia_antiques_88"
    assert r["images"] == ["https://www.market.example/images/g/abc/s-l500.jpg",
                           "https://i.market.example/images/g/abc/s-l1600.jpg"]
    assert got.key == "294411556677" and set(got.methods.values()) == {"microdata"}


def test_rdfa_product() -> None:
    got = extract("https://toko.example/produk/rangkong", page("rdfa_listing.html"))
    r = got.record
    assert (r["title"], r["price"], r["currency"]) == ("Paruh rangkong gading asli", "15000000", "IDR"), got
    assert r["images"] == ["https://toko.example/foto/rangkong-1.jpg"]
    assert got.methods["price"] == "rdfa" and got.key == "https://toko.example/produk/rangkong"


def test_opengraph_only() -> None:
    got = extract("https://boutique.example/fr/bijoux/77-pendentif.html", page("opengraph_only.html"))
    r = got.record
    assert (r["title"], r["price"], r["currency"]) == ("Pendentif en écaille", "89.9", "EUR"), got
    assert r["text"] == "Pendentif artisanal, écaille naturelle."
    assert got.key == "77" and got.methods["key"] == "opengraph" and got.methods["price"] == "opengraph"


def test_plain_page_falls_back_to_trafilatura_and_htmldate() -> None:
    got = extract("https://ads.example/ad/1001", page("plain_classified.html"))
    r = got.record
    assert r["title"] == "African grey parrot chicks, hand fed", got
    assert r["text"].startswith("Two African grey parrot chicks") and "Log in" not in r["text"]
    assert r["posted_at"] == "2024-03-05"
    assert got.methods == {"title": "trafilatura", "text": "trafilatura", "posted_at": "htmldate", "key": "url"}
    assert "price" not in r  # nothing structured says what "¥ 3 500" is


RULES = {"title": "css:h1.ad-title::text", "price": "css:.price-box .amount::text",
         "seller": "css:.seller-name", "seller_url": "css:.seller-name",
         "seller_description": "xpath://p[@class='seller-about']", "location": "css:.city::text",
         "posted_at": "css:time::attr(datetime)", "images": "css:.gallery img",
         "text": "css:article.ad-body p"}


def test_rules_read_a_page_without_structured_data() -> None:
    got = extract("https://ads.example/ad/1001?ref=home", page("plain_classified.html"), rules=RULES,
                  key_pattern=re.compile(r"/ad/(\d+)"))
    r = got.record
    assert (r["title"], r["price"], r["seller"]) == ("African grey parrot chicks, hand fed", "3500", "birdman_77")
    assert "currency" not in r  # ¥ alone: yen or yuan
    assert r["seller_url"] == "https://ads.example/user/birdman_77" and r["location"] == "Osaka"
    assert r["seller_description"] == "Breeder since 2010. WhatsApp only."
    assert r["posted_at"] == "2024-03-05T10:00:00+09:00"
    assert r["images"] == ["https://ads.example/img/ad/1001-a.jpg", "https://ads.example/img/ad/1001-b.jpg"]
    assert r["text"].count("\n") == 1 and r["text"].startswith("Two African grey parrot chicks, hand fed,")
    assert got.key == "1001" and got.methods["key"] == "url_pattern"
    assert set(v for k, v in got.methods.items() if k != "key") == {"rules"} and got.problems == []


def test_rules_override_structured_data_and_report_what_matched_nothing() -> None:
    rules = {"title": "css:main h1::text", "price": "css:p.price::text", "seller": "css:.nope"}
    got = extract("https://oldcurio.example/products/carved-bangle", page("shopify_product.html"), rules=rules)
    assert got.record["title"] == "Carved Bangle" and got.methods["title"] == "rules"
    # the rule's "$1,250.00" names no currency; the page's declared one is used
    assert (got.record["price"], got.methods["price"]) == ("1250", "rules")
    assert (got.record["currency"], got.methods["currency"]) == ("USD", "jsonld")
    assert got.methods["text"] == "jsonld"
    assert any("rule for seller matched nothing" in p for p in got.problems), got.problems


def test_bad_rules_are_problems_not_errors() -> None:
    rules = {"title": "css:h1[", "text": "xpath://p[", "price": "regex:\\d+", "colour": "css:b"}
    problems = check_rules(rules)
    assert len(problems) == 4, problems
    got = extract("https://ads.example/ad/1", page("plain_classified.html"), rules=rules)
    assert got.record["title"] and len(got.problems) == 4
    assert check_rules(RULES) == []


# --- schema.org shapes ---------------------------------------------------------------------------

def test_aggregate_offer_imageobject_vehicle_and_seller_as_text() -> None:
    data = [{"@context": "https://schema.org", "@type": "WebPage", "name": "site"},
            {"@context": "https://schema.org", "@type": ["Vehicle", "Car"], "name": "Old jeep",
             "image": [{"@type": "ImageObject", "url": "/i/1.jpg"}, {"@type": "ImageObject", "contentUrl": "/i/2.jpg"}],
             "productID": "J-77", "datePosted": "2024-01-02",
             "offers": {"@type": "AggregateOffer", "lowPrice": "1 500 000", "highPrice": "1 900 000",
                        "priceCurrency": "VND", "seller": "Garage Minh",
                        "availableAtOrFrom": {"@type": "Place", "address": {"@type": "PostalAddress",
                                              "addressLocality": "Hanoi", "addressCountry": "VN"}}}}]
    got = extract("https://cars.example/x", jsonld_page(data))
    r = got.record
    assert (r["title"], r["price"], r["currency"], r["seller"]) == ("Old jeep", "1500000", "VND", "Garage Minh"), got
    assert r["images"] == ["https://cars.example/i/1.jpg", "https://cars.example/i/2.jpg"]
    assert (r["location"], r["posted_at"], got.key) == ("Hanoi, VN", "2024-01-02", "J-77")


def test_graph_reference_offer_for_item_and_main_product_choice() -> None:
    data = {"@context": "https://schema.org", "@graph": [
        {"@type": "Organization", "@id": "https://s.example/#org", "name": "Shop S", "url": "https://s.example/",
         "address": {"@type": "PostalAddress", "addressLocality": "Lagos", "addressCountry": "NG"}},
        {"@type": "ItemList", "itemListElement": [{"@type": "Product", "name": "Related thing",
                                                   "offers": {"@type": "Offer", "price": 1}}]},
        {"@type": "Offer", "url": "https://s.example/p/9", "price": "₦45,000",
         "seller": {"@id": "https://s.example/#org"},
         "itemOffered": {"@type": "Product", "name": "Pangolin scales 1kg", "sku": "P9"}}]}
    got = extract("https://s.example/p/9", jsonld_page(data))
    r = got.record
    assert (r["title"], r["price"], r["currency"]) == ("Pangolin scales 1kg", "45000", "NGN"), got
    assert (r["seller"], r["seller_url"], r["location"]) == ("Shop S", "https://s.example/", "Lagos, NG")
    assert got.key == "P9"


def test_jsonld_with_comments_and_priceSpecification() -> None:
    block = ('<!--\n{"@type": "Product", "name": "Comb", "offers": {"@type": "Offer", '
             '"priceSpecification": {"@type": "UnitPriceSpecification", "price": 12.5, "priceCurrency": "GBP"}}}\n-->')
    body = f'<html><head><script type="application/ld+json">{block}</script></head></html>'.encode()
    got = extract("https://x.example/c", body)
    assert (got.record["price"], got.record["currency"]) == ("12.5", "GBP"), got


# --- prices and dates ----------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "declared", "expected"), [
    ("1,200.00", None, Price("1200", None)),
    ("1.200,00", None, Price("1200", None)),
    ("¥ 3 500", None, Price("3500", None)),
    ("¥ 3 500", "JPY", Price("3500", "JPY")),
    ("￥3,500", "CNY", Price("3500", "CNY")),
    ("Rp 1.500.000", None, Price("1500000", "IDR")),
    ("US$45", None, Price("45", "USD")),
    ("$45", None, Price("45", None)),
    ("$45", "usd", Price("45", "USD")),
    ("12,50 €", None, Price("12.5", "EUR")),
    ("₹1,50,000", None, Price("150000", "INR")),
    ("RM 12.90", None, Price("12.9", "MYR")),
    ("CHF 1'250.-", None, Price("1250", "CHF")),
    ("25.000 ₫", None, Price("25000", "VND")),
    ("0.500", None, Price("0.5", None)),
    ("FORM 12", None, Price("12", None)),  # "RM" inside a word names no ringgit
    (1250.0, "USD", Price("1250", "USD")),
    (45, None, Price("45", None)),
    ("call me", None, Price(None, None)),
    ("1,5,00", None, Price(None, None)),
    ("9" * 40, None, Price(None, None)),
    (float("inf"), None, Price(None, None)),
    (True, None, Price(None, None)),
])
def test_price_formats(value: object, declared: str | None, expected: Price) -> None:
    assert parse_price(value, declared) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-03-05", "2024-03-05"), ("2024-03-05T10:00:00Z", "2024-03-05T10:00:00+00:00"),
    ("2024/03/05", "2024-03-05"), ("5.3.2024", "2024-03-05"), ("2024年3月5日", "2024-03-05"),
    ("yesterday", None), ("3", None),
])
def test_dates(text: str, expected: str | None) -> None:
    assert iso_date(text) == expected


# --- keys ----------------------------------------------------------------------------------------

def test_key_order_pattern_then_sku_then_url() -> None:
    body = jsonld_page({"@type": "Product", "name": "A", "sku": "SKU-1", "productID": "PID", "@id": "https://x/#p"})
    assert extract("https://x.example/item/42", body, key_pattern=re.compile(r"/item/(\d+)")).key == "42"
    missed = extract("https://x.example/other/42", body, key_pattern=re.compile(r"/item/(\d+)"))
    assert missed.key == "SKU-1" and "listing_key matched nothing in the URL" in missed.problems
    no_ids = jsonld_page({"@type": "Product", "name": "A"})
    got = extract("https://X.example:443/p?b=2&a=1&utm_medium=x#top", no_ids)
    assert (got.key, got.methods["key"]) == ("https://x.example/p?a=1&b=2", "url")
    assert extract("https://x.example/p", jsonld_page({"@type": "Product", "name": "A", "@id": "_:b0"})).key \
        == "https://x.example/p"


# --- canonical URLs ------------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "expected"), [
    ("https://Shop.EXAMPLE.com/Item/1?utm_source=fb&utm_medium=cpc&id=5", "https://shop.example.com/Item/1?id=5"),
    ("HTTP://shop.example:80/a?fbclid=IwAR0&gclid=x&spm=a2g0o&scm=1007&_ga=2.1&mc_cid=9&igshid=z&yclid=1",
     "http://shop.example/a"),
    ("https://shop.example:443/a#reviews", "https://shop.example/a"),
    ("https://shop.example:8443/a", "https://shop.example:8443/a"),
    ("https://shop.example/a?z=1&a=2&m=3", "https://shop.example/a?a=2&m=3&z=1"),
    ("https://shop.example/a?ref=home&REF_SRC=tw&UTM_Campaign=x&q=ivory", "https://shop.example/a?q=ivory"),
    ("https://shop.example/%7euser/%c3%a9t%C3%A9?q=a%20b", "https://shop.example/~user/%C3%A9t%C3%A9?q=a+b"),
    ("https://shop.example/ä ö", "https://shop.example/%C3%A4%20%C3%B6"),
    ("https://user:pw@shop.example./a", "https://shop.example/a"),
    ("https://shop.example", "https://shop.example/"),
    ("  https://shop.example/a  ", "https://shop.example/a"),
    ("http://[::1", "http://[::1"),  # unreadable: returned trimmed, never raises
])
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_the_same_listing_under_two_urls_has_one_key() -> None:
    body = jsonld_page({"@type": "Product", "name": "A"})
    one = extract("https://m.example/p/1?utm_source=a&color=red", body)
    two = extract("https://M.example:443/p/1?color=red&fbclid=b#photos", body)
    assert one.key == two.key and one.record == two.record


# --- hostile pages -------------------------------------------------------------------------------

def test_hostile_fixture() -> None:
    got = extract("https://evil.example/item/9", page("hostile_listing.html"))
    r = got.record
    assert r["title"] == "Ivory yrovi beads", r  # bidi override, BEL, NUL and a lone surrogate gone
    assert r["text"] == "real ivory & bone"
    assert (r["price"], r["currency"], r["seller"]) == ("1200.5", "EUR", "sellerx")
    assert "seller_url" not in r  # javascript: link
    # javascript:, data:, vbscript: dropped; duplicates once; <base href="javascript:..."> ignored
    assert got.images == ["https://cdn.evil.example/a.jpg", "https://evil.example/rel/b.jpg"]
    assert any("JSON-LD block 1 unreadable" in p for p in got.problems)


def test_empty_and_non_html_bodies() -> None:
    for body in (b"", b"   \n ", b"\x00\x01\x02" * 100, b"<!-- nothing -->"):
        got = extract("https://x.example/a", body)
        assert got.record == {} and got.problems and got.key == "https://x.example/a", (body[:10], got)


def test_field_caps_and_control_characters() -> None:
    data = {"@type": "Product", "name": "T\u202e\u0000\u001b[31m" + "x" * 5000, "description": "d " * 30_000,
            "offers": {"@type": "Offer", "price": "1", "seller": {"name": "s\u2066\u200f" + "y" * 900}},
            "image": [f"https://img.example/{i}.jpg" for i in range(100)]}
    r = extract("https://x.example/a", jsonld_page(data)).record
    assert len(r["title"]) == LIMITS["title"] and r["title"].startswith("T[31mxxx"), r["title"][:20]
    assert len(r["text"]) <= LIMITS["text"] and len(r["seller"]) == LIMITS["seller"]
    assert r["seller"].startswith("syyy") and len(r["images"]) == MAX_IMAGES


def test_huge_attribute_and_deep_nesting() -> None:
    huge = "A" * 50_000
    deep = "<div>" * 20_000 + "deep text" + "</div>" * 20_000
    body = (f'<html><head><meta property="og:title" content="{huge}">'
            f'<meta property="og:image" content="https://i.example/{huge}.jpg"></head>'
            f'<body data-x="{huge}">{deep}<span itemscope itemtype="http://schema.org/Product">'
            + '<span itemprop="offers" itemscope itemtype="http://schema.org/Offer">' * 300
            + "</span>" * 301 + "</body></html>").encode()
    got = extract("https://x.example/a", body)
    assert len(got.record["title"]) == LIMITS["title"] and got.images == []  # image URL over 2,048 characters


def test_jsonld_with_ten_thousand_items_and_malicious_nesting() -> None:
    many = [{"@type": "Product", "name": f"item {i}", "offers": {"price": i}} for i in range(10_000)]
    got = extract("https://x.example/a", jsonld_page(many))
    assert got.record["title"] == "item 0" and got.record["price"] == "0", got.record
    nested = '{"a":' * 100_000 + "1" + "}" * 100_000
    wide = json.dumps({"@type": "Product", "name": "wide", "x": [[[[i] * 50] * 50] for i in range(40)]})
    body = (f'<html><head><script type="application/ld+json">{nested}</script>'
            f'<script type="application/ld+json">{wide}</script>'
            + '<script type="application/ld+json">{"@type":"Thing"}</script>' * 40 + "</head></html>").encode()
    got = extract("https://x.example/b", body)
    assert got.record["title"] == "wide", got
    assert any("nested too deeply" in p for p in got.problems)
    assert any("too large: only the first 20,000 nodes" in p for p in got.problems), got.problems
    assert any(p.startswith("42 JSON-LD blocks: only the first 32") for p in got.problems)


@pytest.mark.parametrize(("body", "declared", "title"), [
    ('<html><head><meta charset="windows-1252"><title>Caf\xe9</title></head><body><p>x</p></body></html>'
     .encode("latin-1"), None, "Café"),  # meta charset
    ('<html><head><meta charset="utf-8"><title>象牙</title></head></html>'.encode("gb18030"), "gb18030", "象牙"),
    ('<html><head><title>象牙の箸</title></head><body><p>象牙の箸を売ります</p></body></html>'.encode(),
     None, "象牙の箸"),  # nothing declared: strict UTF-8
    ('<html><head><title>Caf\xe9 cr\xe8me br\xfbl\xe9e</title></head><body><p>D\xe9licieux</p></body></html>'
     .encode("cp1252"), "no-such-charset", "Café crème brûlée"),  # a bogus declaration; browsers' default
    (b"\xef\xbb\xbf<html><head><title>BOM</title></head></html>", "latin-1", "BOM"),  # BOM wins
    (b"<html><head><title>bad \xff\xfe bytes</title></head></html>", "utf-8", "bad \ufffd\ufffd bytes"),
])
@pytest.mark.filterwarnings("error::DeprecationWarning")  # nothing w3lib deprecates (2.6: html_to_unicode's hook)
def test_encodings(body: bytes, declared: str | None, title: str) -> None:
    got = extract("https://x.example/a", body, encoding=declared)
    assert got.record.get("title") == title, (got.encoding, got.record)


def test_nothing_on_the_page_is_fetched_or_run() -> None:
    # htmldate downloads a string that looks like a URL; extract never hands it one
    got = extract("https://x.example/a", b"http://127.0.0.1:9/would-be-fetched")
    assert got.record.get("text") in (None, "http://127.0.0.1:9/would-be-fetched")
