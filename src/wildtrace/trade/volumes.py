"""Trade volumes in a selection, per (term, unit), with both reports side by side: per year,
top exporters and top importers, each with the exporter-reported and the importer-reported
quantity (never added: both reports of one shipment are the same shipment). LEMIS line items
are one country's declarations: their two sides are US imports and US exports, and LEMIS
outcomes (refused, seized) are counted per year.
"""

from __future__ import annotations

from typing import Any

import duckdb

from wildtrace.trade import names, schema
from wildtrace.trade.provenance import rows
from wildtrace.trade.screen import cites_dataset
from wildtrace.trade.selection import Selection

#: what each reporter side means, per dataset
SIDES = {schema.BULK: {"E": "exporter-reported", "I": "importer-reported"},
         schema.COMPTAB: {"E": "exporter-reported", "I": "importer-reported"},
         schema.LEMIS: {"I": "US imports (declared to USFWS)", "E": "US exports (declared to USFWS)"}}


def _sides(dataset: str) -> str:
    order = ("E", "I") if dataset != schema.LEMIS else ("I", "E")
    return ", ".join(f"coalesce(sum(quantity) FILTER (WHERE reporter_type = '{s}'), 0) AS q_{s.lower()}"
                     for s in order)


def volumes(con: duckdb.DuckDBPyConnection, sel: Selection, *, dataset: str | None = None, top: int = 10,
            units: int = 4) -> dict[str, Any]:
    """``{"dataset", "sides", "records", "by_unit": [{term, unit, names, by_year, top_exporters,
    top_importers}]}`` for the ``units`` most-recorded (term, unit) pairs of the selection."""
    dataset = dataset or cites_dataset(con)
    if dataset not in SIDES:
        raise ValueError(f"unknown dataset {dataset!r}")
    where, args = sel.where()
    base = f"FROM records WHERE dataset = '{dataset}' AND {where}"
    total = rows(con, f"SELECT count(*) AS n {base}", args)[0]["n"]
    pairs = rows(con, f"""SELECT term, coalesce(unit, '') AS unit, count(*) AS records {base}
        GROUP BY ALL ORDER BY records DESC, term LIMIT {int(units)}""", args)
    sides, out = _sides(dataset), []
    for p in pairs:
        sel_sql = f"{base} AND term IS NOT DISTINCT FROM ? AND coalesce(unit, '') = ?"
        a = [*args, p["term"], p["unit"]]
        unit = p["unit"] or None
        out.append({
            "term": p["term"], "unit": unit, "term_name": names.term(p["term"]), "unit_name": names.unit(unit),
            "records": p["records"],
            "by_year": rows(con, f"SELECT year, {sides}, count(*) AS records {sel_sql} GROUP BY year ORDER BY year", a),
            "top_exporters": _named(rows(con, f"""SELECT exporter AS party, {sides} {sel_sql} AND exporter IS NOT NULL
                GROUP BY 1 ORDER BY greatest(q_e, q_i) DESC, 1 LIMIT {int(top)}""", a)),
            "top_importers": _named(rows(con, f"""SELECT importer AS party, {sides} {sel_sql} AND importer IS NOT NULL
                GROUP BY 1 ORDER BY greatest(q_e, q_i) DESC, 1 LIMIT {int(top)}""", a))})
    return {"dataset": dataset, "sides": SIDES[dataset], "records": int(total), "by_unit": out}


def _named(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for r in found:
        r["name"] = names.country(r["party"])
    return found


def lemis_outcomes(con: duckdb.DuckDBPyConnection, sel: Selection) -> list[dict[str, Any]]:
    """LEMIS line items per year: how many, how many refused (action R), how many seized
    (disposition S)."""
    where, args = sel.where()
    return rows(con, f"""SELECT year, count(*) AS line_items,
        count(*) FILTER (WHERE action = 'R') AS refused, count(*) FILTER (WHERE disposition = 'S') AS seized
        FROM records WHERE dataset = '{schema.LEMIS}' AND {where} GROUP BY year ORDER BY year""", args)
