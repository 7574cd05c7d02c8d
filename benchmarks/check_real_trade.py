"""Check the trade analyses on real downloads you have: what loads, what is rejected, and
whether any output adds quantities of different units or both reports of one shipment.

    python benchmarks/check_real_trade.py PATH [PATH ...] [--db FILE] [--json OUT]

PATH: files or folders as downloaded (trade.cites.org full download or comparative
tabulation, a citesdb export, LEMIS). No CITES rows ship with WildTrace, so the real files
stay with whoever runs this; the closing notes quote the figures it printed on public
extracts (a primate comparative tabulation 2010-2022; the pangolin comparative tabulation
and citesdb-style shipment export 1977-2017 of the public repository Roytangrb/pangolin).

Checks, each a count that must be 0:

- rejected rows (every row of a CITES or LEMIS file is a record, or says why not);
- reconciliation flags whose exporter and importer records differ in exporter, importer or
  (for quantity mismatches) in term and unit; purpose or source flips with a blank side;
- re-export chains with an unknown origin (blank or XX); re-export flags whose quantity is
  the sum of the two reports;
- spike and screen flags with one quantity whose record ids span more than one (term, unit);
- screen flags whose quantity adds the two reports; captive-share flags whose totals are not each
  report's records summed once; wild-commercial (Appendix I, zero quota) flags on a record that
  is not W/T or falls outside its bar's dates; re-export captive-claim flags on a record that is
  not a captive (C, D, F) re-export, or whose origin records are not the origin's W exports;
- series, flows and top lists (every (term, unit) of ``volumes``, charted or not), the values
  drawn in their charts, and spike flags, whose value is not one report's own total recomputed
  from the records, or is the exporter-reported and importer-reported totals added.
"""

from __future__ import annotations

import argparse
import html
import json
import math
import re
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from wildtrace.trade import charts
from wildtrace.trade.criteria import SHARE_IDS
from wildtrace.trade.load import load_paths
from wildtrace.trade.prohibited import in_force
from wildtrace.trade.reconcile import reconcile
from wildtrace.trade.routes import routes
from wildtrace.trade.schema import connect
from wildtrace.trade.screen import cites_dataset, screen
from wildtrace.trade.selection import Selection
from wildtrace.trade.trends import spikes
from wildtrace.trade.volumes import volumes


