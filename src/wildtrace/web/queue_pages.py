"""The triage queue (``/``) and the dashboard (``/dashboard``) pages.

The queue: filters, a total, four sort orders (``store.queue.SORTS``) paged by keyset cursor,
export links of the current filter (``/api/v1/export``), a ``?`` shortcut overlay (its block at the end of static/app.js),
a thumbnail of each row whose listing has an image this server keeps (read for the whole page in
one query), and, for analysts, bulk actions on the selected rows: label them, or add them (or
their sellers) to a case (``POST /bulk-case``, also the search page's).
The dashboard: a continuous weekly axis over a date range, each week's bar a link to the queue
filtered to that week, and species named "common name (scientific name)".
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape

from wildtrace import cases as case_ops
from wildtrace.images import gallery
from wildtrace.sellers.network import account_id
from wildtrace.store import cases, selection
from wildtrace.store import queue as q
from wildtrace.store.accounts import Principal
from wildtrace.taxa import refdata
from wildtrace.web.api.cases import writable
from wildtrace.web.api.listings import filters
from wildtrace.web.case_pages import open_cases
from wildtrace.web.deps import Analyst, EngineDep, StoreDep, Viewer, iso_date
from wildtrace.web.errors import ApiError
from wildtrace.web.model_pages import result_models
from wildtrace.web.templating import query

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
FACETS_TTL_S = 60.0
SORT_LABELS = {"risk": "risk (highest first)", "posted": "posted date (newest first)",
               "first_seen": "first seen (newest first)", "uncertain": "uncertain first"}
#: What "add to case" adds of the selected listings: the listings, their sellers, or both.
BULK_ADDS = ("listings", "sellers", "both")
MAX_BULK = selection.MAX_IDS
#: The verdict the dashboard counts ("flagged").
FLAGGED = "wildlife_offer"


def _render(request: Request, name: str, who: Any, **ctx: Any) -> Response:
    return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
        request, name, {"who": who, **ctx})


@router.get("/", response_class=HTMLResponse)
def queue_page(*, request: Request, f: Annotated[q.Filters, Depends(filters)], cursor: str = "",
               sort: str = "risk", who: Viewer, eng: EngineDep) -> Response:
    if sort not in q.SORTS:
        raise ApiError(422, "invalid_value", f"sort must be one of {', '.join(q.SORTS)}")
    try:
        after = q.decode_cursor(cursor, sort) if cursor else None
    except ValueError:
        after = None
    rows, nxt = q.page(eng, f, limit=PAGE_SIZE, after=after, sort=sort)
    params = {**f.active(), **({"sort": sort} if sort != "risk" else {})}
    models, page_model = result_models(eng, rows)  # the model that scored each row, named on the page
    return _render(request, "queue.html", who, rows=rows, next=nxt, f=f, params=params, sort=sort,
                   models=models, page_model=page_model,
                   sorts=SORT_LABELS, total=q.count(eng, f), export=f.active(),
                   facets=_facets(request, eng), thumbs=thumbnails(eng, rows),
                   open_cases=open_cases(eng, who))


def thumbnails(eng: sa.Engine, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Listing id -> the number of its first image this server keeps and could read, for the
    rows that have one (``gallery.has_owned_image``, one query: images are fingerprinted when
    their listing is stored, so an unreadable file never becomes a broken thumbnail)."""
    return gallery.has_owned_image(eng, [r["listing_id"] for r in rows])


@router.post("/bulk-case")
async def bulk_case(*, request: Request, who: Analyst, st: StoreDep) -> Response:
    """Add the selected listings (``listing_id``, repeated), their sellers, or both (``add``) to
    the picked case (``case``): the queue's and the search page's bulk form. An htmx request gets
    a status line back; a plain form goes to the case."""
    form = await request.form()
    ids = list(dict.fromkeys(str(v).strip() for v in form.getlist("listing_id") if str(v).strip()))
    if not ids:
        raise ApiError(422, "invalid_value", "select at least one listing")
    if len(ids) > MAX_BULK or any(len(i) > 1000 for i in ids):
        raise ApiError(422, "invalid_value", f"at most {MAX_BULK} listing ids of up to 1,000 characters")
    what, picked = str(form.get("add", "listings")), str(form.get("case", ""))
    if what not in BULK_ADDS:
        raise ApiError(422, "invalid_value", f"add: one of {', '.join(BULK_ADDS)}")
    if not picked.isdigit() or not 0 < len(picked) < 19:
        raise ApiError(422, "invalid_value", "pick a case")
    case_id = int(picked)
    writable(st.engine, case_id, who)
    added = {"listings": 0, "sellers": 0}
    if what in ("listings", "both"):
        added["listings"] = case_ops.add_listings(st, case_id, ids, who.name)
    if what in ("sellers", "both"):
        accounts = [account_id({"platform": p, "seller": s}) for p, s in selection.sellers(st.engine, ids)]
        added["sellers"] = case_ops.add_sellers(st, case_id, accounts, who.name) if accounts else 0
    if not request.headers.get("hx-request"):
        return RedirectResponse(f"/cases/{case_id}", status_code=303)
    return _bulk_done(request, who, cases.get_case(st.engine, case_id), added, len(ids))


