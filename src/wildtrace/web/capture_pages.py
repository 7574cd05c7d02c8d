"""The capture and evidence parts of a case page: start a capture of a listing's page (a
background job, ``wildtrace.cases.capture_jobs``), poll its progress, list the case's evidence
files with their hashes, verify them, and send one listed file.

- ``POST /cases/{id}/captures`` (analysts): ``url``, or ``listing_id`` of a listing in the case
  (its URL); answers the job's status fragment (htmx), a redirect, or the job as JSON (202);
- ``GET /cases/{id}/captures/{job}`` (viewers): the status fragment, polled by htmx until the job
  is ``done`` or ``failed`` (then it tells the evidence section to reload); JSON when asked;
- ``GET /cases/{id}/evidence`` (viewers): the evidence fragment;
- ``POST /cases/{id}/verify`` (analysts): verify the case's evidence now, recorded with the user;
- ``GET /cases/{id}/evidence/{capture}/{file}`` (viewers): a file the case's custody entries list
  (``?thumbnail=1``: the top of a screenshot, small).

Adapters only: the jobs, the evidence rows and verification live in ``wildtrace.cases``. Captures
fetch public addresses only, plus exactly ``app.state.capture_allow_origins``.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response

from wildtrace.cases import evidence
from wildtrace.cases.capture_jobs import CaptureJob, CaptureJobs
from wildtrace.errors import Invalid
from wildtrace.store import cases
from wildtrace.web.api.cases import readable, writable
from wildtrace.web.deps import Analyst, StoreDep, Viewer
from wildtrace.web.errors import ApiError, is_api

router = APIRouter(include_in_schema=False)

CaseId = Annotated[int, Path(ge=1, le=2**63 - 1)]
JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
CaptureRef = Annotated[str, Path(max_length=200)]
FileName = Annotated[str, Path(max_length=200)]
MEDIA = {".png": "image/png", ".gz": "application/warc"}
_START = threading.Lock()


def capture_jobs(request: Request) -> CaptureJobs:
    """The workbench's capture jobs, made on first use (evidence under ``settings.evidence_dir``)."""
    state = request.app.state
    with _START:
        jobs: CaptureJobs | None = getattr(state, "capture_jobs", None)
        if jobs is None:
            settings = state.settings
            jobs = CaptureJobs(state.store, settings.evidence_dir,
                               allow_origins=getattr(state, "capture_allow_origins", frozenset()),
                               key=settings.evidence_key)
            state.capture_jobs = jobs
    return jobs


def evidence_context(request: Request, case_row: dict[str, Any], may_write: bool) -> dict[str, Any]:
    """What ``_evidence.html`` and the capture form need but ``who`` (the case page includes them)."""
    store = request.app.state.store
    jobs = getattr(request.app.state, "capture_jobs", None)
    return {"case": case_row, "evidence": evidence.files(case_row),
            "verification": evidence.last_verification(store, int(case_row["id"])),
            "jobs": jobs.for_case(int(case_row["id"])) if jobs is not None else [],
            "may_write": may_write}


def _render(request: Request, name: str, status: int = 200, headers: dict[str, str] | None = None,
            **ctx: Any) -> Response:
    return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
        request, name, ctx, status_code=status, headers=headers)


async def _wanted(request: Request) -> tuple[str, str]:
    """(url, listing id) from the form or a JSON body."""
    if request.headers.get("content-type", "").startswith("application/json"):
        body = await request.json()
        if not isinstance(body, dict) or set(body) - {"url", "listing_id"}:
            raise ApiError(422, "invalid_request", 'send {"url": "..."} or {"listing_id": "..."}')
        url, listing = body.get("url") or "", body.get("listing_id") or ""
    else:
        form = await request.form()
        url, listing = form.get("url") or "", form.get("listing_id") or ""
    if not isinstance(url, str) or not isinstance(listing, str) or len(url) > 2000 or len(listing) > 1000:
        raise ApiError(422, "invalid_value", "url and listing_id are strings (up to 2,000 and 1,000 characters)")
    return url.strip(), listing.strip()