def check(paths: list[Path], db: Path) -> dict[str, Any]:
    con = connect(db)
    files = [{"file": r.path, "status": r.status, "format": r.format, "rows": r.rows_in,
              "loaded": r.rows_loaded, "rejected": r.rows_rejected, "reason": r.reason}
             for r in load_paths(con, paths)]

    def records(ids: list[str]) -> list[tuple[Any, ...]]:
        return con.execute("SELECT exporter, importer, term, unit, purpose, source FROM records "
                           "WHERE record_id IN (SELECT unnest(?))", [ids]).fetchall()

    problems: dict[str, int] = {"rejected rows": sum(f["rejected"] or 0 for f in files)}
    rec = reconcile(con, limit=100_000)
    bad_parties = bad_units = blank_flips = 0
    for f in rec["flags"]:
        rs = records(f["record_ids_exporter"] + f["record_ids_importer"])
        bad_parties += len({(r[0], r[1]) for r in rs}) > 1
        bad_units += "quantity_mismatch" in f["kinds"] and len({(r[2], r[3]) for r in rs}) > 1
        blank_flips += ("purpose_flip" in f["kinds"] and any(r[4] is None for r in rs)) or (
            "source_flip" in f["kinds"] and any(r[5] is None for r in rs))
    problems |= {"reconcile flags across parties": bad_parties, "quantity mismatches across units": bad_units,
                 "purpose/source flips with a blank side": blank_flips}
    ro = routes(con, limit=100_000)
    problems["re-export chains of unknown origin"] = sum(c["origin"] in (None, "XX") for c in ro["reexport_chains"])
    problems["re-export flags that add both reports"] = sum(
        1 for f in ro["flags"] if f["kind"] == "reexport_exceeds_imports" and f["reexported_by_exporter_report"] > 0
        and f["reexported_by_importer_report"] > 0
        and f["reexported"] == f["reexported_by_exporter_report"] + f["reexported_by_importer_report"])
    problems |= _route_and_permit_checks(con, rec, ro)
    sp, sc = spikes(con, limit=100_000), screen(con, limit=100_000)
    mixed = 0
    for f in sp["flags"] + sc["flags"]:
        if f.get("term") is None:  # c_before_f: a claim about source codes, its quantities listed per unit
            continue
        ids = f.get("record_ids") or []
        mixed += len({(r[2], r[3]) for r in records(ids)}) > 1 if ids else 0
    problems["spike/screen flags over more than one (term, unit)"] = mixed
    # screen rules of issue 26 (C2b): each report summed once, never added; W/T bars inside their dates
    def recs(ids: list[str]) -> list[tuple[Any, ...]]:
        return con.execute("SELECT reporter_type, quantity, year, source, purpose, origin, exporter FROM records "
                           "WHERE record_id IN (SELECT unnest(?))", [ids]).fetchall()

    added = share_bad = wt_bad = rx_bad = 0
    for f in sc["flags"]:
        q_e, q_i = f.get("quantity_exporter_report"), f.get("quantity_importer_report")
        added += bool(q_e and q_i and f.get("quantity") != max(q_e, q_i))
        if f["criterion"] == "captive_share_disagreement":
            ids_e, ids_i = f["record_ids_exporter"], f["record_ids_importer"]
            if len(ids_e) < SHARE_IDS and len(ids_i) < SHARE_IDS:
                re_, ri = recs(ids_e), recs(ids_i)
                share_bad += (any(r[0] != "E" for r in re_) or any(r[0] != "I" for r in ri)
                              or abs(sum(r[1] for r in re_) - f["exporter_total"]) > 1e-6
                              or abs(sum(r[1] for r in ri) - f["importer_total"]) > 1e-6)
        elif f["criterion"].endswith("_wild_commercial"):
            d0 = date.fromisoformat(f["in_force_from"]) if f["in_force_from"] else None
            d1 = date.fromisoformat(f["in_force_to"]) if f["in_force_to"] else None
            wt_bad += any(r[3] != "W" or r[4] != "T" or (d0 is not None and not in_force(r[2], d0, d1))
                          for r in recs(f["record_ids"]))
        elif f["criterion"].startswith("reexport_captive_"):
            rx_bad += any(r[3] not in ("C", "D", "F") or r[5] in (None, r[6]) for r in recs(f["record_ids"])) or (
                f["criterion"].endswith("origin_wild")
                and any(r[3] != "W" or r[6] != f["origin"] for r in recs(f["origin_record_ids"])))
    problems |= {"screen flags whose quantity adds both reports": added,
                 "captive-share flags whose totals are not each report summed once": share_bad,
                 "wild-commercial flags on a record outside its bar's dates or scope": wt_bad,
                 "re-export captive-claim flags on a record that is no captive re-export": rx_bad}
    # series, flows, top lists, charts and spikes of issue 26 (C1): each value one report's own
    # total, recomputed here from the records; never the two reports added
    problems |= _both_reports(con, sp["flags"])
    return {"files": files, "problems": problems,
            "flag_counts": {"reconcile": rec["flag_counts"], "routes": ro["flag_counts"],
                            "spikes": sp["flag_counts"], "screen": sc["flag_counts"]}}


def _same(a: float | None, b: float | None) -> bool:
    """Equal quantities, or both absent (sums in another order differ in the last digits)."""
    return (a is None) == (b is None) and (a is None or b is None or math.isclose(a, b, rel_tol=1e-9))


