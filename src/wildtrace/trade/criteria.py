"""The captive-breeding screen's criteria, one table (``CRITERIA``): each criterion's name,
description, the ``screen()`` parameters it reads, its SQL (a template over the screen's tables
``ls_all``, ``ls_cap``, ``ls_series`` and ``records``; placeholders in ``criterion.py``), how a
result row becomes flags, and its reason templates. ``screen.screen`` runs them in order.
"""

from __future__ import annotations

import csv
from typing import Any

from wildtrace.trade.codes import DATA
from wildtrace.trade.criterion import Criterion, Emitted, Run, base, ratio, sides, told
from wildtrace.trade.prohibited import WILD_COMMERCIAL
from wildtrace.trade.provenance import IDS_PER_FLAG, year_span
from wildtrace.trade.reexport_claims import REEXPORT_CLAIM

HARD_TO_BREED = DATA / "hard_to_breed.csv"


# (a) hard to breed ------------------------------------------------------------------------

def _hard_prepare(run: Run) -> bool:
    run.con.execute("CREATE OR REPLACE TEMP TABLE ls_hard (taxon VARCHAR, rank VARCHAR, reason VARCHAR, source VARCHAR)")
    with HARD_TO_BREED.open(encoding="utf-8", newline="") as fh:
        run.con.executemany("INSERT INTO ls_hard VALUES (?, ?, ?, ?)",
                            [(r["taxon"], r["rank"], r["reason"], r["source"]) for r in csv.DictReader(fh)])
    run.state["data_y0"] = run.one("SELECT min(year) FROM records WHERE dataset = '{dataset}'")
    return True


def _hard_emit(r: dict[str, Any], run: Run) -> Emitted:
    span = year_span({"y0": run.state["data_y0"], "y1": r["y1"]})
    stock = (f"{r['exporter']} imported {r['stock_in']:g} live {r['taxon']} in {span} (a captive "
             "stock it may breed from)" if r["stock_in"] else
             f"no live import of {r['taxon']} into {r['exporter']} in {span}: no captive stock on record")
    yield "hard_to_breed", {
        **base(r), **sides(r), "criterion": "hard_to_breed", "source": r["source"], "years": [r["y0"], r["y1"]],
        "records": r["n"], "importers": r["importers"], "listed_as": r["listed"], "reference": r["ref"],
        "live_imports_before": r["stock_in"], "record_ids": r["ids"],
    }, told(r, importers=", ".join(i or "?" for i in r["importers"]), stock=stock)


def _hard_finish(run: Run) -> None:
    samples = run.one("SELECT count(*) FROM ls_cap c JOIN ls_hard h ON {match_c} WHERE c.term = 'SPE'")
    if samples:
        run.notes.append(f"hard_to_breed leaves out {samples} captive-source records of scientific specimens (term "
                         "SPE: samples such as blood in ml, not animals claimed as bred)")


HARD = Criterion(
    "hard_to_breed",
    "(a) captive or ranched exports of a taxon that is biologically hard to breed or known to be laundered "
    "through farms (data/trade/hard_to_breed.csv, each row with its source), no scientific specimens (SPE); "
    "each flag says how many live animals of the taxon the exporter imported up to its last export (a "
    "captive stock it may breed from); flags with none on record come first",
    (), """
    WITH g AS (SELECT c.taxon, c.exporter, c.term, c.unit, c.source, any_value(h.reason) AS reason,
           any_value(h.source) AS ref, any_value(h.taxon) AS listed, {sides_c},
           min(c.year) AS y0, max(c.year) AS y1, count(*) AS n,
           list(DISTINCT c.importer ORDER BY c.importer) AS importers,
           list(c.record_id ORDER BY c.quantity DESC)[1:{ids}] AS ids
        FROM ls_cap c JOIN ls_hard h ON {match_c}
        WHERE c.quantity > 0 AND c.term IS DISTINCT FROM 'SPE'
        GROUP BY c.taxon, c.exporter, c.term, c.unit, c.source),
    live AS (SELECT taxon, importer AS party, year,
                    greatest(coalesce(sum(quantity) FILTER (WHERE reporter_type = 'E'), 0),
                             coalesce(sum(quantity) FILTER (WHERE reporter_type = 'I'), 0)) AS q
             FROM records WHERE dataset = '{dataset}' AND term = 'LIV' AND importer IS NOT NULL
               AND taxon IN (SELECT DISTINCT taxon FROM g) GROUP BY ALL),
    s AS (SELECT g.*, coalesce((SELECT sum(l.q) FROM live l WHERE l.taxon = g.taxon AND l.party = g.exporter
                                AND l.year <= g.y1), 0) AS stock_in FROM g)
    SELECT * FROM s ORDER BY stock_in > 0, greatest(coalesce(q_e, 0), coalesce(q_i, 0)) DESC, taxon, exporter, y0""",
    _hard_emit,
    {"hard_to_breed": "{exporter} exported {said} {term} ({unit}) of {taxon} declared source {source} in {span} "
                      "to {importers}: {listed} is hard to breed or known to be laundered ({reason}; source: "
                      "{ref}); {stock}"},
    prepare=_hard_prepare, finish=_hard_finish)


