"""The HTML of the demo marketplace's three shapes, as real marketplaces write them.

- the grid: server-rendered list pages and item pages with no structured data at all (a monitor
  needs extraction rules: ``h1.title``, ``div.description``, ``span.price``, ...);
- the shop: product pages with schema.org Product JSON-LD, OpenGraph and
  ``article:published_time`` meta tags (a monitor needs no rules);
- the feed: a page whose listing links a script adds while the reader scrolls (``FEED_JS``), and
  item pages with schema.org microdata.

Every listing value is escaped (HTML text and attributes; ``<``, ``>`` and ``&`` inside JSON-LD),
so a hostile listing shows its text as text. Only ``hostile.py`` adds raw markup, on purpose.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from html import escape
from typing import Any
from urllib.parse import quote

import orjson

from wildtrace.demosite.catalogue import image_name, image_path
from wildtrace.demosite.pages import BANNER, STYLE

CSS = STYLE + (".cards{display:flex;flex-wrap:wrap;gap:1rem;list-style:none;padding:0}"
               ".cards li{width:14rem}.feed-intro{min-height:150vh}.card{min-height:35vh;"
               "border-bottom:1px solid #ccc}nav a{margin-right:1rem}")


def slug(title: Any) -> str:
    """The URL words of a title: ASCII letters and digits joined by ``-`` (``listing`` when none)."""
    text = unicodedata.normalize("NFKD", str(title or "")).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-") or "listing"


def grid_item_path(listing_id: str) -> str:
    return f"/grid/item/{quote(listing_id, safe='')}"


def shop_item_path(record: dict[str, Any]) -> str:
    return f"/shop/p/{quote(str(record['id']), safe='')}-{slug(record.get('title'))}"


def feed_item_path(listing_id: str) -> str:
    return f"/feed/item/{quote(listing_id, safe='')}"


def seller_path(name: Any) -> str:
    return f"/seller/{quote(str(name), safe='')}"


def money(price: Any) -> str:
    """``1200`` -> ``1,200.00``; a price that is not a number is shown as written."""
    try:
        return f"{Decimal(str(price)):,.2f}"
    except (InvalidOperation, ValueError):
        return str(price)


def amount(price: Any) -> str:
    """``1200`` -> ``1200.00`` (the machine-readable form of JSON-LD and microdata)."""
    try:
        return f"{Decimal(str(price)):.2f}"
    except (InvalidOperation, ValueError):
        return str(price)


def _t(value: Any) -> str:
    return escape(str(value)) if value not in (None, "") else ""


def images(record: dict[str, Any]) -> list[str]:
    """The site paths of a listing's images."""
    names = (image_name(str(ref)) for ref in record.get("images") or [])
    return [image_path(n) for n in names if n is not None]


def page(title: str, body: str, head: str = "") -> bytes:
    return ("<!doctype html>\n<html lang=\"und\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{escape(title)}</title><style>{CSS}</style>{head}</head><body>"
            f"<p class=\"banner\" role=\"note\">{escape(BANNER)}</p><main>{body}</main></body></html>\n"
            ).encode()


def pager(base: str, number: int, last: int) -> str:
    links = []
    if number > 1:
        links.append(f"<a rel=\"prev\" href=\"{base}?page={number - 1}\">Previous</a>")
    links.append(f"<span class=\"page\">Page {number} of {last}</span>")
    if number < last:
        links.append(f"<a rel=\"next\" href=\"{base}?page={number + 1}\">Next</a>")
    return f"<nav class=\"pagination\">{''.join(links)}</nav>"


# --- the grid ---------------------------------------------------------------------------------

def grid_list(cards: list[tuple[str, dict[str, Any]]], number: int, last: int, extra: str = "",
              base: str = "/grid") -> bytes:
    """A grid page: ``cards`` are (item path, record)."""
    items = "".join(
        f"<li class=\"item\"><a class=\"item-link\" href=\"{escape(path)}\">"
        + "".join(f"<img src=\"{escape(src)}\" width=\"200\" height=\"150\" alt=\"\">" for src in images(r)[:1])
        + f"<span class=\"item-title\">{_t(r.get('title'))}</span></a>"
        + (f" <span class=\"price\">{_t(money(r['price']))}</span> <span class=\"currency\">"
           f"{_t(r.get('currency'))}</span>" if r.get("price") else "") + "</li>"
        for path, r in cards)
    return page(f"Grid, page {number}", f"<h1>Marketplace grid</h1>{extra}<ul class=\"cards\">{items}</ul>"
                + pager(base, number, last))