def _route_and_permit_checks(con: Any, rec: dict[str, Any], ro: dict[str, Any]) -> dict[str, int]:
    """Zero counts of the reconcile and routes rules (issue 26): no route flag whose quantity is
    not one report's own total (a new route's per-report totals recomputed from the records; a
    re-export's larger report, never the sum, explained chains included); no reconcile flag that
    pairs a seizure (source I) with declared trade; no quantity mismatch that sums one side's
    report of a permit repeated in a later year."""
    totals = {(t, e, i, term, u, r): q for t, e, i, term, u, r, q in con.execute(
        "SELECT taxon, exporter, importer, term, coalesce(unit, ''), reporter_type, sum(quantity) FROM records "
        "WHERE dataset = ? AND exporter IS NOT NULL AND importer IS NOT NULL GROUP BY ALL",
        [ro["dataset"]]).fetchall()}
    summed = 0
    for f in ro["flags"]:
        if f["kind"] != "new_route":
            continue
        for q in f["quantities"]:
            key = (f["taxon"], f["exporter"], f["importer"], q["term"], q["unit"] or "")
            summed += not all(_same(q[f"total_{who}_report"], totals.get((*key, r)))
                              for who, r in (("exporter", "E"), ("importer", "I")))
    for f in ro["flags"] + ro.get("reexport_explained", []):
        if f["kind"] != "new_route":
            e, i = f["reexported_by_exporter_report"], f["reexported_by_importer_report"]
            summed += f["reexported"] != max(e, i) or (e > 0 and i > 0 and f["reexported"] == e + i)

    def side(ids: list[str]) -> list[tuple[Any, ...]]:
        return con.execute("SELECT export_permit, year, quantity, coalesce(source = 'I', false) FROM records "
                           "WHERE record_id IN (SELECT unnest(?))", [ids]).fetchall()

    seized_paired = repeated = 0
    for f in rec["flags"]:
        e, i = side(f.get("record_ids_exporter") or []), side(f.get("record_ids_importer") or [])
        if e and i:
            seized_paired += len({r[3] for r in e + i}) > 1
        if "quantity_mismatch" in f["kinds"]:
            for rs in (e, i):
                years: dict[tuple[Any, Any], list[float]] = {}
                for permit, year, q, _ in rs:
                    if permit:
                        years.setdefault((permit, year), []).append(q)
                per_permit: dict[Any, list[list[float]]] = {}
                for (permit, _), qs in years.items():
                    per_permit.setdefault(permit, []).append(sorted(qs))
                repeated += any(len(v) != len({tuple(x) for x in v}) for v in per_permit.values())
    return {"route flags not one report's own total (a sum across reports)": summed,
            "reconcile flags pairing a seizure (source I) with declared trade": seized_paired,
            "quantity mismatches summing a permit's repeated report": repeated}


