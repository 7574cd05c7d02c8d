"""The Patrols pages of the workbench: where poachers will strike next, as a run left it.

- ``GET /patrols``: every finished patrol run (``wildtrace patrol run`` / ``patrol demo``), newest
  first: when, which park, which months, synthetic or not, the model version, and the headline
  evaluation (model against the past-activity baseline, PR-AUC and AUC with 95% intervals);
- ``GET /patrols/{run_id}?month=YYYY-MM`` (default: the run's latest month): the risk map (a PNG
  the run drew server-side; no map tiles, nothing off-site), the patrol plan (a table per route)
  with the GPX and GeoJSON to load into rangers' devices, the evaluation table (model,
  unweighted, baseline; against the truth too for a synthetic park) and the provenance;
- ``GET /patrols/{run_id}/files/{name}``: one file of the run, only one its manifest names, only a
  plain file in the run folder, only as the run wrote it (its SHA-256 checked), with its content
  type; the PNG inline, the rest as downloads. Run files never change, so they may be cached.

Adapters only: the run folder is read by ``wildtrace.patrol.runs`` (stdlib only: the workbench
needs no GIS library to show a run). Any logged-in role may read, as the trade pages.
"""

from __future__ import annotations

import struct
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import Response

from wildtrace.patrol.runs import KINDS, figure, list_runs
from wildtrace.web.api.patrols import (
    RunId,
    file_url,
    open_run,
    patrol_dir,
    pick_month,
    reading,
)
from wildtrace.web.deps import Viewer

router = APIRouter(include_in_schema=False)

#: The evaluation's figures, in table order: (key, label)
FIGURES = (("roc_auc", "AUC (ROC)"), ("pr_auc", "PR-AUC (average precision)"),
           ("found_top_5pct", "illegal activity found patrolling the top 5% of cells"),
           ("found_top_10pct", "illegal activity found patrolling the top 10% of cells"),
           ("found_top_20pct", "illegal activity found patrolling the top 20% of cells"),
           ("spearman", "rank correlation with the true risk (Spearman)"))
#: The evaluation's columns: (key, heading)
MODELS = (("model", "effort-aware model (iWare-E), at the effort spent"),
          ("baseline", "baseline: past activity, at the effort spent"),
          ("model_planned", "model, planned ahead (same effort everywhere)"),
          ("baseline_planned", "baseline, planned ahead (past activity alone)"),
          ("unweighted", "same classifier, no effort"))
#: Against a synthetic park's truth every model ranks the cells ahead of time (planned effort)
TRUTH_MODELS = (("model", "effort-aware model (iWare-E), planned ahead"),
                ("baseline", "baseline: past activity"), ("unweighted", "same classifier, no effort"))
#: Paired differences (the same bootstrap resamples): (key in ``differences``, heading)
DIFFERENCES = (("model-baseline", "model − baseline (paired)"),
               ("model_planned-baseline_planned", "planned ahead: model − baseline (paired)"),
               ("model_planned-unweighted", "planned ahead: model − unweighted (paired)"),
               ("model-unweighted", "model − unweighted (paired)"))
#: Content type and disposition of a run file, by suffix; anything else is a download.
TYPES = {".png": ("image/png", "inline"), ".geojson": ("application/geo+json", "attachment"),
         ".gpx": ("application/gpx+xml", "attachment"), ".tif": ("image/tiff", "attachment"),
         ".tiff": ("image/tiff", "attachment"), ".json": ("application/json", "attachment"),
         ".csv": ("text/csv; charset=utf-8", "attachment")}
#: Run files are never changed once written (and the SHA-256 is checked on every read).
CACHE = "private, max-age=86400, immutable"
#: Checked by the library (``runs.MONTH``): a malformed month is a 400.
Month = Annotated[str | None, Query(description="YYYY-MM (default: the latest)")]


def _render(request: Request, template: str, who: Any, status: int = 200, **ctx: Any) -> Response:
    return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
        request, template, {"who": who, **ctx}, status_code=status)


def _png_size(body: bytes) -> tuple[int, int] | None:
    """Width and height from a PNG's header (so the page reserves the map's place)."""
    if len(body) >= 24 and body[:8] == b"\x89PNG\r\n\x1a\n" and body[12:16] == b"IHDR":
        width, height = struct.unpack(">II", body[16:24])
        return (int(width), int(height)) if 0 < width < 100_000 and 0 < height < 100_000 else None
    return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _number(value: Any) -> float | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if ok else None


