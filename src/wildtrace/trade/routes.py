"""Trade routes: new routes, re-export chains and flows over time, per (term, unit).

- ``new_route``: the first year a (taxon, exporter, importer) route appears, when the taxon
  was already traded ``min_history`` or more years earlier on other routes and the route
  does not appear in the first year of the data (where every route is "new"). Its quantities
  are listed per term and unit; it needs ``min_quantity`` in at least one of them.
- ``reexport_exceeds_imports``: records with an origin other than the exporter are
  re-exports (an unknown origin, blank or XX, is not a country and is left out). For each
  (taxon, origin, re-exporter, term, unit), re-exports are compared with the imports the
  re-exporter received from the origin. Each side is counted from one report only: the
  larger of the exporter-reported and the importer-reported totals, never their sum (both
  reports of one shipment are the same shipment). More out than in is flagged. Scientific
  specimens (term SPE) are left out and counted apart: samples are cut from imported
  animals and re-exported in other terms and units (a real primate tabulation re-exports
  10.8 million mg of macaque specimens of origin PH from FR), so their imports are not
  comparable. Where the re-exporter imported the taxon from the origin in other terms only,
  the reason says so (a carving may be made from an imported tusk).
- ``flows``: exporter -> importer totals per year for one reporter, per term and unit.
"""

from __future__ import annotations

from typing import Any

import duckdb

from wildtrace.trade import coverage, schema
from wildtrace.trade.provenance import IDS_PER_FLAG, rows, stamp, year_span
from wildtrace.trade.screen import cites_dataset
from wildtrace.trade.units import unit_label


def _known(dataset: str, reporter: str = "E") -> str:
    """The dataset name, checked: it is written into SQL, so only the known names pass."""
    if dataset not in (schema.BULK, schema.COMPTAB, schema.LEMIS) or reporter not in ("E", "I"):
        raise ValueError(f"unknown dataset {dataset!r} or reporter {reporter!r}")
    return dataset


def new_routes(con: duckdb.DuckDBPyConnection, dataset: str, min_history: int, min_quantity: float) -> list[dict[str, Any]]:
    dataset, min_quantity = _known(dataset), float(min_quantity)
    out = []
    for r in rows(con, f"""
        WITH known AS (SELECT * FROM records WHERE dataset = '{dataset}' AND exporter IS NOT NULL
                       AND importer IS NOT NULL),
        span AS (SELECT min(year) AS y0 FROM known),
        rt AS (SELECT taxon, exporter, importer, min(year) AS first, count(*) AS n FROM known GROUP BY ALL),
        tx AS (SELECT taxon, min(year) AS taxon_first, count(DISTINCT (exporter, importer)) AS n_routes
               FROM known GROUP BY ALL),
        q AS (SELECT k.taxon, k.exporter, k.importer, k.term, coalesce(k.unit, '') AS unit,
                     sum(k.quantity) AS total, sum(k.quantity) FILTER (WHERE k.year = rt.first) AS first_year
              FROM known k JOIN rt USING (taxon, exporter, importer) GROUP BY ALL)
        SELECT rt.*, tx.taxon_first, tx.n_routes,
               list({{'term': q.term, 'unit': nullif(q.unit, ''), 'first_year': coalesce(q.first_year, 0),
                      'total': q.total}} ORDER BY q.total DESC) AS quantities, max(q.total) AS top
        FROM rt JOIN tx USING (taxon) JOIN q USING (taxon, exporter, importer), span
        WHERE rt.first > span.y0 AND rt.first - tx.taxon_first >= {int(min_history)}
        GROUP BY ALL HAVING max(q.total) >= {min_quantity}
        ORDER BY rt.first DESC, top DESC"""):
        amounts = "; ".join(f"{q['first_year']:g} that year, {q['total']:g} in all {q['term']} ({unit_label(q['unit'])})"
                            for q in r["quantities"][:3])
        out.append({"kind": "new_route", "taxon": r["taxon"], "exporter": r["exporter"], "importer": r["importer"],
                    "year": r["first"], "quantities": r["quantities"], "records": r["n"],
                    "taxon_traded_since": r["taxon_first"], "other_routes": r["n_routes"] - 1,
                    "reasons": [f"route {r['exporter']}->{r['importer']} for {r['taxon']} first appears in {r['first']} "
                                f"({amounts}); the taxon has been traded since {r['taxon_first']} on "
                                f"{r['n_routes'] - 1} other route(s)"]})
    return out


