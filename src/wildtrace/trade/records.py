"""The trade records behind a flag or a selection: fetched by record id or by selection, with
names beside the codes, and written as CSV or JSON for download."""

from __future__ import annotations

import csv
import io
from typing import Any

import duckdb

from wildtrace.trade import names
from wildtrace.trade.provenance import rows
from wildtrace.trade.selection import Selection

#: the columns shown and downloaded, in order
COLUMNS = ("record_id", "dataset", "year", "taxon", "appendix", "term", "quantity", "unit", "exporter",
           "importer", "origin", "purpose", "source", "reporter_type", "export_permit", "import_permit",
           "port", "action", "disposition", "load_id", "row")
#: at most this many ids in one request
MAX_IDS = 500


def fetch(con: duckdb.DuckDBPyConnection, *, ids: list[str] | None = None, sel: Selection | None = None,
          limit: int = 500) -> list[dict[str, Any]]:
    """Records by id (in the order given) or in a selection, each with ``*_name`` fields."""
    cols = ", ".join(f'"{c}"' for c in COLUMNS)
    if ids:
        ids = list(dict.fromkeys(ids))[:MAX_IDS]
        found = rows(con, f"SELECT {cols} FROM records WHERE record_id IN (SELECT unnest(?))", [ids])
        order = {i: n for n, i in enumerate(ids)}
        found.sort(key=lambda r: order.get(r["record_id"], len(order)))
    else:
        where, args = (sel or Selection()).where()
        found = rows(con, f"""SELECT {cols} FROM records WHERE {where}
            ORDER BY year, taxon, exporter, importer, record_id LIMIT {int(limit)}""", args)
    for r in found:
        r["term_name"] = names.term(r["term"])
        r["unit_name"] = names.unit(r["unit"])
        for c in ("exporter", "importer", "origin"):
            r[f"{c}_name"] = names.country(r[c]) if r[c] else ""
    return found


def to_csv(found: list[dict[str, Any]]) -> str:
    """The records as CSV: the columns, then each name column after its code."""
    header = [*COLUMNS, "term_name", "unit_name", "exporter_name", "importer_name", "origin_name"]
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(header)
    for r in found:
        w.writerow([cell(r.get(c)) for c in header])
    return out.getvalue()


def cell(value: Any) -> Any:
    """A CSV cell a spreadsheet will not run: text starting with ``= + - @`` (or a tab or CR)
    gets a leading apostrophe; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