def _bulk_done(request: Request, who: Principal, case: dict[str, Any], added: dict[str, int],
               selected: int) -> Response:
    return _render(request, "_bulk_case.html", who, done=case, added=added, selected=selected)


def _facets(request: Request, eng: sa.Engine) -> dict[str, list[str]]:
    """Filter menu values, recomputed at most once a minute (they scan the whole queue)."""
    state = request.app.state
    cached = getattr(state, "facets", None)
    if cached is None or time.monotonic() - cached[0] > FACETS_TTL_S:
        cached = (time.monotonic(), q.facets(eng))
        state.facets = cached
    return cached[1]  # type: ignore[no-any-return]




@lru_cache(maxsize=1)
def _reference() -> refdata.ReferenceData:
    return refdata.load()


def species_label(name: str) -> str:
    """``Manis javanica`` -> ``Sunda pangolin (Manis javanica)``; unknown names stay as they are."""
    taxon = _reference().taxon(name)
    common = taxon.common_name if taxon else None
    return f"{common} ({name})" if common else name


def week_chart(weeks: list[tuple[str, str, str, int]], verdict: str) -> Markup:
    """Flagged listings per week as an SVG column chart; each column links to the queue filtered
    to that week (posted_from Monday, posted_to Sunday). Scales to its box (viewBox)."""
    height, base = 160, 130
    col = max(14, min(48, 640 // max(1, len(weeks))))  # few weeks: wider columns, labels that fit
    width = max(1, len(weeks)) * col + 40
    top = max((n for *_, n in weeks), default=0) or 1
    title = "Flagged listings per week"
    parts = [f'<svg class="chart weeks" role="group" aria-label="{title}" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg"><title>{title}</title>',
             f'<text x="0" y="14" class="chart-title">{title}</text>']
    if not weeks:
        parts.append('<text x="0" y="40" class="chart-empty">no data yet</text>')
    step = max(1, len(weeks) // 8, -(-44 // col))  # a label is about 44 px wide: never two on one spot
    for i, (week, monday, sunday, n) in enumerate(weeks):
        x = 20 + i * col
        h = max(1, int((base - 30) * n / top)) if n else 0
        href = "/?" + query({"verdict": verdict, "posted_from": monday, "posted_to": sunday})
        tip = f"{week} ({monday} to {sunday}): {n}"
        parts.append(f'<a href="{escape(href)}" class="week" data-week="{escape(week)}" data-n="{n}" '
                     f'aria-label="{escape(tip)}"><title>{escape(tip)}</title>'
                     f'<rect class="hit" fill-opacity="0" x="{x}" y="20" width="{col - 2}" height="{base - 20}"/>'
                     f'<rect class="bar" x="{x}" y="{base - h}" width="{col - 2}" height="{h}"/></a>')
        if i % step == 0:
            parts.append(f'<text x="{x}" y="{base + 14}" class="chart-label">{escape(week[2:])}</text>')
    parts.append(f'<line x1="16" y1="{base}" x2="{width - 16}" y2="{base}" class="axis"/></svg>')
    return Markup("".join(parts))


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(*, request: Request, who: Viewer, eng: EngineDep, posted_from: str = "",
              posted_to: str = "") -> Response:
    s = q.dashboard(eng, FLAGGED, posted_from=iso_date("posted_from", posted_from),
                    posted_to=iso_date("posted_to", posted_to))
    span = {"verdict": FLAGGED, "posted_from": posted_from, "posted_to": posted_to}
    links = {key: ["/?" + query({**span, field: name}) if name != "(none)" else "" for name, _ in s[key]]
             for key, field in (("by_species", "species"), ("by_product", "product"),
                                ("by_platform", "platform"), ("by_appendix", "appendix"))}
    s["by_species"] = [(species_label(name), n) for name, n in s["by_species"]]
    return _render(request, "dashboard.html", who, s=s, posted_from=posted_from, posted_to=posted_to,
                   weeks_chart=week_chart(s["weeks"], FLAGGED), links=links)
