"""Captive-breeding laundering screen after CITES Res. Conf. 17.7 (Rev. CoP18).

Review triggers for trade in specimens reported as produced in captivity (sources C, D,
F, R), computed per (taxon, exporter, term) from one reporter's records (exporter-
reported by default), with missing years counted as zero:

- ``captive_volume_2x`` / ``captive_volume_4x``: captive quantity in a year above 2x / 4x
  the mean of the previous five years (needs five years of data before it and a mean > 0);
- ``captive_up_wild_down``: captive quantity >= ``rise`` x its previous five-year mean while
  wild (W) quantity <= ``fall`` x its previous five-year mean;
- ``c_before_f``: source C first exported in a year before any F record of that taxon and
  exporter (only where the data starts before the first C year, else it is unknowable);
- ``not_range_state``: captive exports from a state not in the supplied range table;
- ``captive_share_disagreement``: for one (taxon, exporter, importer, term, year), exporter
  and importer totals agree within 25% but their captive shares differ by > 10 points.

These are review triggers, not findings: each flag carries the numbers behind it.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import duckdb

from wildtrace.trade.codes import CAPTIVE_SOURCES
from wildtrace.trade.provenance import rows, stamp

CAPTIVE = "(" + ", ".join(f"'{s}'" for s in sorted(CAPTIVE_SOURCES)) + ")"


def cites_dataset(con: duckdb.DuckDBPyConnection) -> str:
    """The CITES dataset to analyse: bulk records if any are loaded, else comparative tabulations."""
    n = con.execute("SELECT count(*) FROM records WHERE dataset = 'cites_bulk'").fetchall()[0][0]
    return "cites_bulk" if n else "cites_comptab"


def read_ranges(path: Path) -> dict[str, set[str]]:
    """A CSV with columns ``taxon, range_state`` (ISO 3166 alpha-2)."""
    out: dict[str, set[str]] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            out.setdefault(row["taxon"].strip(), set()).add(row["range_state"].strip().upper())
    return out


def series(con: duckdb.DuckDBPyConnection, dataset: str, reporter: str) -> None:
    """Dense yearly series per (taxon, exporter, term): captive, wild and total quantity."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE ls_raw AS
        SELECT taxon, exporter, term, year,
               coalesce(sum(quantity) FILTER (WHERE source IN {CAPTIVE}), 0) AS cap,
               coalesce(sum(quantity) FILTER (WHERE source = 'W'), 0) AS wild
        FROM records WHERE dataset = '{dataset}' AND reporter_type = '{reporter}'
        GROUP BY ALL""")
    con.execute("""CREATE OR REPLACE TEMP TABLE ls_series AS
        WITH span AS (SELECT min(year) AS y0, max(year) AS y1 FROM ls_raw),
        g AS (SELECT taxon, exporter, term, min(year) AS first FROM ls_raw GROUP BY ALL),
        dense AS (SELECT g.taxon, g.exporter, g.term, y.year, span.y0
                  FROM g, span, range(span.y0, span.y1 + 1) y(year) WHERE y.year >= g.first)
        SELECT d.*, coalesce(r.cap, 0) AS cap, coalesce(r.wild, 0) AS wild
        FROM dense d LEFT JOIN ls_raw r USING (taxon, exporter, term, year)""")


def screen(con: duckdb.DuckDBPyConnection, *, ranges: dict[str, set[str]] | None = None,
           reporter: str = "E", rise: float = 1.5, fall: float = 0.67, min_quantity: float = 10,
           limit: int = 1000) -> dict[str, Any]:
    dataset = cites_dataset(con)
    series(con, dataset, reporter)
    flags: list[dict[str, Any]] = []
    win = "OVER (PARTITION BY taxon, exporter, term ORDER BY year ROWS BETWEEN 5 PRECEDING AND 1 PRECEDING)"
    trend = rows(con, f"""
        WITH w AS (SELECT *, avg(cap) {win} AS cap_prev, avg(wild) {win} AS wild_prev,
                          count(*) {win} AS n_prev, list(cap) {win} AS cap_hist, list(wild) {win} AS wild_hist
                   FROM ls_series)
        SELECT * FROM w WHERE n_prev = 5 AND cap >= {min_quantity}
          AND ((cap_prev > 0 AND cap > 2 * cap_prev)
               OR (cap >= {rise} * cap_prev AND wild_prev > 0 AND wild <= {fall} * wild_prev))
        ORDER BY taxon, exporter, term, year""")
    for r in trend:
        nums = {"year": r["year"], "captive_quantity": r["cap"], "captive_prev5_mean": round(r["cap_prev"], 2),
                "captive_prev5": r["cap_hist"], "wild_quantity": r["wild"],
                "wild_prev5_mean": round(r["wild_prev"], 2), "wild_prev5": r["wild_hist"]}
        base = {"taxon": r["taxon"], "exporter": r["exporter"], "term": r["term"]}
        if r["cap_prev"] > 0 and r["cap"] > 2 * r["cap_prev"]:
            crit = "captive_volume_4x" if r["cap"] > 4 * r["cap_prev"] else "captive_volume_2x"
            flags.append({**base, "criterion": crit, **nums, "reasons": [
                f"{r['exporter']} reported {r['cap']:g} {r['term']} of {r['taxon']} from captive sources in "
                f"{r['year']}, {r['cap'] / r['cap_prev']:.1f}x the previous five-year mean of {r['cap_prev']:.1f} "
                f"(Res. Conf. 17.7 trigger: > {'4' if crit.endswith('4x') else '2'}x)"]})
        if r["cap"] >= rise * r["cap_prev"] and r["wild_prev"] > 0 and r["wild"] <= fall * r["wild_prev"]:
            flags.append({**base, "criterion": "captive_up_wild_down", **nums, "reasons": [
                f"captive {r['term']} exports of {r['taxon']} from {r['exporter']} rose to {r['cap']:g} in {r['year']} "
                f"(previous five-year mean {r['cap_prev']:.1f}) while wild exports fell to {r['wild']:g} "
                f"(mean {r['wild_prev']:.1f}): ratios {_ratio(r['cap'], r['cap_prev'])} and "
                f"{r['wild'] / r['wild_prev']:.2f} (thresholds >= {rise} and <= {fall})"]})
    for r in rows(con, f"""
        WITH y AS (SELECT taxon, exporter, min(year) FILTER (WHERE source = 'C') AS first_c,
                          min(year) FILTER (WHERE source = 'F') AS first_f,
                          min(year) FILTER (WHERE source = 'W') AS first_w,
                          sum(quantity) FILTER (WHERE source = 'C') AS q_c
                   FROM records WHERE dataset = '{dataset}' GROUP BY ALL),
             span AS (SELECT min(year) AS y0 FROM records WHERE dataset = '{dataset}')
        SELECT y.* FROM y, span WHERE first_c > span.y0 AND (first_f IS NULL OR first_c < first_f)
        ORDER BY taxon, exporter"""):
        flags.append({"taxon": r["taxon"], "exporter": r["exporter"], "term": None, "criterion": "c_before_f",
                      "first_c_year": r["first_c"], "first_f_year": r["first_f"], "first_w_year": r["first_w"],
                      "c_quantity": r["q_c"], "reasons": [
                          f"{r['exporter']} first exported {r['taxon']} as captive-bred (C) in {r['first_c']}, "
                          + (f"before its first F (born in captivity) record in {r['first_f']}" if r["first_f"]
                             else "and has no F (born in captivity) record at all")
                          + (f"; wild (W) exports since {r['first_w']}" if r["first_w"] else "")]})
    if ranges:
        con.execute("CREATE OR REPLACE TEMP TABLE ls_range (taxon VARCHAR, state VARCHAR)")
        con.executemany("INSERT INTO ls_range VALUES (?, ?)", [(t, s) for t, ss in ranges.items() for s in ss])
        for r in rows(con, f"""
            SELECT r.taxon, r.exporter, sum(quantity) AS q, min(year) AS y0, max(year) AS y1,
                   list(DISTINCT source ORDER BY source) AS sources
            FROM records r WHERE dataset = '{dataset}' AND source IN {CAPTIVE}
              AND (origin IS NULL OR origin = exporter)
              AND taxon IN (SELECT taxon FROM ls_range)
              AND NOT EXISTS (SELECT 1 FROM ls_range g WHERE g.taxon = r.taxon AND g.state = r.exporter)
            GROUP BY ALL ORDER BY taxon, exporter"""):
            states = sorted(ranges.get(r["taxon"], set()))
            flags.append({"taxon": r["taxon"], "exporter": r["exporter"], "term": None,
                          "criterion": "not_range_state", "captive_quantity": r["q"], "years": [r["y0"], r["y1"]],
                          "sources": r["sources"], "range_states": states, "reasons": [
                              f"{r['exporter']} exported {r['q']:g} captive-source ({', '.join(r['sources'])}) "
                              f"{r['taxon']} in {r['y0']}-{r['y1']} without an origin elsewhere, but is not a "
                              f"range state (range: {', '.join(states)})"]})
    n_permits = con.execute(f"""SELECT count(*) FROM records WHERE dataset = '{dataset}'
        AND reporter_type = 'I' AND export_permit IS NOT NULL""").fetchall()[0][0]
    # compare shares on shipments both sides reported (same export permit) when permits exist;
    # otherwise one-sided shipments alone move the shares
    pair_sql = f"""SELECT e.taxon, e.exporter, e.importer, e.term, e.year,
                     sum(e.quantity) AS t_e, sum(e.quantity) FILTER (WHERE e.source IN {CAPTIVE}) AS c_e,
                     sum(i.quantity) AS t_i, sum(i.quantity) FILTER (WHERE i.source IN {CAPTIVE}) AS c_i
                   FROM (SELECT * FROM records WHERE dataset = '{dataset}' AND reporter_type = 'E'
                         AND export_permit IS NOT NULL) e
                   JOIN (SELECT * FROM records WHERE dataset = '{dataset}' AND reporter_type = 'I'
                         AND export_permit IS NOT NULL) i
                     ON e.export_permit = i.export_permit AND e.taxon = i.taxon AND e.term = i.term
                   GROUP BY ALL"""
    all_sql = f"""SELECT taxon, exporter, importer, term, year,
                     sum(quantity) FILTER (WHERE reporter_type = 'E') AS t_e,
                     sum(quantity) FILTER (WHERE reporter_type = 'E' AND source IN {CAPTIVE}) AS c_e,
                     sum(quantity) FILTER (WHERE reporter_type = 'I') AS t_i,
                     sum(quantity) FILTER (WHERE reporter_type = 'I' AND source IN {CAPTIVE}) AS c_i
                   FROM records WHERE dataset = '{dataset}' GROUP BY ALL"""
    basis = "permit-matched shipments" if n_permits else "all records"
    for r in rows(con, f"""
        WITH s AS ({pair_sql if n_permits else all_sql})
        SELECT *, coalesce(c_e, 0) / t_e AS share_e, coalesce(c_i, 0) / t_i AS share_i FROM s
        WHERE t_e > 0 AND t_i > 0 AND abs(t_e - t_i) / greatest(t_e, t_i) <= 0.25
          AND abs(coalesce(c_e, 0) / t_e - coalesce(c_i, 0) / t_i) > 0.10
          AND greatest(t_e, t_i) >= {min_quantity}
        ORDER BY taxon, exporter, importer, year"""):
        flags.append({"taxon": r["taxon"], "exporter": r["exporter"], "importer": r["importer"], "term": r["term"],
                      "year": r["year"], "criterion": "captive_share_disagreement",
                      "basis": basis, "exporter_total": r["t_e"], "importer_total": r["t_i"],
                      "exporter_captive_share": round(r["share_e"], 4), "importer_captive_share": round(r["share_i"], 4),
                      "reasons": [
                          f"{r['year']} {r['exporter']}->{r['importer']} {r['term']} of {r['taxon']}: totals agree "
                          f"({r['t_e']:g} vs {r['t_i']:g}, within 25%) but the captive share is {r['share_e']:.0%} "
                          f"as reported by the exporter and {r['share_i']:.0%} by the importer (> 10 points apart; "
                          f"basis: {basis})"]})
    counts: dict[str, int] = {}
    for f in flags:
        counts[f["criterion"]] = counts.get(f["criterion"], 0) + 1
    return {"dataset": dataset, "flag_counts": counts, "flags": flags[:limit],
            "provenance": stamp(con, "launder", {"reporter": reporter, "rise": rise, "fall": fall,
                                                 "min_quantity": min_quantity,
                                                 "ranges_supplied": bool(ranges)})}


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "new (mean 0)"