def reexports(con: duckdb.DuckDBPyConnection, dataset: str, min_quantity: float) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dataset = _known(dataset)
    chains = rows(con, f"""
        WITH rx AS (SELECT taxon, origin, exporter, term, coalesce(unit, '') AS unit,
                           coalesce(sum(quantity) FILTER (WHERE reporter_type = 'E'), 0) AS q_e,
                           coalesce(sum(quantity) FILTER (WHERE reporter_type = 'I'), 0) AS q_i,
                           list(DISTINCT importer ORDER BY importer) FILTER (WHERE importer IS NOT NULL) AS to_importers,
                           min(year) AS y0, max(year) AS y1, list(record_id ORDER BY quantity DESC)[1:{IDS_PER_FLAG}] AS ids
                    FROM records WHERE dataset = '{dataset}' AND origin IS NOT NULL AND exporter IS NOT NULL
                      AND origin <> exporter
                    GROUP BY ALL),
        imp AS (SELECT taxon, exporter AS origin, importer AS exporter, term, coalesce(unit, '') AS unit,
                       coalesce(sum(quantity) FILTER (WHERE reporter_type = 'E'), 0) AS in_e,
                       coalesce(sum(quantity) FILTER (WHERE reporter_type = 'I'), 0) AS in_i
                FROM records WHERE dataset = '{dataset}' AND importer IS NOT NULL AND exporter IS NOT NULL
                GROUP BY ALL),
        imp_any AS (SELECT taxon, origin, exporter,
                         list({{'term': term, 'unit': nullif(unit, ''), 'quantity': greatest(in_e, in_i)}}
                              ORDER BY greatest(in_e, in_i) DESC) AS imported_other
                  FROM imp GROUP BY ALL)
        SELECT rx.*, greatest(rx.q_e, rx.q_i) AS q_out, coalesce(greatest(imp.in_e, imp.in_i), 0) AS q_in,
               coalesce(imp.in_e, 0) AS in_e, coalesce(imp.in_i, 0) AS in_i,
               list_filter(o.imported_other, lambda x: x.term IS DISTINCT FROM rx.term
                           OR coalesce(x.unit, '') <> rx.unit) AS imported_other
        FROM rx LEFT JOIN imp USING (taxon, origin, exporter, term, unit)
        LEFT JOIN imp_any o ON o.taxon = rx.taxon AND o.origin = rx.origin AND o.exporter = rx.exporter
        ORDER BY q_out DESC""")
    flags = []
    for c in chains:
        c["unit"] = c["unit"] or None
        c["chain"] = f"{c['origin']} -> {c['exporter']} -> {'/'.join(c['to_importers'] or ['?'])}"
        if c["term"] == "SPE":
            continue
        if c["q_out"] > c["q_in"] and c["q_out"] >= min_quantity:
            unit = unit_label(c["unit"])
            other = c["imported_other"] or []
            also = ("; imported from it in other terms only: " + ", ".join(
                f"{o['quantity']:g} {o['term']} ({unit_label(o['unit'])})" for o in other[:3])
                if other and not c["q_in"] else "")
            flags.append({"kind": "reexport_exceeds_imports", "taxon": c["taxon"], "origin": c["origin"],
                          "exporter": c["exporter"], "term": c["term"], "unit": c["unit"], "unit_label": unit,
                          "reexported": c["q_out"], "reexported_by_exporter_report": c["q_e"],
                          "reexported_by_importer_report": c["q_i"], "imported_from_origin": c["q_in"],
                          "years": [c["y0"], c["y1"]], "record_ids": c["ids"], "reasons": [
                              f"{c['exporter']} re-exported {c['q_out']:g} {c['term']} ({unit}) of {c['taxon']} of origin "
                              f"{c['origin']} in {year_span(c)} (the larger of the exporters' report, "
                              f"{c['q_e']:g}, and the importers', {c['q_i']:g}; never their sum) but imports of "
                              f"them from {c['origin']} add up to only {c['q_in']:g} (larger of the two sides' "
                              f"reports: {c['in_e']:g} and {c['in_i']:g}){also}"]})
    return chains, flags


