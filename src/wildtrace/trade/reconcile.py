"""Match exporter-reported and importer-reported CITES records and report coverage.

1. Permit match: both sides carry the same ``Export.permit.RandomID``; records are summed
   per (export permit, taxon, term) on each side.
2. Fallback for what is left: sums per (year, taxon, term, unit, importer, exporter) on
   each side, matched on the same year first, then importer year = exporter year + 1,
   then - 1 (shipments booked across a year end).

Flags: quantity mismatch (|ln(importer/exporter)| above a threshold: tighter for permit
matches than for aggregate matches, where one-sided shipments are mixed in) and source or
purpose code flips (dominant code per side for permit matches; no code in common for
aggregate matches). Aggregate matches are flagged only when both sides hold the same
number of records, since otherwise one-sided shipments explain the difference. One-sided records are counted in the coverage, never flagged.
"""

from __future__ import annotations

import math
from typing import Any

import duckdb

from wildtrace.trade.provenance import rows, stamp


def _side(con: duckdb.DuckDBPyConnection, side: str, datasets: str) -> None:
    con.execute(f"""CREATE OR REPLACE TEMP TABLE rc_{side} AS
        SELECT year, taxon, term, coalesce(unit, '') AS unit, importer, exporter,
               quantity, source, purpose, export_permit
        FROM records WHERE dataset IN ({datasets}) AND reporter_type = '{side.upper()}'""")


def _agg(key: str, extra: str = "") -> str:
    return f"""{key}, sum(quantity) AS q, count(*) AS n,
        arg_max(coalesce(source, '?'), quantity) AS source, arg_max(coalesce(purpose, '?'), quantity) AS purpose,
        bit_or(1::BIGINT << (ascii(coalesce(source, '?')) - 63)) AS sources,
        bit_or(1::BIGINT << (ascii(coalesce(purpose, '?')) - 63)) AS purposes{extra}"""


