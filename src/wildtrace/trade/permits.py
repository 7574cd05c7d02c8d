"""Permit-level facts of CITES shipment (bulk) records, for ``reconcile``.

- **Duplicate reports of one permit.** An export permit covers one shipment. When one side's
  report of a permit (same taxon, term, unit, exporter and importer) in a year holds exactly
  the quantities of its report of an earlier year, the later records are copies: on the real
  pangolin export Japan booked Singapore's 1,000-skin permits of 1987 again in 1988, and
  summing them gave a false "2,000 vs 1,000" mismatch. The copies are taken out before
  matching (each side's figure counts the shipment once) and reported as
  ``duplicate_report`` flags. Where the other side's total for the permit equals the sum with
  the copies (and not the figure without them), the records are separate shipments, kept.
  A quantity one side reports twice *in one year* is a duplicate only when, counted once, it
  makes the two reports equal (``reconcile`` checks this per permit pair).
- **Seizures** (source I) are never paired with declared trade: ``seized`` is part of every
  match key, so a seizure pairs only with a seizure. A permit that one side declared and the
  other reported seized is counted (``permits_declared_by_one_side_seized_by_other``), not
  compared.
- **Permit coverage**: the share of export permits reported by both sides (the same permit id
  with the same exporter and importer in both reports), the figure analysts quote.
"""

from __future__ import annotations

import math
from typing import Any

import duckdb

from wildtrace.trade.provenance import IDS_PER_FLAG, rows
from wildtrace.trade.units import unit_label

#: the columns that make one permit's report on one side (seizures apart)
KEY = "export_permit, taxon, term, unit, exporter, importer, seized"
#: the same as one value (a row: its columns kept apart, so no two keys' texts run together as
#: they did joined with "|", and a blank equals a blank, as in ``GROUP BY``)
PK = f"row({KEY})"
SIDES = {"E": "exporter", "I": "importer"}


def drop_duplicates(con: duckdb.DuckDBPyConnection, ratio: float, limit: int | None = None) -> list[dict[str, Any]]:
    """Take the copies of one permit reported again in a later year out of ``rc_e`` and
    ``rc_i``; return one ``duplicate_report`` flag per (side, permit key), the most copied first
    (the first ``limit``: ``set_aside`` counts them all)."""
    lr = math.log(ratio)
    # only a permit key one side reported in two or more years can hold copies: the records of
    # those keys (both sides, for the other side's total) are all the query below needs. Keys
    # are matched by their hash: a collision only brings in another key, computed exactly below.
    both = " UNION ALL ".join(f"""SELECT '{side}' AS side, record_id, year, quantity, {KEY}, {PK} AS pk
        FROM rc_{side.lower()}
        WHERE export_permit IS NOT NULL AND hash({KEY}) IN (SELECT h FROM multi)""" for side in ("E", "I"))
    multi = " UNION ALL ".join(f"""SELECT hash({KEY}) AS h FROM rc_{side} WHERE export_permit IS NOT NULL
        GROUP BY h HAVING min(year) < max(year)""" for side in ("e", "i"))
    con.execute(f"""CREATE OR REPLACE TEMP TABLE rc_dg AS
        WITH multi AS ({multi}),
        b AS ({both}),
        y AS (SELECT side, pk, year, list(quantity ORDER BY quantity) AS qs, list(record_id) AS ids
              FROM b GROUP BY ALL),
        copies AS (SELECT y.* FROM y WHERE EXISTS (SELECT 1 FROM y y0 WHERE y0.side = y.side AND y0.pk = y.pk
                                                    AND y0.year < y.year AND y0.qs = y.qs)),
        cut AS (SELECT side, pk, sum(list_sum(qs)) AS q_copies, sum(len(qs)) AS n_copies,
                       flatten(list(ids)) AS copy_ids FROM copies GROUP BY ALL),
        tot AS (SELECT side, pk, {KEY}, sum(quantity) AS q, list(DISTINCT year ORDER BY year) AS years,
                       list({{'year': year, 'quantity': quantity}} ORDER BY year, record_id) AS reports,
                       list(record_id ORDER BY year, record_id)[1:{IDS_PER_FLAG}] AS ids
                FROM b GROUP BY ALL)
        SELECT t.*, c.q_copies, c.n_copies, c.copy_ids, t.q - c.q_copies AS q_once, o.q AS q_other,
               o.q IS NOT NULL AND o.q > 0 AND t.q > 0 AND abs(ln(o.q / t.q)) <= {lr}
                   AND (t.q - c.q_copies <= 0 OR abs(ln(o.q / (t.q - c.q_copies))) > {lr}) AS separate
        FROM cut c JOIN tot t USING (side, pk) LEFT JOIN tot o ON o.side <> t.side AND o.pk = t.pk""")
    found = rows(con, f"""SELECT * FROM rc_dg WHERE NOT separate ORDER BY q_copies DESC, export_permit, side, {KEY}
                          {'' if limit is None else f'LIMIT {int(limit)}'}""")
    for side in ("E", "I"):
        con.execute(f"""DELETE FROM rc_{side.lower()} WHERE record_id IN (SELECT unnest(copy_ids) FROM rc_dg
                        WHERE side = '{side}' AND NOT separate)""")
    return [_flag(d) for d in found]


