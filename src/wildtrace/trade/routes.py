"""Trade routes: new routes, re-export chains and flows over time, per (term, unit).

- ``new_route``: the first year a (taxon, exporter, importer) route appears, when the taxon
  was already traded ``min_history`` or more years earlier on other routes and the route
  does not appear in the first year of the data (where every route is "new"); records of
  purpose L (law enforcement, judicial, forensic) are evidence, not trade. The flag says
  which report saw it first (``seen_by``), how many first-year records are seizures, and
  lists its quantities per term and unit with the exporters' and the importers' reports side
  by side, never added; it needs ``min_quantity`` in one report of one (term, unit).
- ``reexport_exceeds_imports``: declared records with an origin other than the exporter are
  re-exports (an unknown origin, blank or XX, is not a country; seizures, source I, are no
  declared re-export and chains of seizures only are counted apart). For each (taxon, origin,
  re-exporter, term, unit), re-exports are compared with the imports of that origin the
  re-exporter received: from the origin directly and through third countries (what they
  re-exported to it with that origin: the chain A -> C -> B). Each side is counted from one
  report only: the larger of the exporter-reported and the importer-reported totals, never
  their sum (both reports of one shipment are the same shipment). More out than in is flagged
  unless explained (``reexport_explained``): by accession (neither country a CITES Party in
  years shortly before, ``accession.py``) or by the re-exporter's imports of the taxon from all
  countries. Scientific specimens (term SPE) are left out and counted apart: samples are cut
  from imported animals and re-exported in other terms and units (a real primate tabulation
  re-exports 10.8 million mg of macaque specimens of origin PH from FR), so their imports are
  not comparable. Where the re-exporter imported the taxon from the origin in other terms
  only, the reason says so (a carving may be made from an imported tusk).
- ``flows``: exporter -> importer totals per year for one reporter, per term and unit.
"""

from __future__ import annotations

from typing import Any

import duckdb

from wildtrace.trade import accession, coverage, schema
from wildtrace.trade.provenance import IDS_PER_FLAG, rows, stamp, year_span
from wildtrace.trade.screen import cites_dataset
from wildtrace.trade.units import unit_label


def _known(dataset: str, reporter: str = "E") -> str:
    """The dataset name, checked: it is written into SQL, so only the known names pass."""
    if dataset not in (schema.BULK, schema.COMPTAB, schema.LEMIS) or reporter not in ("E", "I"):
        raise ValueError(f"unknown dataset {dataset!r} or reporter {reporter!r}")
    return dataset