def grid_item(record: dict[str, Any], head: str = "", extra: str = "", gallery_extra: str = "",
              description_attrs: str = "") -> bytes:
    """A grid item page: plain HTML, no structured data. ``head``/``extra``/``gallery_extra`` and
    ``description_attrs`` are raw markup (the hostile listing's; empty for the others)."""
    listing_id = str(record["id"])
    gallery = "".join(f"<img src=\"{escape(src)}\" width=\"320\" height=\"240\" alt=\"Photo {n} (synthetic)\">"
                      for n, src in enumerate(images(record), 1))
    price = (f"<p class=\"price-line\"><span class=\"price\">{_t(money(record['price']))}</span> "
             f"<span class=\"currency\">{_t(record.get('currency'))}</span></p>" if record.get("price")
             else "<p class=\"price-line\">Price on request</p>")
    posted = record.get("posted_at")
    body = (f"<article class=\"listing\" data-id=\"{escape(listing_id)}\">"
            f"<h1 class=\"title\">{_t(record.get('title'))}</h1>"
            f"<div class=\"gallery\">{gallery}{gallery_extra}</div>{price}"
            f"<div class=\"description\"{description_attrs}>{_t(record.get('text'))}</div>"
            f"<p>Seller: <a class=\"seller\" href=\"{escape(seller_path(record.get('seller')))}\">"
            f"{_t(record.get('seller'))}</a></p>"
            + (f"<p class=\"contact\">{_t(record.get('seller_contact'))}</p>" if record.get("seller_contact") else "")
            + f"<p>Location: <span class=\"location\">{_t(record.get('location'))}</span></p>"
            + (f"<p>Posted: <time class=\"posted\" datetime=\"{escape(str(posted))}\">{_t(posted)}</time></p>"
               if posted else "")
            + f"{extra}<p><a href=\"/grid\">Back to the grid</a></p></article>")
    return page(str(record.get("title") or listing_id), body, head)


# --- the shop (JSON-LD) -------------------------------------------------------------------------

def json_ld(data: Any) -> str:
    """A JSON-LD script element whose text cannot end the script (``<``, ``>``, ``&`` escaped)."""
    text = orjson.dumps(data).decode().replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f"<script type=\"application/ld+json\">{text}</script>"


def product(record: dict[str, Any], origin: str, index: int) -> dict[str, Any]:
    """The schema.org Product of a shop listing, as shops write it (absolute URLs)."""
    url = origin + shop_item_path(record)
    offer: dict[str, Any] = {"@type": "Offer", "url": url, "availability": "https://schema.org/InStock",
                             "itemCondition": "https://schema.org/UsedCondition"}
    if record.get("price"):
        offer |= {"price": amount(record["price"]), "priceCurrency": str(record.get("currency") or "")}
    if record.get("location"):
        offer["availableAtOrFrom"] = {"@type": "Place", "name": str(record["location"])}
    offer["seller"] = {"@type": "Organization" if index % 2 else "Person", "name": str(record.get("seller") or ""),
                       "url": origin + seller_path(record.get("seller"))}
    data: dict[str, Any] = {"@context": "https://schema.org", "@type": "Product", "name": str(record.get("title") or ""),
                            "description": str(record.get("text") or ""), "sku": str(record["id"]),
                            "image": [origin + src for src in images(record)], "url": url, "offers": offer}
    if record.get("posted_at"):
        data["releaseDate"] = str(record["posted_at"])
    return data


def shop_list(records: list[dict[str, Any]], number: int, last: int, extra: str = "") -> bytes:
    items = "".join(f"<li><a class=\"product\" href=\"{escape(shop_item_path(r))}\">{_t(r.get('title'))}</a>"
                    + (f" <b>{_t(r.get('currency'))} {_t(money(r['price']))}</b>" if r.get("price") else "")
                    + "</li>" for r in records)
    return page(f"Shop, page {number}", f"<h1>Shop</h1>{extra}<ul class=\"products\">{items}</ul>"
                + pager("/shop", number, last))


def shop_item(record: dict[str, Any], origin: str, index: int) -> bytes:
    data = product(record, origin, index)
    url = data["url"]
    crumbs = {"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": [
        {"@type": "ListItem", "position": 1, "name": "Shop", "item": origin + "/shop"},
        {"@type": "ListItem", "position": 2, "name": data["name"], "item": url}]}
    metas = [("og:type", "product"), ("og:title", data["name"]), ("og:description", data["description"]),
             ("og:url", url), *[("og:image", i) for i in data["image"]]]
    if record.get("price"):
        metas += [("product:price:amount", data["offers"]["price"]),
                  ("product:price:currency", data["offers"]["priceCurrency"])]
    if record.get("posted_at"):
        metas.append(("article:published_time", str(record["posted_at"])))
    head = (f"<link rel=\"canonical\" href=\"{escape(url)}\">"
            + "".join(f"<meta property=\"{p}\" content=\"{escape(str(v))}\">" for p, v in metas)
            + json_ld(data) + json_ld(crumbs))
    body = (f"<h1 class=\"product-title\">{_t(record.get('title'))}</h1>"
            + "".join(f"<img src=\"{escape(src)}\" width=\"320\" height=\"240\" alt=\"\">" for src in images(record))
            + (f"<p class=\"offer\">{_t(record.get('currency'))} {_t(money(record['price']))}</p>"
               if record.get("price") else "")
            + f"<p>{_t(record.get('text'))}</p><p>Sold by <a href=\"{escape(seller_path(record.get('seller')))}\">"
            f"{_t(record.get('seller'))}</a> in {_t(record.get('location'))}</p>"
            "<p id=\"reviews\">No reviews yet.</p><p><a href=\"/shop\">Back to the shop</a></p>")
    return page(str(record.get("title") or record["id"]), body, head)


