"""schema.org product data, from whichever syntax a page uses, read into listing fields.

JSON-LD is parsed here (each block bounded in size, nesting and the number of nodes visited, so a
hostile page with 10,000 items or a deep nest costs a bounded amount of work); microdata items
(extruct's form) and RDFa graphs (pyRdfa's expanded JSON-LD) are first turned into the same shape
as JSON-LD, so one reader (``read_product``) serves all three. The reader picks the page's main
product: a Product (IndividualProduct, Vehicle, Car, ProductGroup…) or an Offer with an
``itemOffered``, preferring the one whose ``url``/``@id`` is the page's, then one with offers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from wildtrace.monitor.urls import canonical_url

PRODUCT_TYPES = frozenset({
    "Product", "IndividualProduct", "ProductModel", "SomeProducts", "ProductGroup", "Vehicle", "Car",
    "Motorcycle", "MotorizedBicycle", "BusOrCoach", "DietarySupplement", "Drug",
})
OFFER_TYPES = frozenset({"Offer", "AggregateOffer", "OfferForPurchase"})
MAX_NODES = 20_000  # dicts and lists visited over all blocks of one page
MAX_DEPTH = 16  # nesting read below a block's top
MAX_CANDIDATES = 200
MAX_LIST = 50  # entries of one property read (images, offers)
MAX_BLOCK_CHARS = 1_000_000
MAX_BLOCKS = 32
_COMMENT_LINE = re.compile(r"^\s*(//.*|<!--.*-->|<!--|-->|<!\[CDATA\[|\]\]>)\s*$", re.MULTILINE)


def type_names(node: dict[str, Any]) -> set[str]:
    """The node's types as short names ("http://schema.org/Car" and "schema:Car" give "Car")."""
    raw = node.get("@type", node.get("type"))
    values = raw if isinstance(raw, list) else [raw]
    return {re.split(r"[/#:]", v.strip())[-1] for v in values[:MAX_LIST] if isinstance(v, str)}


def load_jsonld(text: str) -> tuple[Any, str | None]:
    """One JSON-LD block's data, or None and why not (comments and CDATA wrappers are forgiven)."""
    if len(text) > MAX_BLOCK_CHARS:
        return None, f"over {MAX_BLOCK_CHARS:,} characters"
    for attempt in (text, _COMMENT_LINE.sub("", text)):
        try:
            return json.loads(attempt, strict=False), None
        except RecursionError:
            return None, "nested too deeply"
        except ValueError as exc:
            error = str(exc)[:120]
    return None, f"not JSON ({error})"


class Graph:
    """The nodes of a page's schema.org data: product candidates, and nodes by ``@id`` for
    following references (WooCommerce and Yoast put the seller in ``@graph`` and point to it)."""

    def __init__(self) -> None:
        self.candidates: list[tuple[int, dict[str, Any]]] = []  # (depth, node)
        self.ids: dict[str, dict[str, Any]] = {}
        self.visited = 0
        self.truncated = False

    def add(self, data: Any) -> None:
        """Walk one block (iteratively, within the page's budget) and note what it holds."""
        stack: list[tuple[Any, int]] = [(data, 0)]
        while stack:
            value, depth = stack.pop()
            if self.visited >= MAX_NODES:
                self.truncated = True
                return
            self.visited += 1
            if isinstance(value, list):
                if depth < MAX_DEPTH:
                    stack.extend((v, depth + 1) for v in reversed(value[:MAX_NODES - self.visited]))
                continue
            if not isinstance(value, dict):
                continue
            ident = value.get("@id")
            if isinstance(ident, str) and len(value) > 1 and ident not in self.ids:
                self.ids[ident] = value
            types = type_names(value)
            if (types & PRODUCT_TYPES or (types & OFFER_TYPES and isinstance(value.get("itemOffered"),
                                                                                dict))):
                if len(self.candidates) < MAX_CANDIDATES:
                    self.candidates.append((depth, value))
            if depth < MAX_DEPTH:
                stack.extend((v, depth + 1) for v in reversed(list(value.values())[:MAX_NODES])
                             if isinstance(v, dict | list))

    def deref(self, value: Any) -> Any:
        """A ``{"@id": ...}`` reference replaced by the node it names, when the page has it."""
        if isinstance(value, dict) and isinstance(value.get("@id"), str) and len(value) <= 2:
            return self.ids.get(value["@id"], value)
        return value

    def main_product(self, page_url: str) -> dict[str, Any] | None:
        """The node that describes the page's own listing, or None."""
        page = canonical_url(page_url)
        best: tuple[int, int] | None = None
        chosen = None
        for order, (depth, node) in enumerate(self.candidates):
            own = any(isinstance(node.get(k), str) and canonical_url(node[k]) == page
                      for k in ("url", "@id"))
            score = 4 * own + 2 * bool(node.get("offers") or node.get("itemOffered")) \
                + bool(node.get("name")) - min(depth, 3)
            if best is None or (score, -order) > best:
                best, chosen = (score, -order), node
        return chosen