def _both_reports(con: Any, spike_flags: list[dict[str, Any]]) -> dict[str, int]:
    """Every value of ``volumes`` (every (term, unit) series, per year, top exporters, importers
    and flows: all of them, not only the charted ones), every value drawn in its charts and every
    spike flag's quantity, checked against each report's total recomputed from the records."""
    dataset = cites_dataset(con)

    def truth(cols: str) -> dict[tuple[Any, ...], float]:
        extra = f", {cols}" if cols else ""
        return {tuple(r[:-1]): r[-1] for r in con.execute(
            f"SELECT reporter_type, coalesce(term, '?'), coalesce(unit, ''){extra}, sum(quantity) FROM records "
            f"WHERE dataset = ? AND reporter_type IN ('E', 'I') GROUP BY ALL", [dataset]).fetchall()}

    def off(got: float, want: float) -> bool:
        return abs(got - want) > 1e-6 * max(1.0, abs(want))

    keys = {"series": ("", lambda r: ()), "by_year": ("year", lambda r: (r["year"],)),
            "top_exporters": ("exporter", lambda r: (r["party"],)),
            "top_importers": ("importer", lambda r: (r["party"],)),
            "top_flows": ("exporter, importer", lambda r: (r["exporter"], r["importer"]))}
    truths = {part: truth(cols) for part, (cols, _) in keys.items()}
    vol = volumes(con, Selection(), dataset=dataset, units=1_000_000, top=1_000_000)
    wrong = added = chart_wrong = chart_added = 0
    for u in vol["by_unit"]:
        base = (u["term"] or "?", u["unit"] or "")
        for part, (_, key) in keys.items():
            for r in [u] if part == "series" else u[part]:
                want = {s: truths[part].get((s, *base, *key(r)), 0.0) for s in ("E", "I")}
                for s in ("E", "I"):
                    got = r[f"q_{s.lower()}"]
                    wrong += off(got, want[s])
                    added += want["E"] > 0 and want["I"] > 0 and off(got, want[s]) and not off(
                        got, want["E"] + want["I"])
        # each drawn value is its table's value for that label and report, never their sum
        drawn = charts.volume_charts(u, vol["sides"])
        for part, svg in drawn.items():
            table = {(str(r["year"]) if part == "by_year" else r["name"], s): r[f"q_{s.lower()}"]
                     for r in u[part] for s in ("E", "I")}
            sides = {name: s for s, name in vol["sides"].items()}
            for title in re.findall(r"<title>(.*?)</title>", svg):
                title = html.unescape(title)
                m = (re.fullmatch(r"(.+), (exporter-reported|importer-reported): (\S+) .*", title) if part != "by_year"
                     else re.fullmatch(r"(exporter-reported|importer-reported), (\d{4}): (\S+) .*", title))
                if not m:
                    continue
                label, side = (m[1], m[2]) if part != "by_year" else (m[2], m[1])
                value = table.get((label, sides[side]))
                q_e, q_i = float(table.get((label, "E")) or 0), float(table.get((label, "I")) or 0)
                chart_wrong += value is None or m[3] != f"{float(value):,.6g}"
                chart_added += bool(q_e and q_i) and m[3] == f"{q_e + q_i:,.6g}" != f"{float(value or 0):,.6g}"
    spike_truth: dict[tuple[Any, ...], float] = {}
    for r in con.execute("""SELECT reporter_type, taxon, coalesce(exporter, '?'), coalesce(term, '?'), coalesce(unit, ''),
            coalesce(source, '?'), year, sum(quantity) FROM records WHERE dataset = ? AND reporter_type IN ('E', 'I')
            GROUP BY ALL""", [dataset]).fetchall():
        spike_truth[tuple(r[:-1])] = r[-1]
    spike_bad = 0
    for f in spike_flags:
        reps = {r[0] for r in con.execute("SELECT reporter_type FROM records WHERE record_id IN (SELECT unnest(?))",
                                          [f["record_ids"] or []]).fetchall()}
        total = spike_truth.get((f["reporter"], f["taxon"], f["exporter"], f["term"], f["unit"] or "", f["source"],
                                 f["year"]))
        spike_bad += reps != {f["reporter"]} or total is None or off(f["quantity"], total)
    return {"series/flow/top-list values not one report's own total": wrong,
            "series/flow/top-list values that add both reports": added,
            "chart values not their table's value for that report": chart_wrong,
            "chart values that add both reports": chart_added,
            "spike flags not one report's own series total": spike_bad}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+", type=Path)
    ap.add_argument("--db", type=Path, help="DuckDB file to load into (default: a temporary one)")
    ap.add_argument("--json", type=Path, help="write the result here too")
    args = ap.parse_args(argv)
    missing = [p for p in args.paths if not p.exists()]
    if missing:
        print(f"error: no such file or folder: {missing[0]}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        out = check(args.paths, args.db or Path(tmp) / "check.duckdb")
    for f in out["files"]:
        print(f"{f['file']}: {f['status']} {f['format'] or ''} rows={f['rows']} loaded={f['loaded']} "
              f"rejected={f['rejected']}" + (f" ({f['reason']})" if f["reason"] else ""))
    for k, v in out["flag_counts"].items():
        print(f"{k}: " + ", ".join(f"{a}={b}" for a, b in v.items()))
    for k, v in out["problems"].items():
        print(f"{'ok ' if v == 0 else 'BAD'} {k}: {v}")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=str))
    return 0 if not any(out["problems"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
