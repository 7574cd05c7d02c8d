"""The search page, the batch search (a CSV term list) and its JSON API: adapters of ``wildtrace.search``;
saved searches (``wildtrace.store.saved_searches``).

The batch page answers at once with one row per term; each row then loads itself with htmx
(``GET /search/batch/row``: ``Searcher.batch`` of that term alone, the same row the whole list's
search gives it), ``BATCH_LANES`` rows at a time in the list's order: row *i* waits on lane
*i* mod ``BATCH_LANES`` (``hx-sync="#batch-lane-k:queue all"``), so it starts when row
*i* − ``BATCH_LANES`` has answered. Each term costs a text search (25-90 ms at 1M listings), so
the whole list in one request took seconds; ``POST /api/v1/search/batch`` still does that, for
scripts. A row is kept until a write (its own ``Prebuilt``, beside the queue's answers).

Any role may search (a batch search is a read too), and save and delete their own saved
searches (a personal view, not a change to the data); each is listed, to its owner only, as a
link to its search. Another user's saved search is not there (404). Analysts get a checkbox
per hit and the bulk "add to case" form (``POST /bulk-case`` in
``web/queue_pages.py``). ``GET /api/v1/search`` is in ``web/api/listings.py``; both use
``web/searching.py``.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

import orjson
import sqlalchemy as sa
from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from wildtrace.csvcell import safe_cell
from wildtrace.errors import WildTraceError
from wildtrace.search import MAX_TERM_CHARS, MAX_TERMS, Searcher, Term, read_terms
from wildtrace.store import queue as q
from wildtrace.store import saved_searches
from wildtrace.store.accounts import Principal
from wildtrace.web.api.listings import filters
from wildtrace.web.api.models import Strict
from wildtrace.web.case_pages import open_cases
from wildtrace.web.deps import EngineDep, Viewer
from wildtrace.web.errors import ApiError
from wildtrace.web.prebuilt import Prebuilt, PrebuiltDep, beside, request_generation
from wildtrace.web.searching import SearcherDep, facet_items, snippet

router = APIRouter()
log = logging.getLogger(__name__)
PAGE_SIZE = 50
MAX_UPLOAD = 1_000_000  # bytes of a term list
#: the parameters a saved search keeps: the query and the filters
SAVED_KEYS = frozenset({"q", *q.Filters.names()})
SavedId = Annotated[int, Path(ge=1, le=2**63 - 1)]
#: Rows of a batch search's table loading at once (a browser opens at most 6 connections to a
#: host; 3 leave room for the analyst's other clicks and keep one batch to 3 server threads)
BATCH_LANES = 3
MAX_LABEL = 200  # characters of a term's label (``read_terms`` cuts longer ones)
#: hits one export holds at most (in the page's order), and its columns
MAX_EXPORT = 1_000
EXPORT_COLUMNS = ("listing_id", "hit", "matched", "risk_score", "verdict", "title", "seller", "platform",
                  "lang", "posted_at", "species", "products", "appendices", "label")


@router.get("/search", response_class=HTMLResponse, include_in_schema=False)
def search_page(*, request: Request, text: Annotated[str, Query(alias="q", max_length=500)] = "",
                f: Annotated[q.Filters, Depends(filters)],
                offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
                who: Viewer, eng: EngineDep, s: SearcherDep, kept: PrebuiltDep) -> Response:
    meaning, found = kept.get(("search", who.role, id(s), text, f, offset),  # kept until a write
                              lambda: s.search(eng, text, f, limit=PAGE_SIZE, offset=offset)) \
        if text.strip() else (None, None)
    return _render(request, who, q=text, f=f, params=f.active(), offset=offset, page=PAGE_SIZE,
                   meaning=s.describe(meaning) if meaning else None, found=found,
                   facets=facet_items(s, found) if found else {}, batch=None)


@router.post("/search/batch", response_class=HTMLResponse, include_in_schema=False)
async def batch_page(*, request: Request, terms: Annotated[UploadFile, File()], who: Viewer) -> Response:
    """The term list read and checked (as the API does), answered at once as a table whose rows
    load themselves (see the module): nothing is searched here."""
    data = await terms.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise ApiError(413, "body_too_large", f"a term list is at most {MAX_UPLOAD:,} bytes")
    rows = read_terms(data.decode("utf-8", errors="replace"))
    return await run_in_threadpool(_render, request, who, q="", f=q.Filters(), params={}, offset=0, page=PAGE_SIZE,
                                   meaning=None, found=None, facets={}, batch=rows, lanes=BATCH_LANES)


async def batch_rows(request: Request) -> Prebuilt:
    """The batch rows kept until a write: their own store of answers (a 500-term list would
    otherwise push the queue's pages out), on the same generation as the queue's."""
    return await beside(request, "batch_rows", 2 * MAX_TERMS)


@router.get("/search/batch/row", response_class=HTMLResponse, include_in_schema=False)
async def batch_row(*, request: Request, term: Annotated[str, Query(min_length=1, max_length=MAX_TERM_CHARS)],
                    label: Annotated[str, Query(max_length=MAX_LABEL)] = "",
                    who: Viewer, eng: EngineDep, s: SearcherDep, kept: PrebuiltDep,
                    rows: Annotated[Prebuilt, Depends(batch_rows)]) -> Response:
    """One term's row of the batch page's table (``<tr>``): its count and first listings, as
    ``Searcher.batch`` gives them for the term in a whole list. A search that fails answers a
    row that says so (200: the table's other rows go on). Without htmx: the term's search page."""
    t = Term(term.strip(), label.strip())
    if "hx-request" not in request.headers or not t.term:
        return RedirectResponse(f"/search?{urlencode({'q': t.term})}", status_code=303)
    key = ("batch-row", who.role, id(s), t)
    gen = request_generation(request, kept)
    body = rows.kept(key, gen)
    if body is None:
        try:
            body = await run_in_threadpool(rows.get, key, lambda: batch_row_html(request, s, eng, t), gen)
        except Exception as e:  # noqa: BLE001 - one term's failure is shown in its row, not the page's
            log.exception("batch search of %r failed", t.term)
            why = str(e) if isinstance(e, WildTraceError) else "the server could not search it; see its log"
            return HTMLResponse(_row_template(request).render(b={"term": t.term, "label": t.label}, failed=why))
    return HTMLResponse(body)


def batch_row_html(request: Request, s: Searcher, eng: sa.Engine, t: Term) -> str:
    """The row of term ``t``: ``Searcher.batch`` of it alone, rendered as the table shows it."""
    return _row_template(request).render(b=s.batch(eng, [t])[0], failed=None)


def _row_template(request: Request) -> Any:
    return request.app.state.templates.get_template("_batch_row.html")


@router.get("/api/v1/search/export", tags=["listings"])
def export_hits(*, text: Annotated[str, Query(alias="q", min_length=1, max_length=500)],
                f: Annotated[q.Filters, Depends(filters)],
                format: Annotated[str, Query(pattern="^(jsonl|csv)$")] = "csv",
                _: Viewer, eng: EngineDep, s: SearcherDep) -> StreamingResponse:
    """The hits of a search with its filters, in the search page's order (at most 1,000), each
    with why it was found (``hit``, ``matched``): CSV (cells guarded against formulas) or JSON Lines."""
    _meaning, found = s.search(eng, text, f, limit=MAX_EXPORT)
    rows = [{**{k: h.row.get(k, "") for k in EXPORT_COLUMNS}, "hit": h.kind, "matched": "; ".join(h.matched)}
            for h in found.hits]
    name = "wildtrace-search"
    if format == "csv":
        return StreamingResponse(_csv(rows), media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
    return StreamingResponse((orjson.dumps(r) + b"\n" for r in rows), media_type="application/x-ndjson",
                             headers={"Content-Disposition": f'attachment; filename="{name}.jsonl"'})


def _csv(rows: list[dict[str, Any]]) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        writer.writerow([safe_cell(row[k]) for k in EXPORT_COLUMNS])
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()


class TermItem(Strict):
    term: str = Field(min_length=1, max_length=MAX_TERM_CHARS)
    label: str = Field("", max_length=MAX_LABEL)


class BatchRequest(Strict):
    csv: str | None = Field(None, max_length=MAX_UPLOAD, description="a CSV term list: term[,label] per row")
    terms: list[TermItem] | None = Field(None, max_length=MAX_TERMS)
    first: int = Field(5, ge=0, le=50, description="listings returned per term")


@router.post("/api/v1/search/batch", tags=["listings"])
def batch_api(*, body: BatchRequest, _: Viewer, eng: EngineDep, s: SearcherDep) -> dict[str, Any]:
    """Search each term of a list (``csv`` text, or ``terms``): per term its hit count and first
    listings. One request runs every term's search (about N × a search: 1.2-1.4 s for 20 terms at
    1M listings); the batch page loads its rows one term per request instead."""
    if (body.csv is None) == (body.terms is None):
        raise ApiError(422, "invalid_request", "send either `csv` or `terms`")
    terms = read_terms(body.csv) if body.csv is not None else [Term(t.term.strip(), t.label) for t in body.terms or []]
    return {"terms": s.batch(eng, [t for t in terms if t.term], first=body.first)}


def search_query(raw: str) -> str:
    """A search page's query string with only the query and the filters (each once, non-empty)."""
    kept: dict[str, str] = {}
    for key, value in parse_qsl(raw.lstrip("?"), keep_blank_values=False):
        if key in SAVED_KEYS and key not in kept and value.strip():
            kept[key] = value
    return urlencode(kept)


@router.post("/search/saved", include_in_schema=False)
def save_search(*, name: Annotated[str, Form(max_length=saved_searches.MAX_NAME)],
                query: Annotated[str, Form(max_length=saved_searches.MAX_QUERY)] = "",
                who: Viewer, eng: EngineDep) -> Response:
    """Save the search ``query`` (the search page's query string) as ``name``; back to that search."""
    kept = search_query(query)
    saved_searches.save(eng, who.name, name, kept)
    return RedirectResponse(f"/search?{kept}", status_code=303)


@router.post("/search/saved/{search_id}/delete", include_in_schema=False)
def delete_search(*, search_id: SavedId, who: Viewer, eng: EngineDep) -> Response:
    """Delete one of my saved searches (404 for anyone else's)."""
    saved_searches.delete(eng, who.name, search_id)
    return RedirectResponse("/search", status_code=303)


def _render(request: Request, who: Principal, **ctx: Any) -> Response:
    eng = request.app.state.store.engine
    templates = request.app.state.templates
    return templates.TemplateResponse(request, "search.html", {  # type: ignore[no-any-return]
        "who": who, "snippet": snippet, "saved": saved_searches.list_for(eng, who.name),
        "open_cases": open_cases(eng, who), **ctx})