# (b) a switch from wild to captive --------------------------------------------------------

def _switch_emit(r: dict[str, Any], run: Run) -> Emitted:
    yield "wild_to_captive_switch", {
        **base(r), "criterion": "wild_to_captive_switch", "year": r["year"], "captive_quantity": r["cap"],
        "wild_quantity": r["wild"], "captive_prev": r["cap_prev"], "wild_prev": r["wild_prev"],
        "record_ids": (r["ids"] or [])[:IDS_PER_FLAG],
    }, told(r, window=run.window, share_prev=r["cap_prev"] / (r["cap_prev"] + r["wild_prev"]))


SWITCH = Criterion(
    "wild_to_captive_switch",
    "(b) an exporter-taxon series that was wild in the previous `window` years (captive share < 20%) "
    "turns mostly captive (>= 50%) in one year",
    ("reporter", "window", "min_quantity"), """
    WITH w AS (SELECT *, sum(cap) {win} AS cap_prev, sum(wild) {win} AS wild_prev, count(*) {win} AS n_prev
               FROM ls_series),
    s AS (SELECT *, row_number() OVER (PARTITION BY taxon, exporter, term, unit ORDER BY year) AS k FROM w
          WHERE n_prev = {window} AND cap >= {min_quantity} AND cap >= 0.5 * (cap + wild)
            AND wild_prev >= {min_quantity} AND cap_prev < 0.2 * (cap_prev + wild_prev))
    SELECT * FROM s WHERE k = 1 ORDER BY taxon, exporter, year""",
    _switch_emit,
    {"wild_to_captive_switch": "{exporter}'s {term} ({unit}) exports of {taxon} switched from wild to captive in "
                               "{year}: {cap:g} captive vs {wild:g} wild, after {window} years with {wild_prev:g} "
                               "wild and {cap_prev:g} captive (captive share {share_prev:.0%} before, thresholds "
                               "< 20% then >= 50%)"})


# (c) captive exports from outside the range -----------------------------------------------

def _range_prepare(run: Run) -> bool:
    if not run.ranges:
        run.notes.append("no range table given (--ranges) and no imported checklist with distributions: "
                         "criterion outside_range not run")
        return False
    run.con.execute("CREATE OR REPLACE TEMP TABLE ls_range (taxon VARCHAR, state VARCHAR)")
    # only the taxa the screen meets (an imported checklist holds tens of thousands)
    present = {r[0] for r in run.con.execute("SELECT DISTINCT taxon FROM ls_cap").fetchall()}
    pairs = [(t, s) for t, ss in run.ranges.items() if t in present for s in ss]
    if pairs:  # DuckDB's executemany refuses an empty list; no known range is no flag
        run.con.executemany("INSERT INTO ls_range VALUES (?, ?)", pairs)
    return True


def _range_emit(r: dict[str, Any], run: Run) -> Emitted:
    states = sorted((run.ranges or {}).get(r["taxon"], set()))
    both = sides(r)
    source = run.ranges_from or "the range table given"
    yield "outside_range", {
        **base(r), **both, "criterion": "outside_range", "captive_quantity": both["quantity"],
        "years": [r["y0"], r["y1"]], "sources": r["sources"], "range_states": states, "range_source": source,
        "record_ids": r["ids"],
    }, told(r, sources=", ".join(r["sources"]), states=", ".join(states), source=source)


