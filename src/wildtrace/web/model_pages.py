"""The models page (``/models``): retrain from the analysts' labels, compare, accept.

- ``GET /models`` (viewers): what the workbench scans with, the retraining jobs (their state,
  polled while they run), every model trained here, and one model's evaluation beside the model
  that was in use when it was trained (``?model=ID``; default: the newest);
- ``POST /models/retrain`` (analysts): start retraining (``learn.retrain``) in the background:
  the job's status fragment (htmx), a redirect to the page, or the job as JSON (202);
- ``GET /models/jobs/{job}`` (viewers): the status fragment, polled by htmx until the job is done
  or failed (then the page reloads, showing the new model); JSON when asked;
- ``POST /models/{id}/accept`` (analysts, CSRF): the workbench scans with that model from then on
  (audited ``model.accept``). Results already stored keep the model that scored them: each row of
  the queue and each listing page name it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from wildtrace.learn.workbench import in_use
from wildtrace.store import text_models
from wildtrace.web.api.text_models import JobId, ModelId, accept_model, retrain_jobs
from wildtrace.web.deps import Analyst, EngineDep, Viewer
from wildtrace.web.errors import is_api

router = APIRouter(include_in_schema=False)

#: The figures shown side by side: (key in the evaluation report, label)
FIGURES = (("pr_auc", "average precision (AP)"), ("precision", "precision at threshold"),
           ("recall", "recall at threshold"), ("f1", "F1 at threshold"), ("roc_auc", "ROC-AUC"),
           ("precision_at_5pct", "precision in the top 5%"))


def result_models(eng: Any, rows: list[dict[str, Any]]) -> tuple[dict[str, str], str | None]:
    """The model that scored each queue row, in words, and the one model of the whole page when
    every row was scored by the same one (the page then names it once, in its header)."""
    keys = text_models.result_models(eng, [r["listing_id"] for r in rows])
    named = {listing_id: text_models.describe(key) for listing_id, key in keys.items()}
    common = set(named.values())
    return named, (common.pop() if len(common) == 1 and len(named) == len(rows) else None)


def _render(request: Request, name: str, status: int = 200, headers: dict[str, str] | None = None,
            **ctx: Any) -> Response:
    return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
        request, name, ctx, status_code=status, headers=headers)


@router.get("/models", response_class=HTMLResponse)
def models_page(*, request: Request, who: Viewer, eng: EngineDep, model: str = "") -> Response:
    rows = text_models.all_models(eng)
    shown = next((r for r in rows if r["id"] == model), rows[0] if rows else None)
    jobs = getattr(request.app.state, "retrain_jobs", None)
    return _render(request, "models.html", who=who, models=rows, shown=shown, figures=FIGURES,
                   in_use=in_use(request.app.state.settings, eng), active=text_models.active(eng),
                   jobs=jobs.all()[:10] if jobs is not None else [])


@router.post("/models/retrain")
def start(*, request: Request, who: Analyst) -> Response:
    """Start retraining from the labels (one at a time: a running job is answered instead)."""
    job = retrain_jobs(request).start(who.name)
    if is_api(request):
        return JSONResponse(job.to_dict(), status_code=202)
    if request.headers.get("hx-request"):
        return _render(request, "_retrain_status.html", 202, job=job, started=True)
    return RedirectResponse("/models#jobs", status_code=303)


@router.get("/models/jobs/{job_id}")
def status(*, request: Request, job_id: JobId, who: Viewer) -> Response:
    """The job's state: the status fragment (polled while it runs; a finished one reloads the
    page, which then shows the new model), or JSON when asked."""
    job = retrain_jobs(request).get(job_id)
    if is_api(request):
        return JSONResponse(job.to_dict())
    reload = job.state == "done" and request.headers.get("hx-request")
    return _render(request, "_retrain_status.html", job=job, headers={"HX-Refresh": "true"} if reload else None)


@router.post("/models/{model_id}/accept")
def accept(*, request: Request, model_id: ModelId, who: Analyst) -> Response:
    """Switch the workbench to this model (the analyst's explicit choice, audited)."""
    row = accept_model(request, model_id, who)
    if is_api(request):
        return JSONResponse(row)
    return RedirectResponse(f"/models?model={model_id}", status_code=303)
