"""Trade volumes in a selection, per (term, unit), with both reports side by side.

Every series, flow and top list carries the exporter-reported quantity (``q_e``) and the
importer-reported quantity (``q_i``) as two numbers, never their sum: both reports of one
shipment are the same shipment, and the two often disagree (in a real pangolin extract,
scales in kg to Asian importers from 2010 on: 6,674 kg exporter-reported, 32,055 kg
importer-reported). A side with no records is 0 for that side.

- ``series``: **every** (term, unit) of the selection, each report's total and records and
  its years, with both reports per year: nothing is left out of the table.
- ``by_unit``: the ``units`` (term, unit) series with the most records in the selection
  (records of both reports counted; records, not quantities, because quantities in different
  units cannot be ranked against each other; ties by term and unit) are the "top" series: per
  year, the top exporters, importers and exporter -> importer flows, each ranked by the larger
  of its two reports (a flow only the importer reported still ranks).

LEMIS line items are one country's declarations: their two sides are US imports and US exports,
and LEMIS outcomes (refused, seized) are counted per year.
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
#: how many (term, unit) series get charts and top lists by default
CHARTED = 10
#: how "top" is chosen, in words (reports and pages print it)
TOP_RULE = ("the {n} (term, unit) series with the most records in the selection (records of both reports "
            "counted: quantities in different units cannot be ranked against each other); top countries and "
            "flows are ranked by the larger of their two reports")


def _sides(dataset: str) -> str:
    order = ("E", "I") if dataset != schema.LEMIS else ("I", "E")
    return ", ".join(f"coalesce(sum(quantity) FILTER (WHERE reporter_type = '{s}'), 0) AS q_{s.lower()}"
                     for s in order)


def _records(dataset: str) -> str:
    return ", ".join(f"count(*) FILTER (WHERE reporter_type = '{s}') AS records_{s.lower()}" for s in ("E", "I"))


def _base(dataset: str | None, con: duckdb.DuckDBPyConnection, sel: Selection) -> tuple[str, str, list[Any]]:
    dataset = dataset or cites_dataset(con)
    if dataset not in SIDES:
        raise ValueError(f"unknown dataset {dataset!r}")
    where, args = sel.where()
    return dataset, f"FROM records WHERE dataset = '{dataset}' AND {where}", args


def series(con: duckdb.DuckDBPyConnection, sel: Selection, *, dataset: str | None = None) -> list[dict[str, Any]]:
    """Every (term, unit) of the selection, most records first: ``{term, unit, names, records,
    records_e, records_i, q_e, q_i, years, by_year: [{year, q_e, q_i, records}]}``."""
    dataset, base, args = _base(dataset, con, sel)
    sides = _sides(dataset)
    found = rows(con, f"""SELECT term, coalesce(unit, '') AS unit, count(*) AS records, {_records(dataset)}, {sides},
        min(year) AS y0, max(year) AS y1 {base} GROUP BY ALL ORDER BY records DESC, term, unit""", args)
    per_year: dict[tuple[Any, str], list[dict[str, Any]]] = {}
    for r in rows(con, f"""SELECT term, coalesce(unit, '') AS unit, year, {sides}, count(*) AS records {base}
                           GROUP BY ALL ORDER BY term, unit, year""", args):
        per_year.setdefault((r.pop("term"), r.pop("unit")), []).append(r)
    out = []
    for r in found:
        unit, span = r["unit"] or None, [r.pop("y0"), r.pop("y1")]
        out.append({**r, "unit": unit, "term_name": names.term(r["term"]), "unit_name": names.unit(unit),
                    "years": span, "by_year": per_year.get((r["term"], r["unit"]), [])})
    return out


def volumes(con: duckdb.DuckDBPyConnection, sel: Selection, *, dataset: str | None = None, top: int = 10,
            units: int = CHARTED) -> dict[str, Any]:
    """``{"dataset", "sides", "records", "series": [every (term, unit)], "top_rule", "by_unit":
    [{term, unit, names, records, by_year, top_exporters, top_importers, top_flows}]}``, the
    ``by_unit`` entries for the ``units`` series with the most records."""
    dataset, base, args = _base(dataset, con, sel)
    total = rows(con, f"SELECT count(*) AS n {base}", args)[0]["n"]
    every = series(con, sel, dataset=dataset)
    sides, out = _sides(dataset), []
    for p in every[:max(int(units), 0)]:
        sel_sql = f"{base} AND term IS NOT DISTINCT FROM ? AND coalesce(unit, '') = ?"
        a = [*args, p["term"], p["unit"] or ""]
        rank = f"ORDER BY greatest(q_e, q_i) DESC, 1 LIMIT {int(top)}"
        out.append({
            **{k: p[k] for k in ("term", "unit", "term_name", "unit_name", "records", "records_e", "records_i",
                                 "q_e", "q_i", "years", "by_year")},
            "top_exporters": _named(rows(con, f"""SELECT exporter AS party, {sides} {sel_sql}
                AND exporter IS NOT NULL GROUP BY 1 {rank}""", a)),
            "top_importers": _named(rows(con, f"""SELECT importer AS party, {sides} {sel_sql}
                AND importer IS NOT NULL GROUP BY 1 {rank}""", a)),
            "top_flows": [{**r, "exporter_name": names.country(r["exporter"]),
                           "importer_name": names.country(r["importer"]),
                           "name": f"{names.country(r['exporter'])} \u2192 {names.country(r['importer'])}"}
                          for r in rows(con, f"""SELECT exporter, importer, {sides} {sel_sql} AND exporter IS NOT NULL
                              AND importer IS NOT NULL GROUP BY 1, 2 ORDER BY greatest(q_e, q_i) DESC, 1, 2
                              LIMIT {int(top)}""", a)]})
    return {"dataset": dataset, "sides": SIDES[dataset], "records": int(total), "series": every,
            "top_rule": TOP_RULE.format(n=int(units)), "by_unit": out}


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
