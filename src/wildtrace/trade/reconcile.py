"""Match exporter-reported and importer-reported CITES records and report coverage.

Everything is per (term, unit): a quantity in kilograms is never compared with one in
centimetres or in number of specimens (a blank unit, or "Number of specimens", is a count).

1. Permit match: both sides carry the same ``Export.permit.RandomID`` *and* name the same
   exporter, importer, taxon, term and unit, with the importer's year within one year of
   the exporter's. Records are summed per (permit, taxon, term, unit) on each side. The same
   permit, parties and taxon with different units is reported as ``unit_differs``
   (quantities not compared).
2. Fallback for what is left: sums per (year, taxon, term, unit, importer, exporter) on
   each side (both parties known), matched on the same year first, then importer year =
   exporter year + 1, then - 1 (shipments booked across a year end).
3. Comparative tabulations carry both reports of one (year, taxon, term, unit, parties,
   purpose, source) side by side; each row with both quantities is compared directly.

Before matching, one side's report of a permit repeated record for record in a later year is
set aside as a copy and flagged ``duplicate_report`` (``permits.py``); a quantity written twice
by one side in one year is a ``duplicate_report`` where, counted once, it makes the reports
equal, and a permit quantity mismatch must hold however such repeats are read. Seizures
(source I) are part of every match key: paired only with seizures, never with declared trade.
``coverage`` adds the permit-level coverage (share of permits both sides reported).

Flags: quantity mismatch (|ln(importer/exporter)| above a threshold: tighter for permit
matches than for aggregate and comptab matches, where one-sided shipments are mixed in) and
source or purpose code flips. A blank code, U (source unknown) or ``?`` is unknown, never a
flip. Aggregate matches are flagged only when both sides hold the same number of records,
since otherwise one-sided shipments explain the difference. One-sided records are counted in
the coverage, never flagged. Every flag names the rule that fired and the record ids of both
sides (at most ``IDS_PER_FLAG`` each). Flags are ordered by the size of the mismatch, then
permit, taxon and year (then the order they were found in).

The pairs are found on hashed keys (``pairs.py``), with every hash two different keys share
found and replaced by an exact number, so no result depends on the hash; the text, codes and
record ids are read for the flags shown only. ``tests/trade/reconcile_before.py`` keeps the
former SQL, which ``test_reconcile_same.py`` (and, with a weak hash,
``test_reconcile_collide.py``) compares the whole result with.
"""

from __future__ import annotations

import math
from typing import Any

import duckdb

from wildtrace.trade import coverage, pairs, permits, schema
from wildtrace.trade.pairs import KEY_P, UNKNOWN_CODES, _side, permit_sums
from wildtrace.trade.provenance import IDS_PER_FLAG, rows, stamp
from wildtrace.trade.units import unit_label

__all__ = ["KEY_P", "UNKNOWN_CODES", "_side", "permit_sums", "reconcile"]

#: the temp tables reconcile leaves none of behind (and the views ``rc_pp``, ``rc_kd``, the macros
#: ``pairs.MACROS``)
TABLES = ("rc_e", "rc_i", "rc_pe", "rc_pi", "rc_k", "rc_h3", "rc_km", "rc_sd", "rc_c", "rc_c0", "rc_cp", "rc_dg",
          "rc_pu", "rc_g", "rc_gm", "rc_flags", "rc_top", "rc_tk", "rc_tr", *pairs.EXACT)