def set_aside(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """The ``duplicate_report`` flags of the last ``drop_duplicates`` and the records they set
    aside, counted (``rc_dg``)."""
    n, copies = con.execute("SELECT count(*), coalesce(sum(n_copies), 0) FROM rc_dg WHERE NOT separate").fetchall()[0]
    return int(n), int(copies)


def _flag(d: dict[str, Any]) -> dict[str, Any]:
    who, other = SIDES[d["side"]], SIDES["I" if d["side"] == "E" else "E"]
    unit = unit_label(d["unit"] or None)
    booked = ", ".join(f"{r['quantity']:g} in {r['year']}" for r in d["reports"][:8])
    said = (f"the {other} reported {d['q_other']:g}" if d["q_other"] is not None
            else f"the {other}s' reports do not name the permit")
    q_e, q_i = (d["q_once"], d["q_other"]) if d["side"] == "E" else (d["q_other"], d["q_once"])
    return {
        "match": "permit", "kind": "duplicate_report", "kinds": ["duplicate_report"],
        "rules": ["permit_duplicate_report"], "reporter": d["side"], "export_permit": d["export_permit"],
        "taxon": d["taxon"], "term": d["term"], "unit": d["unit"] or None, "exporter": d["exporter"],
        "importer": d["importer"], "years": d["years"],
        "seized": d["seized"], "q_e": q_e, "q_i": q_i, "quantity_with_copies": d["q"],
        "copies": d["n_copies"], "quantity_in_copies": d["q_copies"], "log_ratio": None,
        "record_ids_exporter": d["ids"] if d["side"] == "E" else [],
        "record_ids_importer": d["ids"] if d["side"] == "I" else [],
        "reasons": [f"permit {d['export_permit']} {d['exporter']}->{d['importer']}: the {who} reported "
                    f"{d['term']} ({unit}) of {d['taxon']} as {booked}; the report of "
                    f"{', '.join(str(y) for y in d['years'][1:])} repeats an earlier year's record for record "
                    f"({d['n_copies']} record(s)), so one shipment was booked again: counted once, "
                    f"{d['q_once']:g}, not {d['q']:g} ({said}; rule permit_duplicate_report)"]}


def permit_coverage(con: duckdb.DuckDBPyConnection, dataset: str) -> dict[str, Any]:
    """Export permits reported by each side and by both (same permit id, exporter and
    importer), with shares; and permits one side declared and the other reported seized."""
    return coverage_of(con, f"""SELECT export_permit, exporter, importer,
                bool_or(reporter_type = 'E') AS by_e, bool_or(reporter_type = 'I') AS by_i,
                bool_or(reporter_type = 'E' AND source = 'I') AS seized_e,
                bool_or(reporter_type = 'E' AND source IS DISTINCT FROM 'I') AS declared_e,
                bool_or(reporter_type = 'I' AND source = 'I') AS seized_i,
                bool_or(reporter_type = 'I' AND source IS DISTINCT FROM 'I') AS declared_i
            FROM records WHERE dataset = '{dataset}' AND export_permit IS NOT NULL GROUP BY ALL""")


def coverage_of(con: duckdb.DuckDBPyConnection, per_permit: str) -> dict[str, Any]:
    """``permit_coverage`` from ``per_permit``: a query with one row per permit and its flags
    (``by_e``, ``by_i``, ``seized_e``, ``declared_e``, ``seized_i``, ``declared_i``)."""
    r = rows(con, f"""WITH p AS ({per_permit})
        SELECT count(*) AS permits, count(*) FILTER (WHERE by_e) AS permits_exporter_reported,
               count(*) FILTER (WHERE by_i) AS permits_importer_reported,
               count(*) FILTER (WHERE by_e AND by_i) AS permits_both_sides,
               count(*) FILTER (WHERE (declared_e AND seized_i AND NOT declared_i)
                                   OR (declared_i AND seized_e AND NOT declared_e))
                   AS permits_declared_by_one_side_seized_by_other FROM p""")[0]
    out: dict[str, Any] = {k: int(v or 0) for k, v in r.items()}
    out["share_permits_both_sides"] = _share(out["permits_both_sides"], out["permits"])
    out["share_exporter_permits_in_importer_reports"] = _share(out["permits_both_sides"],
                                                               out["permits_exporter_reported"])
    out["share_importer_permits_in_exporter_reports"] = _share(out["permits_both_sides"],
                                                               out["permits_importer_reported"])
    return out


def coverage_note(c: dict[str, Any]) -> str:
    """The permit coverage as one sentence."""
    return (f"permit coverage: {c['permits_both_sides']:,} of {c['permits']:,} export permits "
            f"({c['share_permits_both_sides']:.1%}) are reported by both sides; "
            f"{c['share_exporter_permits_in_importer_reports']:.1%} of the {c['permits_exporter_reported']:,} "
            f"permits in exporters' reports appear in importers' reports, "
            f"{c['share_importer_permits_in_exporter_reports']:.1%} of the {c['permits_importer_reported']:,} "
            "in importers' reports appear in exporters' reports (same permit id, exporter and importer)")


def _share(a: float, b: float) -> float:
    return round(a / b, 4) if b else 0.0
