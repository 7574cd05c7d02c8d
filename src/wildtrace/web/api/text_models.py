"""Text models trained from the analysts' labels: list them, retrain, follow a job, accept one.

- ``GET /models`` (viewers): the models (newest first), the one in use, the retraining jobs;
- ``POST /models/retrain`` (analysts): start retraining in the background (202, the job); while
  one is queued or running, that one is answered instead of a second;
- ``GET /models/jobs/{job}`` (viewers): a job's state (queued, running, done, failed + reason);
- ``POST /models/{id}/accept`` (analysts): make that model the one the workbench scans with
  (audited ``model.accept``; the workbench's scanner is rebuilt on the next scan).

Adapters only: training is ``wildtrace.learn.retrain``, the table ``wildtrace.store.text_models``.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from wildtrace.learn.workbench import in_use
from wildtrace.store import text_models
from wildtrace.store.accounts import Principal
from wildtrace.web.deps import Analyst, EngineDep, Viewer

if TYPE_CHECKING:
    from wildtrace.learn.retrain import RetrainJobs

router = APIRouter(tags=["models"])
_START = threading.Lock()

JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
ModelId = Annotated[str, Path(pattern=r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$")]


def retrain_jobs(request: Request) -> RetrainJobs:
    """The workbench's retraining jobs, made on first use (closed when the app stops)."""
    # imported here: training needs scikit-learn (~5 s of start-up), which serving does not
    from wildtrace.learn.retrain import RetrainJobs

    state = request.app.state
    with _START:
        jobs: RetrainJobs | None = getattr(state, "retrain_jobs", None)
        if jobs is None:
            jobs = RetrainJobs(state.store, state.settings)
            state.retrain_jobs = jobs
    return jobs


def accept_model(request: Request, model_id: str, who: Principal) -> dict[str, Any]:
    """Accept ``model_id`` and drop the workbench's scanner, so the next scan uses the model."""
    row = text_models.accept(request.app.state.store.engine, model_id, who.name)
    request.app.state.scanner = None
    return row


@router.get("/models")
def models(*, request: Request, _: Viewer, eng: EngineDep) -> dict[str, Any]:
    """Every workbench model (newest first), what the workbench scans with, and the jobs."""
    jobs = getattr(request.app.state, "retrain_jobs", None)
    return {"items": text_models.all_models(eng), "in_use": in_use(request.app.state.settings, eng),
            "jobs": [j.to_dict() for j in jobs.all()] if jobs is not None else []}


@router.post("/models/retrain", status_code=202)
def retrain(*, request: Request, who: Analyst) -> JSONResponse:
    """Retrain from the labels in the background; poll ``/models/jobs/{id}``."""
    return JSONResponse(retrain_jobs(request).start(who.name).to_dict(), status_code=202)


@router.get("/models/jobs/{job_id}")
def job(*, request: Request, job_id: JobId, _: Viewer) -> dict[str, Any]:
    return retrain_jobs(request).get(job_id).to_dict()


@router.post("/models/{model_id}/accept")
def accept(*, request: Request, model_id: ModelId, who: Analyst) -> dict[str, Any]:
    """Make this model the one the workbench scans with (the one before is retired)."""
    return accept_model(request, model_id, who)
