"""A fetched listing page to WildTrace's listing record: pure, offline, and safe on hostile pages.

``extract(url, body)`` reads, in this order of evidence, the source's own ``rules`` (field ->
``css:SELECTOR`` or ``xpath:EXPR``), schema.org JSON-LD, microdata, RDFa, then OpenGraph; for the
fields none of them gave, htmldate finds ``posted_at`` and trafilatura the main text and title.
The result says which evidence filled each field (``methods``), so a reviewer can see where a value
came from, and lists what went wrong (``problems``): a bad page never raises, and a page with no
title, text or price comes back with an empty record for the caller to reject.

Pages are written by criminals. Nothing on them is executed or fetched (htmldate and trafilatura
get parsed trees, never strings they might take for URLs); image and seller links must be http(s);
every field is capped in length, control characters and bidi overrides are removed; the body,
the JSON-LD and the structured items read are all bounded (see ``schemaorg``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import charset_normalizer
import htmldate
import trafilatura
from extruct.opengraph import OpenGraphExtractor
from extruct.rdfa import RDFaExtractor
from extruct.utils import parse_xmldom_html
from extruct.w3cmicrodata import MicrodataExtractor
from lxml import etree
from parsel import Selector
from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    to_unicode,
)
from w3lib.html import remove_tags, replace_entities

from wildtrace.monitor import schemaorg
from wildtrace.monitor.prices import currency_code, iso_date, parse_price
from wildtrace.monitor.urls import canonical_url
from wildtrace.scan.listing import FIELDS

MAX_BODY = 5_000_000  # bytes of a page read; the rest is cut off (and said so)
MAX_TEXT_FOR_TRAFILATURA = 2_000_000  # characters; trafilatura's cost grows with the page
MAX_ITEMSCOPES = 2_000  # microdata items on a page before microdata is skipped
MAX_RDFA_NODES = 2_000  # elements with RDFa attributes before RDFa is skipped
MAX_MATCHES = 200  # values one rule reads
MAX_IMAGES = 20
MAX_LINK = 2048
MAX_KEY = 512
#: characters kept per field
LIMITS = {"title": 1_000, "text": 20_000, "seller": 500, "seller_description": 5_000,
          "location": 500, "posted_at": 40, "seller_url": MAX_LINK, "url": 8192, "platform": 200}
#: the listing fields a record may hold, in the schema's order (``id`` is the caller's; ``lang``
#: the scanner's), then ``seller_url`` as an extra field
RECORD_FIELDS = tuple(f for f in FIELDS if f not in ("id", "lang"))
#: fields a source's rules may fill
RULE_FIELDS = ("title", "text", "price", "currency", "seller", "seller_description", "seller_url",
               "location", "posted_at", "images")
_TEXT_FIELDS = ("title", "text", "seller", "seller_description", "location")
_LONG = ("text", "seller_description")
#: C0 and C1 controls (tab and newline survive in long text), bidi embeddings, overrides, isolates
_STRIP = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0),
                        0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_SURROGATES = re.compile(r"[\ud800-\udfff]")


@dataclass
class Extracted:
    """What one page gave: the listing record (no ``id``: the caller makes it from the source
    and ``key``), where each field came from, the page's images, and what went wrong."""

    record: dict[str, Any]
    key: str
    methods: dict[str, str] = field(default_factory=dict)
    images: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    encoding: str = ""  # the encoding the body was read with


def clean_text(value: str, limit: int, *, long: bool = False) -> str | None:
    """Text without control characters, bidi overrides or lone surrogates, whitespace collapsed
    (long text keeps its paragraphs), cut to ``limit`` characters; None when nothing is left."""
    text = _SURROGATES.sub("", value[: limit * 4].replace("\r\n", "\n").replace("\r", "\n"))
    text = text.translate(_STRIP)
    if long:
        lines = (" ".join(line.split()) for line in text.split("\n"))
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    else:
        text = " ".join(text.split())
    return text[:limit].strip() or None


def safe_link(value: object, base: str) -> str | None:
    """An absolute http(s) URL from a link as written on the page, or None (javascript:, data:,
    mailto:, too long, unreadable)."""
    if not isinstance(value, str):
        return None
    raw = value.strip().translate(_STRIP)
    if not raw or len(raw) > MAX_LINK:
        return None
    try:
        url = urljoin(base, raw)
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > MAX_LINK:
        return None
    return _SURROGATES.sub("", url)


