"""Volume spikes per (reporter, taxon, exporter, term, unit, source) with a robust baseline.

Each report is its own series: what the exporter reported and what importers reported of the
same exporter's trade are two series, never added (both reports of one shipment are the same
shipment), and each flag says which report it read (``reporter``: E or I). Quantities of
different units are different series: kilograms of scales never join a count of skins.

A series starts in the first year it has records (history before that is unknown, not zero);
from then on, missing years count as zero. For each year with ``window`` earlier years:

- when the median of those years is above zero, the robust z is (q - median) / scale, with
  scale = 1.4826 x the median absolute deviation, floored at 10% of the median and at 1 so
  a flat history does not divide by zero;
- when the median is zero or under a tenth of the window's largest year (a sparse series:
  trade in some years only, such as [0, 0.5, 0, 9299, 8189] in a real comparative tabulation,
  whose median 0.5 says nothing of its scale) the scale is the mean of the non-zero years of
  the window, so a sparse series that trades about as much as it did before is not a spike in
  every active year; a year after ``window`` silent years is an ``onset`` (new or resumed
  trade), a kind of its own, not a z-score.

A year is a ``spike`` when its robust z >= ``z``, it is at least ``fold`` times the baseline
median (and above every year of the window when the series is sparse) and at least
``min_quantity``.

**Short series** (1 to ``window`` - 1 earlier years: too few for a median and a MAD) follow
their own rule, flagged ``short_series_spike`` so an analyst sees which rule fired: the year is
at least ``short_fold`` (default 5) times the *largest* earlier year and at least the unit's
floor (``SHORT_FLOORS``: 100 specimens, 100 kg, 100 l, 100 m, ...). The largest earlier year,
not the median, so a series that has traded as much before is never a spike; the floor, so a
jump from 2 to 11 skins is not a lead. On a real pangolin shipment export Uganda's
exporter-reported giant pangolin scales went 70 kg (2012), 70 kg (2013), 3,310 kg (2014):
47x the largest earlier year, a short-series spike; the importers' report of the same trade
(70 kg in 2013, 3,198 kg in 2014) is a second flag of its own.
"""

from __future__ import annotations

from typing import Any

import duckdb

from wildtrace.trade import coverage
from wildtrace.trade.provenance import IDS_PER_FLAG, rows, stamp
from wildtrace.trade.screen import cites_dataset
from wildtrace.trade.units import unit_label

#: who reported a series, in words
REPORTS = {"E": "exporter-reported", "I": "importer-reported"}
#: the least quantity of a short-series spike, per unit code ("" is a count of specimens): about
#: 100 specimens, 100 kg, 100 l, 100 m or 100 m2 in each unit; any other unit (cartons, pairs,
#: pieces, boxes...) ``DEFAULT_FLOOR``
SHORT_FLOORS: dict[str, float] = {
    "": 100, "KIL": 100, "GRM": 100_000, "MGM": 1e8, "MYG": 1e11, "TON": 0.1, "PND": 220, "OUN": 3_500,
    "LTR": 100, "MLT": 100_000, "CCM": 100_000, "CUM": 0.1, "CUF": 3.5, "MTR": 100, "CTM": 10_000,
    "FEE": 330, "INC": 3_940, "YAR": 110, "SQM": 100, "SQD": 10_000, "SQC": 1_000_000, "SQF": 1_080}
DEFAULT_FLOOR = 100.0
KINDS = ("spike", "onset", "short_series_spike")


def _floors_sql() -> str:
    """The floors as a SQL CASE on ``unit`` (codes and numbers from the table above, no input)."""
    whens = " ".join(f"WHEN '{u}' THEN {float(v)!r}" for u, v in SHORT_FLOORS.items())
    return f"CASE unit {whens} ELSE {DEFAULT_FLOOR!r} END"


