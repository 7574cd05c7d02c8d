"""Reconcile as it was before issue 27 made it faster (commit 6ee32ac), kept as the reference
``test_reconcile_same.py`` compares the faster one with: its SQL verbatim, with one fix. The
former fallback rounds set aside the groups already paired with ``ANTI JOIN ... USING``, which
never matches a blank term, so a group with a blank term could pair again in a shifted round
(its records counted as matched twice: a share matched of 200%); here, as in the new code, a
blank term equals a blank term. The duplicate reports (``permits.drop_duplicates``, with its
own reference in ``test_load_speed_same.py``), the permit coverage of the records, the comptab
comparison and the flags' wording are the module's own, unchanged by issue 27."""

# ruff: noqa: E501
from __future__ import annotations

import math
from typing import Any

import duckdb

from wildtrace.trade import coverage, permits, schema
from wildtrace.trade.provenance import IDS_PER_FLAG, rows, stamp
from wildtrace.trade.reconcile import _comptab, _explain, _share

#: source and purpose values that say nothing (never a "flip")
UNKNOWN_CODES = ("U", "?")


def _side(con: duckdb.DuckDBPyConnection, side: str) -> None:
    unknown = ", ".join(f"'{c}'" for c in UNKNOWN_CODES)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE rc_{side} AS
        SELECT record_id, year, taxon, term, coalesce(unit, '') AS unit, importer, exporter, quantity,
               CASE WHEN source IN ({unknown}) THEN NULL ELSE source END AS source,
               CASE WHEN purpose IN ({unknown}) THEN NULL ELSE purpose END AS purpose, export_permit,
               coalesce(source = 'I', false) AS seized, false AS again
        FROM records WHERE dataset = '{schema.BULK}' AND reporter_type = '{side.upper()}'""")


def _agg(key: str, extra: str = "", masks: bool = True) -> str:
    """Sums per key, the dominant known source and purpose (by quantity) and (``masks``: what the
    aggregate pairs compare) the set of known codes as a bit mask. The record ids are gathered
    for the flags shown only (``_flag_ids``): listing them for every key cost more than the sums."""
    bits = """, coalesce(bit_or(1::BIGINT << (ascii(source) - 63)), 0) AS sources,
        coalesce(bit_or(1::BIGINT << (ascii(purpose) - 63)), 0) AS purposes""" if masks else ""
    return f"""{key}, sum(quantity) AS q, count(*) AS n,
        arg_max(source, quantity) FILTER (WHERE source IS NOT NULL) AS source,
        arg_max(purpose, quantity) FILTER (WHERE purpose IS NOT NULL) AS purpose{bits}{extra}"""


#: one side's report of one permit (seizures apart)
KEY_P = "export_permit, taxon, term, unit, exporter, importer, seized"


def permit_sums(con: duckdb.DuckDBPyConnection) -> None:
    """``rc_pe`` and ``rc_pi``: each side's records summed per permit key straight from its
    records (``_agg``), with ``d`` the sum counting a quantity repeated in one year once. The
    repeats are few: one aggregation finds the (key, year, quantity) held more than once and
    only their records are numbered (a window over every record cost more than the sums)."""
    key_p = KEY_P
    same = " AND ".join(f"r.{k} IS NOT DISTINCT FROM d.{k}" for k in (*key_p.split(", "), "year", "quantity"))
    for s in ("e", "i"):
        # ``again``: each record but the first of a quantity its side's permit key repeats in a year
        con.execute(f"""UPDATE rc_{s} SET again = true WHERE record_id IN (
            SELECT record_id FROM (SELECT r.record_id,
                row_number() OVER (PARTITION BY {', '.join('r.' + k for k in key_p.split(', '))}, r.year,
                                   r.quantity ORDER BY r.record_id) AS rep
              FROM rc_{s} r SEMI JOIN (SELECT {key_p}, year, quantity FROM rc_{s} WHERE export_permit IS NOT NULL
                                       GROUP BY ALL HAVING count(*) > 1) d ON {same}
              WHERE r.export_permit IS NOT NULL) WHERE rep > 1)""")
        con.execute(f"""CREATE OR REPLACE TEMP TABLE rc_p{s} AS
            SELECT {_agg(key_p, ', min(year) AS year, sum(quantity) FILTER (WHERE NOT again) AS d', masks=False)}
            FROM rc_{s} WHERE export_permit IS NOT NULL GROUP BY {key_p}""")


def reconcile_before(con: duckdb.DuckDBPyConnection, *, ratio: float = 1.5, group_ratio: float = 10.0,
              limit: int = 1000) -> dict[str, Any]:
    """Match both reports of the bulk records and compare comptab rows; return coverage, flag
    counts and the top ``limit`` flags, with notes that say what was and was not reconciled."""
    notes: list[str] = []
    _side(con, "e")
    _side(con, "i")
    dups = permits.drop_duplicates(con, ratio)
    key_p = KEY_P
    permit_sums(con)
    con.execute(f"""CREATE OR REPLACE TEMP TABLE rc_pm AS
        SELECT e.export_permit, e.taxon, e.term, e.unit, e.year AS year_e, i.year AS year_i, e.importer,
               e.exporter, e.seized, e.q AS q_e, i.q AS q_i, e.d AS d_e, i.d AS d_i, e.n AS n_e, i.n AS n_i,
               e.source AS source_e, i.source AS source_i, e.purpose AS purpose_e, i.purpose AS purpose_i
        FROM rc_pe e JOIN rc_pi i USING ({key_p})
        WHERE abs(i.year - e.year) <= 1""")
    # the same permit, parties and taxon in other units: said, never compared
    con.execute("""CREATE OR REPLACE TEMP TABLE rc_pu AS
        SELECT e.export_permit, e.taxon, e.term, e.exporter, e.importer, e.year AS year_e, i.year AS year_i,
               e.unit AS unit_e, i.unit AS unit_i, e.q AS q_e, i.q AS q_i, e.seized
        FROM rc_pe e JOIN rc_pi i USING (export_permit, taxon, term, exporter, importer, seized)
        WHERE e.unit <> i.unit AND abs(i.year - e.year) <= 1
          AND NOT EXISTS (SELECT 1 FROM rc_pm m WHERE m.export_permit = e.export_permit AND m.taxon = e.taxon
                          AND m.term = e.term AND m.exporter = e.exporter AND m.importer = e.importer)""")
    # what the permit pass left: records without a permit or whose permit key did not match
    for s in ("e", "i"):  # summed straight from the anti join (no copy of the records left)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE rc_g{s} AS
            SELECT {_agg('year, taxon, term, unit, importer, exporter, seized')} FROM (SELECT r.* FROM rc_{s} r
                ANTI JOIN rc_pm m ON r.export_permit = m.export_permit AND r.taxon = m.taxon AND r.term = m.term
                     AND r.unit = m.unit AND r.exporter = m.exporter AND r.importer = m.importer
                     AND r.seized = m.seized)
            WHERE importer IS NOT NULL AND exporter IS NOT NULL
            GROUP BY year, taxon, term, unit, importer, exporter, seized""")
    con.execute("""CREATE OR REPLACE TEMP TABLE rc_gm (year_e INTEGER, year_i INTEGER, taxon VARCHAR, term VARCHAR,
        unit VARCHAR, importer VARCHAR, exporter VARCHAR, q_e DOUBLE, q_i DOUBLE, n_e BIGINT, n_i BIGINT,
        sources_e BIGINT, sources_i BIGINT, purposes_e BIGINT, purposes_i BIGINT, source_e VARCHAR,
        source_i VARCHAR, purpose_e VARCHAR, purpose_i VARCHAR, dy INTEGER, seized BOOLEAN)""")
    gkey = "taxon, term, unit, importer, exporter, seized"

    def same(g: str) -> str:  # THE ONE CHANGE (a fix): a blank term equals a blank term, as in the pairs join
        return " AND ".join(f"m.{k} IS NOT DISTINCT FROM {g}.{k}" for k in gkey.split(", "))
    for dy in (0, 1, -1):
        con.execute(f"""INSERT INTO rc_gm SELECT e.year, i.year, e.taxon, e.term, e.unit, e.importer, e.exporter,
                e.q, i.q, e.n, i.n, e.sources, i.sources, e.purposes, i.purposes, e.source, i.source,
                e.purpose, i.purpose, {dy}, e.seized
            FROM (SELECT * FROM rc_ge g WHERE NOT EXISTS (SELECT 1 FROM rc_gm m WHERE m.year_e = g.year AND {same('g')})) e
            JOIN (SELECT * FROM rc_gi g WHERE NOT EXISTS (SELECT 1 FROM rc_gm m WHERE m.year_i = g.year AND {same('g')})) i
              ON i.year = e.year + ({dy}) AND e.taxon = i.taxon AND e.term IS NOT DISTINCT FROM i.term
                 AND e.unit = i.unit AND e.importer = i.importer AND e.exporter = i.exporter
                 AND e.seized = i.seized""")
    cov = rows(con, """SELECT
        (SELECT count(*) FROM rc_e) AS exporter_records, (SELECT count(*) FROM rc_i) AS importer_records,
        (SELECT coalesce(sum(n_e), 0) FROM rc_pm) AS exporter_records_permit_matched,
        (SELECT coalesce(sum(n_i), 0) FROM rc_pm) AS importer_records_permit_matched,
        (SELECT coalesce(sum(n_e), 0) FROM rc_gm) AS exporter_records_fallback_matched,
        (SELECT coalesce(sum(n_i), 0) FROM rc_gm) AS importer_records_fallback_matched,
        (SELECT count(*) FROM rc_pm) AS permit_pairs, (SELECT count(*) FROM rc_gm) AS fallback_pairs,
        (SELECT count(*) FILTER (WHERE dy <> 0) FROM rc_gm) AS fallback_pairs_year_shifted,
        (SELECT count(*) FROM rc_pu) AS permit_pairs_in_other_units,
        (SELECT count(*) FILTER (WHERE seized) FROM rc_e) AS exporter_seizure_records,
        (SELECT count(*) FILTER (WHERE seized) FROM rc_i) AS importer_seizure_records,
        (SELECT coalesce(sum(copies), 0) FROM (SELECT unnest(?) AS copies)) AS duplicate_records_set_aside""",
               [[d["copies"] for d in dups] or [0]])[0]
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
        cov |= permits.permit_coverage(con, schema.BULK)
        notes.append(permits.coverage_note(cov))
        notes.append(f"seizures (source I: {cov['exporter_seizure_records']:,} exporter-reported, "
                     f"{cov['importer_seizure_records']:,} importer-reported records) are matched only with "
                     "seizures, never with declared trade; "
                     f"{cov['permits_declared_by_one_side_seized_by_other']:,} permit(s) were declared by one "
                     "side and reported seized by the other (not compared)")
    lr, glr = math.log(ratio), math.log(group_ratio)
    flag_sql = f"""
      SELECT 'permit' AS match, n_e, n_i, export_permit, taxon, term, year_e, year_i, importer, exporter,
             unit, unit AS unit_i, q_e, q_i, source_e, source_i, purpose_e, purpose_i, seized,
             q_e > 0 AND q_i > 0 AND d_e > 0 AND d_i > 0 AND abs(ln(q_i / q_e)) > {lr}
                 AND abs(ln(d_i / q_e)) > {lr} AND abs(ln(q_i / d_e)) > {lr} AND abs(ln(d_i / d_e)) > {lr} AS qty,
             source_e <> source_i AS src, purpose_e <> purpose_i AS pur, false AS unit_diff,
             q_e > 0 AND q_i > 0 AND abs(ln(q_i / q_e)) > {lr}
                 AND (d_i = q_e OR q_i = d_e OR d_i = d_e) AS dup,
             d_e, d_i
      FROM rc_pm
      UNION ALL
      SELECT 'permit', NULL, NULL, export_permit, taxon, term, year_e, year_i, importer, exporter, unit_e, unit_i,
             q_e, q_i, NULL, NULL, NULL, NULL, seized, false, false, false, true, false, NULL, NULL
      FROM rc_pu
      UNION ALL
      SELECT 'aggregate', n_e, n_i, NULL, taxon, term, year_e, year_i, importer, exporter, unit, unit, q_e, q_i,
             source_e, source_i, purpose_e, purpose_i, seized,
             n_e = n_i AND abs(ln(q_i / q_e)) > {glr} AND q_e > 0 AND q_i > 0,
             n_e = n_i AND sources_e <> 0 AND sources_i <> 0 AND (sources_e & sources_i) = 0,
             n_e = n_i AND purposes_e <> 0 AND purposes_i <> 0 AND (purposes_e & purposes_i) = 0, false,
             false, NULL, NULL
      FROM rc_gm"""
    con.execute(f"""CREATE OR REPLACE TEMP TABLE rc_flags AS SELECT row_number() OVER () AS fid, * FROM ({flag_sql})
        WHERE coalesce(qty, false) OR coalesce(src, false) OR coalesce(pur, false) OR unit_diff
              OR coalesce(dup, false)""")
    counts = rows(con, """SELECT count(*) FILTER (WHERE qty) AS quantity_mismatch,
        count(*) FILTER (WHERE src) AS source_flip, count(*) FILTER (WHERE pur) AS purpose_flip,
        count(*) FILTER (WHERE unit_diff) AS unit_differs, count(*) FILTER (WHERE dup) AS duplicate_report
        FROM rc_flags""")[0]
    counts["duplicate_report"] += len(dups)
    top = rows(con, f"""SELECT * FROM rc_flags
        ORDER BY (CASE WHEN q_e > 0 AND q_i > 0 AND NOT unit_diff THEN abs(ln(q_i / q_e)) ELSE 0 END) DESC,
                 export_permit, taxon, year_e
        LIMIT {int(limit)}""")
    ids = _flag_ids(con, [r["fid"] for r in top])
    for r in top:
        r["ids_e"], r["ids_i"] = ids.get((r["fid"], "e"), []), ids.get((r["fid"], "i"), [])
    flags = [_explain(r, ratio, group_ratio) for r in top] + dups[:int(limit)]
    comptab = _comptab(con, group_ratio, limit)
    if comptab["rows"]:
        notes.append(f"comparative tabulation: {comptab['rows_with_both_reports']} of {comptab['rows']} rows carry "
                     "both reports and were compared; the rest were reported by one side only")
    for t in ("rc_e", "rc_i", "rc_pe", "rc_pi", "rc_re", "rc_ri", "rc_ge", "rc_gi", "rc_dg", "rc_top"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return coverage.apply({
        "coverage": cov, "flag_counts": {**{k: int(v) for k, v in counts.items()},
                                         "comptab_quantity_mismatch": comptab["flag_count"]},
        "flags": flags, "comptab": comptab, "notes": notes,
        "provenance": stamp(con, "reconcile", {"ratio": ratio, "group_ratio": group_ratio})},
        coverage.covers(con, "reconcile", (schema.BULK, schema.COMPTAB)))


def _flag_ids(con: duckdb.DuckDBPyConnection, fids: list[int]) -> dict[tuple[int, str], list[str]]:
    """The record ids of each flag shown, per side (its first ``IDS_PER_FLAG`` by id): the
    records its key sums, as ``_agg`` grouped them (a permit pair: the side's records of the
    permit key; an aggregate pair: its records the permit pass left)."""
    if not fids:
        return {}
    con.execute("CREATE OR REPLACE TEMP TABLE rc_top AS SELECT * FROM rc_flags WHERE fid IN (SELECT unnest(?))",
                [fids])
    left = {s: f"""(SELECT r.* FROM rc_{s} r ANTI JOIN rc_pm m ON r.export_permit = m.export_permit
                 AND r.taxon = m.taxon AND r.term = m.term AND r.unit = m.unit AND r.exporter = m.exporter
                 AND r.importer = m.importer AND r.seized = m.seized)""" for s in ("e", "i")}
    parts = []
    for s, unit in (("e", "unit"), ("i", "unit_i")):
        parts.append(f"""SELECT f.fid, '{s}' AS side, list(r.record_id ORDER BY r.record_id)[1:{IDS_PER_FLAG}] AS ids
            FROM rc_top f JOIN rc_{s} r ON f.match = 'permit' AND r.export_permit = f.export_permit
              AND r.taxon = f.taxon AND r.term = f.term AND r.unit = f.{unit} AND r.exporter = f.exporter
              AND r.importer = f.importer AND r.seized = f.seized GROUP BY f.fid""")
        parts.append(f"""SELECT f.fid, '{s}' AS side, list(r.record_id ORDER BY r.record_id)[1:{IDS_PER_FLAG}] AS ids
            FROM rc_top f JOIN {left[s]} r ON f.match = 'aggregate' AND r.year = f.year_{s}
              AND r.taxon = f.taxon AND r.term IS NOT DISTINCT FROM f.term AND r.unit = f.unit
              AND r.importer = f.importer AND r.exporter = f.exporter AND r.seized = f.seized GROUP BY f.fid""")
    return {(int(fid), side): list(ids) for fid, side, ids in con.execute(" UNION ALL ".join(parts)).fetchall()}
