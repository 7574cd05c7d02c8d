"""Cases: named groups of listings for an investigation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from wildtrace import cases as case_ops
from wildtrace.store import cases
from wildtrace.web.api.models import CaseListingRequest, CaseRequest
from wildtrace.web.deps import Analyst, EngineDep, StoreDep, Viewer

#: a case number: what the database can hold (a larger one is a 422, not an overflow)
CaseId = Annotated[int, Path(ge=1, le=2**63 - 1)]

router = APIRouter(tags=["cases"])


@router.get("/cases")
def list_cases(*, _: Viewer, eng: EngineDep) -> dict[str, Any]:
    return {"items": cases.list_cases(eng)}


@router.post("/cases", status_code=201)
def create_case(*, body: CaseRequest, who: Analyst,
                st: StoreDep) -> dict[str, Any]:
    return case_ops.create(st, body.title, who.name)


@router.get("/cases/{case_id}")
def get_case(*, case_id: CaseId, _: Viewer, eng: EngineDep) -> dict[str, Any]:
    return cases.get_case(eng, case_id)


@router.post("/cases/{case_id}/listings", status_code=201)
def add_listing(*, case_id: CaseId, body: CaseListingRequest, who: Analyst,
                st: StoreDep) -> dict[str, Any]:
    case_ops.add_listings(st, case_id, [body.listing_id], who.name)
    return cases.get_case(st.engine, case_id)