def reconcile(con: duckdb.DuckDBPyConnection, *, ratio: float = 1.5, group_ratio: float = 10.0,
              limit: int = 1000) -> dict[str, Any]:
    """Match both reports of the bulk records and compare comptab rows; return coverage, flag
    counts and the top ``limit`` flags, with notes that say what was and was not reconciled."""
    notes: list[str] = []
    dups, n_dups, n_copies = pairs.keys(con, ratio, int(limit))
    pairs.pairs(con)
    n = rows(con, f"""SELECT count(*) FILTER (WHERE reporter_type = 'E') AS e,
            count(*) FILTER (WHERE reporter_type = 'I') AS i,
            count(*) FILTER (WHERE reporter_type = 'E' AND source = 'I') AS se,
            count(*) FILTER (WHERE reporter_type = 'I' AND source = 'I') AS si
        FROM records WHERE dataset = '{schema.BULK}'""")[0]
    cut = rows(con, """SELECT count(*) FILTER (WHERE rt = 1) AS e, count(*) FILTER (WHERE rt = 2) AS i,
            count(*) FILTER (WHERE rt = 1 AND seized) AS se, count(*) FILTER (WHERE rt = 2 AND seized) AS si
        FROM rc_cp""")[0]
    cov = rows(con, """SELECT ? AS exporter_records, ? AS importer_records,
        (SELECT coalesce(sum(n_e), 0) FROM rc_pp) AS exporter_records_permit_matched,
        (SELECT coalesce(sum(n_i), 0) FROM rc_pp) AS importer_records_permit_matched,
        (SELECT coalesce(sum(n_e), 0) FROM rc_gm) AS exporter_records_fallback_matched,
        (SELECT coalesce(sum(n_i), 0) FROM rc_gm) AS importer_records_fallback_matched,
        (SELECT count(*) FROM rc_pp) AS permit_pairs, (SELECT count(*) FROM rc_gm) AS fallback_pairs,
        (SELECT count(*) FILTER (WHERE dy <> 0) FROM rc_gm) AS fallback_pairs_year_shifted,
        (SELECT count(*) FROM rc_pu) AS permit_pairs_in_other_units,
        ? AS exporter_seizure_records, ? AS importer_seizure_records, ? AS duplicate_records_set_aside""",
               [n["e"] - cut["e"], n["i"] - cut["i"], n["se"] - cut["se"], n["si"] - cut["si"], n_copies])[0]
    cov = {k: int(v) for k, v in cov.items()}
    for name in ("exporter", "importer"):
        total = cov[f"{name}_records"]
        matched = cov[f"{name}_records_permit_matched"] + cov[f"{name}_records_fallback_matched"]
        cov[f"{name}_records_one_sided"] = total - matched
        cov[f"{name}_share_permit_matched"] = _share(cov[f"{name}_records_permit_matched"], total)
        cov[f"{name}_share_matched"] = _share(matched, total)
    both = cov["exporter_records"] + cov["importer_records"]
    cov["share_records_matched"] = _share(
        sum(cov[f"{n}_records_{m}_matched"] for n in ("exporter", "importer") for m in ("permit", "fallback")), both)
    if not both:
        notes.append("no CITES bulk (shipment-level) records are loaded: nothing to match by permit")
    else:
        cov |= pairs.permit_coverage(con)
        notes.append(permits.coverage_note(cov))
        notes.append(f"seizures (source I: {cov['exporter_seizure_records']:,} exporter-reported, "
                     f"{cov['importer_seizure_records']:,} importer-reported records) are matched only with "
                     "seizures, never with declared trade; "
                     f"{cov['permits_declared_by_one_side_seized_by_other']:,} permit(s) were declared by one "
                     "side and reported seized by the other (not compared)")
    lr, glr = math.log(ratio), math.log(group_ratio)
    flag_sql = f"""
      SELECT 'permit' AS match, n_e, n_i, hp AS k_e, hp AS k_i, year_e, year_i, q_e, q_i, sc_e, sc_i, pc_e, pc_i,
             rid_e, rid_i,
             q_e > 0 AND q_i > 0 AND d_e > 0 AND d_i > 0 AND abs(ln(q_i / q_e)) > {lr}
                 AND abs(ln(d_i / q_e)) > {lr} AND abs(ln(q_i / d_e)) > {lr} AND abs(ln(d_i / d_e)) > {lr} AS qty,
             sc_e <> sc_i AS src, pc_e <> pc_i AS pur, false AS unit_diff,
             q_e > 0 AND q_i > 0 AND abs(ln(q_i / q_e)) > {lr}
                 AND (d_i = q_e OR q_i = d_e OR d_i = d_e) AS dup,
             d_e, d_i
      FROM rc_pp
      UNION ALL
      SELECT 'permit', NULL, NULL, hp_e, hp_i, year_e, year_i, q_e, q_i, NULL, NULL, NULL, NULL, rid_e, rid_i,
             false, false, false, true, false, NULL, NULL
      FROM rc_pu
      UNION ALL
      SELECT 'aggregate', n_e, n_i, hg, hg, year_e, year_i, q_e, q_i, NULL, NULL, NULL, NULL, rid_e, rid_i,
             n_e = n_i AND abs(ln(q_i / q_e)) > {glr} AND q_e > 0 AND q_i > 0,
             n_e = n_i AND sources_e <> 0 AND sources_i <> 0 AND (sources_e & sources_i) = 0,
             n_e = n_i AND purposes_e <> 0 AND purposes_i <> 0 AND (purposes_e & purposes_i) = 0, false,
             false, NULL, NULL
      FROM rc_gm"""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE rc_flags AS SELECT row_number() OVER () AS fid, *,
            CASE WHEN q_e > 0 AND q_i > 0 AND NOT unit_diff THEN abs(ln(q_i / q_e)) ELSE 0 END AS rank
        FROM ({flag_sql})
        WHERE coalesce(qty, false) OR coalesce(src, false) OR coalesce(pur, false) OR unit_diff
              OR coalesce(dup, false)""")
    counts = rows(con, """SELECT count(*) FILTER (WHERE qty) AS quantity_mismatch,
        count(*) FILTER (WHERE src) AS source_flip, count(*) FILTER (WHERE pur) AS purpose_flip,
        count(*) FILTER (WHERE unit_diff) AS unit_differs, count(*) FILTER (WHERE dup) AS duplicate_report
        FROM rc_flags""")[0]
    counts["duplicate_report"] += n_dups
    top = _top(con, int(limit))
    flags = [_explain(r, ratio, group_ratio) for r in top] + dups
    comptab = _comptab(con, group_ratio, limit)
    if comptab["rows"]:
        notes.append(f"comparative tabulation: {comptab['rows_with_both_reports']} of {comptab['rows']} rows carry "
                     "both reports and were compared; the rest were reported by one side only")
    for v in ("rc_pp", "rc_kd"):
        con.execute(f"DROP VIEW IF EXISTS {v}")
    for m in pairs.MACROS:
        con.execute(f"DROP MACRO IF EXISTS {m}")
    for t in TABLES:
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return coverage.apply({
        "coverage": cov, "flag_counts": {**{k: int(v) for k, v in counts.items()},
                                         "comptab_quantity_mismatch": comptab["flag_count"]},
        "flags": flags, "comptab": comptab, "notes": notes,
        "provenance": stamp(con, "reconcile", {"ratio": ratio, "group_ratio": group_ratio})},
        coverage.covers(con, "reconcile", (schema.BULK, schema.COMPTAB)))


def _top(con: duckdb.DuckDBPyConnection, limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` flags of ``rc_flags`` (the largest ratio first, then by permit, taxon
    and year), with their text: the key's columns from one of each side's records, the source
    and purpose codes, and each side's record ids (its first ``IDS_PER_FLAG`` by id): the records
    its key sums (a permit pair: the side's records of the permit key; an aggregate pair: its
    records of the year and fallback key that the permit pass left, copies set aside)."""
    n = con.execute("SELECT count(*) FROM rc_flags").fetchall()[0][0]
    if not n or limit <= 0:
        return []
    # only flags that can be among the first ``limit`` need their text to be sorted
    floor = con.execute("SELECT rank FROM rc_flags ORDER BY rank DESC LIMIT 1 OFFSET ?",
                        [min(limit, n) - 1]).fetchall()[0][0]
    con.execute("CREATE OR REPLACE TEMP TABLE rc_top AS SELECT * FROM rc_flags WHERE rank >= ?", [floor])
    # the key's text from one record of each side (fetched by row id)
    con.execute("""CREATE OR REPLACE TEMP TABLE rc_tk AS SELECT rid, export_permit, taxon, term, importer,
            exporter, coalesce(unit, '') AS unit FROM record_rows
        WHERE rid IN (SELECT rid_e FROM rc_top UNION SELECT rid_i FROM rc_top)""")
    con.execute("""CREATE OR REPLACE TEMP TABLE rc_top AS
        SELECT f.*, CASE WHEN f.match = 'permit' THEN e.export_permit END AS export_permit, e.taxon, e.term,
               e.importer, e.exporter, e.unit, i.unit AS unit_i
        FROM rc_top f JOIN rc_tk e ON e.rid = f.rid_e JOIN rc_tk i ON i.rid = f.rid_i
        ORDER BY f.rank DESC, export_permit, e.taxon, f.year_e, f.fid LIMIT ?""", [limit])
    copies = con.execute("SELECT count(*) FROM rc_cp").fetchall()[0][0]
    not_copy = "AND rid NOT IN (SELECT rid FROM rc_cp)" if copies else ""
    # the records of the flags shown: by permit id, or by taxon and parties (aggregate pairs)
    parts = {"permit": "export_permit IN (SELECT export_permit FROM rc_top WHERE match = 'permit')",
             "aggregate": """taxon IN (SELECT taxon FROM rc_top WHERE match = 'aggregate')
                 AND hash(taxon, importer, exporter) IN (SELECT hash(taxon, importer, exporter) FROM rc_top
                                                         WHERE match = 'aggregate')"""}
    con.execute("CREATE OR REPLACE TEMP TABLE rc_tr AS " + " UNION ALL ".join(f"""
        SELECT '{m}' AS match, record_id, rid, {pairs.RT} AS rt, year, quantity, {pairs.SRC} AS source,
               {pairs.PUR} AS purpose, CASE WHEN export_permit IS NOT NULL THEN {pairs.HP} END AS hp,
               CASE WHEN importer IS NOT NULL AND exporter IS NOT NULL THEN {pairs.HG} END AS hg
        FROM record_rows WHERE dataset = '{schema.BULK}' AND reporter_type IN ('E', 'I') AND {w} {not_copy}"""
                                                                for m, w in parts.items()))
    sides = """(SELECT fid, match, 1 AS rt, k_e AS k, year_e AS year FROM rc_top
                UNION ALL SELECT fid, match, 2, k_i, year_i FROM rc_top)"""
    # an aggregate pair's dominant source and purpose (by quantity; of equal quantities, the first
    # record's, as an aggregation over the records in their order gives) are read here, for the flags shown
    got = {(int(fid), rt): (list(v), src, pur) for fid, rt, v, src, pur in con.execute(f"""
        SELECT s.fid, s.rt, list(r.record_id ORDER BY r.record_id)[1:{IDS_PER_FLAG}], NULL, NULL
        FROM {sides} s JOIN rc_tr r ON s.match = 'permit' AND r.match = 'permit' AND r.rt = s.rt AND r.hp = s.k
        GROUP BY ALL
        UNION ALL
        SELECT s.fid, s.rt, list(r.record_id ORDER BY r.record_id)[1:{IDS_PER_FLAG}],
               arg_max(r.source, (r.quantity, -r.rid)) FILTER (WHERE r.source IS NOT NULL AND r.quantity IS NOT NULL),
               arg_max(r.purpose, (r.quantity, -r.rid)) FILTER (WHERE r.purpose IS NOT NULL AND r.quantity IS NOT NULL)
        FROM {sides} s JOIN (SELECT * FROM rc_tr WHERE match = 'aggregate'
                             AND (hp IS NULL OR hp NOT IN (SELECT hp FROM rc_pp))) r
          ON s.match = 'aggregate' AND r.rt = s.rt AND r.hg = s.k AND r.year = s.year GROUP BY ALL""").fetchall()}
    codes = {int(c): str(v) for v, c in con.execute("SELECT s, c FROM rc_sd").fetchall()}
    top = rows(con, "SELECT * FROM rc_top ORDER BY rank DESC, export_permit, taxon, year_e, fid")
    for r in top:
        for s, rt in (("e", 1), ("i", 2)):
            r[f"ids_{s}"], src, pur = got.get((r["fid"], rt), ([], None, None))
            if r["match"] == "permit":
                src, pur = (_decode(r[f"{c}_{s}"], codes) for c in ("sc", "pc"))
            r[f"source_{s}"], r[f"purpose_{s}"] = src, pur
    return top


