"""A flag as a row an analyst reads: what fired, the taxon, term and unit with their names, the
countries with their names, the years, each side's quantity (exporter-reported and
importer-reported, never added) and the query that opens the records behind it.

The same for every analysis (reconcile, screen, trends, routes): pages and reports render
``row(flag)`` and link ``records_query(flag)`` to the records page.
"""

from __future__ import annotations

from typing import Any

from wildtrace.trade import names
from wildtrace.trade.selection import years

#: (exporter-reported, importer-reported) keys, in the order the analyses' flags use them
SIDE_KEYS = (("q_e", "q_i"), ("quantity_exporter_report", "quantity_importer_report"),
             ("reexported_by_exporter_report", "reexported_by_importer_report"))


def record_ids(flag: dict[str, Any]) -> list[str]:
    """The record ids a flag names (both sides of a reconciliation flag)."""
    ids = [*(flag.get("record_ids") or []), *(flag.get("record_ids_exporter") or []),
           *(flag.get("record_ids_importer") or [])]
    return [str(i) for i in dict.fromkeys(ids)]


def records_query(flag: dict[str, Any]) -> list[tuple[str, str]]:
    """Query parameters of the records behind the flag: its record ids, or (a new route names
    none) its taxon, exporter, importer and years."""
    ids = record_ids(flag)
    if ids:
        return [("id", i) for i in ids]
    out = [(k, str(flag[k])) for k in ("taxon", "exporter", "importer") if flag.get(k)]
    span = years(flag)
    if span:
        out += [("year_from", str(span[0])), ("year_to", str(span[1]))]
    return out


def sides(flag: dict[str, Any]) -> tuple[float | None, float | None]:
    """(exporter-reported, importer-reported) quantity where the flag has them."""
    for e, i in SIDE_KEYS:
        if e in flag or i in flag:
            return flag.get(e), flag.get(i)
    if flag.get("kind") in ("spike", "onset"):  # trends read the exporters' reports
        return flag.get("quantity"), None
    return None, None


def row(flag: dict[str, Any]) -> dict[str, Any]:
    """The flag with names beside its codes, its sides and its records query."""
    kind = flag.get("criterion") or flag.get("kind") or ", ".join(flag.get("kinds") or []) or "flag"
    span = years(flag)
    e, i = sides(flag)
    term = flag.get("term")
    unit = flag.get("unit")
    return {"kind": kind, "taxon": flag.get("taxon") or "", "term": term,
            "term_name": names.term(term) if term else "",
            "unit_name": names.unit(unit) if term or unit else "",
            "exporter": names.country(flag["exporter"]) if flag.get("exporter") else "",
            "importer": names.country(flag["importer"]) if flag.get("importer") else "",
            "origin": names.country(flag["origin"]) if flag.get("origin") else "",
            "years": "" if span is None else (str(span[0]) if span[0] == span[1] else f"{span[0]}\u2013{span[1]}"),
            "exporter_reported": e, "importer_reported": i, "reasons": list(flag.get("reasons") or []),
            "records_query": records_query(flag), "record_count": len(record_ids(flag))}
