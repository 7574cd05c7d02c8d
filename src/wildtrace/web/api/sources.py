"""The monitor's sources: the last pass over each (``GET /sources``) and one source's passes
(``GET /sources/{source}``). Any logged-in role may read.

Read from ``store.crawl`` (``status``, ``runs``); this module only shapes each pass for the API
and the Sources page (``web/source_pages.py``): counts with every key present, errors as
``{url, reason}`` strings, and ``resumes``: the pass is still open (a killed process left it
``running``, or it was ``interrupted``), so the next ``wildtrace monitor run`` goes on with it.
Errors are whatever the fetched sites answered: hostile text, escaped by the pages.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi import APIRouter, Path

from wildtrace.errors import NotFound
from wildtrace.store import crawl
from wildtrace.web.deps import EngineDep, Viewer

router = APIRouter(tags=["sources"])

#: The counts every pass shows (0 when the pass stored none), in the order the pages show them.
COUNTS = ("pages", "listings", "new", "changed", "unchanged", "gone", "duplicates", "captured",
          "refused", "errors")
#: Most passes of one source shown (newest first).
MAX_PASSES = 50
SourceName = Annotated[str, Path(min_length=1, max_length=200)]


def queue_link(source: str) -> str:
    """The triage queue filtered to the source's listings, newest first. The queue filters by
    platform, and a source's listings carry its ``platform`` (by default the source's name)."""
    return "/?" + urlencode({"platform": source, "sort": "first_seen"})


def _count(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _error(raw: Any) -> dict[str, str]:
    if isinstance(raw, dict):
        return {"url": str(raw.get("url") or ""), "reason": str(raw.get("reason") or "")}
    return {"url": "", "reason": str(raw)}


def shaped(run: dict[str, Any]) -> dict[str, Any]:
    """One pass as the API gives it (``errors`` oldest first, as the monitor stored them)."""
    raw = run.get("counts")
    counts: dict[str, Any] = raw if isinstance(raw, dict) else {}
    extra = {k: _count(v) for k, v in counts.items() if k not in COUNTS}
    out = {"run_id": run["run_id"], "source": run["source"], "source_sha256": run["source_sha256"],
           "state": run["state"], "resumes": run.get("finished_at") is None,
           "started_at": run["started_at"], "finished_at": run.get("finished_at"),
           "counts": {**{k: _count(counts.get(k)) for k in COUNTS}, **extra},
           "errors": [_error(e) for e in (run.get("errors") or [])]}
    for key in ("passes", "listings_live", "listings_gone"):
        if key in run:
            out[key] = _count(run[key])
    return out


def overview(engine: sa.Engine) -> list[dict[str, Any]]:
    """The last pass of every source, by name, with its queue link."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for run in crawl.status(engine):
        if run["source"] in seen:  # two passes started in the same second: keep one
            continue
        seen.add(run["source"])
        out.append({**shaped(run), "queue": queue_link(run["source"])})
    return out


def one_source(engine: sa.Engine, source: str) -> dict[str, Any]:
    """The source's last pass (as in ``overview``) and its passes, newest first; NotFound when
    no pass over ``source`` was ever stored."""
    passes = [shaped(r) for r in crawl.runs(engine, source, MAX_PASSES)]
    if not passes:
        raise NotFound(f"no monitor source named {source!r} has run here")
    last = next((s for s in overview(engine) if s["source"] == source), {**passes[0], "queue": queue_link(source)})
    return {"source": source, "last": last, "passes": passes}


@router.get("/sources")
def sources(*, _: Viewer, eng: EngineDep) -> dict[str, Any]:
    """The last pass over every monitored source: state, counts, errors, live and gone listings."""
    return {"items": overview(eng)}


@router.get("/sources/{source}")
def source(*, source: SourceName, _: Viewer, eng: EngineDep) -> dict[str, Any]:
    """One source's passes, newest first (at most 50), with its last pass as in ``/sources``."""
    return one_source(eng, source)
