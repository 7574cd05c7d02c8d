"""Cases: named groups of listings for an investigation."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from wildtrace.store import cases
from wildtrace.web.api.models import CaseListingRequest, CaseRequest
from wildtrace.web.deps import Analyst, EngineDep, Viewer

router = APIRouter(tags=["cases"])


@router.get("/cases")
def list_cases(*, _: Viewer, eng: EngineDep) -> dict[str, Any]:
    return {"items": cases.list_cases(eng)}


@router.post("/cases", status_code=201)
def create_case(*, body: CaseRequest, who: Analyst,
                eng: EngineDep) -> dict[str, Any]:
    return cases.create_case(eng, body.title, who.name)


@router.get("/cases/{case_id}")
def get_case(*, case_id: int, _: Viewer, eng: EngineDep) -> dict[str, Any]:
    return cases.get_case(eng, case_id)


@router.post("/cases/{case_id}/listings", status_code=201)
def add_listing(*, case_id: int, body: CaseListingRequest, who: Analyst,
                eng: EngineDep) -> dict[str, Any]:
    return cases.add_to_case(eng, case_id, body.listing_id, who.name)