RANGE = Criterion(
    "outside_range",
    "(c) captive exports from a state outside the taxon's range (ranges from a user's CSV taxon,range_state, "
    "else the distributions of the imported Species+ checklist: native, reintroduced, introduced, uncertain)",
    ("ranges", "ranges_from"), """
    SELECT r.taxon, r.exporter, r.term, r.unit, {sides}, min(year) AS y0, max(year) AS y1,
           list(DISTINCT source ORDER BY source) AS sources,
           list(record_id ORDER BY quantity DESC, record_id)[1:{ids}] AS ids
    FROM ls_cap r WHERE taxon IN (SELECT taxon FROM ls_range)
      AND NOT EXISTS (SELECT 1 FROM ls_range g WHERE g.taxon = r.taxon AND g.state = r.exporter)
    GROUP BY r.taxon, r.exporter, r.term, r.unit ORDER BY taxon, exporter""",
    _range_emit,
    {"outside_range": "{exporter} exported {said} {term} ({unit}) of {taxon} declared captive or ranched "
                      "({sources}) in {span} without an origin elsewhere, but is not a range state "
                      "(range: {states}; from {source})"},
    prepare=_range_prepare)


# (d) Appendix I, commercial, captive ------------------------------------------------------

APPENDIX_I_WHY = {
    "C": "declared C: Appendix-I animals traded for commercial purposes must come from an operation in "
         "the CITES register (Res. Conf. 12.10 (Rev. CoP15), Article VII(4)) and be declared D",
    "D": "declared D, but the exporter has no registered operation for this taxon in the register given",
}


def _app1_prepare(run: Run) -> bool:
    run.state["unchecked"] = 0
    return True


def _app1_emit(r: dict[str, Any], run: Run) -> Emitted:
    register = run.register
    registered = bool(register) and (r["exporter"] in (register or {}).get(r["taxon"], set()))
    if r["source"] == "D" and not register:
        run.state["unchecked"] += 1
        return
    if r["source"] == "D" and registered:
        return
    yield "appendix_i_commercial_captive", {
        **base(r), **sides(r), "criterion": "appendix_i_commercial_captive", "source": r["source"],
        "years": [r["y0"], r["y1"]], "record_ids": r["ids"],
    }, told(r, why=APPENDIX_I_WHY[r["source"]])


def _app1_finish(run: Run) -> None:
    if run.state["unchecked"]:
        run.notes.append(f"{run.state['unchecked']} Appendix-I commercial exporter-taxon series declared D not "
                         "checked: no register of breeding operations given (--register)")


APPENDIX_I = Criterion(
    "appendix_i_commercial_captive",
    "(d) Appendix-I specimens traded for commercial purpose (T) declared C (Article VII(4) requires a "
    "registered operation, declared D), or declared D by an exporter-taxon not in the user's register "
    "(taxon,country; without one, D records are counted as unchecked)",
    ("register",), """
    SELECT taxon, exporter, term, unit, source, {sides}, min(year) AS y0, max(year) AS y1,
           list(record_id ORDER BY quantity DESC, record_id)[1:{ids}] AS ids
    FROM ls_cap c WHERE appendix = 'I' AND purpose = 'T' AND source IN ('C', 'D')
    GROUP BY taxon, exporter, term, unit, source ORDER BY taxon, exporter""",
    _app1_emit,
    {"appendix_i_commercial_captive": "{exporter} exported {said} {term} ({unit}) of Appendix-I {taxon} for "
                                      "commercial purpose (T) in {span}, {why}"},
    prepare=_app1_prepare, finish=_app1_finish)


# (e) volumes beyond plausible growth, and captive up while wild down ------------------------

def _volume_emit(r: dict[str, Any], run: Run) -> Emitted:
    nums = {"year": r["year"], "captive_quantity": r["cap"], "captive_prev5_mean": round(r["cap_prev"], 2),
            "captive_prev5": r["cap_hist"], "wild_quantity": r["wild"],
            "wild_prev5_mean": round(r["wild_prev"], 2), "wild_prev5": r["wild_hist"],
            "record_ids": (r["ids"] or [])[:IDS_PER_FLAG]}
    if r["cap_prev"] > 0 and r["cap"] > 2 * r["cap_prev"]:
        crit = "captive_volume_4x" if r["cap"] > 4 * r["cap_prev"] else "captive_volume_2x"
        yield "captive_volume", {**base(r), "criterion": crit, **nums}, told(
            r, fold=r["cap"] / r["cap_prev"], trigger="4" if crit.endswith("4x") else "2")
    if r["cap"] >= run.rise * r["cap_prev"] and r["wild_prev"] > 0 and r["wild"] <= run.fall * r["wild_prev"]:
        yield "captive_up_wild_down", {**base(r), "criterion": "captive_up_wild_down", **nums}, told(
            r, cap_ratio=ratio(r["cap"], r["cap_prev"]), wild_ratio=r["wild"] / r["wild_prev"],
            rise=run.rise, fall=run.fall)