def new_routes(con: duckdb.DuckDBPyConnection, dataset: str, min_history: int, min_quantity: float) -> list[dict[str, Any]]:
    """Routes first seen in a year after the data start, with each report's quantities side by
    side per (term, unit) and which report saw the route first."""
    dataset, min_quantity = _known(dataset), float(min_quantity)
    out = []
    for r in rows(con, f"""
        WITH known AS (SELECT * FROM records WHERE dataset = '{dataset}' AND exporter IS NOT NULL
                       AND importer IS NOT NULL AND purpose IS DISTINCT FROM 'L'),
        span AS (SELECT min(year) AS y0 FROM known),
        rt AS (SELECT taxon, exporter, importer, min(year) AS first, count(*) AS n,
                      min(year) FILTER (WHERE reporter_type = 'E') AS first_e,
                      min(year) FILTER (WHERE reporter_type = 'I') AS first_i FROM known GROUP BY ALL),
        tx AS (SELECT taxon, min(year) AS taxon_first, count(DISTINCT (exporter, importer)) AS n_routes
               FROM known GROUP BY ALL),
        q AS (SELECT k.taxon, k.exporter, k.importer, k.term, coalesce(k.unit, '') AS unit,
                     sum(k.quantity) FILTER (WHERE k.reporter_type = 'E') AS total_e,
                     sum(k.quantity) FILTER (WHERE k.reporter_type = 'I') AS total_i,
                     sum(k.quantity) FILTER (WHERE k.year = rt.first AND k.reporter_type = 'E') AS first_year_e,
                     sum(k.quantity) FILTER (WHERE k.year = rt.first AND k.reporter_type = 'I') AS first_year_i,
                     count(*) FILTER (WHERE k.year = rt.first) AS first_records,
                     count(*) FILTER (WHERE k.year = rt.first AND k.source = 'I') AS first_seized
              FROM known k JOIN rt USING (taxon, exporter, importer) GROUP BY ALL)
        SELECT rt.*, tx.taxon_first, tx.n_routes, sum(q.first_records) AS first_records,
               sum(q.first_seized) AS first_seized,
               list({{'term': q.term, 'unit': nullif(q.unit, ''),
                      'first_year_exporter_report': q.first_year_e, 'first_year_importer_report': q.first_year_i,
                      'total_exporter_report': q.total_e, 'total_importer_report': q.total_i}}
                    ORDER BY greatest(q.total_e, q.total_i) DESC) AS quantities,
               max(greatest(q.total_e, q.total_i)) AS top
        FROM rt JOIN tx USING (taxon) JOIN q USING (taxon, exporter, importer), span
        WHERE rt.first > span.y0 AND rt.first - tx.taxon_first >= {int(min_history)}
        GROUP BY ALL HAVING max(greatest(q.total_e, q.total_i)) >= {min_quantity}
        ORDER BY rt.first DESC, top DESC"""):
        seen_by = ("both reports" if r["first_e"] == r["first_i"] == r["first"] else
                   "the exporter's report" if r["first_e"] == r["first"] else "the importer's report")
        later = [f"the {who}'s report first shows it in {y}" for who, y in
                 (("exporter", r["first_e"]), ("importer", r["first_i"])) if y is not None and y != r["first"]]
        never = [f"the {who}s' reports never show it" for who, y in
                 (("exporter", r["first_e"]), ("importer", r["first_i"])) if y is None]
        seized = (f"; {r['first_seized']} of its {r['first_records']} first-year records are seizures (source I)"
                  if r["first_seized"] else "")
        amounts = "; ".join(f"{q['term']} ({unit_label(q['unit'])}): {_pair(q, 'first_year')} that year, "
                            f"{_pair(q, 'total')} in all" for q in r["quantities"][:3])
        out.append({"kind": "new_route", "taxon": r["taxon"], "exporter": r["exporter"], "importer": r["importer"],
                    "year": r["first"], "seen_by": seen_by, "first_year_exporter_report": r["first_e"],
                    "first_year_importer_report": r["first_i"], "first_year_seizures": r["first_seized"],
                    "quantities": r["quantities"], "records": r["n"],
                    "taxon_traded_since": r["taxon_first"], "other_routes": r["n_routes"] - 1,
                    "reasons": [f"route {r['exporter']}->{r['importer']} for {r['taxon']} first appears in {r['first']} "
                                f"in {seen_by}" + "".join(f"; {t}" for t in later + never) + seized
                                + f" ({amounts}; exporter-reported / importer-reported, never added); the taxon "
                                f"has been traded since {r['taxon_first']} on {r['n_routes'] - 1} other route(s)"]})
    return out


def _pair(q: dict[str, Any], what: str) -> str:
    """'1000 / -': a quantity by the exporter's and by the importer's report ('-': none)."""
    e, i = q[f"{what}_exporter_report"], q[f"{what}_importer_report"]
    return f"{'-' if e is None else format(e, 'g')} / {'-' if i is None else format(i, 'g')}"