def check_rules(rules: dict[str, str]) -> list[str]:
    """What is wrong with a source's extraction rules (unknown field, no ``css:``/``xpath:``,
    a selector that does not compile); empty when they are all usable."""
    problems: list[str] = []
    _apply_rules(Selector(text="<html></html>"), rules, problems, report_empty=False)
    return problems


def _decode(body: bytes, encoding: str | None) -> tuple[str, str]:
    """The page as text: BOM, then the declared encoding (HTTP header), then <meta charset>, then
    strict UTF-8, then detection; undecodable bytes become U+FFFD. (What w3lib's
    ``html_to_unicode`` did with a detection function and a default, parameters w3lib 2.6
    deprecates; its own detection guesses from the URL's domain, which a hostile seller picks.)"""
    bom, mark = read_bom(body)
    if bom is not None and mark is not None:
        return bom, to_unicode(body[len(mark):], bom)
    header = f"text/html; charset={encoding}" if encoding else None
    used = (http_content_type_encoding(header) or html_body_declared_encoding(body) or _detect(body)
            or "utf-8")
    return used, to_unicode(body, used)


def _detect(data: bytes) -> str | None:
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        best = charset_normalizer.from_bytes(data[:65_536]).best()
    if best is None:
        return None
    # single-byte guesses are close to a coin toss between code pages on short pages: use what
    # browsers use for undeclared pages (windows-1252); multi-byte guesses are kept
    return "cp1252" if re.fullmatch(r"cp125\d|latin_\d+|iso8859_\d+", best.encoding) else best.encoding


def _rule_value(found: Selector, field_name: str) -> str:
    root = found.root
    if isinstance(root, str | int | float):
        return str(root)
    if field_name == "images":
        return str(found.attrib.get("src") or found.attrib.get("data-src") or "")
    if field_name == "seller_url":
        return str(found.attrib.get("href") or "")
    texts = found.xpath(".//text()[not(ancestor::script) and not(ancestor::style)]").getall()
    return " ".join(" ".join(texts).split())  # one matched element, one paragraph