VOLUME = Criterion(
    "captive_volume",
    "(e) captive_volume_2x / _4x: captive quantity in a year above 2x / 4x the mean of the previous five "
    "years (five years of data before it, a mean > 0); captive_up_wild_down: captive quantity >= rise x its "
    "previous five-year mean while wild quantity <= fall x its own",
    ("reporter", "min_quantity", "rise", "fall"), """
    WITH w AS (SELECT *, avg(cap) {win5} AS cap_prev, avg(wild) {win5} AS wild_prev, count(*) {win5} AS n_prev,
                      list(cap) {win5} AS cap_hist, list(wild) {win5} AS wild_hist
               FROM ls_series)
    SELECT * FROM w WHERE n_prev = 5 AND cap >= {min_quantity}
      AND ((cap_prev > 0 AND cap > 2 * cap_prev)
           OR (cap >= {rise} * cap_prev AND wild_prev > 0 AND wild <= {fall} * wild_prev))
    ORDER BY taxon, exporter, term, unit, year""",
    _volume_emit,
    {"captive_volume": "{exporter} reported {cap:g} {term} ({unit}) of {taxon} from captive sources in {year}, "
                       "{fold:.1f}x the previous five-year mean of {cap_prev:.1f} (Res. Conf. 17.7 trigger: > "
                       "{trigger}x)",
     "captive_up_wild_down": "captive {term} ({unit}) exports of {taxon} from {exporter} rose to {cap:g} in "
                             "{year} (previous five-year mean {cap_prev:.1f}) while wild exports fell to {wild:g} "
                             "(mean {wild_prev:.1f}): ratios {cap_ratio} and {wild_ratio:.2f} (thresholds >= "
                             "{rise} and <= {fall})"})


# C before any F ---------------------------------------------------------------------------

def _cf_emit(r: dict[str, Any], run: Run) -> Emitted:
    after = (f"before its first F (born in captivity) record in {r['first_f']}" if r["first_f"]
             else "and has no F (born in captivity) record at all")
    wild = f"; wild (W) exports since {r['first_w']}" if r["first_w"] else ""
    yield "c_before_f", {
        "taxon": r["taxon"], "exporter": r["exporter"], "term": None, "unit": None, "criterion": "c_before_f",
        "first_c_year": r["first_c"], "first_f_year": r["first_f"], "first_w_year": r["first_w"],
        "c_quantity_by_unit": r["c_by_unit"], "record_ids": (r["ids"] or [])[:IDS_PER_FLAG],
    }, {**r, "after": after, "wild": wild}


C_BEFORE_F = Criterion(
    "c_before_f",
    "an exporter that traded a taxon from the wild first declares it C (bred in captivity) before any F "
    "(born in captivity) record of it (only where the data starts before the first C year); no SPE; the C "
    "quantities per term and unit",
    ("reporter",), """
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
    ORDER BY taxon, exporter""",
    _cf_emit,
    {"c_before_f": "{exporter} first exported {taxon} as captive-bred (C) in {first_c}, {after}{wild}"})


# both reports of the same shipments, disagreeing about the captive share --------------------

_KEEP = ("exporter IS NOT NULL AND importer IS NOT NULL AND purpose IS DISTINCT FROM 'S' "
         "AND (origin IS NULL OR origin = exporter)")
#: shipments both sides reported (same export permit and parties), when permits exist: each side's
#: rows of a permit are summed once, on their own, before the two sides meet (joining rows first
#: would count a side's row once per row of the other side)
_SIDE = """SELECT export_permit, taxon, exporter, importer, term, unit, min(year) AS year, sum(quantity) AS t,
                 sum(quantity) FILTER (WHERE source IN {captive}) AS c,
                 list(record_id ORDER BY record_id) AS ids
               FROM records WHERE dataset = '{dataset}' AND reporter_type = '{side}'
                 AND export_permit IS NOT NULL AND {keep}
               GROUP BY export_permit, taxon, exporter, importer, term, unit"""
