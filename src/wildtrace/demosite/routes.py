"""What the demo marketplace answers for each path: the function the server's handler calls.

Only paths it knows are answered from names it holds (listing ids, bundled image names): nothing
a request says reaches the file system. See the package docstring for the map of paths.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from html import escape
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import orjson

from wildtrace.demosite import hostile, pages, shapes
from wildtrace.demosite.market import DUPLICATE_ID, FEED_BATCH, GRID_PAGE, SHOP_PAGE, Market

HTML = "text/html; charset=utf-8"
CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
ROBOTS = b"User-agent: *\nDisallow: /private/\n"
BENCH_PAGE = 50
SPONSORED = {"sponsored-1": "/go/1", "sponsored-2": "/go/2"}
_SHOP_ITEM = re.compile(r"^/shop/p/([A-Za-z0-9_]+)(?:-[^/]*)?$")


@dataclass
class Answer:
    status: int
    body: bytes
    kind: str = HTML
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Context:
    """What the routes read: the state, the bundled files, this site's origin and its options."""

    market: Market
    records: list[dict[str, Any]]  # the demo listings as bundled (the / index and /listing/<id>)
    images: dict[str, Path]
    origin: str
    bench: int = 0


def _html(body: bytes, status: int = HTTPStatus.OK, csp: str = CSP) -> Answer:
    return Answer(status, body, HTML, {"Content-Security-Policy": csp})


def not_found() -> Answer:
    return _html(pages.not_found(), HTTPStatus.NOT_FOUND)


def _redirect(location: str) -> Answer:
    return Answer(HTTPStatus.FOUND, b"", "text/plain; charset=utf-8", {"Location": location})


def _page_number(query: dict[str, list[str]]) -> int | None:
    values = query.get("page", ["1"])
    return int(values[0]) if len(values) == 1 and values[0].isdigit() and 0 < int(values[0]) < 10**6 else None


def _chunk(items: list[Any], query: dict[str, list[str]], size: int) -> tuple[list[Any], int, int] | None:
    number, last = _page_number(query), max(1, math.ceil(len(items) / size))
    if number is None or number > last:
        return None
    return items[(number - 1) * size:number * size], number, last


def grid_cards(ctx: Context) -> list[tuple[str, dict[str, Any]]]:
    """(path, record) of every card the grid lists now, in order."""
    cards = [(shapes.grid_item_path(str(r["id"])), r) for r in ctx.market.listed("grid")]
    duplicate = ctx.market.listing(DUPLICATE_ID) if ctx.market.traps else None
    if duplicate is not None:
        cards.append((shapes.grid_item_path(DUPLICATE_ID), duplicate))
    return cards


def _grid(ctx: Context, query: dict[str, list[str]]) -> Answer:
    chunk = _chunk(grid_cards(ctx), query, GRID_PAGE)
    if chunk is None:
        return not_found()
    cards, number, last = chunk
    extra = ""
    if number == 1:
        extra = f"<p class=\"drafts\"><a href=\"{hostile.DRAFT_PATH}\">Seller drafts</a></p>"
        if ctx.market.traps:
            extra += ("<aside class=\"sponsored\">Sponsored: <a href=\"/go/1\">Deal of the day</a> "
                      "<a href=\"/go/2\">Partner shop</a> <a href=\"/grid/item/sponsored-1\">Featured</a> "
                      "<a href=\"/grid/item/sponsored-2\">Featured</a></aside>")
    return _html(shapes.grid_list(cards, number, last, extra))


def _grid_item(ctx: Context, listing_id: str) -> Answer:
    if ctx.market.traps and listing_id in SPONSORED:
        return _redirect(SPONSORED[listing_id])
    record = ctx.market.listing(listing_id)
    shape = ctx.market.shape(listing_id)
    if record is None or not (shape == "grid" or (ctx.market.traps and listing_id == DUPLICATE_ID)):
        return not_found()
    if listing_id == hostile.HOSTILE["id"]:
        return _html(shapes.grid_item(record, hostile.HEAD, hostile.BODY, hostile.GALLERY,
                                      hostile.DESCRIPTION_ATTRS))
    head = ""
    if listing_id == DUPLICATE_ID:  # the grid's copy names the shop's page as the canonical one
        head = f"<link rel=\"canonical\" href=\"{ctx.origin}{shapes.shop_item_path(record)}\">"
    return _html(shapes.grid_item(record, head))


def _shop(ctx: Context, query: dict[str, list[str]]) -> Answer:
    chunk = _chunk(ctx.market.listed("shop"), query, SHOP_PAGE)
    if chunk is None:
        return not_found()
    records, number, last = chunk
    extra = ""
    duplicate = ctx.market.listing(DUPLICATE_ID)
    if number == 1 and ctx.market.traps and duplicate is not None:
        extra = (f"<aside class=\"trending\">Trending: <a href=\"{shapes.shop_item_path(duplicate)}"
                 f"?utm_source=home&amp;ref=grid#reviews\">{escape(str(duplicate.get('title')))}</a></aside>")
    return _html(shapes.shop_list(records, number, last, extra))


