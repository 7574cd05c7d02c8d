"""Labels: append-only, with author and time; each one is also written to the audit log."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from wildtrace.store.labels import LABELS, add_labels, labels_of
from wildtrace.web.api.models import BulkLabelRequest, LabelRequest
from wildtrace.web.deps import Analyst, EngineDep, Viewer

router = APIRouter(tags=["labels"])


@router.get("/labels")
def label_names(*, _: Viewer) -> dict[str, Any]:
    return {"labels": list(LABELS)}


@router.post("/labels", status_code=201)
def add_label(*, body: LabelRequest, who: Analyst,
              eng: EngineDep) -> dict[str, Any]:
    """Label one listing (analyst or admin)."""
    (record,) = add_labels(eng, [body.listing_id], body.label, who.name, body.note)
    return record


@router.post("/labels/bulk", status_code=201)
def bulk_label(*, body: BulkLabelRequest, who: Analyst,
               eng: EngineDep) -> dict[str, Any]:
    """Give many listings the same label: all or none (an unknown id labels nothing)."""
    return {"items": add_labels(eng, body.listing_ids, body.label, who.name, body.note)}


@router.get("/labels/{listing_id:path}")
def history(*, listing_id: str, _: Viewer, eng: EngineDep) -> dict[str, Any]:
    return {"listing_id": listing_id, "items": labels_of(eng, listing_id)}
