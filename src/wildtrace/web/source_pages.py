"""The Sources pages of the workbench: what the marketplace monitor (``wildtrace monitor run``)
last did over each source.

- ``GET /sources``: one row per source: its last pass's state (an open pass, killed or
  interrupted, says it resumes on the next run), when it started and finished, its counts (new,
  changed, gone, duplicates, captured, refused, errors), live listings and a link to the
  source's listings in the triage queue; then the last errors of each source; with no source
  yet, how to add one;
- ``GET /sources/{source}``: that source's passes, newest first, with counts and errors.

Adapters only: the data is ``web.api.sources`` (the JSON API gives the same), read from
``store.crawl``. Error URLs and reasons come from the sites fetched: escaped, and a URL is a
link only when it is http(s). Any logged-in role may read.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from wildtrace.store.accounts import Principal
from wildtrace.web.api.sources import SourceName, one_source, overview
from wildtrace.web.deps import EngineDep, Viewer

router = APIRouter(include_in_schema=False)

#: Errors shown per source on ``/sources`` (newest first; the source's page shows all it stored).
ERRORS_SHOWN = 10
#: Longest URL or reason shown (the rest is cut with "…").
MAX_SHOWN = 500
#: The counts a pass row shows, as (key, column heading).
COLUMNS = (("new", "new"), ("changed", "changed"), ("gone", "gone"), ("duplicates", "duplicates"),
           ("captured", "captured"), ("refused", "refused"), ("errors", "errors"))
PASS_COLUMNS = (("pages", "pages"), ("listings", "listings"), *COLUMNS[:2], ("unchanged", "unchanged"),
                *COLUMNS[2:])


def when(stamp: str | None) -> str:
    """An ISO 8601 UTC stamp (``clock.stamp()``) as ``2026-12-06 15:07 UTC``; "" for none."""
    text = str(stamp or "")
    if len(text) >= 16 and text[10] == "T":
        return f"{text[:10]} {text[11:16]} UTC"
    return text


def state_text(run: dict[str, Any]) -> str:
    """What a pass's state means to a reader, shown beside it: an open pass (killed while
    ``running``, or ``interrupted``) resumes on the next run; "" for a closed one."""
    if not run.get("resumes"):
        return ""
    if run.get("state") == "running":
        return "(or stopped before it finished): resumes on the next run"
    return "resumes on the next run"


def cut(text: str) -> str:
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "…"


def _render(request: Request, name: str, who: Principal, **ctx: Any) -> Response:
    return request.app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
        request, name, {"who": who, "when": when, "state_text": state_text, "cut": cut, **ctx})


@router.get("/sources", response_class=HTMLResponse)
def sources_page(*, request: Request, who: Viewer, eng: EngineDep) -> Response:
    items = overview(eng)
    for item in items:
        item["recent_errors"] = list(reversed(item["errors"]))[:ERRORS_SHOWN]
    return _render(request, "sources.html", who, items=items, columns=COLUMNS)


@router.get("/sources/{source}", response_class=HTMLResponse)
def source_page(*, request: Request, source: SourceName, who: Viewer, eng: EngineDep) -> Response:
    data = one_source(eng, source)
    return _render(request, "source.html", who, last=data["last"], passes=data["passes"],
                   source=source, columns=PASS_COLUMNS)
