"""What the search page and the search API share: the Searcher of the app, hits and facets as
JSON (species with their common names in each language the reference data names them in)."""

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


#: The languages of the reference data's common names, in the order the search page shows them.
NAME_LANGUAGES = ("en", "fr", "es", "pt", "zh_hans", "zh_hant", "vi", "th", "id", "ms")


def common_names(s: Searcher, scientific_name: str) -> list[dict[str, str]]:
    """The first common name of the taxon in each language (``lang``: a BCP 47 tag), a name two
    languages share given once: ``[{"lang": "en", "name": "elephant"}, {"lang": "fr", ...}]``."""
    taxon = s.ref.taxon(scientific_name)
    if taxon is None:
        return []
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for lang in (*NAME_LANGUAGES, *sorted(set(taxon.names) - set(NAME_LANGUAGES))):
        names = taxon.names.get(lang) or ()
        if names and names[0] not in seen:
            seen.add(names[0])
            out.append({"lang": lang.replace("_", "-"), "name": names[0]})
    return out


def facet_items(s: Searcher, found: Found) -> dict[str, list[dict[str, Any]]]:
    """Facets with counts; species with their (English) common name and their common names in
    every language of the reference data."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name, values in found.facets.items():
        rows: list[dict[str, Any]] = []
        for value, n in values:
            row: dict[str, Any] = {"value": value, "count": n}
            if name == "species":
                row["common_name"] = s.taxon_label(value)["common_name"]
                row["common_names"] = common_names(s, value)
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