def spikes(con: duckdb.DuckDBPyConnection, *, reporter: str | None = None, z: float = 3.5, fold: float = 2.0,
           min_quantity: float = 10, window: int = 5, short_fold: float = 5.0,
           limit: int = 1000) -> dict[str, Any]:
    """Spike, onset and short-series flags of each report's series (``reporter`` E or I: that
    report only; None: both, each its own series). ``flag_counts`` per kind over both reports,
    ``flag_counts_by_reporter`` per report."""
    if reporter not in (None, "E", "I"):
        raise ValueError(f"reporter must be E, I or None, not {reporter!r}")
    dataset = cites_dataset(con)
    who = f"AND reporter_type = '{reporter}'" if reporter else "AND reporter_type IN ('E', 'I')"
    key = "reporter, taxon, exporter, term, unit, source"
    win = f"OVER (PARTITION BY {key} ORDER BY year ROWS BETWEEN {int(window)} PRECEDING AND 1 PRECEDING)"
    con.execute(f"""CREATE OR REPLACE TEMP TABLE sp_raw AS
        SELECT reporter_type AS reporter, taxon, coalesce(exporter, '?') AS exporter, coalesce(term, '?') AS term,
               coalesce(unit, '') AS unit, coalesce(source, '?') AS source, year, sum(quantity) AS q,
               list(record_id ORDER BY quantity DESC, record_id)[1:{IDS_PER_FLAG}] AS ids
        FROM records WHERE dataset = '{dataset}' {who} GROUP BY ALL""")
    found = rows(con, f"""
        WITH span AS (SELECT min(year) AS y0, max(year) AS y1 FROM sp_raw),
        g AS (SELECT {key}, min(year) AS first FROM sp_raw GROUP BY ALL),
        d AS (SELECT g.reporter, g.taxon, g.exporter, g.term, g.unit, g.source, y.year, coalesce(r.q, 0) AS q, r.ids
              FROM g CROSS JOIN span CROSS JOIN range(span.y0, span.y1 + 1) y(year)
              LEFT JOIN sp_raw r ON r.reporter = g.reporter AND r.taxon = g.taxon AND r.exporter = g.exporter
                   AND r.term = g.term AND r.unit = g.unit AND r.source = g.source AND r.year = y.year
              WHERE y.year >= g.first),
        w AS (SELECT *, list(q) {win} AS hist FROM d),
        s AS (SELECT *, list_aggregate(hist, 'median') AS med, list_aggregate(hist, 'max') AS top,
                     list_filter(hist, lambda v: v > 0) AS active, len(hist) = {int(window)} AS whole
              FROM w WHERE len(hist) >= 1),
        m AS (SELECT *, 1.4826 * list_aggregate(list_transform(hist, lambda v: abs(v - med)), 'median') AS mad,
                     CASE WHEN len(active) > 0 THEN list_aggregate(active, 'avg') END AS active_mean FROM s),
        k AS (SELECT *, med <= 0.1 * top AS sparse FROM m),
        c AS (SELECT *, CASE WHEN NOT sparse THEN greatest(mad, 0.1 * med, 1)
                             ELSE greatest(coalesce(active_mean, 1), 1) END AS scale FROM k)
        SELECT reporter, taxon, exporter, term, unit, source, year, q, hist, med, mad, active_mean, ids, sparse,
               whole, top, (q - med) / scale AS rz, whole AND top = 0 AS onset,
               CASE WHEN top > 0 THEN q / top END AS over_top
        FROM c WHERE (whole AND q >= {float(min_quantity)} AND q >= {float(fold)} * med
                      AND (NOT sparse OR q > top) AND (q - med) / scale >= {float(z)})
                  OR (NOT whole AND top > 0 AND q >= {float(short_fold)} * top AND q >= {_floors_sql()})
        ORDER BY whole DESC, CASE WHEN whole THEN (q - med) / scale ELSE q / top END DESC, taxon, exporter, year,
                 reporter""")
    flags = [_flag(r, window, z, fold, short_fold) for r in found]
    _beside_the_other_report(con, flags)
    n_series = con.execute("SELECT reporter, count(*) FROM (SELECT DISTINCT reporter, taxon, exporter, term, unit, "
                           "source FROM sp_raw) GROUP BY 1").fetchall()
    by_reporter = {rep: {k: sum(f["kind"] == k and f["reporter"] == rep for f in flags) for k in KINDS}
                   for rep in ((reporter,) if reporter else ("E", "I"))}
    counts = {k: sum(f["kind"] == k for f in flags) for k in KINDS}
    cover = coverage.covers(con, "trends", (dataset,))
    if not cover["applies"]:  # nothing read: no counts per report either, not zeros
        by_reporter = {}
    return coverage.apply({
        "dataset": dataset, "reporters": list(by_reporter), "series": int(sum(n for _, n in n_series)),
        "series_by_reporter": {str(rep): int(n) for rep, n in sorted(n_series)},
        "flag_counts": counts, "flag_counts_by_reporter": by_reporter,
        "flagged_events": len({_event(f) for f in flags}), "flags": flags[:limit],
        "provenance": stamp(con, "spikes", {"reporter": reporter or "E and I, separately", "z": z, "fold": fold,
                                            "min_quantity": min_quantity, "window": window,
                                            "short_fold": short_fold, "short_floors": SHORT_FLOORS,
                                            "default_floor": DEFAULT_FLOOR})}, cover)