def reexports(con: duckdb.DuckDBPyConnection, dataset: str,
              min_quantity: float) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]], int]:
    """Re-export chains, their flags (more out than in, unexplained), the explained ones, and how
    many chains were seizures only (source I: no declared re-export, left out)."""
    dataset = _known(dataset)
    base = f"FROM records WHERE dataset = '{dataset}' AND importer IS NOT NULL AND exporter IS NOT NULL"
    e_, i_ = (f"coalesce(sum(quantity) FILTER (WHERE reporter_type = '{s}'), 0)" for s in ("E", "I"))
    # seizures (source I) are no declared re-export: out is counted from declared records only
    decl = "coalesce(sum(quantity) FILTER (WHERE reporter_type = '{}' AND source IS DISTINCT FROM 'I'), 0)"
    chains = rows(con, f"""
        WITH rx AS (SELECT taxon, origin, exporter, term, coalesce(unit, '') AS unit,
                           {decl.format('E')} AS q_e, {decl.format('I')} AS q_i,
                           count(*) FILTER (WHERE source IS DISTINCT FROM 'I') AS n_declared,
                           list(DISTINCT importer ORDER BY importer) FILTER (WHERE importer IS NOT NULL) AS to_importers,
                           min(year) AS y0, max(year) AS y1, list(record_id ORDER BY quantity DESC, record_id)[1:{IDS_PER_FLAG}] AS ids
                    FROM records WHERE dataset = '{dataset}' AND origin IS NOT NULL AND exporter IS NOT NULL
                      AND origin <> exporter
                    GROUP BY ALL),
        imp AS (SELECT taxon, exporter AS origin, importer AS exporter, term, coalesce(unit, '') AS unit,
                       {e_} AS in_e, {i_} AS in_i {base}
                       AND (origin IS NULL OR origin = exporter) GROUP BY ALL),  -- X's own goods: a
                       -- re-export by X of a third country's goods is counted once, under ``via``
        via AS (SELECT taxon, origin, importer AS exporter, term, coalesce(unit, '') AS unit,
                       {e_} AS via_e, {i_} AS via_i, list(DISTINCT exporter ORDER BY exporter) AS via
                {base} AND origin IS NOT NULL AND origin <> exporter AND origin <> importer GROUP BY ALL),
        src AS (SELECT taxon, importer AS exporter, term, coalesce(unit, '') AS unit, exporter AS source_country,
                       {e_} AS s_e, {i_} AS s_i {base} GROUP BY ALL),
        allin AS (SELECT taxon, exporter, term, unit, sum(s_e) AS all_e, sum(s_i) AS all_i,
                         list({{'country': source_country, 'quantity': s_e}} ORDER BY s_e DESC)
                             FILTER (WHERE s_e > 0)[1:5] AS sources_e,
                         list({{'country': source_country, 'quantity': s_i}} ORDER BY s_i DESC)
                             FILTER (WHERE s_i > 0)[1:5] AS sources_i FROM src GROUP BY ALL),
        imp_any AS (SELECT taxon, origin, exporter,
                         list({{'term': term, 'unit': nullif(unit, ''), 'quantity': greatest(in_e, in_i)}}
                              ORDER BY greatest(in_e, in_i) DESC) AS imported_other
                  FROM imp GROUP BY ALL)
        SELECT rx.*, greatest(rx.q_e, rx.q_i) AS q_out,
               greatest(coalesce(imp.in_e, 0) + coalesce(v.via_e, 0), coalesce(imp.in_i, 0) + coalesce(v.via_i, 0)) AS q_in,
               coalesce(imp.in_e, 0) AS in_e, coalesce(imp.in_i, 0) AS in_i,
               coalesce(v.via_e, 0) AS via_e, coalesce(v.via_i, 0) AS via_i, v.via,
               greatest(coalesce(a.all_e, 0), coalesce(a.all_i, 0)) AS q_all,
               CASE WHEN coalesce(a.all_e, 0) >= coalesce(a.all_i, 0) THEN 'exporters' ELSE 'importers' END
                   AS all_by, CASE WHEN coalesce(a.all_e, 0) >= coalesce(a.all_i, 0) THEN a.sources_e
                                   ELSE a.sources_i END AS sources,
               list_filter(o.imported_other, lambda x: x.term IS DISTINCT FROM rx.term
                           OR coalesce(x.unit, '') <> rx.unit) AS imported_other
        FROM rx LEFT JOIN imp USING (taxon, origin, exporter, term, unit)
        LEFT JOIN via v USING (taxon, origin, exporter, term, unit)
        LEFT JOIN allin a USING (taxon, exporter, term, unit)
        LEFT JOIN imp_any o ON o.taxon = rx.taxon AND o.origin = rx.origin AND o.exporter = rx.exporter
        ORDER BY q_out DESC""")
    seized = [c for c in chains if not c["n_declared"]]
    chains = [c for c in chains if c["n_declared"]]
    flags: list[dict[str, Any]] = []
    explained: list[dict[str, Any]] = []
    for c in chains:
        c["unit"] = c["unit"] or None
        c["chain"] = f"{c['origin']} -> {c['exporter']} -> {'/'.join(c['to_importers'] or ['?'])}"
        if c["term"] == "SPE" or not (c["q_out"] > c["q_in"] and c["q_out"] >= min_quantity):
            continue
        f = _reexport_flag(c)
        (explained if f["explained_by"] else flags).append(f)
    return chains, flags, explained, len(seized)


