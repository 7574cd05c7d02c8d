"""Captive-breeding laundering screen after CITES Res. Conf. 17.7 (Rev. CoP19) and the
review of trade in specimens of animals reported as produced in captivity.

The claim criteria (a, c, d) look at the records of both reporters declared with source C
(bred in captivity), D (Appendix-I, registered commercial breeding), F (born in captivity)
or R (ranched): a captive claim counts whichever side made it (in a real pangolin extract
the 1,000 ranched Manis pentadactyla skins from Laos in 2010 are in the importer's report
only). Each flag gives each side's total and never adds them. The volume and series
criteria (b, e and the rest) use one reporter's records (exporter-reported by default).
Scientific purpose (S) is left out, and so are re-exports (an origin other than the
exporter: the breeding claim is the origin country's; they are counted apart). Volume rules also leave out scientific specimens (term SPE) and years under
``min_quantity``. Every series is per (term, unit): kilograms never join a count of skins.

Criteria (each flag names its criterion, the numbers and up to ``IDS_PER_FLAG`` record ids):

- ``hard_to_breed`` (a): captive or ranched exports of a taxon that is biologically hard to
  breed or known to be laundered through farms (``data/trade/hard_to_breed.csv``, each row
  with its source): pangolins, great apes, green pythons. Scientific specimens (term SPE:
  samples such as blood in ml) are left out: they are not animals claimed as bred. Each flag
  says how many live animals of the taxon the exporter imported from the data's first year to
  its last export (a captive stock it may breed from: zoos trade apes among themselves);
  flags with none on record come first.
- ``wild_to_captive_switch`` (b): an exporter-taxon series that was wild (W) in the previous
  ``window`` years (captive share < 20%) turns mostly captive (>= 50%) in one year.
- ``outside_range`` (c): captive exports from a state outside the taxon's range (ranges from
  a user's CSV ``taxon,range_state``).
- ``appendix_i_commercial_captive`` (d): Appendix-I specimens traded for commercial purpose
  (T) declared C (Article VII(4) requires a registered operation, declared D), or declared D
  by an exporter-taxon not in the user's register of Appendix-I breeding operations
  (``taxon,country``; without one, D records are counted as unchecked).
- ``captive_volume_2x`` / ``captive_volume_4x`` (e): captive quantity in a year above 2x / 4x
  the mean of the previous five years (needs five years of data before it and a mean > 0);
  production does not grow that fast.
- ``captive_up_wild_down``: captive quantity >= ``rise`` x its previous five-year mean while
  wild quantity <= ``fall`` x its previous five-year mean.
- ``c_before_f``: an exporter that traded a taxon from the wild first declares it C (bred in
  captivity) before any F (born in captivity) record of it (only where the data starts before
  the first C year, else it is unknowable). Scientific samples (term SPE) are left out; the C
  quantities are given per term and unit.
- ``captive_share_disagreement``: for one (taxon, exporter, importer, term, unit, year),
  exporter and importer totals agree within 25% but their captive shares differ by > 10 points.

These are review triggers, not findings.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import duckdb

from wildtrace.errors import DataError
from wildtrace.trade import schema
from wildtrace.trade.codes import CAPTIVE_SOURCES, DATA
from wildtrace.trade.provenance import IDS_PER_FLAG, rows, stamp, year_span
from wildtrace.trade.units import unit_label

CAPTIVE = "(" + ", ".join(f"'{s}'" for s in sorted(CAPTIVE_SOURCES)) + ")"
HARD_TO_BREED = DATA / "hard_to_breed.csv"
TAXON_MATCH = """((h.rank = 'species' AND h.taxon = {a}.taxon) OR (h.rank = 'genus' AND h.taxon = {a}.genus)
    OR (h.rank = 'family' AND h.taxon = {a}.family) OR (h.rank = 'order' AND h.taxon = {a}."order"))"""


def cites_dataset(con: duckdb.DuckDBPyConnection) -> str:
    """The CITES dataset to analyse: bulk records if any are loaded, else comparative tabulations."""
    n = con.execute(f"SELECT count(*) FROM records WHERE dataset = '{schema.BULK}'").fetchall()[0][0]
    return schema.BULK if n else schema.COMPTAB


def _pairs(path: Path, first: str, second: str) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            names = {schema.header_key(n): n for n in reader.fieldnames or []}
            if first not in names or second not in names:
                raise DataError(f"{path}: needs columns {first} and {second}, has {reader.fieldnames}")
            for row in reader:
                t, s = (row[names[first]] or "").strip(), (row[names[second]] or "").strip().upper()
                if t and s:
                    out.setdefault(t, set()).add(s)
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc}") from exc
    return out


def read_ranges(path: Path) -> dict[str, set[str]]:
    """A CSV with columns ``taxon, range_state`` (ISO 3166 alpha-2)."""
    return _pairs(path, "taxon", "rangestate")


def read_register(path: Path) -> dict[str, set[str]]:
    """A CSV of registered Appendix-I breeding operations: columns ``taxon, country``."""
    return _pairs(path, "taxon", "country")


def _hard_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE OR REPLACE TEMP TABLE ls_hard (taxon VARCHAR, rank VARCHAR, reason VARCHAR, source VARCHAR)")
    with HARD_TO_BREED.open(encoding="utf-8", newline="") as fh:
        con.executemany("INSERT INTO ls_hard VALUES (?, ?, ?, ?)",
                        [(r["taxon"], r["rank"], r["reason"], r["source"]) for r in csv.DictReader(fh)])


def series(con: duckdb.DuckDBPyConnection) -> None:
    """Dense yearly series per (taxon, exporter, term, unit) of the screened records: captive,
    wild and total quantity (volume rules: no SPE)."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE ls_raw AS
        SELECT taxon, exporter, coalesce(term, '?') AS term, coalesce(unit, '') AS unit, year,
               coalesce(sum(quantity) FILTER (WHERE source IN {CAPTIVE}), 0) AS cap,
               coalesce(sum(quantity) FILTER (WHERE source = 'W'), 0) AS wild,
               list(record_id ORDER BY quantity DESC) FILTER (WHERE source IN {CAPTIVE}) AS ids
        FROM ls_all WHERE term IS DISTINCT FROM 'SPE'
        GROUP BY ALL""")
    con.execute("""CREATE OR REPLACE TEMP TABLE ls_series AS
        WITH span AS (SELECT min(year) AS y0, max(year) AS y1 FROM ls_raw),
        g AS (SELECT taxon, exporter, term, unit, min(year) AS first FROM ls_raw GROUP BY ALL),
        dense AS (SELECT g.taxon, g.exporter, g.term, g.unit, y.year, span.y0
                  FROM g, span, range(span.y0, span.y1 + 1) y(year) WHERE y.year >= g.first)
        SELECT d.*, coalesce(r.cap, 0) AS cap, coalesce(r.wild, 0) AS wild, r.ids
        FROM dense d LEFT JOIN ls_raw r USING (taxon, exporter, term, unit, year)""")


#: Each side's total of a group of records: the two reports of one shipment are never added.
SIDES = ("sum({a}quantity) FILTER (WHERE {a}reporter_type = 'E') AS q_e, "
         "sum({a}quantity) FILTER (WHERE {a}reporter_type = 'I') AS q_i")


def _sides(r: dict[str, Any]) -> dict[str, Any]:
    """``quantity`` (the larger side's total, never the sum) and each side's total."""
    return {"quantity": max(q for q in (r["q_e"], r["q_i"], 0) if q is not None),
            "quantity_exporter_report": r["q_e"], "quantity_importer_report": r["q_i"]}


def _said(r: dict[str, Any]) -> str:
    """'3' from the exporter's report alone, else who said what: '5 (exporter's report) and 500
    (importer's report; never added)'."""
    if r["q_i"] is None:
        return f"{r['q_e']:g}"
    if r["q_e"] is None:
        return f"{r['q_i']:g} (importer's report only)"
    return f"{r['q_e']:g} (exporter's report) and {r['q_i']:g} (importer's report; never added)"


def _base(r: dict[str, Any]) -> dict[str, Any]:
    return {"taxon": r["taxon"], "exporter": r["exporter"], "term": r.get("term"), "unit": r.get("unit") or None,
            "unit_label": unit_label(r.get("unit") or None)}


def screen(con: duckdb.DuckDBPyConnection, *, ranges: dict[str, set[str]] | None = None,
           register: dict[str, set[str]] | None = None, reporter: str = "E", rise: float = 1.5,
           fall: float = 0.67, min_quantity: float = 10, window: int = 3, limit: int = 1000) -> dict[str, Any]:
    if reporter not in ("E", "I"):
        raise ValueError(f"reporter must be E or I, not {reporter!r}")
    dataset = cites_dataset(con)
    notes: list[str] = []
    # every record of the reporter that the screen may look at: no scientific purpose, no re-export
    con.execute(f"""CREATE OR REPLACE TEMP TABLE ls_all AS SELECT * FROM records
        WHERE dataset = '{dataset}' AND reporter_type = '{reporter}' AND exporter IS NOT NULL
          AND purpose IS DISTINCT FROM 'S' AND (origin IS NULL OR origin = exporter)""")
    # a captive claim counts whichever side made it: in a real pangolin extract, the 1,000 ranched
    # Manis pentadactyla skins from LA in 2010 are in Mexico's (the importer's) report only
    con.execute(f"""CREATE OR REPLACE TEMP TABLE ls_cap AS SELECT * FROM records
        WHERE dataset = '{dataset}' AND exporter IS NOT NULL AND source IN {CAPTIVE}
          AND purpose IS DISTINCT FROM 'S' AND (origin IS NULL OR origin = exporter)""")
    left_out = rows(con, f"""SELECT
        count(*) FILTER (WHERE purpose = 'S') AS scientific,
        count(*) FILTER (WHERE origin IS NOT NULL AND origin <> exporter) AS reexports
        FROM records WHERE dataset = '{dataset}' AND source IN {CAPTIVE}""")[0]
    notes.append(f"left out of the screen: {left_out['scientific']} captive-source records with scientific purpose "
                 f"(S) and {left_out['reexports']} captive-source re-exports (origin other than the exporter)")
    series(con)
    flags: list[dict[str, Any]] = []

    # (a) taxa that are hard to breed; the exporter's live imports of the taxon are the
    # captive stock it could breed from (zoos trade apes among themselves; a laundering
    # exporter has none on record), so flags without any come first
    _hard_table(con)
    data_y0 = con.execute(f"SELECT min(year) FROM records WHERE dataset = '{dataset}'").fetchall()[0][0]
    for r in rows(con, f"""
        WITH g AS (SELECT c.taxon, c.exporter, c.term, c.unit, c.source, any_value(h.reason) AS reason,
               any_value(h.source) AS ref, any_value(h.taxon) AS listed, {SIDES.format(a='c.')},
               min(c.year) AS y0, max(c.year) AS y1, count(*) AS n,
               list(DISTINCT c.importer ORDER BY c.importer) AS importers,
               list(c.record_id ORDER BY c.quantity DESC)[1:{IDS_PER_FLAG}] AS ids
            FROM ls_cap c JOIN ls_hard h ON {TAXON_MATCH.format(a='c')}
            WHERE c.quantity > 0 AND c.term IS DISTINCT FROM 'SPE'
            GROUP BY c.taxon, c.exporter, c.term, c.unit, c.source),
        live AS (SELECT taxon, importer AS party, year,
                        greatest(coalesce(sum(quantity) FILTER (WHERE reporter_type = 'E'), 0),
                                 coalesce(sum(quantity) FILTER (WHERE reporter_type = 'I'), 0)) AS q
                 FROM records WHERE dataset = '{dataset}' AND term = 'LIV' AND importer IS NOT NULL
                   AND taxon IN (SELECT DISTINCT taxon FROM g) GROUP BY ALL),
        s AS (SELECT g.*, coalesce((SELECT sum(l.q) FROM live l WHERE l.taxon = g.taxon AND l.party = g.exporter
                                    AND l.year <= g.y1), 0) AS stock_in FROM g)
        SELECT * FROM s ORDER BY stock_in > 0, greatest(coalesce(q_e, 0), coalesce(q_i, 0)) DESC, taxon, exporter, y0"""):
        unit = unit_label(r["unit"])
        span = year_span({"y0": data_y0, "y1": r["y1"]})
        stock = (f"{r['exporter']} imported {r['stock_in']:g} live {r['taxon']} in {span} (a captive "
                 "stock it may breed from)" if r["stock_in"] else
                 f"no live import of {r['taxon']} into {r['exporter']} in {span}: no captive stock on record")
        flags.append({**_base(r), **_sides(r), "criterion": "hard_to_breed", "source": r["source"],
                      "years": [r["y0"], r["y1"]], "records": r["n"], "importers": r["importers"],
                      "listed_as": r["listed"], "reference": r["ref"], "live_imports_before": r["stock_in"],
                      "record_ids": r["ids"], "reasons": [
                          f"{r['exporter']} exported {_said(r)} {r['term']} ({unit}) of {r['taxon']} declared source "
                          f"{r['source']} in {year_span(r)} to {', '.join(i or '?' for i in r['importers'])}: "
                          f"{r['listed']} is hard to breed or known to be laundered ({r['reason']}; source: "
                          f"{r['ref']}); {stock}"]})

    samples = con.execute(f"""SELECT count(*) FROM ls_cap c JOIN ls_hard h ON {TAXON_MATCH.format(a='c')}
                             WHERE c.term = 'SPE'""").fetchall()[0][0]
    if samples:
        notes.append(f"hard_to_breed leaves out {samples} captive-source records of scientific specimens (term SPE: "
                     "samples such as blood in ml, not animals claimed as bred)")

    # (b) a switch from wild to captive
    part = "OVER (PARTITION BY taxon, exporter, term, unit ORDER BY year ROWS BETWEEN {n} PRECEDING AND 1 PRECEDING)"
    win, win5 = part.format(n=int(window)), part.format(n=5)
    for r in rows(con, f"""
        WITH w AS (SELECT *, sum(cap) {win} AS cap_prev, sum(wild) {win} AS wild_prev, count(*) {win} AS n_prev
                   FROM ls_series),
        s AS (SELECT *, row_number() OVER (PARTITION BY taxon, exporter, term, unit ORDER BY year) AS k FROM w
              WHERE n_prev = {int(window)} AND cap >= {float(min_quantity)} AND cap >= 0.5 * (cap + wild)
                AND wild_prev >= {float(min_quantity)} AND cap_prev < 0.2 * (cap_prev + wild_prev))
        SELECT * FROM s WHERE k = 1 ORDER BY taxon, exporter, year"""):
        unit = unit_label(r["unit"])
        share_prev = r["cap_prev"] / (r["cap_prev"] + r["wild_prev"])
        flags.append({**_base(r), "criterion": "wild_to_captive_switch", "year": r["year"], "captive_quantity": r["cap"],
                      "wild_quantity": r["wild"], "captive_prev": r["cap_prev"], "wild_prev": r["wild_prev"],
                      "record_ids": (r["ids"] or [])[:IDS_PER_FLAG], "reasons": [
                          f"{r['exporter']}'s {r['term']} ({unit}) exports of {r['taxon']} switched from wild to captive in "
                          f"{r['year']}: {r['cap']:g} captive vs {r['wild']:g} wild, after {window} years with "
                          f"{r['wild_prev']:g} wild and {r['cap_prev']:g} captive (captive share {share_prev:.0%} "
                          "before, thresholds < 20% then >= 50%)"]})

    # (c) captive exports from outside the range
    if ranges:
        con.execute("CREATE OR REPLACE TEMP TABLE ls_range (taxon VARCHAR, state VARCHAR)")
        con.executemany("INSERT INTO ls_range VALUES (?, ?)", [(t, s) for t, ss in ranges.items() for s in ss])
        for r in rows(con, f"""
            SELECT r.taxon, r.exporter, r.term, r.unit, {SIDES.format(a='')}, min(year) AS y0, max(year) AS y1,
                   list(DISTINCT source ORDER BY source) AS sources,
                   list(record_id ORDER BY quantity DESC)[1:{IDS_PER_FLAG}] AS ids
            FROM ls_cap r WHERE taxon IN (SELECT taxon FROM ls_range)
              AND NOT EXISTS (SELECT 1 FROM ls_range g WHERE g.taxon = r.taxon AND g.state = r.exporter)
            GROUP BY r.taxon, r.exporter, r.term, r.unit ORDER BY taxon, exporter"""):
            states = sorted(ranges.get(r["taxon"], set()))
            sides = _sides(r)
            flags.append({**_base(r), **sides, "criterion": "outside_range", "captive_quantity": sides["quantity"],
                          "years": [r["y0"], r["y1"]], "sources": r["sources"], "range_states": states,
                          "record_ids": r["ids"], "reasons": [
                              f"{r['exporter']} exported {_said(r)} {r['term']} ({unit_label(r['unit'])}) of "
                              f"{r['taxon']} declared captive or ranched ({', '.join(r['sources'])}) in "
                              f"{year_span(r)} without an origin elsewhere, but is not a range state "
                              f"(range: {', '.join(states)})"]})
    else:
        notes.append("no range table given (--ranges): criterion outside_range not run")

    # (d) Appendix I, commercial, captive
    unchecked = 0
    for r in rows(con, f"""
        SELECT taxon, exporter, term, unit, source, {SIDES.format(a='')}, min(year) AS y0, max(year) AS y1,
               list(record_id ORDER BY quantity DESC)[1:{IDS_PER_FLAG}] AS ids
        FROM ls_cap c WHERE appendix = 'I' AND purpose = 'T' AND source IN ('C', 'D')
        GROUP BY taxon, exporter, term, unit, source ORDER BY taxon, exporter"""):
        registered = bool(register) and (r["exporter"] in (register or {}).get(r["taxon"], set()))
        if r["source"] == "D" and not register:
            unchecked += 1
            continue
        if r["source"] == "D" and registered:
            continue
        why = ("declared C: Appendix-I animals traded for commercial purposes must come from an operation in "
               "the CITES register (Res. Conf. 12.10 (Rev. CoP15), Article VII(4)) and be declared D"
               if r["source"] == "C" else
               "declared D, but the exporter has no registered operation for this taxon in the register given")
        flags.append({**_base(r), **_sides(r), "criterion": "appendix_i_commercial_captive", "source": r["source"],
                      "years": [r["y0"], r["y1"]], "record_ids": r["ids"], "reasons": [
                          f"{r['exporter']} exported {_said(r)} {r['term']} ({unit_label(r['unit'])}) of Appendix-I "
                          f"{r['taxon']} for commercial purpose (T) in {year_span(r)}, {why}"]})
    if unchecked:
        notes.append(f"{unchecked} Appendix-I commercial exporter-taxon series declared D not checked: no register "
                     "of breeding operations given (--register)")

    # (e) volumes beyond plausible growth, and captive up while wild down
    trend = rows(con, f"""
        WITH w AS (SELECT *, avg(cap) {win5} AS cap_prev, avg(wild) {win5} AS wild_prev, count(*) {win5} AS n_prev,
                          list(cap) {win5} AS cap_hist, list(wild) {win5} AS wild_hist
                   FROM ls_series)
        SELECT * FROM w WHERE n_prev = 5 AND cap >= {float(min_quantity)}
          AND ((cap_prev > 0 AND cap > 2 * cap_prev)
               OR (cap >= {float(rise)} * cap_prev AND wild_prev > 0 AND wild <= {float(fall)} * wild_prev))
        ORDER BY taxon, exporter, term, unit, year""")
    for r in trend:
        unit = unit_label(r["unit"])
        nums = {"year": r["year"], "captive_quantity": r["cap"], "captive_prev5_mean": round(r["cap_prev"], 2),
                "captive_prev5": r["cap_hist"], "wild_quantity": r["wild"],
                "wild_prev5_mean": round(r["wild_prev"], 2), "wild_prev5": r["wild_hist"],
                "record_ids": (r["ids"] or [])[:IDS_PER_FLAG]}
        if r["cap_prev"] > 0 and r["cap"] > 2 * r["cap_prev"]:
            crit = "captive_volume_4x" if r["cap"] > 4 * r["cap_prev"] else "captive_volume_2x"
            flags.append({**_base(r), "criterion": crit, **nums, "reasons": [
                f"{r['exporter']} reported {r['cap']:g} {r['term']} ({unit}) of {r['taxon']} from captive sources in "
                f"{r['year']}, {r['cap'] / r['cap_prev']:.1f}x the previous five-year mean of {r['cap_prev']:.1f} "
                f"(Res. Conf. 17.7 trigger: > {'4' if crit.endswith('4x') else '2'}x)"]})
        if r["cap"] >= rise * r["cap_prev"] and r["wild_prev"] > 0 and r["wild"] <= fall * r["wild_prev"]:
            flags.append({**_base(r), "criterion": "captive_up_wild_down", **nums, "reasons": [
                f"captive {r['term']} ({unit}) exports of {r['taxon']} from {r['exporter']} rose to {r['cap']:g} in "
                f"{r['year']} (previous five-year mean {r['cap_prev']:.1f}) while wild exports fell to {r['wild']:g} "
                f"(mean {r['wild_prev']:.1f}): ratios {_ratio(r['cap'], r['cap_prev'])} and "
                f"{r['wild'] / r['wild_prev']:.2f} (thresholds >= {rise} and <= {fall})"]})

    # C before any F: "bred in captivity" claimed before a first generation born in captivity
    for r in rows(con, f"""
        WITH base AS (SELECT * FROM ls_all WHERE term IS DISTINCT FROM 'SPE'),
             y AS (SELECT taxon, exporter, min(year) FILTER (WHERE source = 'C') AS first_c,
                          min(year) FILTER (WHERE source = 'F') AS first_f,
                          min(year) FILTER (WHERE source = 'W') AS first_w,
                          list(record_id ORDER BY year, quantity DESC) FILTER (WHERE source = 'C') AS ids
                   FROM base GROUP BY ALL),
             qc AS (SELECT taxon, exporter, list({{'term': term, 'unit': unit, 'quantity': q}} ORDER BY q DESC) AS c_by_unit
                    FROM (SELECT taxon, exporter, term, unit, sum(quantity) AS q FROM base WHERE source = 'C' GROUP BY ALL)
                    GROUP BY ALL),
             span AS (SELECT min(year) AS y0 FROM records WHERE dataset = '{dataset}')
        SELECT y.*, qc.c_by_unit FROM y JOIN qc USING (taxon, exporter), span
        WHERE first_c > span.y0 AND (first_f IS NULL OR first_c < first_f) AND first_w < first_c
        ORDER BY taxon, exporter"""):
        flags.append({"taxon": r["taxon"], "exporter": r["exporter"], "term": None, "unit": None,
                      "criterion": "c_before_f", "first_c_year": r["first_c"], "first_f_year": r["first_f"],
                      "first_w_year": r["first_w"], "c_quantity_by_unit": r["c_by_unit"],
                      "record_ids": (r["ids"] or [])[:IDS_PER_FLAG], "reasons": [
                          f"{r['exporter']} first exported {r['taxon']} as captive-bred (C) in {r['first_c']}, "
                          + (f"before its first F (born in captivity) record in {r['first_f']}" if r["first_f"]
                             else "and has no F (born in captivity) record at all")
                          + (f"; wild (W) exports since {r['first_w']}" if r["first_w"] else "")]})

    # both reports of the same shipments, disagreeing about the captive share
    flags += _share_disagreement(con, dataset, min_quantity)
    counts: dict[str, int] = {}
    for f in flags:
        counts[f["criterion"]] = counts.get(f["criterion"], 0) + 1
    return {"dataset": dataset, "flag_counts": counts, "flags": flags[:limit], "notes": notes,
            "provenance": stamp(con, "launder", {"reporter": reporter, "rise": rise, "fall": fall,
                                                 "min_quantity": min_quantity, "window": window,
                                                 "ranges_supplied": bool(ranges),
                                                 "register_supplied": bool(register)})}


def _share_disagreement(con: duckdb.DuckDBPyConnection, dataset: str, min_quantity: float) -> list[dict[str, Any]]:
    keep = "exporter IS NOT NULL AND importer IS NOT NULL AND purpose IS DISTINCT FROM 'S' AND (origin IS NULL OR origin = exporter)"
    n_permits = con.execute(f"""SELECT count(*) FROM records WHERE dataset = '{dataset}'
        AND reporter_type = 'I' AND export_permit IS NOT NULL""").fetchall()[0][0]
    # compare shares on shipments both sides reported (same export permit and parties) when permits
    # exist; otherwise one-sided shipments alone move the shares
    pair_sql = f"""SELECT e.taxon, e.exporter, e.importer, e.term, e.unit, e.year,
                     sum(e.quantity) AS t_e, sum(e.quantity) FILTER (WHERE e.source IN {CAPTIVE}) AS c_e,
                     sum(i.quantity) AS t_i, sum(i.quantity) FILTER (WHERE i.source IN {CAPTIVE}) AS c_i
                   FROM (SELECT * FROM records WHERE dataset = '{dataset}' AND reporter_type = 'E'
                         AND export_permit IS NOT NULL AND {keep}) e
                   JOIN (SELECT * FROM records WHERE dataset = '{dataset}' AND reporter_type = 'I'
                         AND export_permit IS NOT NULL AND {keep}) i
                     ON e.export_permit = i.export_permit AND e.taxon = i.taxon AND e.term = i.term
                        AND e.unit IS NOT DISTINCT FROM i.unit AND e.exporter = i.exporter AND e.importer = i.importer
                   GROUP BY ALL"""
    all_sql = f"""SELECT taxon, exporter, importer, term, unit, year,
                     sum(quantity) FILTER (WHERE reporter_type = 'E') AS t_e,
                     sum(quantity) FILTER (WHERE reporter_type = 'E' AND source IN {CAPTIVE}) AS c_e,
                     sum(quantity) FILTER (WHERE reporter_type = 'I') AS t_i,
                     sum(quantity) FILTER (WHERE reporter_type = 'I' AND source IN {CAPTIVE}) AS c_i
                   FROM records WHERE dataset = '{dataset}' AND {keep} GROUP BY ALL"""
    basis = "permit-matched shipments" if n_permits else "all records"
    out = []
    for r in rows(con, f"""
        WITH s AS ({pair_sql if n_permits else all_sql})
        SELECT *, coalesce(c_e, 0) / t_e AS share_e, coalesce(c_i, 0) / t_i AS share_i FROM s
        WHERE t_e > 0 AND t_i > 0 AND abs(t_e - t_i) / greatest(t_e, t_i) <= 0.25
          AND abs(coalesce(c_e, 0) / t_e - coalesce(c_i, 0) / t_i) > 0.10
          AND greatest(t_e, t_i) >= {float(min_quantity)}
        ORDER BY taxon, exporter, importer, year"""):
        unit = unit_label(r["unit"])
        out.append({**_base(r), "importer": r["importer"], "year": r["year"],
                    "criterion": "captive_share_disagreement", "basis": basis, "exporter_total": r["t_e"],
                    "importer_total": r["t_i"], "exporter_captive_share": round(r["share_e"], 4),
                    "importer_captive_share": round(r["share_i"], 4), "reasons": [
                        f"{r['year']} {r['exporter']}->{r['importer']} {r['term']} ({unit}) of {r['taxon']}: totals "
                        f"agree ({r['t_e']:g} vs {r['t_i']:g}, within 25%) but the captive share is "
                        f"{r['share_e']:.0%} as reported by the exporter and {r['share_i']:.0%} by the importer "
                        f"(> 10 points apart; basis: {basis})"]})
    return out


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "new (mean 0)"
