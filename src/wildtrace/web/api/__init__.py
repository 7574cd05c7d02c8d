"""The JSON API under ``/api/v1`` (schema: ``GET /api/v1/openapi.json``, login needed)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from wildtrace.web.api import cases, labels, listings, sources, text_models, users
from wildtrace.web.deps import viewer

router = APIRouter()
router.include_router(listings.router)
router.include_router(labels.router)
router.include_router(cases.router)
router.include_router(users.router)
router.include_router(sources.router)
router.include_router(text_models.router)


@router.get("/openapi.json", dependencies=[Depends(viewer)], include_in_schema=False)
def openapi(*, request: Request) -> dict[str, Any]:
    return request.app.openapi()  # type: ignore[no-any-return]