def reconcile(con: duckdb.DuckDBPyConnection, *, ratio: float = 1.5, group_ratio: float = 10.0,
              limit: int = 1000, datasets: tuple[str, ...] = ("cites_bulk",)) -> dict[str, Any]:
    """Match both reports, return coverage, flag counts and the top ``limit`` flags."""
    ds = ", ".join(f"'{d}'" for d in datasets)
    _side(con, "e", ds)
    _side(con, "i", ds)
    key_p = "export_permit, taxon, term"
    for s in ("e", "i"):
        con.execute(f"""CREATE OR REPLACE TEMP TABLE rc_p{s} AS SELECT {_agg(key_p, ', min(year) AS year, any_value(unit) AS unit, any_value(importer) AS importer, any_value(exporter) AS exporter')}
            FROM rc_{s} WHERE export_permit IS NOT NULL GROUP BY {key_p}""")
    con.execute(f"""CREATE OR REPLACE TEMP TABLE rc_pm AS
        SELECT e.export_permit, e.taxon, e.term, e.year AS year_e, i.year AS year_i, e.importer, e.exporter,
               e.unit AS unit_e, i.unit AS unit_i, e.q AS q_e, i.q AS q_i, e.n AS n_e, i.n AS n_i,
               e.source AS source_e, i.source AS source_i, e.purpose AS purpose_e, i.purpose AS purpose_i
        FROM rc_pe e JOIN rc_pi i USING ({key_p})""")
    # what the permit pass left: records without a permit or whose permit key did not match
    for s in ("e", "i"):
        con.execute(f"""CREATE OR REPLACE TEMP TABLE rc_r{s} AS SELECT r.* FROM rc_{s} r
            ANTI JOIN rc_pm m ON r.export_permit = m.export_permit AND r.taxon = m.taxon AND r.term = m.term""")
        con.execute(f"""CREATE OR REPLACE TEMP TABLE rc_g{s} AS
            SELECT {_agg('year, taxon, term, unit, importer, exporter')} FROM rc_r{s}
            GROUP BY year, taxon, term, unit, importer, exporter""")
    con.execute("CREATE OR REPLACE TEMP TABLE rc_gm (year_e INTEGER, year_i INTEGER, taxon VARCHAR, term VARCHAR, unit VARCHAR, importer VARCHAR, exporter VARCHAR, q_e DOUBLE, q_i DOUBLE, n_e BIGINT, n_i BIGINT, sources_e BIGINT, sources_i BIGINT, purposes_e BIGINT, purposes_i BIGINT, source_e VARCHAR, source_i VARCHAR, purpose_e VARCHAR, purpose_i VARCHAR, dy INTEGER)")
    gkey = "taxon, term, unit, importer, exporter"
    for dy in (0, 1, -1):
        con.execute(f"""INSERT INTO rc_gm SELECT e.year, i.year, e.taxon, e.term, e.unit, e.importer, e.exporter,
                e.q, i.q, e.n, i.n, e.sources, i.sources, e.purposes, i.purposes, e.source, i.source,
                e.purpose, i.purpose, {dy}
            FROM (SELECT * FROM rc_ge ANTI JOIN (SELECT year_e AS year, {gkey} FROM rc_gm) USING (year, {gkey})) e
            JOIN (SELECT * FROM rc_gi ANTI JOIN (SELECT year_i AS year, {gkey} FROM rc_gm) USING (year, {gkey})) i
              ON i.year = e.year + ({dy}) AND e.taxon = i.taxon AND e.term = i.term
                 AND e.unit = i.unit AND e.importer = i.importer AND e.exporter = i.exporter""")
    cov = rows(con, """SELECT
        (SELECT count(*) FROM rc_e) AS exporter_records, (SELECT count(*) FROM rc_i) AS importer_records,
        (SELECT coalesce(sum(n_e), 0) FROM rc_pm) AS exporter_records_permit_matched,
        (SELECT coalesce(sum(n_i), 0) FROM rc_pm) AS importer_records_permit_matched,
        (SELECT coalesce(sum(n_e), 0) FROM rc_gm) AS exporter_records_fallback_matched,
        (SELECT coalesce(sum(n_i), 0) FROM rc_gm) AS importer_records_fallback_matched,
        (SELECT count(*) FROM rc_pm) AS permit_pairs, (SELECT count(*) FROM rc_gm) AS fallback_pairs,
        (SELECT count(*) FILTER (WHERE dy <> 0) FROM rc_gm) AS fallback_pairs_year_shifted,
        (SELECT coalesce(sum(quantity), 0) FROM rc_e) AS exporter_quantity,
        (SELECT coalesce(sum(quantity), 0) FROM rc_i) AS importer_quantity""")[0]
    cov = {k: (int(v) if isinstance(v, int) else float(v)) for k, v in cov.items()}
    for name in ("exporter", "importer"):
        total = cov[f"{name}_records"]
        matched = cov[f"{name}_records_permit_matched"] + cov[f"{name}_records_fallback_matched"]
        cov[f"{name}_records_one_sided"] = total - matched
        cov[f"{name}_share_permit_matched"] = _share(cov[f"{name}_records_permit_matched"], total)
        cov[f"{name}_share_matched"] = _share(matched, total)
    both = cov["exporter_records"] + cov["importer_records"]
    cov["share_records_matched"] = _share(
        sum(cov[f"{n}_records_{m}_matched"] for n in ("exporter", "importer") for m in ("permit", "fallback")), both)
    lr, glr = math.log(ratio), math.log(group_ratio)
    flag_sql = f"""
      SELECT 'permit' AS match, n_e, n_i, export_permit, taxon, term, year_e, year_i, importer, exporter,
             unit_e AS unit, q_e, q_i, source_e, source_i, purpose_e, purpose_i,
             abs(ln(q_i / q_e)) > {lr} AND q_e > 0 AND q_i > 0 AS qty,
             source_e <> source_i AS src, purpose_e <> purpose_i AS pur, unit_e <> unit_i AS unit_diff
      FROM rc_pm
      UNION ALL
      SELECT 'aggregate', n_e, n_i, NULL, taxon, term, year_e, year_i, importer, exporter, unit, q_e, q_i,
             source_e, source_i, purpose_e, purpose_i,
             n_e = n_i AND abs(ln(q_i / q_e)) > {glr} AND q_e > 0 AND q_i > 0,
             n_e = n_i AND (sources_e & sources_i) = 0,
             n_e = n_i AND (purposes_e & purposes_i) = 0, false
      FROM rc_gm"""
    con.execute(f"CREATE OR REPLACE TEMP TABLE rc_flags AS SELECT * FROM ({flag_sql}) WHERE qty OR src OR pur OR unit_diff")
    counts = rows(con, """SELECT count(*) FILTER (WHERE qty) AS quantity_mismatch,
        count(*) FILTER (WHERE src) AS source_flip, count(*) FILTER (WHERE pur) AS purpose_flip,
        count(*) FILTER (WHERE unit_diff) AS unit_differs FROM rc_flags""")[0]
    flags = [_explain(r, ratio, group_ratio) for r in rows(con, f"""SELECT * FROM rc_flags
        ORDER BY (CASE WHEN q_e > 0 AND q_i > 0 THEN abs(ln(q_i / q_e)) ELSE 0 END) DESC, export_permit, taxon, year_e
        LIMIT {int(limit)}""")]
    for t in ("rc_e", "rc_i", "rc_pe", "rc_pi", "rc_re", "rc_ri", "rc_ge", "rc_gi"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return {"coverage": cov, "flag_counts": {k: int(v) for k, v in counts.items()}, "flags": flags,
            "provenance": stamp(con, "reconcile", {"ratio": ratio, "group_ratio": group_ratio,
                                                   "datasets": list(datasets)})}


def _share(a: float, b: float) -> float:
    return round(a / b, 4) if b else 0.0


def _explain(r: dict[str, Any], ratio: float, group_ratio: float) -> dict[str, Any]:
    kinds, reasons = [], []
    where = (f"permit {r['export_permit']}" if r["match"] == "permit" else
             f"aggregate {r['exporter']}->{r['importer']} {r['year_e']}/{r['year_i']} "
             f"({r['n_e']} records on each side, no shared permit)")
    if r["qty"]:
        kinds.append("quantity_mismatch")
        lr = math.log(r["q_i"] / r["q_e"])
        reasons.append(f"{where}: importer reported {r['q_i']:g} vs exporter {r['q_e']:g} {r['term']} of "
                       f"{r['taxon']} (ln ratio {lr:+.2f}; threshold ±{math.log(ratio if r['match'] == 'permit' else group_ratio):.2f})")
    if r["src"]:
        kinds.append("source_flip")
        reasons.append(f"{where}: exporter source {r['source_e']} but importer source {r['source_i']}")
    if r["pur"]:
        kinds.append("purpose_flip")
        reasons.append(f"{where}: exporter purpose {r['purpose_e']} but importer purpose {r['purpose_i']}")
    if r.get("unit_diff"):
        kinds.append("unit_differs")
        reasons.append(f"{where}: exporter unit '{r['unit']}' differs from importer's; quantities not comparable")
    out = {k: r[k] for k in ("match", "export_permit", "taxon", "term", "year_e", "year_i", "importer",
                             "exporter", "unit", "q_e", "q_i", "source_e", "source_i", "purpose_e", "purpose_i")}
    out["log_ratio"] = round(math.log(r["q_i"] / r["q_e"]), 4) if r["q_e"] and r["q_i"] else None
    out["kinds"] = kinds
    out["reasons"] = reasons
    return out
