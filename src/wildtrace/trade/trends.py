"""Volume spikes per (taxon, exporter, term, unit, source) with a robust baseline.

Quantities of different units are different series: kilograms of scales never join a count
of skins. For each year with ``window`` earlier years of data (missing years count as zero):

- when the median of those years is above zero, the robust z is (q - median) / scale, with
  scale = 1.4826 x the median absolute deviation, floored at 10% of the median and at 1 so
  a flat history does not divide by zero;
- when the median is zero or under a tenth of the window's largest year (a sparse series:
  trade in some years only, such as [0, 0.5, 0, 9299, 8189] in a real comparative tabulation,
  whose median 0.5 says nothing of its scale) the scale is the mean of the non-zero years of
  the window, so a sparse series that trades about as much as it did before is not a spike in
  every active year; a year after ``window`` silent years is an ``onset`` (new or resumed
  trade), a kind of its own, not a z-score.

A year is a spike when its robust z >= ``z``, it is at least ``fold`` times the baseline
median (and above every year of the window when the series is sparse) and at least
``min_quantity``.
"""

from __future__ import annotations

from typing import Any

import duckdb

from wildtrace.trade import coverage
from wildtrace.trade.provenance import IDS_PER_FLAG, rows, stamp
from wildtrace.trade.screen import cites_dataset
from wildtrace.trade.units import unit_label


def spikes(con: duckdb.DuckDBPyConnection, *, reporter: str = "E", z: float = 3.5, fold: float = 2.0,
           min_quantity: float = 10, window: int = 5, limit: int = 1000) -> dict[str, Any]:
    if reporter not in ("E", "I"):
        raise ValueError(f"reporter must be E or I, not {reporter!r}")
    dataset = cites_dataset(con)
    key = "taxon, exporter, term, unit, source"
    win = f"OVER (PARTITION BY {key} ORDER BY year ROWS BETWEEN {int(window)} PRECEDING AND 1 PRECEDING)"
    con.execute(f"""CREATE OR REPLACE TEMP TABLE sp_raw AS
        SELECT taxon, coalesce(exporter, '?') AS exporter, coalesce(term, '?') AS term,
               coalesce(unit, '') AS unit, coalesce(source, '?') AS source, year, sum(quantity) AS q,
               list(record_id ORDER BY quantity DESC)[1:{IDS_PER_FLAG}] AS ids
        FROM records WHERE dataset = '{dataset}' AND reporter_type = '{reporter}' GROUP BY ALL""")
    found = rows(con, f"""
        WITH span AS (SELECT min(year) AS y0, max(year) AS y1 FROM sp_raw),
        g AS (SELECT {key}, min(year) AS first FROM sp_raw GROUP BY ALL),
        d AS (SELECT g.taxon, g.exporter, g.term, g.unit, g.source, y.year, coalesce(r.q, 0) AS q, r.ids
              FROM g CROSS JOIN span CROSS JOIN range(span.y0, span.y1 + 1) y(year)
              LEFT JOIN sp_raw r ON r.taxon = g.taxon AND r.exporter = g.exporter AND r.term = g.term
                   AND r.unit = g.unit AND r.source = g.source AND r.year = y.year
              WHERE y.year >= g.first),
        w AS (SELECT *, list(q) {win} AS hist FROM d),
        s AS (SELECT *, list_aggregate(hist, 'median') AS med, list_aggregate(hist, 'max') AS top,
                     list_filter(hist, lambda v: v > 0) AS active
              FROM w WHERE len(hist) = {int(window)}),
        m AS (SELECT *, 1.4826 * list_aggregate(list_transform(hist, lambda v: abs(v - med)), 'median') AS mad,
                     CASE WHEN len(active) > 0 THEN list_aggregate(active, 'avg') END AS active_mean FROM s),
        k AS (SELECT *, med <= 0.1 * top AS sparse FROM m),
        c AS (SELECT *, CASE WHEN NOT sparse THEN greatest(mad, 0.1 * med, 1)
                             ELSE greatest(coalesce(active_mean, 1), 1) END AS scale FROM k)
        SELECT taxon, exporter, term, unit, source, year, q, hist, med, mad, active_mean, ids, sparse,
               (q - med) / scale AS rz, top = 0 AS onset
        FROM c WHERE q >= {float(min_quantity)} AND q >= {float(fold)} * med
          AND (NOT sparse OR q > top) AND (q - med) / scale >= {float(z)}
        ORDER BY rz DESC, taxon, exporter, year""")
    flags = []
    for r in found:
        unit = unit_label(r["unit"] or None)
        kind = "onset" if r["onset"] else "spike"
        if kind == "onset":
            why = (f"{r['exporter']} reported {r['q']:g} {r['term']} ({unit}) of {r['taxon']} (source {r['source']}) "
                   f"in {r['year']} after {window} years with none: new or resumed trade, not a z-score")
        elif not r["sparse"]:
            why = (f"{r['exporter']} reported {r['q']:g} {r['term']} ({unit}) of {r['taxon']} (source {r['source']}) "
                   f"in {r['year']}: {r['q'] / r['med']:.1f}x the median {r['med']:g} of the previous {window} "
                   f"years {[round(v, 3) for v in r['hist']]}, robust z {r['rz']:.1f} (thresholds z >= {z}, "
                   f">= {fold}x)")
        else:
            why = (f"{r['exporter']} reported {r['q']:g} {r['term']} ({unit}) of {r['taxon']} (source {r['source']}) "
                   f"in {r['year']}: a sparse series (median {r['med']:g} over the previous {window} years "
                   f"{[round(v, 3) for v in r['hist']]}, at most a tenth of its largest year), "
                   f"{r['q'] / r['active_mean']:.1f}x the mean of its active "
                   f"years and above all of them (threshold {z}x)")
        flags.append({
            "kind": kind, "taxon": r["taxon"], "exporter": r["exporter"], "term": r["term"],
            "unit": r["unit"] or None, "unit_label": unit, "converted": False, "source": r["source"],
            "year": r["year"], "quantity": r["q"], "baseline_median": r["med"],
            "baseline_mad": round(r["mad"], 3), "previous": r["hist"],
            "robust_z": None if r["onset"] else round(r["rz"], 2), "record_ids": r["ids"], "reasons": [why]})
    n_series = con.execute("SELECT count(*) FROM (SELECT DISTINCT taxon, exporter, term, unit, source FROM sp_raw)"
                           ).fetchall()[0][0]
    counts = {"spike": sum(f["kind"] == "spike" for f in flags), "onset": sum(f["kind"] == "onset" for f in flags)}
    return coverage.apply({
        "dataset": dataset, "series": int(n_series), "flag_counts": counts, "flags": flags[:limit],
        "provenance": stamp(con, "spikes", {"reporter": reporter, "z": z, "fold": fold,
                                            "min_quantity": min_quantity, "window": window})},
        coverage.covers(con, "trends", (dataset,)))