def _event(f: dict[str, Any]) -> tuple[Any, ...]:
    """One year of one exporter's trade in one (taxon, term, unit, source), whichever report saw it."""
    return (f["taxon"], f["exporter"], f["term"], f["unit"] or "", f["source"], f["year"])


def _beside_the_other_report(con: duckdb.DuckDBPyConnection, flags: list[dict[str, Any]]) -> None:
    """Each flag gains the other report's quantity for the same exporter, taxon, term, unit, source
    and year (``other_report``: its reporter, quantity — 0 when it reported none — and whether it
    is flagged too), and its reason says so: two flags of one event read as one lead seen by both
    sides, one flag alone as one side's report (the other side silent or lower). Never added."""
    if not flags:
        return
    flagged = {(f["reporter"], *_event(f)) for f in flags}
    keys = sorted({_event(f) for f in flags}, key=repr)
    con.execute("CREATE OR REPLACE TEMP TABLE sp_keys (taxon VARCHAR, exporter VARCHAR, term VARCHAR, "
                "unit VARCHAR, source VARCHAR, year INTEGER)")
    con.executemany("INSERT INTO sp_keys VALUES (?, ?, ?, ?, ?, ?)", keys)
    got = {(r[0], *r[1:7]): r[7] for r in con.execute("""SELECT r.reporter, k.taxon, k.exporter, k.term, k.unit,
            k.source, k.year, r.q FROM sp_keys k JOIN sp_raw r USING (taxon, exporter, term, unit, source, year)
            """).fetchall()}
    for f in flags:
        other = "I" if f["reporter"] == "E" else "E"
        q = got.get((other, *_event(f)), 0)
        also = (other, *_event(f)) in flagged
        f["other_report"] = {"reporter": other, "report": REPORTS[other], "quantity": q, "flagged": also}
        f["q_i" if other == "I" else "q_e"] = q
        f["reasons"].append(f"the {REPORTS[other]} figure for that year: {q:g}"
                            + (" (flagged too: one event seen by both sides)" if also else ""))


def _what(r: dict[str, Any], unit: str) -> str:
    """Who reported what: '<exporter> reported (exporter-reported) ...' or 'importers reported ...
    from <exporter>'."""
    amount = f"{r['q']:g} {r['term']} ({unit}) of {r['taxon']} (source {r['source']})"
    if r["reporter"] == "E":
        return f"{r['exporter']} reported exporting {amount} in {r['year']} (exporter-reported)"
    return f"importers reported {amount} from {r['exporter']} in {r['year']} (importer-reported)"


def _flag(r: dict[str, Any], window: int, z: float, fold: float, short_fold: float) -> dict[str, Any]:
    unit = unit_label(r["unit"] or None)
    hist = [round(v, 3) for v in r["hist"]]
    what = _what(r, unit)
    if not r["whole"]:
        kind = "short_series_spike"
        floor = SHORT_FLOORS.get(r["unit"], DEFAULT_FLOOR)
        why = (f"{what}: {r['over_top']:.1f}x the largest of its {len(hist)} earlier year(s) {hist} "
               f"(short-series rule: under {window} years of history, so no median or z-score; "
               f"flagged at >= {short_fold:g}x the largest earlier year and >= {floor:g} {unit})")
    elif r["onset"]:
        kind = "onset"
        why = f"{what} after {window} years with none: new or resumed trade, not a z-score"
    elif not r["sparse"]:
        kind = "spike"
        why = (f"{what}: {r['q'] / r['med']:.1f}x the median {r['med']:g} of the previous {window} "
               f"years {hist}, robust z {r['rz']:.1f} (thresholds z >= {z}, >= {fold}x)")
    else:
        kind = "spike"
        why = (f"{what}: a sparse series (median {r['med']:g} over the previous {window} years "
               f"{hist}, at most a tenth of its largest year), {r['q'] / r['active_mean']:.1f}x the mean "
               f"of its active years and above all of them (threshold {z}x)")
    side = "q_e" if r["reporter"] == "E" else "q_i"
    return {
        "kind": kind, "rule": "short_series" if kind == "short_series_spike" else "window",
        "reporter": r["reporter"], "report": REPORTS[r["reporter"]], "taxon": r["taxon"],
        "exporter": r["exporter"], "term": r["term"], "unit": r["unit"] or None, "unit_label": unit,
        "converted": False, "source": r["source"], "year": r["year"], "quantity": r["q"], side: r["q"],
        "baseline_median": r["med"], "baseline_mad": round(r["mad"], 3), "previous": r["hist"],
        "largest_previous": r["top"], "times_largest_previous": round(r["over_top"], 2) if r["over_top"] else None,
        "robust_z": round(r["rz"], 2) if kind == "spike" else None, "record_ids": r["ids"], "reasons": [why]}