def first(value: Any) -> Any:
    """A property's first value (properties may be lists; ``{"@value": x}`` gives x)."""
    if isinstance(value, list):
        value = next((v for v in value[:MAX_LIST] if v not in (None, "", [], {})), None)
    if isinstance(value, dict) and "@value" in value:
        value = value["@value"]
    return value


def as_list(value: Any) -> list[Any]:
    return value[:MAX_LIST] if isinstance(value, list) else [] if value is None else [value]


def text_of(value: Any) -> str | None:
    """A property as text: a string or number, or the name of a node."""
    value = first(value)
    if isinstance(value, dict):
        value = first(value.get("name") or value.get("legalName") or value.get("alternateName"))
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return str(value)


def _place(graph: Graph, value: Any) -> str | None:
    """A Place, PostalAddress, Country or text as "locality, region, country"."""
    value = graph.deref(first(value))
    if isinstance(value, str):
        return value
    if not isinstance(value, dict):
        return None
    address = graph.deref(first(value.get("address")))
    if isinstance(address, str):
        return address
    if isinstance(address, dict) or "addressLocality" in value or "addressCountry" in value:
        source = address if isinstance(address, dict) else value
        parts = [text_of(source.get(k)) for k in ("addressLocality", "addressRegion", "addressCountry")]
        joined = ", ".join(p for p in parts if p)
        if joined:
            return joined
    return text_of(value.get("name"))


def images_of(graph: Graph, value: Any) -> list[str]:
    """Image URLs from a string, a list, or ImageObjects (``url``/``contentUrl``)."""
    out: list[str] = []
    for item in as_list(value):
        item = graph.deref(item)
        if isinstance(item, dict):
            item = first(item.get("url") or item.get("contentUrl") or item.get("contentURL") or item.get("@id"))
        if isinstance(item, str):
            out.append(item)
    return out