_PAIRS = """SELECT e.taxon, e.exporter, e.importer, e.term, e.unit, e.year,
                 sum(e.t) AS t_e, sum(e.c) AS c_e, sum(i.t) AS t_i, sum(i.c) AS c_i,
                 list_sort(flatten(list(e.ids))) AS ids_e, list_sort(flatten(list(i.ids))) AS ids_i
               FROM ({side_e}) e JOIN ({side_i}) i
                 ON e.export_permit = i.export_permit AND e.taxon = i.taxon AND e.term = i.term
                    AND e.unit IS NOT DISTINCT FROM i.unit AND e.exporter = i.exporter AND e.importer = i.importer
               GROUP BY e.taxon, e.exporter, e.importer, e.term, e.unit, e.year"""
#: otherwise every record (one-sided shipments alone then move the shares)
_ALL = """SELECT taxon, exporter, importer, term, unit, year,
                 sum(quantity) FILTER (WHERE reporter_type = 'E') AS t_e,
                 sum(quantity) FILTER (WHERE reporter_type = 'E' AND source IN {captive}) AS c_e,
                 sum(quantity) FILTER (WHERE reporter_type = 'I') AS t_i,
                 sum(quantity) FILTER (WHERE reporter_type = 'I' AND source IN {captive}) AS c_i,
                 list(record_id ORDER BY record_id) FILTER (WHERE reporter_type = 'E') AS ids_e,
                 list(record_id ORDER BY record_id) FILTER (WHERE reporter_type = 'I') AS ids_i
               FROM records WHERE dataset = '{dataset}' AND {keep} GROUP BY ALL"""


def _share_prepare(run: Run) -> bool:
    n_permits = run.one("""SELECT count(*) FROM records WHERE dataset = '{dataset}'
        AND reporter_type = 'I' AND export_permit IS NOT NULL""")
    run.state["basis"] = "permit-matched shipments" if n_permits else "all records"
    sql = {**run.sql, "keep": _KEEP}
    pairs = _PAIRS.format(side_e=_SIDE.format(**sql, side="E"), side_i=_SIDE.format(**sql, side="I"))
    run.state["sql"] = {"shipments": pairs if n_permits else _ALL.format(**sql)}
    return True


#: record ids per side of a captive-share flag (all of them, up to this many: a check re-adds them)
SHARE_IDS = 200


def _share_emit(r: dict[str, Any], run: Run) -> Emitted:
    basis = run.state["basis"]
    yield "captive_share_disagreement", {
        **base(r), "importer": r["importer"], "year": r["year"], "criterion": "captive_share_disagreement",
        "basis": basis, "exporter_total": r["t_e"], "importer_total": r["t_i"],
        "exporter_captive_share": round(r["share_e"], 4), "importer_captive_share": round(r["share_i"], 4),
        "record_ids_exporter": (r["ids_e"] or [])[:SHARE_IDS], "record_ids_importer": (r["ids_i"] or [])[:SHARE_IDS],
    }, told(r, basis=basis)


SHARE = Criterion(
    "captive_share_disagreement",
    "for one (taxon, exporter, importer, term, unit, year), exporter and importer totals agree within 25% "
    "but their captive shares differ by > 10 points (permit-matched shipments where permits exist)",
    ("min_quantity",), """
    WITH s AS ({shipments})
    SELECT *, coalesce(c_e, 0) / t_e AS share_e, coalesce(c_i, 0) / t_i AS share_i FROM s
    WHERE t_e > 0 AND t_i > 0 AND abs(t_e - t_i) / greatest(t_e, t_i) <= 0.25
      AND abs(coalesce(c_e, 0) / t_e - coalesce(c_i, 0) / t_i) > 0.10
      AND greatest(t_e, t_i) >= {min_quantity}
    ORDER BY taxon, exporter, importer, year""",
    _share_emit,
    {"captive_share_disagreement": "{year} {exporter}->{importer} {term} ({unit}) of {taxon}: totals agree "
                                   "({t_e:g} vs {t_i:g}, within 25%) but the captive share is {share_e:.0%} as "
                                   "reported by the exporter and {share_i:.0%} by the importer (> 10 points "
                                   "apart; basis: {basis})"},
    prepare=_share_prepare)


#: The criteria, in the order their flags are listed.
CRITERIA: tuple[Criterion, ...] = (HARD, SWITCH, RANGE, APPENDIX_I, WILD_COMMERCIAL, REEXPORT_CLAIM, VOLUME,
                                   C_BEFORE_F, SHARE)
