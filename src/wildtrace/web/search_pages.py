"""The search page, the batch search (a CSV term list) and its JSON API: adapters of ``wildtrace.search``.

Any role may search (a batch search is a read too). ``GET /api/v1/search`` is in
``web/api/listings.py``; both use ``web/searching.py``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from pydantic import Field

from wildtrace.search import MAX_TERM_CHARS, MAX_TERMS, Term, read_terms
from wildtrace.store import queue as q
from wildtrace.web.api.listings import filters
from wildtrace.web.api.models import Strict
from wildtrace.web.deps import EngineDep, Viewer
from wildtrace.web.errors import ApiError
from wildtrace.web.searching import SearcherDep, facet_items, snippet

router = APIRouter()
PAGE_SIZE = 50
MAX_UPLOAD = 1_000_000  # bytes of a term list


@router.get("/search", response_class=HTMLResponse, include_in_schema=False)
def search_page(*, request: Request, text: Annotated[str, Query(alias="q", max_length=500)] = "",
                f: Annotated[q.Filters, Depends(filters)],
                offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
                who: Viewer, eng: EngineDep, s: SearcherDep) -> Response:
    meaning, found = s.search(eng, text, f, limit=PAGE_SIZE, offset=offset) if text.strip() else (None, None)
    return _render(request, who, q=text, f=f, params=f.active(), offset=offset, page=PAGE_SIZE,
                   meaning=s.describe(meaning) if meaning else None, found=found,
                   facets=facet_items(s, found) if found else {}, batch=None)


@router.post("/search/batch", response_class=HTMLResponse, include_in_schema=False)
async def batch_page(*, request: Request, terms: Annotated[UploadFile, File()],
                     who: Viewer, eng: EngineDep, s: SearcherDep) -> Response:
    data = await terms.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise ApiError(413, "body_too_large", f"a term list is at most {MAX_UPLOAD:,} bytes")
    rows = s.batch(eng, read_terms(data.decode("utf-8", errors="replace")))
    return _render(request, who, q="", f=q.Filters(), params={}, offset=0, page=PAGE_SIZE, meaning=None,
                   found=None, facets={}, batch=rows)


class TermItem(Strict):
    term: str = Field(min_length=1, max_length=MAX_TERM_CHARS)
    label: str = Field("", max_length=200)


class BatchRequest(Strict):
    csv: str | None = Field(None, max_length=MAX_UPLOAD, description="a CSV term list: term[,label] per row")
    terms: list[TermItem] | None = Field(None, max_length=MAX_TERMS)
    first: int = Field(5, ge=0, le=50, description="listings returned per term")


@router.post("/api/v1/search/batch", tags=["listings"])
def batch_api(*, body: BatchRequest, _: Viewer, eng: EngineDep, s: SearcherDep) -> dict[str, Any]:
    """Search each term of a list (``csv`` text, or ``terms``): per term its hit count and first listings."""
    if (body.csv is None) == (body.terms is None):
        raise ApiError(422, "invalid_request", "send either `csv` or `terms`")
    terms = read_terms(body.csv) if body.csv is not None else [Term(t.term.strip(), t.label) for t in body.terms or []]
    return {"terms": s.batch(eng, [t for t in terms if t.term], first=body.first)}


def _render(request: Request, who: Any, **ctx: Any) -> Response:
    templates = request.app.state.templates
    return templates.TemplateResponse(request, "search.html", {"who": who, "snippet": snippet, **ctx})  # type: ignore[no-any-return]
