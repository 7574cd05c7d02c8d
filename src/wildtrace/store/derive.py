"""The derived ``queue`` row of a listing: what the triage queue, filters, search and charts read.

Computed from the public result JSON only, so a migration can rebuild it from stored results;
``identifier_rows``: the ``listing_identifiers`` rows of a listing version (from its input record).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import phonenumbers

from wildtrace.sellers import identifiers

#: Longest title kept in the queue row (the full record stays in ``listings``).
TITLE_CHARS = 300
#: Longest text indexed for search per listing.
SEARCH_CHARS = 20_000


def joined(values: list[str]) -> str:
    """``["a", "b"]`` -> ``"|a|b|"`` (filtered with ``LIKE '%|a|%'``)."""
    clean = sorted({v.replace("|", "/") for v in values if v})
    return "|" + "|".join(clean) + "|" if clean else ""


def iso_week(*stamps: str | None) -> str:
    """ISO week (``2026-W45``) of the first parseable timestamp."""
    for stamp in stamps:
        if not stamp:
            continue
        try:
            day = dt.date.fromisoformat(str(stamp)[:10])
        except ValueError:
            continue
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    return ""


def appendices(taxa: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for taxon in taxa:
        text = str(taxon.get("cites_appendix") or "")
        out.extend(part.strip() for part in text.split("/") if part.strip())
    return out


def queue_row(version: int, result: dict[str, Any], first_seen: str | None = None) -> dict[str, Any]:
    """The queue row of a listing whose newest stored version is ``version``, scanned as ``result``.
    ``first_seen``: the listing's first sighting (the smallest ``first_seen`` of its versions;
    revision 0018), by default the result's scan time (right when this is its only version)."""
    listing = result.get("listing") or {}

    def text(name: str) -> str:
        value = listing.get(name)
        return str(value) if value is not None else ""

    search = "\n".join(t for t in (text("title"), text("text"), text("seller"),
                                   text("seller_description"), text("seller_contact"), text("url")) if t)
    return {
        "listing_id": str(result["id"]),
        "content_sha256": result["input_sha256"],
        "version": version,
        "verdict": result["verdict"],
        "risk_score": float(result["risk_score"]),
        "wildlife_score": float(result["wildlife_score"]),
        "lang": result.get("lang") or "",
        "platform": text("platform")[:200],
        "seller": text("seller")[:500],
        "title": text("title")[:TITLE_CHARS],
        "posted_at": text("posted_at")[:40],
        "scanned_at": result["scanned_at"],
        "first_seen": first_seen if first_seen is not None else result["scanned_at"],
        "week": iso_week(text("posted_at"), result.get("scanned_at")),
        "species": joined([str(t.get("scientific_name") or "") for t in result.get("taxa") or []]),
        "products": joined([str(p) for p in result.get("product_types") or []]),
        "appendices": joined(appendices(result.get("taxa") or [])),
        "search_text": search[:SEARCH_CHARS],
    }


#: Identifier kinds whose value is a phone number in E.164 (keyed by its national digits)
PHONE_KINDS = frozenset({"phone", "whatsapp", "zalo", "viber"})


def identifier_key(kind: str, value: str) -> str:
    """How an identifier is looked up: a phone number by its national significant digits (a
    query typed without its country code finds it), anything else by its value in lower case."""
    if kind in PHONE_KINDS and value.startswith("+"):
        try:
            return str(phonenumbers.parse(value).national_number)
        except phonenumbers.NumberParseException:
            return value
    return value.lower()


def identifier_rows(listing_id: str, content_sha256: str, record: dict[str, Any],
                    lang: str | None) -> list[dict[str, str]]:
    """The ``listing_identifiers`` rows of one listing version."""
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for i in identifiers.from_listing(record, lang=lang):
        seen.setdefault((i.kind, i.value), {
            "listing_id": listing_id, "content_sha256": content_sha256, "kind": i.kind, "value": i.value,
            "key": identifier_key(i.kind, i.value)[:500], "raw": i.raw[:500]})
    return list(seen.values())