def _apply_rules(sel: Selector, rules: dict[str, str], problems: list[str], *,
                 report_empty: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, rule in rules.items():
        if name not in RULE_FIELDS:
            problems.append(f"rule for unknown field {name!r} ignored (fields: {', '.join(RULE_FIELDS)})")
            continue
        kind, _, expr = str(rule).partition(":")
        kind = kind.strip().lower()
        if kind not in ("css", "xpath") or not expr.strip():
            problems.append(f"rule for {name} must be 'css:SELECTOR' or 'xpath:EXPRESSION', not {rule!r:.80}")
            continue
        try:
            found = sel.css(expr) if kind == "css" else sel.xpath(expr)
        except Exception as exc:  # cssselect and lxml raise their own kinds for a bad selector
            problems.append(f"rule for {name} is not a valid selector ({rule!r:.80}): {exc!s:.120}")
            continue
        values = [v for v in (_rule_value(f, name) for f in found[:MAX_MATCHES]) if v.strip()]
        if not values:
            if report_empty:
                problems.append(f"rule for {name} matched nothing ({rule!r:.80})")
            continue
        out[name] = values if name == "images" else ("\n" if name in _LONG else " ").join(values)
    if "price" in out:
        out["price_currency"] = out.get("currency")
    return out


def _jsonld(root: Any, url: str, problems: list[str]) -> dict[str, Any]:
    graph = schemaorg.Graph()
    scripts = [s for s in root.iter("script")
               if (s.get("type") or "").strip().lower() == "application/ld+json"]
    if len(scripts) > schemaorg.MAX_BLOCKS:
        problems.append(f"{len(scripts)} JSON-LD blocks: only the first {schemaorg.MAX_BLOCKS} were read")
    for number, script in enumerate(scripts[: schemaorg.MAX_BLOCKS], 1):
        data, error = schemaorg.load_jsonld(script.text or "")
        if error:
            problems.append(f"JSON-LD block {number} unreadable: {error}")
        else:
            graph.add(data)
    if graph.truncated:
        problems.append(f"JSON-LD too large: only the first {schemaorg.MAX_NODES:,} nodes were read")
    return schemaorg.read_product(graph, url)


def _microdata(root: Any, url: str, problems: list[str]) -> dict[str, Any]:
    count = int(root.xpath("count(//*[@itemscope])"))
    if not count:
        return {}
    if count > MAX_ITEMSCOPES:
        problems.append(f"{count:,} microdata items: microdata skipped (limit {MAX_ITEMSCOPES:,})")
        return {}
    try:
        items = MicrodataExtractor().extract_items(root, base_url=url)
    except (RecursionError, ValueError, TypeError, etree.Error) as exc:
        problems.append(f"microdata unreadable: {type(exc).__name__}")
        return {}
    graph = schemaorg.Graph()
    graph.add(schemaorg.from_microdata(list(items)))
    return schemaorg.read_product(graph, url)


def _rdfa(root: Any, text: str, url: str, problems: list[str]) -> dict[str, Any]:
    if not root.xpath("boolean(//*[@typeof])"):
        return {}
    count = int(root.xpath("count(//*[@typeof or @property or @resource])"))
    if count > MAX_RDFA_NODES:
        problems.append(f"{count:,} RDFa elements: RDFa skipped (limit {MAX_RDFA_NODES:,})")
        return {}
    try:  # pyRdfa fetches nothing here: vocabulary expansion and embedded RDF are off
        tree = parse_xmldom_html(text.encode("utf-8", "replace"), encoding="utf-8")
        nodes = RDFaExtractor().extract_items(tree, base_url=url)
    except Exception as exc:  # pyRdfa and rdflib raise many kinds on malformed markup
        problems.append(f"RDFa unreadable: {type(exc).__name__}")
        return {}
    graph = schemaorg.Graph()
    graph.add(schemaorg.from_rdfa(nodes))
    return schemaorg.read_product(graph, url)


def _opengraph(root: Any) -> dict[str, Any]:
    props: dict[str, list[str]] = {}
    for item in OpenGraphExtractor().extract_items(root):
        for prop, value in item.get("properties", [])[:500]:
            props.setdefault(prop, []).append(value)

    def one(*names: str) -> str | None:
        return next((props[n][0] for n in names if props.get(n)), None)

    out = {"title": one("og:title"), "text": one("og:description"),
           "images": [v for n in ("og:image", "og:image:url", "og:image:secure_url") for v in props.get(n, [])],
           "price": one("product:price:amount", "og:price:amount"),
           "price_currency": one("product:price:currency", "og:price:currency"),
           "key": one("product:retailer_item_id")}
    return {k: v for k, v in out.items() if v}


def _merge(evidence: list[tuple[str, dict[str, Any]]], base: str, problems: list[str],
           ) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """The first evidence that gives a usable value wins, field by field."""
    record: dict[str, Any] = {}
    methods: dict[str, str] = {}
    for name in (*_TEXT_FIELDS, "seller_url", "posted_at"):
        for method, found in evidence:
            raw = found.get(name)
            if raw is None or isinstance(raw, list | dict):
                continue
            raw = str(raw)
            if method != "rules" and name in _TEXT_FIELDS and ("<" in raw or "&" in raw):
                raw = replace_entities(remove_tags(raw[: LIMITS[name] * 4]))
            if name == "seller_url":
                value = safe_link(raw, base)
            elif name == "posted_at":
                value = iso_date(raw)
                if value is None:
                    problems.append(f"posted_at from {method} is not a date: {clean_text(raw, 60)!r}")
            else:
                value = clean_text(raw, LIMITS[name], long=name in _LONG)
            if value:
                record[name], methods[name] = value, method
                break
    for method, found in evidence:
        if found.get("price") in (None, ""):
            continue
        price = parse_price(found["price"], found.get("price_currency"))
        if price.amount is None:
            problems.append(f"price from {method} unreadable: {clean_text(str(found['price']), 60)!r}")
            continue
        record["price"], methods["price"] = price.amount, method
        if price.currency:
            record["currency"], methods["currency"] = price.currency, method
        break
    if "currency" not in record:
        for method, found in evidence:
            code = currency_code(found.get("price_currency") or found.get("currency"))
            if code:
                record["currency"], methods["currency"] = code, method
                break
    images: list[str] = []
    for method, found in evidence:
        for raw in found.get("images") or []:
            link = safe_link(raw, base)
            if link and link not in images and len(images) < MAX_IMAGES:
                images.append(link)
        if images:
            methods["images"] = method
            break
    return record, methods, images


def _fallbacks(root: Any, url: str, record: dict[str, Any], methods: dict[str, str],
               problems: list[str], size: int) -> None:
    """htmldate for posted_at, trafilatura for the title and main text, when nothing else gave them."""
    if "posted_at" not in record:
        try:
            found = htmldate.find_date(root, url=url, original_date=True, extensive_search=False,
                                       outputformat="%Y-%m-%d")
        except Exception as exc:  # htmldate on hostile markup: noted, never fatal
            problems.append(f"htmldate failed: {type(exc).__name__}")
            found = None
        if found and iso_date(found):
            record["posted_at"], methods["posted_at"] = iso_date(found), "htmldate"
    if "title" in record and "text" in record:
        return
    if size > MAX_TEXT_FOR_TRAFILATURA:
        problems.append(f"page too large for main-text extraction ({size:,} characters)")
        return
    try:
        doc = trafilatura.bare_extraction(root, url=url, with_metadata=True, include_comments=False,
                                          include_tables=True, include_images=False)
    except Exception as exc:  # trafilatura on hostile markup: noted, never fatal
        problems.append(f"trafilatura failed: {type(exc).__name__}")
        return
    values = {"title": getattr(doc, "title", None), "text": getattr(doc, "text", None)}
    if not values["title"]:  # a page with too little text gives no document: its title alone
        try:
            values["title"] = trafilatura.metadata.extract_metadata(root, default_url=url, extensive=False).title
        except Exception as exc:  # as above
            problems.append(f"trafilatura failed: {type(exc).__name__}")
    for name, value in values.items():
        if name not in record and isinstance(value, str):
            cleaned = clean_text(value, LIMITS[name], long=name == "text")
            if cleaned:
                record[name], methods[name] = cleaned, "trafilatura"


def _key(url: str, key_pattern: Any, evidence: list[tuple[str, dict[str, Any]]],
         problems: list[str]) -> tuple[str, str]:
    if key_pattern is not None:
        match = key_pattern.search(url)
        group = None if match is None else match.group(1) if key_pattern.groups else match.group(0)
        key = clean_text(group, MAX_KEY) if group else None
        if key:
            return key, "url_pattern"
        problems.append("listing_key matched nothing in the URL")
    for method, found in evidence:
        if isinstance(found.get("key"), str | int) and not isinstance(found.get("key"), bool):
            key = clean_text(str(found["key"]), MAX_KEY)
            if key:
                return key, method
    return canonical_url(url), "url"


def extract(url: str, body: bytes, *, encoding: str | None = None, rules: dict[str, str] | None = None,
            platform: str | None = None, key_pattern: re.Pattern[str] | None = None) -> Extracted:
    """The listing on one fetched page (see the module's docstring). ``url`` is the page's final
    URL, ``encoding`` the charset its HTTP response declared, ``rules`` and ``key_pattern`` the
    source's ``extract`` and ``listing_key``, ``platform`` the source's platform."""
    problems: list[str] = []
    if len(body) > MAX_BODY:
        problems.append(f"page is {len(body):,} bytes: only the first {MAX_BODY:,} were read")
        body = body[:MAX_BODY]
    used, text = _decode(body, encoding) if body.strip() else ("utf-8", "")
    evidence: list[tuple[str, dict[str, Any]]] = []
    root = None
    if "<" not in text[:100_000]:
        problems.append("the page is empty" if not text.strip() else "the page is not HTML")
        key, how = _key(url, key_pattern, [], problems)
        return Extracted({}, key, {"key": how}, [], problems, used)
    try:
        sel = Selector(text=text, type="html", base_url=url)
        root = sel.root
    except (ValueError, etree.Error) as exc:
        problems.append(f"page unreadable as HTML: {exc!s:.120}")
    if root is None or not isinstance(root, etree._Element):
        problems.append("the page has no HTML elements")
        key, how = _key(url, key_pattern, [], problems)
        return Extracted({}, key, {"key": how}, [], problems, used)
    base = safe_link(sel.xpath("//base/@href").get(), url) or url
    if rules:
        evidence.append(("rules", _apply_rules(sel, rules, problems)))
    evidence.append(("jsonld", _jsonld(root, url, problems)))
    evidence.append(("microdata", _microdata(root, url, problems)))
    evidence.append(("rdfa", _rdfa(root, text, url, problems)))
    evidence.append(("opengraph", _opengraph(root)))
    record, methods, images = _merge(evidence, base, problems)
    _fallbacks(root, url, record, methods, problems, len(text))
    key, methods["key"] = _key(url, key_pattern, evidence, problems)
    if not any(record.get(k) for k in ("title", "text", "price")):
        problems.append("no listing found on the page (no title, text or price)")
        return Extracted({}, key, methods, images, problems, used)
    if images:
        record["images"] = images
    record["url"] = canonical_url(url)[: LIMITS["url"]]
    if platform:
        record["platform"] = clean_text(platform, LIMITS["platform"])
    ordered = {k: record[k] for k in (*RECORD_FIELDS, "seller_url") if record.get(k)}
    return Extracted(ordered, key, methods, images, problems, used)