def _offers(graph: Graph, product: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The product's offers, AggregateOffers' inner offers after the aggregate itself."""
    for offer in as_list(product.get("offers")):
        offer = graph.deref(offer)
        if isinstance(offer, dict):
            yield offer
            for inner in as_list(offer.get("offers")):
                inner = graph.deref(inner)
                if isinstance(inner, dict):
                    yield inner


def _price(graph: Graph, offer: dict[str, Any]) -> tuple[Any, Any]:
    """(price, priceCurrency) of one Offer, AggregateOffer or its priceSpecification."""
    currency = first(offer.get("priceCurrency"))
    for key in ("price", "lowPrice"):
        if first(offer.get(key)) not in (None, ""):
            return first(offer.get(key)), currency
    for spec in as_list(offer.get("priceSpecification")):
        spec = graph.deref(spec)
        if isinstance(spec, dict) and first(spec.get("price")) not in (None, ""):
            return first(spec.get("price")), first(spec.get("priceCurrency")) or currency
    return None, currency


def read_product(graph: Graph, page_url: str) -> dict[str, Any]:
    """The raw listing fields of the page's main product: title, text, price and price_currency
    (as written), seller, seller_url, seller_description, location, posted_at, images, key."""
    node = graph.main_product(page_url)
    if node is None:
        return {}
    product, offers = node, list(_offers(graph, node))
    if type_names(node) & OFFER_TYPES and not type_names(node) & PRODUCT_TYPES:
        offered = graph.deref(first(node.get("itemOffered")))  # an Offer for an itemOffered
        product = offered if isinstance(offered, dict) else {}
        offers = [node, *_offers(graph, node)]
    out: dict[str, Any] = {
        "title": text_of(product.get("name")),
        "text": text_of(product.get("description")),
        "images": images_of(graph, product.get("image")) or images_of(graph, node.get("image")),
        "posted_at": next((text_of(product.get(k)) for k in ("datePosted", "datePublished",
                                                              "dateCreated") if product.get(k)), None),
    }
    for key in ("sku", "productID", "@id"):
        value = text_of(product.get(key))
        if value and not value.startswith("_:"):  # "_:b0": a blank node names nothing lasting
            out["key"] = value
            break
    for offer in offers:
        price, currency = _price(graph, offer)
        if price is not None and "price" not in out:
            out["price"], out["price_currency"] = price, currency
        elif currency and "price_currency" not in out:
            out["price_currency"] = currency
        seller = graph.deref(first(offer.get("seller") or offer.get("offeredBy")))
        if seller and "seller" not in out:
            out["seller"] = text_of(seller)
            if isinstance(seller, dict):
                out["seller_url"] = text_of(seller.get("url"))
                out["seller_description"] = text_of(seller.get("description"))
                out["location"] = _place(graph, seller.get("address"))
        place = offer.get("availableAtOrFrom") or offer.get("areaServed")
        if place and not out.get("location"):
            out["location"] = _place(graph, place)
        if not out["posted_at"] and offer.get("validFrom"):
            out["posted_at"] = text_of(offer.get("validFrom"))
    if not out.get("location"):
        out["location"] = _place(graph, product.get("location"))
    return {k: v for k, v in out.items() if v not in (None, "", [])}


def from_microdata(item: Any, depth: int = 0) -> Any:
    """An extruct microdata item ({"type", "properties", "id"}) as a JSON-LD-shaped node."""
    if isinstance(item, list):
        return [from_microdata(v, depth + 1) for v in item[:MAX_LIST]]
    if not isinstance(item, dict) or depth > MAX_DEPTH:
        return item if not isinstance(item, dict) else None
    node: dict[str, Any] = {"@type": item.get("type")}
    if isinstance(item.get("id"), str):
        node["@id"] = item["id"]
    props = item.get("properties")
    if isinstance(props, dict):
        for key, value in list(props.items())[:MAX_LIST * 4]:
            node[key] = from_microdata(value, depth + 1)
    return node


def from_rdfa(nodes: Any) -> list[dict[str, Any]]:
    """pyRdfa's expanded JSON-LD (full schema.org IRIs, values in lists) as JSON-LD-shaped nodes
    with short property names; references to other nodes are followed to a bounded depth."""
    if not isinstance(nodes, list):
        return []
    by_id = {n["@id"]: n for n in nodes[:MAX_NODES] if isinstance(n, dict) and isinstance(n.get("@id"), str)}

    def short(key: str) -> str | None:
        for prefix in ("http://schema.org/", "https://schema.org/"):
            if key.startswith(prefix):
                return key[len(prefix):]
        return None

    budget = [MAX_NODES]  # nodes converted, over all roots: references may fan out

    def convert(node: dict[str, Any], depth: int) -> dict[str, Any]:
        budget[0] -= 1
        out: dict[str, Any] = {"@type": node.get("@type"), "@id": node.get("@id")}
        for key, values in node.items():
            name = short(key)
            if name is None:
                continue
            converted = []
            for value in as_list(values):
                if isinstance(value, dict) and "@value" in value:
                    converted.append(value["@value"])
                elif isinstance(value, dict) and isinstance(value.get("@id"), str):
                    target = by_id.get(value["@id"])
                    if target is not None and depth < 6 and len(target) > 1 and budget[0] > 0:
                        converted.append(convert(target, depth + 1))
                    else:
                        converted.append(value["@id"])
            out[name] = converted
        return out

    return [convert(n, 0) for n in by_id.values() if type_names(n) & (PRODUCT_TYPES | OFFER_TYPES)]