# --- the feed (JavaScript, microdata) -----------------------------------------------------------

#: the feed's script: on scroll near the bottom it asks /api/feed for the next cursor and appends
#: one card per item; nothing is fetched until the reader scrolls
FEED_JS = """(function () {
  "use strict";
  var feed = document.getElementById("feed"), end = document.getElementById("feed-end");
  var cursor = 0, loading = false, done = false;
  function nearBottom() {
    return window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 300;
  }
  function load() {
    if (loading || done) { return; }
    loading = true;
    fetch("/api/feed?cursor=" + encodeURIComponent(cursor), {headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.json(); })
      .then(function (data) {
        data.items.forEach(function (item) {
          if (typeof item.url !== "string" || item.url.indexOf("/feed/item/") !== 0) { return; }
          var card = document.createElement("article"), a = document.createElement("a");
          card.className = "card";
          a.href = item.url;
          a.textContent = item.title || item.id;
          card.appendChild(a);
          feed.appendChild(card);
        });
        if (data.next === null) { done = true; end.textContent = "No more listings."; }
        else { cursor = data.next; }
      })
      .catch(function () { /* the next scroll tries again */ })
      .then(function () { loading = false; });
  }
  window.addEventListener("scroll", function () { if (nearBottom()) { load(); } }, {passive: true});
}());
"""

FEED_CSP = ("default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self'; "
            "style-src 'unsafe-inline'")


def feed_page() -> bytes:
    body = ("<h1>Feed</h1><div class=\"feed-intro\"><p>The newest listings. Scroll down: more load as "
            "you reach the bottom.</p></div><div id=\"feed\" aria-live=\"polite\"></div>"
            "<p id=\"feed-end\">Loading more as you scroll...</p>")
    return page("Feed", body, "<script src=\"/static/feed.js\" defer></script>")


def feed_batch(records: list[dict[str, Any]], cursor: int, batch: int) -> bytes:
    """The API's answer for ``cursor`` (an offset): items and the next cursor (null at the end)."""
    items = [{"id": str(r["id"]), "url": feed_item_path(str(r["id"])), "title": str(r.get("title") or "")}
             for r in records[cursor:cursor + batch]]
    nxt = cursor + batch if cursor + batch < len(records) else None
    return orjson.dumps({"items": items, "next": nxt})


def feed_item(record: dict[str, Any], index: int) -> bytes:
    """An item page with schema.org microdata (Product, Offer, Place, Person/Organization)."""
    listing_id = str(record["id"])
    kind = "Organization" if index % 2 else "Person"
    offer = ("<div itemprop=\"offers\" itemscope itemtype=\"https://schema.org/Offer\">"
             + (f"<span itemprop=\"price\" content=\"{escape(amount(record['price']))}\">"
                f"{_t(money(record['price']))}</span> <span itemprop=\"priceCurrency\" "
                f"content=\"{escape(str(record.get('currency') or ''))}\">{_t(record.get('currency'))}</span>"
                if record.get("price") else "Price on request")
             + "<link itemprop=\"availability\" href=\"https://schema.org/InStock\">"
             + (f"<div itemprop=\"availableAtOrFrom\" itemscope itemtype=\"https://schema.org/Place\">From "
                f"<span itemprop=\"name\">{_t(record.get('location'))}</span></div>" if record.get("location") else "")
             + f"<div itemprop=\"seller\" itemscope itemtype=\"https://schema.org/{kind}\">Seller: "
             f"<a itemprop=\"url\" href=\"{escape(seller_path(record.get('seller')))}\">"
             f"<span itemprop=\"name\">{_t(record.get('seller'))}</span></a></div></div>")
    posted = record.get("posted_at")
    body = (f"<article itemscope itemtype=\"https://schema.org/Product\">"
            f"<h1 itemprop=\"name\">{_t(record.get('title'))}</h1>"
            f"<meta itemprop=\"sku\" content=\"{escape(listing_id)}\">"
            + "".join(f"<img itemprop=\"image\" src=\"{escape(src)}\" width=\"320\" height=\"240\" alt=\"\">"
                      for src in images(record))
            + f"<div itemprop=\"description\">{_t(record.get('text'))}</div>{offer}"
            + (f"<p>Posted <time itemprop=\"releaseDate\" datetime=\"{escape(str(posted))}\">{_t(posted)}</time></p>"
               if posted else "")
            + "<p><a href=\"/feed\">Back to the feed</a></p></article>")
    return page(str(record.get("title") or listing_id), body)


def seller_page(name: str, links: list[tuple[str, dict[str, Any]]]) -> bytes:
    items = "".join(f"<li><a href=\"{escape(path)}\">{_t(r.get('title'))}</a></li>" for path, r in links)
    return page(f"Seller {name}", f"<h1 class=\"seller-name\">{_t(name)}</h1><ul>{items}</ul>")