def flows(con: duckdb.DuckDBPyConnection, dataset: str, reporter: str = "E", top: int = 15,
          units: int = 3) -> dict[str, Any]:
    """Flows of the ``units`` most-reported (term, unit) pairs, each on its own: by year, top
    exporters, importers and exporter-importer pairs."""
    dataset = _known(dataset, reporter)
    base = f"FROM records WHERE dataset = '{dataset}' AND reporter_type = '{reporter}'"
    pairs = rows(con, f"""SELECT term, coalesce(unit, '') AS unit, count(*) AS records {base}
        GROUP BY ALL ORDER BY records DESC, term LIMIT {int(units)}""")
    out = []
    for p in pairs:
        sel = f"{base} AND term IS NOT DISTINCT FROM ? AND coalesce(unit, '') = ?"
        args = [p["term"], p["unit"]]
        out.append({
            "term": p["term"], "unit": p["unit"] or None, "unit_label": unit_label(p["unit"] or None),
            "converted": False, "records": p["records"],
            "by_year": rows(con, f"SELECT year, sum(quantity) AS quantity, count(*) AS records {sel} "
                                 "GROUP BY year ORDER BY year", args),
            "top_exporters": rows(con, f"SELECT exporter AS party, sum(quantity) AS quantity {sel} "
                                       f"AND exporter IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT {int(top)}", args),
            "top_importers": rows(con, f"SELECT importer AS party, sum(quantity) AS quantity {sel} "
                                       f"AND importer IS NOT NULL GROUP BY 1 ORDER BY 2 DESC LIMIT {int(top)}", args),
            "top_flows": rows(con, f"SELECT exporter, importer, sum(quantity) AS quantity {sel} AND exporter IS NOT "
                                   f"NULL AND importer IS NOT NULL GROUP BY 1, 2 ORDER BY 3 DESC LIMIT {int(top)}",
                              args)})
    return {"reporter": reporter, "by_unit": out}


def routes(con: duckdb.DuckDBPyConnection, *, min_history: int = 3, min_quantity: float = 10,
           limit: int = 1000) -> dict[str, Any]:
    dataset = cites_dataset(con)
    new = new_routes(con, dataset, min_history, min_quantity)
    chains, rx_flags = reexports(con, dataset, min_quantity)
    samples = sum(c["term"] == "SPE" for c in chains)
    notes = [f"reexport_exceeds_imports leaves out {samples} re-export chains of scientific specimens (term SPE: "
             "samples cut from imported animals, re-exported in other terms and units)"] if samples else []
    cover = coverage.covers(con, "routes", (dataset,))
    if not cover["applies"]:
        notes.append(cover["statement"])
    return coverage.apply({
        "dataset": dataset, "flag_counts": {"new_route": len(new), "reexport_exceeds_imports": len(rx_flags)},
        "flags": new[:limit] + rx_flags[:limit], "notes": notes, "reexport_chains": chains[:limit],
        "flows": flows(con, dataset),
        "provenance": stamp(con, "routes", {"min_history": min_history, "min_quantity": min_quantity})}, cover)
