"""Scan a batch, read the queue, a listing, a seller, search, stats and export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from wildtrace.errors import NotFound
from wildtrace.images.gallery import indexer
from wildtrace.pipeline import Collected, ingest
from wildtrace.scan.result import ScanResult
from wildtrace.scan.writers import CSV_COLUMNS, csv_row
from wildtrace.store import queue as q
from wildtrace.store.labels import labels_of
from wildtrace.web.api.models import ScanRequest
from wildtrace.web.deps import Analyst, EngineDep, ScannerDep, StoreDep, Viewer
from wildtrace.web.errors import ApiError
from wildtrace.web.prebuilt import PrebuiltDep, request_generation
from wildtrace.web.searching import SearcherDep, facet_items, item

router = APIRouter(tags=["listings"])


async def filters(species: str = "", product: str = "", appendix: str = "", lang: str = "",
            platform: str = "", verdict: str = "", label: str = "", seller: str = "",
            posted_from: str = "", posted_to: str = "") -> q.Filters:
    """Queue filters as query parameters (all optional)."""
    return q.Filters(species=species, product=product, appendix=appendix, lang=lang,
                     platform=platform, verdict=verdict, label=label, seller=seller,
                     posted_from=posted_from, posted_to=posted_to)


@router.post("/scan")
def scan_batch(*, body: ScanRequest, who: Analyst,
               sc: ScannerDep, st: StoreDep) -> dict[str, Any]:
    """Scan up to 1,000 listings and store them unless save=false (one transaction; should the store
    refuse one result, the others are stored and that one comes back among the rejects).

    Bad records do not stop the batch: they come back in ``rejects`` (index, id, reason).
    """
    got = Collected()
    sinks = got.sinks(save=st.save, after_save=indexer(st.engine, sc.settings.data_dir)) if body.save else got.sinks()
    ingest(body.listings, sc, sinks, batch=max(1, len(body.listings)))
    positions = {str(item.get("id")): i for i, item in enumerate(body.listings) if isinstance(item, dict)}
    rejects = [{"index": r.line - 1 if r.line else positions.get(str(r.record_id), -1), "id": r.record_id,
                "reason": r.reason} for r in got.rejects]
    return {"scanned": len(got.results), "rejected": len(rejects), "saved": body.save,
            "results": [r.to_dict() for r in got.results], "rejects": rejects}


@router.get("/queue", response_model=None)
async def queue_page(*, f: Annotated[q.Filters, Depends(filters)], cursor: str = "",
                     limit: Annotated[int, Query(ge=1, le=500)] = 50,
                     who: Viewer, request: Request, kept: PrebuiltDep) -> Response:
    """The triage queue, highest risk first. Pass ``next`` back as ``cursor`` for the next page.
    Pre-built: the same page is answered from memory until the store is written to (in the
    event loop; the page is read in a worker thread only when it must be built)."""
    try:
        after = q.decode_cursor(cursor) if cursor else None
    except ValueError:
        raise ApiError(422, "invalid_value", "bad cursor; use the `next` value of a previous page") from None
    eng = request.app.state.store.engine

    def build() -> bytes:
        rows, nxt = q.page(eng, f, limit=limit, after=after)
        return orjson.dumps({"items": rows, "next": nxt, "filters": f.active()}, option=orjson.OPT_NON_STR_KEYS)

    key = ("api/queue", who.role, f, cursor, limit)
    gen = request_generation(request, kept)
    body = kept.kept(key, gen)
    if body is None:
        body = await run_in_threadpool(kept.get, key, build, gen)
    return Response(body, media_type="application/json")


@router.get("/listings/{listing_id:path}")
def listing(*, listing_id: str, _: Viewer, st: StoreDep) -> dict[str, Any]:
    """A listing: its newest result, every stored version, and its labels (oldest first)."""
    result = st.latest_result(listing_id)
    if result is None:
        raise NotFound(f"no listing {listing_id!r}")
    row = q.get(st.engine, listing_id)
    return {"listing_id": listing_id, "label": (row or {}).get("label") or None, "result": result,
            "versions": st.versions(listing_id), "labels": labels_of(st.engine, listing_id)}


@router.get("/search")
def search(*, text: Annotated[str, Query(alias="q", min_length=1, max_length=500)],
           f: Annotated[q.Filters, Depends(filters)],
           limit: Annotated[int, Query(ge=1, le=500)] = 50,
           offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
           who: Viewer, eng: EngineDep, s: SearcherDep, kept: PrebuiltDep) -> dict[str, Any]:
    """Search by meaning (``wildtrace.search``): the query read with the scanner's lexicon ("ivory" in
    any language, "pangolin" with every Manidae species, a phone number in any format), plus plain
    text in title, text and seller. Each item says why it was found (``hit``: tagged, identifier,
    broader, product or text), with highlighted ``title``/``text``; ``facets`` count every hit.
    Kept until the store is written to (the same query again is answered from memory)."""
    meaning, found = kept.get(("api/search", who.role, id(s), text, f, limit, offset),
                              lambda: s.search(eng, text, f, limit=limit, offset=offset))
    return {"q": text, "meaning": s.describe(meaning), "total": found.total, "truncated": found.truncated,
            "items": [item(h) for h in found.hits], "facets": facet_items(s, found)}


@router.get("/sellers/{seller:path}")
def seller(*, seller: str, _: Viewer, eng: EngineDep) -> dict[str, Any]:
    rows, _next = q.page(eng, q.Filters(seller=seller), limit=500)
    return {"seller": seller, "items": rows}


@router.get("/stats")
def stats(*, _: Viewer, eng: EngineDep) -> dict[str, Any]:
    """Flagged listings per week, species, product, platform and CITES appendix (the dashboard)."""
    return q.stats(eng)


def _csv(records: Iterator[dict[str, Any]]) -> Iterator[str]:
    """The results CSV layout of ``wildtrace scan --format csv``, with each listing's label."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for r in records:
        writer.writerow(csv_row(ScanResult.from_dict(r), str(r.get("label") or "")))
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()


@router.get("/export")
def export(*, f: Annotated[q.Filters, Depends(filters)],
           format: Annotated[str, Query(pattern="^(jsonl|csv)$")] = "jsonl",
           limit: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
           _: Viewer, eng: EngineDep) -> StreamingResponse:
    """Newest result of each listing (with its label), in queue order: JSON Lines or CSV."""
    records = q.export(eng, f, limit=limit)
    if format == "csv":
        return StreamingResponse(_csv(records), media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": 'attachment; filename="wildtrace.csv"'})
    lines = (orjson.dumps(r) + b"\n" for r in records)
    return StreamingResponse(lines, media_type="application/x-ndjson",
                             headers={"Content-Disposition": 'attachment; filename="wildtrace.jsonl"'})