def plan_view(plan: dict[str, Any] | None) -> dict[str, Any] | None:
    """The plan JSON (``plan.Plan.to_dict``) as the page shows it: one row per route."""
    if plan is None:
        return None
    budget = _number(plan.get("budget_km"))
    rows = []
    for r in _list(plan.get("routes")):
        if not isinstance(r, dict):
            continue
        cells = _list(r.get("cell_ids")) or _list(r.get("stops"))
        rows.append({"post": str(r.get("post_id", r.get("post", "")))[:200], "team": r.get("team"),
                     "distance_km": _number(r.get("distance_km")), "budget_km": budget,
                     "cells": len(cells), "risk_covered": _number(r.get("risk_covered")),
                     "duration_h": _number(r.get("duration_h"))})
    notes = _list(plan.get("notes"))
    return {"rows": rows, "budget_km": budget, "status": str(plan.get("status", ""))[:200],
            "reason": str(plan.get("reason", ""))[:2000], "notes": [str(n)[:2000] for n in notes],
            "risk_covered": _number(plan.get("risk_covered")),
            "total_risk": _number(plan.get("total_risk")),
            "share_covered": _number(plan.get("share_covered")),
            "candidates": plan.get("candidates"),
            "distance_model": str(plan.get("distance_model", ""))[:500]}


def evaluation_view(section: Any, models: tuple[tuple[str, str], ...] = MODELS) -> dict[str, Any] | None:
    """An evaluation (or its ``truth`` part) as a table: figure rows, one column per model; only
    the figures and models it holds."""
    if not isinstance(section, dict):
        return None
    found = section.get("differences")
    differences: dict[str, Any] = found if isinstance(found, dict) else {}
    columns = [(k, label, section[k], False) for k, label in models if isinstance(section.get(k), dict)]
    columns += [(k, label, differences[k], True) for k, label in DIFFERENCES
                if isinstance(differences.get(k), dict)]
    rows = []
    for key, label in FIGURES:
        cells = [figure(part, key) for _, _, part, _ in columns]
        if any(v is not None for v, _ in cells):
            rows.append({"key": key, "label": label, "cells": cells})
    heads = [(k, label, signed) for k, label, _, signed in columns]
    return {"models": heads, "rows": rows} if rows else None


@router.get("/patrols")
def patrols_page(*, request: Request, who: Viewer) -> Response:
    """Every finished run, newest first, with its headline evaluation."""
    with reading():
        found = list_runs(patrol_dir(request))
    return _render(request, "patrols.html", who, runs=found)


@router.get("/patrols/{run_id}")
def patrol_run_page(*, request: Request, run_id: RunId, who: Viewer, month: Month = None) -> Response:
    """One run: a month's risk map, its plan and downloads, the evaluation, the provenance."""
    run = open_run(request, run_id)
    shown = pick_month(run, month)
    with reading():
        evaluation = run.evaluation()
        plan = plan_view(run.plan(shown)) if shown else None
        files = run.files.get(shown, {}) if shown else {}
        png = run.read_bytes(files["risk_png"]) if "risk_png" in files else None
    downloads = [{"kind": kind, "label": KINDS.get(kind, kind), "name": name,
                  "url": file_url(run, name)} for kind, name in sorted(files.items())]
    evaluation_name = run.manifest.get("evaluation")
    if evaluation is not None and isinstance(evaluation_name, str):
        downloads.append({"kind": "evaluation", "label": "evaluation (JSON)",
                          "name": evaluation_name, "url": file_url(run, evaluation_name)})
    config = run.manifest.get("config")
    truth = evaluation.get("truth") if evaluation else None
    return _render(request, "patrol_run.html", who, run=run, month=shown,
                   map_url=file_url(run, files["risk_png"]) if png is not None else None,
                   map_size=_png_size(png) if png is not None else None, plan=plan,
                   downloads=downloads, evaluation=evaluation, table=evaluation_view(evaluation),
                   truth=evaluation_view(truth, TRUTH_MODELS),
                   inputs=[i for i in _list(run.manifest.get("inputs")) if isinstance(i, dict)],
                   config=config if isinstance(config, dict) else {},
                   notes=[str(n) for n in _list(run.manifest.get("notes"))], m=run.manifest)


@router.get("/patrols/{run_id}/files/{name}")
def patrol_file(*, request: Request, run_id: RunId, who: Viewer,
                name: Annotated[str, PathParam()]) -> Response:
    """One file the run's manifest names, as the run wrote it (304 when the client has it)."""
    run = open_run(request, run_id)
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    media, disposition = TYPES.get(suffix, ("application/octet-stream", "attachment"))
    headers = {"Content-Disposition": f'{disposition}; filename="{run.run_id}-{name}"',
               "Cache-Control": CACHE, "X-Content-Type-Options": "nosniff"}
    with reading():
        run.named(name)  # listed in the manifest, a plain file in the folder: else 404
        digest = run.sha256(name)
        if digest:
            headers["ETag"] = f'"{digest}"'
            if headers["ETag"] in request.headers.get("if-none-match", ""):
                return Response(status_code=304, headers=headers)
        body = run.read_bytes(name)
    return Response(body, media_type=media, headers=headers)
