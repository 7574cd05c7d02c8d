"""Patrol runs over HTTP, read-only: ``GET /api/v1/patrols`` (every finished run, newest first,
with its headline evaluation) and ``GET /api/v1/patrols/{run_id}`` (the manifest, the evaluation,
each month's plan and the addresses of the run's files). The JSON twins of the Patrols pages
(``web/patrol_pages.py``), from the same library calls (``wildtrace.patrol.runs``) over the
server's patrol folder (``settings.patrol_dir``). Any logged-in role may read.

Run ids and months from the URL are checked against their patterns; an unknown run is a 404, a
malformed month a 400, and a run whose manifest or files are damaged a 500 ``damaged_run`` whose
message names the file (never a traceback, never a server path).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from fastapi.responses import Response

from wildtrace.errors import DataError, Invalid
from wildtrace.patrol.runs import Run, check_month, list_runs, load_run
from wildtrace.web.deps import Viewer
from wildtrace.web.errors import ApiError

router = APIRouter(prefix="/patrols", tags=["patrols"])

#: Checked by the library (``runs.RUN_ID``), so that any malformed id is a 404, never a 422.
RunId = Annotated[str, PathParam(description="a run id, e.g. 2026-12-07T0612Z-1a2b3c")]


def patrol_dir(request: Request) -> Path:
    """The server's patrol folder (``settings.patrol_dir``: DATA_DIR/patrol)."""
    return Path(request.app.state.settings.patrol_dir)


@contextmanager
def reading() -> Iterator[None]:
    """A damaged run (manifest, evaluation, plan, a file changed after the run) is a 500
    ``damaged_run`` naming the file; a malformed month a 400."""
    try:
        yield
    except DataError as exc:
        raise ApiError(500, "damaged_run", str(exc)) from None
    except Invalid as exc:
        raise ApiError(400, "invalid_value", str(exc)) from None


def open_run(request: Request, run_id: str) -> Run:
    with reading():
        return load_run(patrol_dir(request), run_id)


def pick_month(run: Run, month: str | None) -> str | None:
    """The month asked for (checked, and one the run has), else the run's latest."""
    if not month:
        return run.months[-1] if run.months else None
    with reading():
        check_month(month)
    if month not in run.months:
        raise ApiError(404, "not_found", f"patrol run {run.run_id} has no map for {month}; "
                                         f"it has {', '.join(run.months) or 'none'}")
    return month


def json_response(body: Any) -> Response:
    """JSON (orjson: a NaN a hand-edited file may hold becomes null, not a crash)."""
    return Response(orjson.dumps(body, default=str), media_type="application/json")


def file_url(run: Run, name: str) -> str:
    return f"/patrols/{run.run_id}/files/{name}"


def run_body(run: Run) -> dict[str, Any]:
    """The run as JSON: its manifest, evaluation, each month's plan and file addresses."""
    with reading():
        evaluation = run.evaluation()
        plans = {m: run.plan(m) for m in run.months}
    files = {m: {kind: file_url(run, name) for kind, name in per.items()}
             for m, per in run.files.items()}
    evaluation_name = run.manifest.get("evaluation")
    return {"run_id": run.run_id, "page": f"/patrols/{run.run_id}", "manifest": run.manifest,
            "evaluation": evaluation, "plans": plans, "files": files,
            "evaluation_file": file_url(run, evaluation_name)
            if evaluation and isinstance(evaluation_name, str) else None}


@router.get("")
def patrol_runs(*, request: Request, _: Viewer) -> Response:
    """Every finished patrol run, newest first; a damaged one is listed with its ``problem``."""
    with reading():
        found = list_runs(patrol_dir(request))
    return json_response({"runs": [s.to_dict() for s in found]})


@router.get("/{run_id}")
def patrol_run(*, request: Request, run_id: RunId, _: Viewer) -> Response:
    """One run: manifest (provenance: model version, inputs hash, created), evaluation, plans."""
    return json_response(run_body(open_run(request, run_id)))
