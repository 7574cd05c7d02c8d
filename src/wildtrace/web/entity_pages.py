"""The entity pages of the workbench: one listing (``/listing``) and one seller (``/seller``).

A listing shows its images (remote ones as links only: loading them from the analyst's browser
would tell the seller who is looking; the server's own files and capture screenshots as thumbnails
with a lightbox, their OCR text and near-duplicates on other listings, from
``wildtrace.images.gallery``), the identifiers in its text linked to the search, the
accounts the newest stored network links to its seller, each taxon's zoonotic profile and a
colour legend, and what the marketplace monitor saw of it (``wildtrace.monitor.seen``: its
URLs, gone, duplicates, each last capture's screenshot from ``/listing/monitor-screenshot``). A
seller shows the identifiers across its listings (each with the listings that
carry it), linked accounts from the newest stored network (``store.entities.network_links``:
read whole once per build, never rebuilt per request), its platforms with counts and dates, a
timeline, risk over time (inline SVG), the analyst judgements on its accounts (in force or
retracted) and "add to case" for each of its accounts. Money and
dates follow the browser's Accept-Language. Adapters only: the queries are in
``wildtrace.store``, the identifiers and networks in ``wildtrace.sellers``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape

from wildtrace.cases.evidence import thumbnail as screenshot_top
from wildtrace.errors import InvalidRecord
from wildtrace.images import gallery
from wildtrace.images.gallery import IMAGE_SUFFIXES, owned_image
from wildtrace.images.thumbnail import SIZES, thumbnail
from wildtrace.monitor import seen
from wildtrace.sellers import identifiers
from wildtrace.sellers.network import account_id
from wildtrace.store import entities
from wildtrace.store import queue as q
from wildtrace.store.accounts import Principal
from wildtrace.store.labels import labels_of
from wildtrace.web.api.listings import filters
from wildtrace.web.deps import EngineDep, StoreDep, Viewer
from wildtrace.web.errors import ApiError

router = APIRouter(include_in_schema=False)

__all__ = ["IMAGE_SUFFIXES", "NO_NETWORK", "Formats", "owned_image", "risk_chart", "router"]
NO_NETWORK = "no network built yet: wildtrace network build"


def _render(request: Request, name: str, who: Principal, **ctx: Any) -> Response:
    return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
        request, name, {"who": who, "fmt": Formats.of(request), "no_network": NO_NETWORK, **ctx})


class Formats:
    """Money and dates in the browser's locale (Babel when installed, else a plain formatter:
    thousands separators and ISO dates)."""

    def __init__(self, locale: str):
        self.locale = locale

    @classmethod
    def of(cls, request: Request) -> Formats:
        first = request.headers.get("accept-language", "").split(",")[0].split(";")[0].strip()
        return cls(first.replace("-", "_") if re.fullmatch(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,2}", first)
                   else "en")

    def money(self, amount: Any, currency: Any) -> str:
        if not isinstance(amount, int | float | str) or amount == "":
            return ""  # none given (None, or a field the record lacks)
        currency = currency if isinstance(currency, str) else ""
        if len(str(amount)) + len(currency) > 64:  # hostile text: formatted, never kept
            return _money.__wrapped__(self.locale, amount, currency)
        return _money(self.locale, amount, currency)

    def date(self, text: Any) -> str:
        raw = text if isinstance(text, str) else ""
        if not re.match(r"\d{4}-\d{2}-\d{2}", raw):
            return raw
        return _date(self.locale, raw[:10])


# Formatted once per (locale, value): Babel takes ~40 us a call, and a seller page formats
# about a thousand dates and prices (most of them again on the next request).
@lru_cache(maxsize=8192, typed=True)
def _money(locale: str, amount: int | float | str, currency: str) -> str:
    try:
        value = float(amount)
    except (TypeError, ValueError):
        return f"{amount} {currency or ''}".strip()
    code = str(currency or "").strip().upper()
    try:
        from babel.numbers import format_currency, format_decimal

        if re.fullmatch(r"[A-Z]{3}", code):
            return str(format_currency(value, code, locale=locale))
        return f"{format_decimal(value, locale=locale)} {code}".strip()
    except Exception:  # noqa: BLE001 - no Babel or an unknown locale: the plain form
        return f"{value:,.2f} {code}".strip()


@lru_cache(maxsize=8192)
def _date(locale: str, day: str) -> str:
    try:
        from datetime import date

        from babel.dates import format_date

        return str(format_date(date.fromisoformat(day), format="medium", locale=locale))
    except Exception:  # noqa: BLE001 - no Babel or an unknown locale: ISO
        return day


def _network_links(engine: Any, accounts: set[str]) -> dict[str, Any]:
    """The links of the newest stored network touching ``accounts`` (never rebuilt here)."""
    stored = entities.network_links(engine)
    if stored is None:
        return {"built": False, "links": [], "at": ""}
    return {"built": True, "links": stored.links(accounts), "at": stored.built_at, "id": stored.id}


@router.get("/listing", response_class=HTMLResponse)
def listing_page(*, request: Request, f: Annotated[q.Filters, Depends(filters)],
                 listing_id: Annotated[str, Query(alias="id", max_length=1000)],
                 who: Viewer, st: StoreDep) -> Response:
    result = st.latest_result(listing_id)
    if result is None:
        raise ApiError(404, "not_found", "no such listing")
    listing = {"id": result.get("id"), **(result.get("listing") or {})}
    row = q.get(st.engine, listing_id) or {}
    found = identifiers.from_listing(listing, lang=result.get("lang"))
    return _render(request, "listing.html", who, r=result, row=row, versions=st.versions(listing_id),
                   labels=labels_of(st.engine, listing_id), params=f.active(),
                   next_id=q.neighbour(st.engine, listing_id, f),
                   prev_id=q.neighbour(st.engine, listing_id, f, forward=False),
                   images=gallery.gallery(st.engine, _data_dir(request), listing_id, listing),
                   identifiers=found,
                   account=account_id(listing), network=_network_links(st.engine, {account_id(listing)}),
                   monitor=seen.seen(request.app.state.settings.evidence_dir, st.engine, listing_id))


def _data_dir(request: Request) -> Path:
    return Path(request.app.state.settings.data_dir)


@router.get("/listing/image")
def listing_image(*, request: Request, listing_id: Annotated[str, Query(alias="id", max_length=1000)],
                  n: Annotated[int, Query(ge=0, le=10_000)], who: Viewer, st: StoreDep,
                  size: Annotated[str, Query(pattern="^(full|thumb|small)$")] = "full") -> Response:
    """Image ``n`` of the listing (its own images, then its capture screenshots), only when the
    file lies inside the server's data folder; ``size=thumb`` (96 px) or ``small`` (320 px) is a
    JPEG thumbnail made once and cached."""
    result = st.latest_result(listing_id) or {}
    path = gallery.picture(st.engine, _data_dir(request), listing_id, result.get("listing") or {}, n) \
        if result else None
    if path is None:
        raise ApiError(404, "not_found", "no such image on this server")
    headers = {"Cache-Control": "private, max-age=300", "Content-Disposition": "inline",
               "X-Content-Type-Options": "nosniff"}
    if size == "full":
        return FileResponse(path, headers=headers)
    try:
        body = thumbnail(path, SIZES[size])
    except (InvalidRecord, OSError) as exc:
        raise ApiError(404, "not_found", "no such image on this server") from exc
    return Response(body, media_type="image/jpeg", headers=headers)


@router.get("/listing/monitor-screenshot")
def monitor_screenshot(*, request: Request, listing_id: Annotated[str, Query(alias="id", max_length=1000)],
                       source: Annotated[str, Query(max_length=200)],
                       capture: Annotated[str, Query(max_length=200)], who: Viewer, st: StoreDep,
                       size: Annotated[str, Query(pattern="^(full|small)$")] = "full") -> Response:
    """The screenshot of one of the listing's monitor captures (``monitor.seen.screenshot_path``:
    only ``captures/<capture>/screenshot.png`` of the source's evidence folder, named by the crawl
    state); ``size=small``, the top of it, 320 px wide."""
    path = seen.screenshot_path(request.app.state.settings.evidence_dir, st.engine, listing_id, source, capture)
    headers = {"Cache-Control": "private, max-age=300", "Content-Disposition": "inline",
               "X-Content-Type-Options": "nosniff"}
    if size == "small":
        try:
            return Response(screenshot_top(path), media_type="image/png", headers=headers)
        except Exception:  # noqa: BLE001 - no Pillow, or a PNG it will not read: the file itself
            pass
    return FileResponse(path, media_type="image/png", headers=headers)


@router.get("/listing/ocr", response_class=HTMLResponse)
def listing_ocr(*, request: Request, listing_id: Annotated[str, Query(alias="id", max_length=1000)],
                n: Annotated[int, Query(ge=0, le=10_000)], who: Viewer, st: StoreDep) -> Response:
    """The text in image ``n`` of the listing, read by OCR the first time it is asked for and
    stored (the listing page loads it with htmx; without JS, a link here reads it and returns
    to the page)."""
    result = st.latest_result(listing_id)
    pic = gallery.read_text(st.engine, _data_dir(request), listing_id, (result or {}).get("listing") or {}, n,
                            (result or {}).get("lang")) if result else None
    if pic is None:
        raise ApiError(404, "not_found", "no such image on this server")
    if "hx-request" not in request.headers:
        return RedirectResponse(f"/listing?{urlencode({'id': listing_id})}#image-{n}", status_code=303)
    return _render(request, "_image_text.html", who, im=pic, r={"id": listing_id}, asked=True)


def risk_chart(points: list[tuple[str, float]], *, width: int = 360, height: int = 120) -> Markup:
    """Risk over time: one bar per listing, oldest left (inline SVG, scaled to its box)."""
    label = "risk over time"
    parts = [f'<svg class="chart risk-chart" role="img" aria-label="{label}" viewBox="0 0 {width} {height}" '
             f'preserveAspectRatio="none" xmlns="http://www.w3.org/2000/svg"><title>{label}</title>']
    base = height - 16
    if not points:
        parts.append('<text x="0" y="20" class="chart-empty">no listings</text>')
    step = width / max(1, len(points))
    for i, (when, risk) in enumerate(points):
        h = max(1.0, (base - 4) * min(1.0, max(0.0, risk)))
        parts.append(f'<rect class="bar risk-{_band(risk)}" x="{i * step + step * .1:.1f}" y="{base - h:.1f}" '
                     f'width="{step * .8:.1f}" height="{h:.1f}"><title>{escape(when)}: {risk:.2f}</title></rect>')
    if points:
        parts.append(f'<text x="0" y="{height - 2}" class="chart-label">{escape(points[0][0])}</text>')
        parts.append(f'<text x="{width}" y="{height - 2}" text-anchor="end" class="chart-label">'
                     f'{escape(points[-1][0])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _band(risk: float) -> str:
    return "high" if risk >= 0.7 else "medium" if risk >= 0.4 else "low"


def _platforms(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each platform the seller's listings are on: the account, how many listings, first and last date."""
    out: dict[str, dict[str, Any]] = {}
    for r in rows:  # oldest first
        name = r["platform"] or "unknown"
        entry = out.setdefault(name, {"name": name, "account": account_id({**r["record"], "id": r["listing_id"]}),
                                      "listings": 0, "first": r["when"], "last": r["when"]})
        entry["listings"] += 1
        entry["last"] = r["when"] or entry["last"]
    return sorted(out.values(), key=lambda p: (-p["listings"], p["name"]))


@router.get("/seller", response_class=HTMLResponse)
def seller_page(*, request: Request, name: Annotated[str, Query(max_length=500)],
                who: Viewer, eng: EngineDep) -> Response:
    rows = entities.seller_listings(eng, name)
    accounts = {account_id({**r["record"], "id": r["listing_id"]}) for r in rows}
    found = entities.identifiers_of(eng, [(r["listing_id"], r["content_sha256"]) for r in rows])  # stored at save
    by_risk = sorted(rows, key=lambda r: (-float(r["risk_score"]), r["listing_id"]))
    return _render(request, "seller.html", who, seller=name, rows=by_risk, timeline=rows,
                   capped=len(rows) >= entities.MAX_SELLER_LISTINGS,
                   identifiers=found,
                   platforms=_platforms(rows), accounts=sorted(accounts),
                   network=_network_links(eng, accounts), judgements=entities.judgements_on(eng, accounts),
                   chart=risk_chart([(r["when"], float(r["risk_score"])) for r in rows]))
