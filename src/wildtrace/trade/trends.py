"""Volume spikes per (taxon, exporter, term, source) with robust z-scores.

For each year with five earlier years of data (missing years count as zero), the
baseline is the median of those five years and the spread 1.4826 x their median absolute
deviation, floored at 10% of the median (and 1) so that a perfectly flat history does not
divide by zero. A year is a spike when its robust z >= ``z`` and it is at least ``fold``
times the baseline median and at least ``min_quantity``.
"""

from __future__ import annotations

from typing import Any

import duckdb

from wildtrace.trade.provenance import rows, stamp
from wildtrace.trade.screen import cites_dataset


def spikes(con: duckdb.DuckDBPyConnection, *, reporter: str = "E", z: float = 3.5, fold: float = 2.0,
           min_quantity: float = 10, window: int = 5, limit: int = 1000) -> dict[str, Any]:
    dataset = cites_dataset(con)
    win = f"OVER (PARTITION BY taxon, exporter, term, source ORDER BY year ROWS BETWEEN {int(window)} PRECEDING AND 1 PRECEDING)"
    con.execute(f"""CREATE OR REPLACE TEMP TABLE sp_raw AS
        SELECT taxon, exporter, term, coalesce(source, '?') AS source, year, sum(quantity) AS q
        FROM records WHERE dataset = '{dataset}' AND reporter_type = '{reporter}' GROUP BY ALL""")
    found = rows(con, f"""
        WITH span AS (SELECT min(year) AS y0, max(year) AS y1 FROM sp_raw),
        g AS (SELECT taxon, exporter, term, source, min(year) AS first FROM sp_raw GROUP BY ALL),
        d AS (SELECT g.taxon, g.exporter, g.term, g.source, y.year, coalesce(r.q, 0) AS q
              FROM g CROSS JOIN span CROSS JOIN range(span.y0, span.y1 + 1) y(year)
              LEFT JOIN sp_raw r ON r.taxon = g.taxon AND r.exporter = g.exporter AND r.term = g.term
                   AND r.source = g.source AND r.year = y.year
              WHERE y.year >= g.first),
        w AS (SELECT *, list(q) {win} AS hist FROM d),
        s AS (SELECT *, list_aggregate(hist, 'median') AS med FROM w WHERE len(hist) = {int(window)}),
        m AS (SELECT *, 1.4826 * list_aggregate(list_transform(hist, lambda v: abs(v - med)), 'median') AS mad FROM s)
        SELECT taxon, exporter, term, source, year, q, hist, med, mad,
               (q - med) / greatest(mad, 0.1 * med, 1) AS rz
        FROM m WHERE q >= {min_quantity} AND q >= {fold} * med
          AND (q - med) / greatest(mad, 0.1 * med, 1) >= {z}
        ORDER BY rz DESC, taxon, exporter, year""")
    flags = [{
        "taxon": r["taxon"], "exporter": r["exporter"], "term": r["term"], "source": r["source"],
        "year": r["year"], "quantity": r["q"], "baseline_median": r["med"], "baseline_mad": round(r["mad"], 3),
        "previous": r["hist"], "robust_z": round(r["rz"], 2),
        "reasons": [f"{r['exporter']} reported {r['q']:g} {r['term']} of {r['taxon']} (source {r['source']}) in "
                    f"{r['year']}: {r['q'] / r['med'] if r['med'] else float('inf'):.1f}x the median {r['med']:g} of the "
                    f"previous {window} years {[round(v) for v in r['hist']]}, robust z {r['rz']:.1f} "
                    f"(thresholds z >= {z}, >= {fold}x)"],
    } for r in found]
    n_series = con.execute("SELECT count(*) FROM (SELECT DISTINCT taxon, exporter, term, source FROM sp_raw)").fetchall()[0][0]
    return {"dataset": dataset, "series": int(n_series), "flag_counts": {"spike": len(flags)},
            "flags": flags[:limit],
            "provenance": stamp(con, "spikes", {"reporter": reporter, "z": z, "fold": fold,
                                                "min_quantity": min_quantity, "window": window})}
