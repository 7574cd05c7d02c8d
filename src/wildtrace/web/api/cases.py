"""Cases: named groups of listings for an investigation, and their members.

A case with members is read and changed only by its members and admins: to anyone else it
does not exist (404, and absent from the list). Members are added and removed by admins and by
analysts who are members (or, while the case has none, by the analyst who created it, who
then becomes a member too).
"""

from __future__ import annotations

from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Path

from wildtrace import cases as case_ops
from wildtrace.store import cases
from wildtrace.store.accounts import Principal
from wildtrace.web.api.models import CaseListingRequest, CaseRequest, MemberRequest
from wildtrace.web.deps import Analyst, EngineDep, StoreDep, Viewer
from wildtrace.web.errors import ApiError

#: a case number: what the database can hold (a larger one is a 422, not an overflow)
CaseId = Annotated[int, Path(ge=1, le=2**63 - 1)]

router = APIRouter(tags=["cases"])


def readable(eng: sa.Engine, case_id: int, who: Principal) -> None:
    """404 unless ``who`` may read the case (members-only cases hide from everyone else)."""
    if not cases.can_read(eng, case_id, who.name, who.role):
        raise ApiError(404, "not_found", f"no case {case_id}")


def writable(eng: sa.Engine, case_id: int, who: Principal) -> None:
    """``readable``, then 403 unless ``who`` may change the case."""
    readable(eng, case_id, who)
    if not cases.can_write(eng, case_id, who.name, who.role):
        raise ApiError(403, "forbidden", f"you may not change case {case_id}")


@router.get("/cases")
def list_cases(*, who: Viewer, eng: EngineDep) -> dict[str, Any]:
    return {"items": cases.readable_cases(eng, who.name, who.role)}


@router.post("/cases", status_code=201)
def create_case(*, body: CaseRequest, who: Analyst,
                st: StoreDep) -> dict[str, Any]:
    return case_ops.create(st, body.title, who.name)


@router.get("/cases/{case_id}")
def get_case(*, case_id: CaseId, who: Viewer, eng: EngineDep) -> dict[str, Any]:
    readable(eng, case_id, who)
    return cases.get_case(eng, case_id)


@router.post("/cases/{case_id}/listings", status_code=201)
def add_listing(*, case_id: CaseId, body: CaseListingRequest, who: Analyst,
                st: StoreDep) -> dict[str, Any]:
    writable(st.engine, case_id, who)
    case_ops.add_listings(st, case_id, [body.listing_id], who.name)
    return cases.get_case(st.engine, case_id)


def _may_manage(eng: sa.Engine, case_id: int, who: Principal) -> bool:
    writable(eng, case_id, who)
    if who.role == "admin":
        return False
    current = {m["user"] for m in cases.members(eng, case_id)}
    if who.name in current:
        return False
    if not current and cases.get_case(eng, case_id)["created_by"] == who.name:
        return True  # the creator restricts their own case, and stays in it
    raise ApiError(403, "forbidden", f"only admins and analysts who are members manage case {case_id}'s members")


@router.get("/cases/{case_id}/members")
def list_members(*, case_id: CaseId, who: Viewer, eng: EngineDep) -> dict[str, Any]:
    readable(eng, case_id, who)
    return {"items": cases.members(eng, case_id)}


@router.post("/cases/{case_id}/members", status_code=201)
def add_member(*, case_id: CaseId, body: MemberRequest, who: Analyst, eng: EngineDep) -> dict[str, Any]:
    """Add a member: the case is then read and changed only by its members and admins."""
    if _may_manage(eng, case_id, who):
        cases.add_member(eng, case_id, who.name, who.name)
    return {"items": cases.add_member(eng, case_id, body.user, who.name)}


@router.delete("/cases/{case_id}/members/{user}")
def remove_member(*, case_id: CaseId, user: str, who: Analyst, eng: EngineDep) -> dict[str, Any]:
    """Remove a member; with no member left the case is open to every role again."""
    _may_manage(eng, case_id, who)
    return {"items": cases.remove_member(eng, case_id, user, who.name)}