def _qty(q: float | None) -> str:
    """A quantity in a reason; a record without one says so (it is still a unit difference)."""
    return "no quantity" if q is None else f"{q:g}"


def _decode(code: int | None, codes: dict[int, str]) -> str | None:
    """A code as ``rc_k`` holds it (``pairs._small``) back to its text."""
    if not code:
        return None
    return chr(code) if code < 128 else codes[code]


def _comptab(con: duckdb.DuckDBPyConnection, group_ratio: float, limit: int) -> dict[str, Any]:
    """Each comptab row holds both reports: compare the two quantities of one row directly."""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE rc_ct AS
        SELECT load_id, "row", any_value(year) AS year, any_value(taxon) AS taxon, any_value(term) AS term,
               coalesce(any_value(unit), '') AS unit, any_value(importer) AS importer,
               any_value(exporter) AS exporter, any_value(origin) AS origin, any_value(purpose) AS purpose,
               any_value(source) AS source,
               any_value(quantity) FILTER (WHERE reporter_type = 'E') AS q_e,
               any_value(quantity) FILTER (WHERE reporter_type = 'I') AS q_i,
               list(record_id ORDER BY record_id) AS ids
        FROM records WHERE dataset = '{schema.COMPTAB}' GROUP BY load_id, "row" """)
    stats = rows(con, """SELECT count(*) AS n, count(*) FILTER (WHERE q_e IS NOT NULL AND q_i IS NOT NULL) AS both,
        count(*) FILTER (WHERE q_i IS NULL) AS e_only, count(*) FILTER (WHERE q_e IS NULL) AS i_only FROM rc_ct""")[0]
    glr = math.log(group_ratio)
    found = rows(con, f"""SELECT * FROM rc_ct WHERE q_e > 0 AND q_i > 0 AND abs(ln(q_i / q_e)) > {glr}
        ORDER BY abs(ln(q_i / q_e)) DESC, taxon, year LIMIT {int(limit)}""")
    n_flags = con.execute(f"""SELECT count(*) FROM rc_ct WHERE q_e > 0 AND q_i > 0
        AND abs(ln(q_i / q_e)) > {glr}""").fetchall()[0][0]
    flags = []
    for r in found:
        unit = unit_label(r["unit"])
        flags.append({
            "match": "comptab_row", "rule": "comptab_quantity_mismatch", "taxon": r["taxon"], "term": r["term"],
            "unit": r["unit"] or None, "year": r["year"], "exporter": r["exporter"], "importer": r["importer"],
            "origin": r["origin"], "purpose": r["purpose"], "source": r["source"], "q_e": r["q_e"], "q_i": r["q_i"],
            "log_ratio": round(math.log(r["q_i"] / r["q_e"]), 4), "record_ids": r["ids"],
            "kinds": ["quantity_mismatch"],
            "reasons": [f"comparative tabulation {r['year']} {r['exporter']}->{r['importer']}: importer reported "
                        f"{r['q_i']:g} vs exporter {r['q_e']:g} {r['term']} ({unit}) of {r['taxon']} "
                        f"(ln ratio {math.log(r['q_i'] / r['q_e']):+.2f}; threshold ±{glr:.2f}; "
                        f"rule comptab_quantity_mismatch)"]})
    con.execute("DROP TABLE IF EXISTS rc_ct")
    return {"rows": int(stats["n"]), "rows_with_both_reports": int(stats["both"]),
            "rows_exporter_only": int(stats["e_only"]), "rows_importer_only": int(stats["i_only"]),
            "flag_count": int(n_flags), "flags": flags}


def _share(a: float, b: float) -> float:
    return round(a / b, 4) if b else 0.0


def _explain(r: dict[str, Any], ratio: float, group_ratio: float) -> dict[str, Any]:
    kinds, reasons = [], []
    unit = unit_label(r["unit"])
    where = (f"permit {r['export_permit']} {r['exporter']}->{r['importer']} {r['year_e']}/{r['year_i']}"
             if r["match"] == "permit" else
             f"aggregate {r['exporter']}->{r['importer']} {r['year_e']}/{r['year_i']} "
             f"({r['n_e']} records on each side, no shared permit)")
    if r["qty"]:
        kinds.append("quantity_mismatch")
        lr = math.log(r["q_i"] / r["q_e"])
        rule = "permit_quantity_mismatch" if r["match"] == "permit" else "aggregate_quantity_mismatch"
        reasons.append(f"{where}: importer reported {r['q_i']:g} vs exporter {r['q_e']:g} {r['term']} ({unit}) of "
                       f"{r['taxon']} (ln ratio {lr:+.2f}; threshold ±"
                       f"{math.log(ratio if r['match'] == 'permit' else group_ratio):.2f}; rule {rule})")
    if r["src"]:
        kinds.append("source_flip")
        reasons.append(f"{where}: exporter source {r['source_e']} but importer source {r['source_i']} "
                       f"(rule {r['match']}_source_flip)")
    if r["pur"]:
        kinds.append("purpose_flip")
        reasons.append(f"{where}: exporter purpose {r['purpose_e']} but importer purpose {r['purpose_i']} "
                       f"(rule {r['match']}_purpose_flip)")
    if r.get("dup"):
        kinds.append("duplicate_report")
        reasons.append(f"{where}: importer reported {r['q_i']:g} vs exporter {r['q_e']:g} {r['term']} ({unit}) of "
                       f"{r['taxon']}, but one side reported a quantity twice in one year and, counted once "
                       f"(exporter {r['d_e']:g}, importer {r['d_i']:g}), the two reports are equal: one "
                       "shipment reported twice, not a mismatch (rule permit_duplicate_report)")
    if r.get("unit_diff"):
        kinds.append("unit_differs")
        reasons.append(f"{where}: exporter reported {_qty(r['q_e'])} {r['term']} ({r['unit'] or 'number of specimens'}), "
                       f"importer {_qty(r['q_i'])} ({r['unit_i'] or 'number of specimens'}) of {r['taxon']}: "
                       "different units, quantities not compared (rule permit_unit_differs)")
    out = {k: r[k] for k in ("match", "export_permit", "taxon", "term", "year_e", "year_i", "importer",
                             "exporter", "q_e", "q_i", "source_e", "source_i", "purpose_e", "purpose_i")}
    out["unit"] = r["unit"] or None
    if r.get("unit_diff"):
        out["unit_i"] = r["unit_i"] or None
    out["log_ratio"] = (round(math.log(r["q_i"] / r["q_e"]), 4)
                        if r["q_e"] and r["q_i"] and not r.get("unit_diff") else None)
    out["record_ids_exporter"] = r["ids_e"]
    out["record_ids_importer"] = r["ids_i"]
    out["rules"] = [f"{r['match']}_{k}" for k in kinds]
    out["kinds"] = kinds
    out["reasons"] = reasons
    return out
