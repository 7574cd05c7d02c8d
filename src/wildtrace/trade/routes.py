"""Trade routes: new routes, re-export chains and flows over time.

- ``new_route``: the first year a (taxon, exporter, importer) route appears, when the taxon
  was already traded ``min_history`` or more years earlier on other routes and the route
  does not appear in the first year of the data (where every route is "new").
- ``reexport_exceeds_imports``: records with Origin != Exporter are re-exports. For each
  (taxon, origin, re-exporter), cumulative re-exports are compared with cumulative imports
  the re-exporter received from the origin (by either side's report); more out than in
  is flagged. Clean chains are listed, not flagged.
- ``flows``: exporter -> importer totals per year, for charts. Re-exports are counted once
  (as direct trade from the exporter), which is why they are listed separately.
"""

from __future__ import annotations

from typing import Any

import duckdb

from wildtrace.trade import schema
from wildtrace.trade.provenance import rows, stamp
from wildtrace.trade.screen import cites_dataset


def _known(dataset: str, reporter: str = "E") -> str:
    """The dataset name, checked: it is written into SQL, so only the known names pass."""
    if dataset not in (schema.BULK, schema.COMPTAB, schema.LEMIS) or reporter not in ("E", "I"):
        raise ValueError(f"unknown dataset {dataset!r} or reporter {reporter!r}")
    return dataset


def new_routes(con: duckdb.DuckDBPyConnection, dataset: str, min_history: int, min_quantity: float) -> list[dict[str, Any]]:
    dataset, min_quantity = _known(dataset), float(min_quantity)
    out = []
    for r in rows(con, f"""
        WITH span AS (SELECT min(year) AS y0 FROM records WHERE dataset = '{dataset}'),
        rt AS (SELECT taxon, exporter, importer, min(year) AS first, sum(quantity) AS q, count(*) AS n
               FROM records WHERE dataset = '{dataset}' GROUP BY ALL),
        tx AS (SELECT taxon, min(year) AS taxon_first, count(DISTINCT (exporter, importer)) AS n_routes
               FROM records WHERE dataset = '{dataset}' GROUP BY ALL)
        SELECT rt.*, tx.taxon_first, tx.n_routes,
               (SELECT sum(quantity) FROM records x WHERE x.dataset = '{dataset}' AND x.taxon = rt.taxon
                  AND x.exporter = rt.exporter AND x.importer = rt.importer AND x.year = rt.first) AS q_first
        FROM rt JOIN tx USING (taxon), span
        WHERE rt.first > span.y0 AND rt.first - tx.taxon_first >= {int(min_history)} AND rt.q >= {min_quantity}
        ORDER BY rt.first DESC, rt.q DESC"""):
        out.append({"kind": "new_route", "taxon": r["taxon"], "exporter": r["exporter"], "importer": r["importer"],
                    "year": r["first"], "first_year_quantity": r["q_first"], "total_quantity": r["q"],
                    "taxon_traded_since": r["taxon_first"], "other_routes": r["n_routes"] - 1,
                    "reasons": [f"route {r['exporter']}->{r['importer']} for {r['taxon']} first appears in {r['first']} "
                                f"({r['q_first']:g} that year, {r['q']:g} in all); the taxon has been traded since "
                                f"{r['taxon_first']} on {r['n_routes'] - 1} other route(s)"]})
    return out


def reexports(con: duckdb.DuckDBPyConnection, dataset: str, min_quantity: float) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dataset = _known(dataset)
    chains = rows(con, f"""
        WITH rx AS (SELECT taxon, origin, exporter, importer, sum(quantity) AS q, min(year) AS y0, max(year) AS y1
                    FROM records WHERE dataset = '{dataset}' AND origin IS NOT NULL AND origin <> exporter
                    GROUP BY ALL),
        rx_tot AS (SELECT taxon, origin, exporter, sum(q) AS q_out, list(DISTINCT importer ORDER BY importer) AS to_importers,
                          min(y0) AS y0, max(y1) AS y1 FROM rx GROUP BY ALL),
        imp AS (SELECT taxon, exporter AS origin, importer AS exporter,
                       greatest(coalesce(sum(quantity) FILTER (WHERE reporter_type = 'E'), 0),
                                coalesce(sum(quantity) FILTER (WHERE reporter_type = 'I'), 0)) AS q_in
                FROM records WHERE dataset = '{dataset}' GROUP BY ALL)
        SELECT rx_tot.*, coalesce(imp.q_in, 0) AS q_in FROM rx_tot LEFT JOIN imp USING (taxon, origin, exporter)
        ORDER BY q_out DESC""")
    flags = []
    for c in chains:
        c["chain"] = f"{c['origin']} -> {c['exporter']} -> {'/'.join(c['to_importers'])}"
        if c["q_out"] > c["q_in"] and c["q_out"] >= min_quantity:
            flags.append({"kind": "reexport_exceeds_imports", "taxon": c["taxon"], "origin": c["origin"],
                          "exporter": c["exporter"], "reexported": c["q_out"], "imported_from_origin": c["q_in"],
                          "years": [c["y0"], c["y1"]], "reasons": [
                              f"{c['exporter']} re-exported {c['q_out']:g} {c['taxon']} of origin {c['origin']} in "
                              f"{c['y0']}-{c['y1']} but imports from {c['origin']} add up to only {c['q_in']:g} "
                              f"(larger of the two sides' reports)"]})
    return chains, flags


def flows(con: duckdb.DuckDBPyConnection, dataset: str, reporter: str = "E", top: int = 15) -> dict[str, Any]:
    dataset = _known(dataset, reporter)
    by_year = rows(con, f"""SELECT year, sum(quantity) AS quantity, count(*) AS records FROM records
        WHERE dataset = '{dataset}' AND reporter_type = '{reporter}' GROUP BY year ORDER BY year""")
    exp = rows(con, f"""SELECT exporter AS party, sum(quantity) AS quantity FROM records WHERE dataset = '{dataset}'
        AND reporter_type = '{reporter}' GROUP BY 1 ORDER BY 2 DESC LIMIT {int(top)}""")
    imp = rows(con, f"""SELECT importer AS party, sum(quantity) AS quantity FROM records WHERE dataset = '{dataset}'
        AND reporter_type = '{reporter}' GROUP BY 1 ORDER BY 2 DESC LIMIT {int(top)}""")
    pairs = rows(con, f"""SELECT exporter, importer, sum(quantity) AS quantity FROM records WHERE dataset = '{dataset}'
        AND reporter_type = '{reporter}' GROUP BY 1, 2 ORDER BY 3 DESC LIMIT {int(top)}""")
    return {"by_year": by_year, "top_exporters": exp, "top_importers": imp, "top_flows": pairs}


def routes(con: duckdb.DuckDBPyConnection, *, min_history: int = 3, min_quantity: float = 10,
           limit: int = 1000) -> dict[str, Any]:
    dataset = cites_dataset(con)
    new = new_routes(con, dataset, min_history, min_quantity)
    chains, rx_flags = reexports(con, dataset, min_quantity)
    flags = new + rx_flags
    return {"dataset": dataset, "flag_counts": {"new_route": len(new), "reexport_exceeds_imports": len(rx_flags)},
            "flags": flags[:limit], "reexport_chains": chains[:limit], "flows": flows(con, dataset),
            "provenance": stamp(con, "routes", {"min_history": min_history, "min_quantity": min_quantity})}