def _in_shape(ctx: Context, listing_id: str, shape: str) -> tuple[dict[str, Any], int] | None:
    record = ctx.market.listing(listing_id)
    if record is None or ctx.market.shape(listing_id) != shape:
        return None
    ids = ctx.market.ids(shape)
    return record, ids.index(listing_id) if listing_id in ids else 0


def _feed_api(ctx: Context, query: dict[str, list[str]]) -> Answer:
    records = ctx.market.listed("feed")
    values = query.get("cursor", ["0"])
    if len(values) != 1 or not values[0].isdigit() or int(values[0]) > len(records):
        return Answer(HTTPStatus.BAD_REQUEST, orjson.dumps({"error": "cursor must be a number from the feed"}),
                      "application/json")
    return Answer(HTTPStatus.OK, shapes.feed_batch(records, int(values[0]), FEED_BATCH), "application/json")


def _seller(ctx: Context, name: str) -> Answer:
    links: list[tuple[str, dict[str, Any]]] = [(p, r) for p, r in grid_cards(ctx) if r.get("seller") == name]
    links += [(shapes.shop_item_path(r), r) for r in ctx.market.listed("shop") if r.get("seller") == name]
    links += [(shapes.feed_item_path(str(r["id"])), r) for r in ctx.market.listed("feed") if r.get("seller") == name]
    return _html(shapes.seller_page(name, links)) if links else not_found()


def _bench(ctx: Context, path: str, query: dict[str, list[str]]) -> Answer:
    """``bench`` synthetic grid item pages (copies of the demo listings) for speed and memory runs."""
    if path == "/bench":
        chunk = _chunk(list(range(ctx.bench)), query, BENCH_PAGE)
        if chunk is None:
            return not_found()
        numbers, page, last = chunk
        return _html(shapes.grid_list([(f"/bench/item/{n}", _bench_record(ctx, n)) for n in numbers], page, last,
                                      base="/bench"))
    number = path[len("/bench/item/"):]
    if not number.isdigit() or int(number) >= ctx.bench:
        return not_found()
    return _html(shapes.grid_item(_bench_record(ctx, int(number))))


def _bench_record(ctx: Context, n: int) -> dict[str, Any]:
    record = ctx.records[n % len(ctx.records)]
    return {**record, "id": f"b{n}", "title": f"{record.get('title')} (copy {n})"}


def answer(ctx: Context, target: str) -> Answer:
    """The answer for a request target (path and query as sent)."""
    parts = urlsplit(target)
    path, query = unquote(parts.path), parse_qs(parts.query, keep_blank_values=True)
    market = ctx.market
    if path == "/":
        listed = [r for r in ctx.records if market.listing(str(r["id"])) is not None]
        return _html(pages.index(listed))
    if path == "/favicon.ico":  # browsers ask; none, without a 404 in their console
        return Answer(HTTPStatus.NO_CONTENT, b"", "image/x-icon")
    if path == "/robots.txt":
        return Answer(HTTPStatus.OK, ROBOTS, "text/plain; charset=utf-8")
    if path.startswith("/listing/"):
        listing_id = path[len("/listing/"):]
        known = any(str(r["id"]) == listing_id for r in ctx.records)
        record = market.listing(listing_id) if known else None
        return _html(pages.listing(record)) if record is not None else not_found()
    if path.startswith("/images/") and path[len("/images/"):] in ctx.images:
        image = ctx.images[path[len("/images/"):]]
        return Answer(HTTPStatus.OK, image.read_bytes(), TYPES.get(image.suffix.lower(), "application/octet-stream"))
    if path == "/grid":
        return _grid(ctx, query)
    if path.startswith("/grid/item/"):
        return _grid_item(ctx, path[len("/grid/item/"):])
    if path == "/shop":
        return _shop(ctx, query)
    if (match := _SHOP_ITEM.match(path)) and (found := _in_shape(ctx, match.group(1), "shop")):
        return _html(shapes.shop_item(found[0], ctx.origin, found[1]))
    if path == "/feed":
        return _html(shapes.feed_page(), csp=shapes.FEED_CSP)
    if path == "/static/feed.js":
        return Answer(HTTPStatus.OK, shapes.FEED_JS.encode(), "text/javascript; charset=utf-8")
    if path == "/api/feed":
        return _feed_api(ctx, query)
    if path.startswith("/feed/item/") and (found := _in_shape(ctx, path[len("/feed/item/"):], "feed")):
        return _html(shapes.feed_item(*found))
    if path.startswith("/seller/"):
        return _seller(ctx, path[len("/seller/"):])
    if path == hostile.DRAFT_PATH:
        return _html(shapes.grid_item(hostile.DRAFT))
    if market.traps and path == "/go/1":
        return _redirect(hostile.METADATA)
    if market.traps and path == "/go/2" and market.canary_origin:
        return _redirect(market.canary_origin + "/")
    if ctx.bench and (path == "/bench" or path.startswith("/bench/item/")):
        return _bench(ctx, path, query)
    return not_found()