def _reexport_flag(c: dict[str, Any]) -> dict[str, Any]:
    """A chain with more out than in: the flag, with what explains it (accession, third-country
    imports) or nothing."""
    unit = unit_label(c["unit"])
    other = c["imported_other"] or []
    also = ("; imported from it in other terms only: " + ", ".join(
        f"{o['quantity']:g} {o['term']} ({unit_label(o['unit'])})" for o in other[:3])
        if other and not c["q_in"] else "")
    via = (f", of which {max(c['via_e'], c['via_i']):g} re-exported to it by {', '.join(c['via'][:5])}"
           if c["via"] else "")
    why, explained_by = [], []
    gap = accession.unreported_years(c["origin"], c["exporter"], c["y0"], c["y1"])
    if gap:
        explained_by.append("accession")
        span = str(gap[0]) if gap[0] == gap[1] else f"{gap[0]}-{gap[1]}"
        why.append(f"neither {c['origin']} (joined CITES {accession.joined()[c['origin']]}) nor {c['exporter']} "
                   f"(joined {accession.joined()[c['exporter']]}) was a Party in {span}: imports then were "
                   f"reported by no one, and the re-exports began within {accession.STOCK_YEARS} years")
    if c["q_all"] >= c["q_out"]:
        explained_by.append("third_country_imports")
        top = ", ".join(f"{s['country']} {s['quantity']:g}" for s in (c["sources"] or [])[:5])
        why.append(f"{c['exporter']} imported {c['q_all']:g} {c['term']} ({unit}) of {c['taxon']} from all "
                   f"countries ({c['all_by']}' reports: {top}): the origin on its re-exports may name an earlier link")
    reason = (f"{c['exporter']} re-exported {c['q_out']:g} {c['term']} ({unit}) of {c['taxon']} of origin "
              f"{c['origin']} in {year_span(c)} (the larger of the exporters' report, {c['q_e']:g}, and the "
              f"importers', {c['q_i']:g}; never their sum) but its imports of origin {c['origin']} add up to only "
              f"{c['q_in']:g} (larger of the two sides' reports: {c['in_e'] + c['via_e']:g} and "
              f"{c['in_i'] + c['via_i']:g}{via}){also}")
    return {"kind": "reexport_explained" if explained_by else "reexport_exceeds_imports", "taxon": c["taxon"],
            "origin": c["origin"], "exporter": c["exporter"], "term": c["term"], "unit": c["unit"],
            "unit_label": unit, "reexported": c["q_out"], "reexported_by_exporter_report": c["q_e"],
            "reexported_by_importer_report": c["q_i"], "imported_from_origin": c["q_in"],
            "imported_via_third_countries": max(c["via_e"], c["via_i"]), "via": c["via"] or [],
            "imported_from_all_countries": c["q_all"], "explained_by": explained_by,
            "years": [c["y0"], c["y1"]], "record_ids": c["ids"],
            "reasons": [reason + ("; explained: " + "; ".join(why) if why else "")]}


def flows(con: duckdb.DuckDBPyConnection, dataset: str, top: int = 15, units: int = 3) -> dict[str, Any]:
    """Flows of the ``units`` most-recorded (term, unit) series, each on its own, with both reports
    side by side (``q_e`` exporter-reported, ``q_i`` importer-reported, never their sum): by year,
    top exporters, importers and exporter-importer pairs (``volumes.volumes``)."""
    from wildtrace.trade.selection import Selection
    from wildtrace.trade.volumes import volumes

    return volumes(con, Selection(), dataset=dataset, top=top, units=units)


def routes(con: duckdb.DuckDBPyConnection, *, min_history: int = 3, min_quantity: float = 10,
           limit: int = 1000) -> dict[str, Any]:
    dataset = cites_dataset(con)
    new = new_routes(con, dataset, min_history, min_quantity)
    chains, rx_flags, explained, seized = reexports(con, dataset, min_quantity)
    samples = sum(c["term"] == "SPE" for c in chains)
    evidence = con.execute(f"SELECT count(*) FROM records WHERE dataset = '{dataset}' AND purpose = 'L'").fetchall()[0][0]
    notes = [f"reexport_exceeds_imports leaves out {samples} re-export chains of scientific specimens (term SPE: "
             "samples cut from imported animals, re-exported in other terms and units)"] if samples else []
    if evidence:
        notes.append(f"new_route leaves out {evidence} record(s) of purpose L (law enforcement, judicial, forensic: "
                     "evidence and samples sent between authorities, not trade)")
    if seized:
        notes.append(f"{seized} re-export chain(s) made of seizures only (source I: confiscated or seized, no "
                     "declared re-export) are left out; a seizure with an origin is a trafficking route, not "
                     "a re-export to compare with imports")
    if explained:
        by = {k: sum(k in f["explained_by"] for f in explained) for k in ("accession", "third_country_imports")}
        notes.append(f"{len(explained)} re-export chain(s) with more out than in are explained, not flagged "
                     f"(`reexport_explained`): {by['accession']} by accession (neither country a CITES Party "
                     f"in a year before the re-exports: their trade then reached the database from no one), "
                     f"{by['third_country_imports']} by the re-exporter's imports from all countries")
    cover = coverage.covers(con, "routes", (dataset,))
    if not cover["applies"]:
        notes.append(cover["statement"])
    return coverage.apply({
        "dataset": dataset, "flag_counts": {"new_route": len(new), "reexport_exceeds_imports": len(rx_flags)},
        "flags": new[:limit] + rx_flags[:limit], "notes": notes, "reexport_chains": chains[:limit],
        "reexport_explained": explained[:limit], "explained_counts": {"reexport_explained": len(explained)},
        "flows": flows(con, dataset),
        "provenance": stamp(con, "routes", {"min_history": min_history, "min_quantity": min_quantity})}, cover)