def _listing_url(st: Any, case_id: int, listing_id: str) -> str:
    for result in cases.case_results(st.engine, case_id):
        if result.get("id") == listing_id:
            url = str((result.get("listing") or {}).get("url") or "").strip()
            if not url.lower().startswith(("http://", "https://")):
                raise Invalid(f"listing {listing_id!r} has no http(s) address to capture")
            return url
    raise Invalid(f"listing {listing_id!r} is not in this case; add it first")


@router.post("/cases/{case_id}/captures")
async def start(*, request: Request, case_id: CaseId, who: Analyst, st: StoreDep) -> Response:
    """Queue a capture of ``url`` (or of listing ``listing_id``'s address) for the case."""
    writable(st.engine, case_id, who)
    url, listing = await _wanted(request)
    if not url and not listing:
        raise ApiError(422, "invalid_value", "give the page's address (url) or a listing of the case")
    if not url:
        url = _listing_url(st, case_id, listing)
    job = capture_jobs(request).start(case_id, url, who.name, listing_id=listing or None)
    if is_api(request):
        return JSONResponse(job.to_dict(), status_code=202)
    if request.headers.get("hx-request"):
        return _render(request, "_capture_status.html", 202, case_id=case_id, job=job)
    return RedirectResponse(f"/cases/{case_id}#capture-jobs", status_code=303)


@router.get("/cases/{case_id}/captures/{job_id}")
def status(*, request: Request, case_id: CaseId, job_id: JobId, who: Viewer, st: StoreDep) -> Response:
    """The job's state: the status fragment (polled while it runs), or JSON when asked."""
    readable(st.engine, case_id, who)
    job: CaptureJob = capture_jobs(request).get(job_id, case_id)
    if is_api(request):
        return JSONResponse(job.to_dict())
    headers = {"HX-Trigger": "evidence-changed"} if job.finished and request.headers.get("hx-request") else None
    return _render(request, "_capture_status.html", headers=headers, case_id=case_id, job=job)


@router.get("/cases/{case_id}/evidence")
def evidence_section(*, request: Request, case_id: CaseId, who: Viewer, st: StoreDep) -> Response:
    readable(st.engine, case_id, who)
    row = cases.get_case(st.engine, case_id)
    may_write = cases.can_write(st.engine, case_id, who.name, who.role)
    return _render(request, "_evidence.html", who=who, **evidence_context(request, row, may_write))


@router.post("/cases/{case_id}/verify")
def verify(*, request: Request, case_id: CaseId, who: Analyst, st: StoreDep) -> Response:
    """Verify every evidence file of the case now (recorded in its timeline with the user)."""
    writable(st.engine, case_id, who)
    result = evidence.verify_case(st, case_id, who.name, request.app.state.settings.evidence_public_key)
    if is_api(request):
        return JSONResponse(result)
    if request.headers.get("hx-request"):
        return evidence_section(request=request, case_id=case_id, who=who, st=st)
    return RedirectResponse(f"/cases/{case_id}#evidence", status_code=303)


@router.get("/cases/{case_id}/evidence/{capture_id}/{name}")
def evidence_file(*, case_id: CaseId, capture_id: CaptureRef, name: FileName, who: Viewer, st: StoreDep,
                  thumbnail: bool = False) -> Response:
    """A file of one of the case's captures (screenshots shown, WARCs downloaded); with
    ``thumbnail=1``, the top of a screenshot, small."""
    readable(st.engine, case_id, who)
    path = evidence.file_path(cases.get_case(st.engine, case_id), capture_id, name)
    media = MEDIA.get(path.suffix, "application/octet-stream")
    if thumbnail and media == "image/png":
        return Response(evidence.thumbnail(path), media_type=media)
    return FileResponse(path, media_type=media, filename=path.name,
                        content_disposition_type="inline" if media == "image/png" else "attachment")
