"""What the search page and the search API share: the Searcher of the app, hits and facets as JSON."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from markupsafe import Markup

from wildtrace.search import Searcher
from wildtrace.store.search import Found, Hit
from wildtrace.web.deps import scanner
from wildtrace.web.render import highlight


def searcher(request: Request) -> Searcher:
    """One Searcher per scanner of the app (built on first use)."""
    state = request.app.state
    sc = scanner(request)
    cached = getattr(state, "searcher", None)
    if cached is None or cached.detector is not sc.detector:
        cached = Searcher(sc.detector)
        state.searcher = cached
    return cached


SearcherDep = Annotated[Searcher, Depends(searcher)]


def item(hit: Hit) -> dict[str, Any]:
    """A hit as the API gives it: the queue row, why it was found, and highlighted title and text."""
    return {**hit.row, "hit": hit.kind, "matched": hit.matched, "spans": hit.spans,
            "highlight": {f: str(highlight(v, hit.spans, f)) for f, v in hit.fields.items()}}


def facet_items(s: Searcher, found: Found) -> dict[str, list[dict[str, Any]]]:
    """Facets with counts; species with their common name."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name, values in found.facets.items():
        rows: list[dict[str, Any]] = []
        for value, n in values:
            row: dict[str, Any] = {"value": value, "count": n}
            if name == "species":
                row["common_name"] = s.taxon_label(value)["common_name"]
            rows.append(row)
        out[name] = rows
    return out


def snippet(hit: Hit, field: str, width: int = 240) -> Markup:
    """Up to ``width`` characters of a field around its first highlighted span, marked up."""
    text = hit.fields.get(field, "")
    mine = sorted((x for x in hit.spans if x.get("field") == field), key=lambda x: int(x["span"][0]))
    first = int(mine[0]["span"][0]) if mine else 0
    start = max(0, min(first - width // 3, len(text) - width))
    end = min(len(text), start + width)
    shifted = [{**x, "span": [int(x["span"][0]) - start, int(x["span"][1]) - start]} for x in mine
               if start <= int(x["span"][0]) and int(x["span"][1]) <= end]
    out = highlight(text[start:end], shifted, field)
    return Markup("…" if start else "") + out + Markup("…" if end < len(text) else "")
