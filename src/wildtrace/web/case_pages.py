"""The case pages of the workbench: list and create cases, a case with its members, notes and
timeline, rename, close and reopen, delete (admins), add listings and sellers, and exports (a
button per registered format: every format of ``wildtrace case export``). The page's capture and
evidence parts are served by ``capture_pages.py``. A client that sends or asks for JSON gets the
API's JSON error shape (``errors.is_api``).

Adapters only: every change goes through ``wildtrace.cases`` and ``wildtrace.store.cases`` (the
same calls as ``wildtrace case`` and the JSON API). Viewers read, analysts change, admins delete;
a members-only case is, to anyone else, not there (404).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path as FsPath
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.background import BackgroundTask

from wildtrace import cases as case_ops
from wildtrace import plugins
from wildtrace.store import cases
from wildtrace.store.accounts import Principal
from wildtrace.store.sql import SQLStore
from wildtrace.web.api.cases import readable, writable
from wildtrace.web.capture_pages import evidence_context
from wildtrace.web.deps import Admin, Analyst, EngineDep, StoreDep, Viewer
from wildtrace.web.errors import ApiError

router = APIRouter(include_in_schema=False)

#: a case number: what the database can hold (a larger one is a 422, not an overflow)
CaseId = Annotated[int, Path(ge=1, le=2**63 - 1)]
#: the file name ending of each export format (csv is a folder, sent zipped)
SUFFIX = {"ftm": ".ftm.json", "gexf": ".gexf", "graphml": ".graphml", "csv": "", "html": ".html",
          "pdf": ".pdf", "takedown": ".json"}
MEDIA = {"pdf": "application/pdf", "html": "text/html; charset=utf-8", "csv": "application/zip",
         "gexf": "application/xml", "graphml": "application/xml"}
MAX_ADD = 1000
#: what each export button says
FORMAT_NAMES = {"ftm": "FtM (JSON lines)", "gexf": "GEXF", "graphml": "GraphML", "csv": "CSV (zip)",
                "html": "HTML report", "pdf": "PDF report", "takedown": "Takedown requests"}


def _render(request: Request, name: str, who: Principal, **ctx: Any) -> Response:
    return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
        request, name, {"who": who, **ctx})



def _to_case(cid: int) -> Response:
    return RedirectResponse(f"/cases/{cid}", status_code=303)


@router.get("/cases")
def case_list(*, request: Request, who: Viewer, eng: EngineDep) -> Response:
    return _render(request, "cases.html", who, items=cases.readable_cases(eng, who.name, who.role),
                   counts=cases.counts(eng))


@router.post("/cases")
def create(*, title: Annotated[str, Form(max_length=500)], who: Analyst, st: StoreDep) -> Response:
    return _to_case(int(case_ops.create(st, title, who.name)["id"]))


@router.get("/cases/picker")
def picker(*, request: Request, listing_id: Annotated[str, Query(max_length=1000)] = "",
           seller: Annotated[str, Query(max_length=500)] = "", who: Viewer, eng: EngineDep) -> Response:
    """The "Add to case" control for a listing or a seller (``_add_to_case.html``), with the open
    cases this user may change (htmx loads it into the listing and seller pages)."""
    return _render(request, "_add_to_case.html", who, listing_id=listing_id, seller=seller,
                   open_cases=open_cases(eng, who))


def open_cases(eng: sa.Engine, who: Principal) -> list[dict[str, Any]]:
    """The open cases ``who`` may add to (none for a viewer)."""
    if not who.can("analyst"):
        return []
    return [c for c in cases.readable_cases(eng, who.name, who.role) if c["status"] == "open"]


@router.get("/cases/{case_id}")
def case_page(*, request: Request, case_id: CaseId, who: Viewer, eng: EngineDep) -> Response:
    readable(eng, case_id, who)
    case = cases.get_case(eng, case_id)
    results = {r["id"]: r for r in cases.case_rows(eng, case_id)}  # the columns shown, not whole results
    may_write = cases.can_write(eng, case_id, who.name, who.role)
    return _render(request, "case.html", who, results=results, notes=cases.notes(eng, case_id),
                   timeline=cases.timeline(eng, case_id), members=cases.members(eng, case_id),
                   formats=plugins.exporters.names(), FORMAT_NAMES=FORMAT_NAMES,
                   **evidence_context(request, case, may_write))


async def _wanted(request: Request) -> tuple[list[str], list[str], str]:
    """(listing ids, sellers, the case id of a picker form) from a form or a JSON body."""
    if _is_json(request):
        body = await request.json()
        if not isinstance(body, dict) or set(body) - {"listing_ids", "sellers"}:
            raise ApiError(422, "invalid_request", 'send {"listing_ids": [...], "sellers": [...]}')
        ids, sellers, picked = body.get("listing_ids") or [], body.get("sellers") or [], ""
    else:
        form = await request.form()
        ids, sellers, picked = form.getlist("listing_id"), form.getlist("seller"), str(form.get("case", ""))
    if not all(isinstance(v, list) and all(isinstance(x, str) and 0 < len(x.strip()) <= 1000 for x in v)
               for v in (ids, sellers)):
        raise ApiError(422, "invalid_value", "listing ids and sellers are strings of 1 to 1,000 characters")
    if not ids and not sellers:
        raise ApiError(422, "invalid_value", "name at least one listing or seller")
    if len(ids) + len(sellers) > MAX_ADD:
        raise ApiError(422, "invalid_value", f"at most {MAX_ADD} listings and sellers at once")
    return [x.strip() for x in ids], [x.strip() for x in sellers], picked


def _is_json(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith("application/json")


async def _add(request: Request, case_id: int | None, who: Principal, st: SQLStore) -> Response:
    ids, sellers, picked = await _wanted(request)
    if case_id is None:
        if not picked.isdigit() or not 0 < len(picked) < 19:
            raise ApiError(422, "invalid_value", "pick a case")
        case_id = int(picked)
    writable(st.engine, case_id, who)
    added = {"listings": case_ops.add_listings(st, case_id, ids, who.name) if ids else 0,
             "sellers": case_ops.add_sellers(st, case_id, sellers, who.name) if sellers else 0}
    if _is_json(request):
        return JSONResponse({"case": case_id, "added": added})
    if request.headers.get("hx-request"):
        return _render(request, "_add_to_case.html", who, listing_id="", seller="", open_cases=[],
                       done=cases.get_case(st.engine, case_id))
    return _to_case(case_id)


@router.post("/cases/{case_id}/add")
async def add(*, request: Request, case_id: CaseId, who: Analyst, st: StoreDep) -> Response:
    """Add listings (``listing_id``, repeated) and sellers (``seller``) from a form, or
    ``{"listing_ids": [...], "sellers": [...]}`` as JSON (which answers with how many were new)."""
    return await _add(request, case_id, who, st)


@router.post("/cases/add")
async def add_picked(*, request: Request, who: Analyst, st: StoreDep) -> Response:
    """The same, to the case picked in the "Add to case" control (form field ``case``)."""
    return await _add(request, None, who, st)


@router.post("/cases/{case_id}/rename")
def rename(*, case_id: CaseId, title: Annotated[str, Form(max_length=500)], who: Analyst,
           eng: EngineDep) -> Response:
    writable(eng, case_id, who)
    cases.rename(eng, case_id, title, who.name)
    return _to_case(case_id)


@router.post("/cases/{case_id}/close")
def close(*, case_id: CaseId, who: Analyst, eng: EngineDep) -> Response:
    writable(eng, case_id, who)
    cases.set_status(eng, case_id, "closed", who.name)
    return _to_case(case_id)


@router.post("/cases/{case_id}/reopen")
def reopen(*, case_id: CaseId, who: Analyst, eng: EngineDep) -> Response:
    writable(eng, case_id, who)
    cases.set_status(eng, case_id, "open", who.name)
    return _to_case(case_id)


@router.post("/cases/{case_id}/notes")
def note(*, case_id: CaseId, body: Annotated[str, Form(max_length=10_000)], who: Analyst,
         eng: EngineDep) -> Response:
    writable(eng, case_id, who)
    cases.add_note(eng, case_id, body, who.name)
    return _to_case(case_id)


@router.post("/cases/{case_id}/delete")
def delete(*, case_id: CaseId, who: Admin, eng: EngineDep) -> Response:
    readable(eng, case_id, who)
    cases.delete(eng, case_id, who.name)
    return RedirectResponse("/cases", status_code=303)


@router.get("/cases/{case_id}/export")
def export(*, request: Request, case_id: CaseId, fmt: Annotated[str, Query(alias="format", max_length=50)],
           who: Viewer, st: StoreDep) -> Response:
    """The case in format ``fmt``, written by ``wildtrace.cases.export`` into a temporary folder
    and streamed (the csv folder as a zip); the folder is removed once it is sent."""
    if fmt not in plugins.exporters.names():
        raise ApiError(422, "invalid_value", f"format: one of {', '.join(plugins.exporters.names())}")
    readable(st.engine, case_id, who)
    settings = request.app.state.settings
    case = case_ops.load(st, case_id, judgements=settings.judgements, legacy_dir=settings.legacy_cases_dir)
    folder = FsPath(tempfile.mkdtemp(prefix="wildtrace-export-"))
    try:
        target = folder / f"{case.name}{SUFFIX.get(fmt, '')}"
        case_ops.export(case, fmt, target)
        if target.is_dir():
            target = FsPath(shutil.make_archive(str(folder / f"{case.name}-{fmt}"), "zip", target))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(target, media_type=MEDIA.get(fmt, "application/octet-stream"), filename=target.name,
                        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True))
