"""Self-contained HTML report: sources, coverage, flags with reasons, a table of every (term,
unit) series with the exporter-reported and the importer-reported quantity side by side (never
their sum), and inline SVG charts of the top series (volume over time, top exporters, importers
and flows, each report its own line or bar) drawn for each (term, unit) on its own, with axes,
country names and taxon names; what each analysis covers; the LEMIS line items
(per description and unit, imports and exports, refused and seized per year) when any are
loaded; synthetic data named as such. No scripts, no network."""

from __future__ import annotations

import html
import json
from typing import Any

import duckdb

from wildtrace.trade import charts, coverage, names, origin, schema
from wildtrace.trade.reconcile import reconcile
from wildtrace.trade.routes import routes
from wildtrace.trade.screen import cites_dataset, screen
from wildtrace.trade.selection import Selection, years
from wildtrace.trade.trends import REPORTS, spikes
from wildtrace.trade.units import woe_summary
from wildtrace.trade.volumes import lemis_outcomes, volumes


def party_name(code: str | None) -> str:
    """``JP`` -> "Japan (JP)"; unknown codes as they are (``names.country``)."""
    return names.country(code)


def _side_table(rows: list[dict[str, Any]], first: str, label: str, sides: dict[str, str], unit: str,
                count: bool = False) -> str:
    """A table of one chart's numbers: a label column, then one column per report (never a sum)."""
    head = f"<tr><th>{html.escape(first)}</th>" + "".join(
        f"<th>{html.escape(n)} ({html.escape(unit)})</th>" for n in sides.values()) + (
        "<th>records</th>" if count else "") + "</tr>"
    body = "".join(f"<tr><td>{html.escape(str(r[label]))}</td>" + "".join(
        f"<td>{r['q_' + k.lower()]:,.6g}</td>" for k in sides) + (f"<td>{r['records']:,}</td>" if count else "")
                   + "</tr>" for r in rows)
    return f"<table>{head}{body}</table>"


def _unit_html(u: dict[str, Any], sides: dict[str, str], noun: str = "records") -> str:
    """One charted (term, unit): its charts (each report its own line or bar) and their tables."""
    what = f"{u['term_name']}, {u['unit_name']}"
    out = [f"<h3>{html.escape(what)}: {u['records']:,} {noun}</h3>"]
    out.extend(charts.volume_charts(u, sides).values())
    out.append(_side_table(u["by_year"], "year", "year", sides, u["unit_name"], count=True))
    for part, title in (("top_exporters", "Top exporters"), ("top_importers", "Top importers"),
                        ("top_flows", "Top flows (exporter \u2192 importer)")):
        if u.get(part):
            out.append(f"<details><summary>Table: {html.escape(title)}, {html.escape(what)}</summary>"
                       + _side_table(u[part], "country" if part != "top_flows" else "flow", "name", sides,
                                     u["unit_name"]) + "</details>")
    return "".join(out)


def _volumes_html(v: dict[str, Any]) -> str:
    """Every (term, unit) series of the selection in one table with both reports, then the top
    series charted (``volumes.TOP_RULE``) and every series per year."""
    sides = v["sides"]
    out = ["<h2>Trade per term and unit: exporter-reported and importer-reported</h2>",
           f"<p>{v['records']:,} records. Each series is one term in one unit; the exporters' and the "
           "importers' reports of it are shown side by side and never added (both reports of one shipment "
           "are the same shipment), quantities in different units are never added, and nothing is converted. "
           f"Charted: {html.escape(v['top_rule'])}. Every series is in the table below and, per year, after "
           "the charts.</p>",
           "<table class='series'><tr><th>term</th><th>unit</th>" + "".join(
               f"<th>{html.escape(n)}</th><th>{html.escape(n)} records</th>" for n in sides.values())
           + "<th>years</th><th>charted</th></tr>"]
    charted = {(u["term"], u["unit"]) for u in v["by_unit"]}
    for r in v["series"]:
        out.append(f"<tr><td>{html.escape(r['term_name'])}</td><td>{html.escape(r['unit_name'])}</td>" + "".join(
            f"<td>{r['q_' + k.lower()]:,.6g}</td><td>{r['records_' + k.lower()]:,}</td>" for k in sides)
            + f"<td>{r['years'][0]}\u2013{r['years'][1]}</td>"
            + f"<td>{'yes' if (r['term'], r['unit']) in charted else ''}</td></tr>")
    out.append("</table>")
    out.extend(_unit_html(u, sides) for u in v["by_unit"])
    out.append("<h3>Every series per year</h3>")
    for r in v["series"]:
        out.append(f"<details><summary>{html.escape(r['term_name'])}, {html.escape(r['unit_name'])}: "
                   f"{r['records']:,} records</summary>"
                   + _side_table(r["by_year"], "year", "year", sides, r["unit_name"], count=True) + "</details>")
    return "".join(out)


def _woe_html(woe: dict[str, Any]) -> str:
    if not woe or not woe.get("factors_used"):
        return ""
    out = ["<h2>Whole-organism equivalents (converted)</h2>",
           f"<p>{html.escape(woe['note'])}. Converted: {woe['records_converted']:,} of {woe['records']:,} records.</p>",
           "<table><tr><th>term</th><th>unit</th><th>taxa</th><th>factor</th><th>records</th><th>quantity</th>"
           "<th>WOE</th><th>basis and source</th></tr>"]
    for r in woe["factors_used"]:
        out.append("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in (
            r["term"], r["unit_label"], r["scope"], r["factor"], r["records"], f"{r['quantity']:,.6g}",
            f"{r['woe']:,.6g}", f"{r['basis']} ({r['source']})")) + "</tr>")
    return "".join(out) + "</table>"


def _flags(title: str, result: dict[str, Any], limit: int = 50) -> str:
    cover = result.get("covers") or {}
    counts = ", ".join(f"{k}: {v}" for k, v in result.get("flag_counts", {}).items())
    if not counts:
        counts = "none counted: this analysis read no records" if cover.get("applies") is False else "none"
    by_report = result.get("flag_counts_by_reporter") or {}
    if by_report:
        counts += " (" + "; ".join(f"{REPORTS.get(rep, rep)}: " + ", ".join(f"{k} {v}" for k, v in c.items())
                                   for rep, c in by_report.items()) + ")"
    statement = f"<p class='covers'>{html.escape(cover['statement'])}</p>" if cover else ""
    items = "".join(f"<li>{html.escape('; '.join(f.get('reasons', [])))}</li>" for f in result.get("flags", [])[:limit])
    return f"<h2>{html.escape(title)}</h2>{statement}<p>Flags: {html.escape(counts)}</p><ul>{items}</ul>"


def _lemis_html(lemis: dict[str, Any]) -> str:
    """The LEMIS line items: per description and unit, US imports and exports per year and by
    country (charts and tables), and how many were refused or seized each year."""
    v = lemis["volumes"]
    out = ["<h2>LEMIS line items, per description and unit</h2>",
           f"<p>{v['records']:,} LEMIS line items (US declarations to the Fish and Wildlife Service). "
           "Each chart is one description in one unit; nothing is converted or added across units.</p>"]
    out.extend(_unit_html(u, v["sides"], "line items") for u in v["by_unit"])
    out.append("<h3>Refused and seized line items per year</h3>" + charts.outcomes(lemis["outcomes"]))
    out.append("<table><tr><th>year</th><th>line items</th><th>refused (action R)</th><th>seized (disposition S)</th></tr>"
               + "".join(f"<tr><td>{r['year']}</td><td>{r['line_items']}</td><td>{r['refused']}</td>"
                         f"<td>{r['seized']}</td></tr>" for r in lemis["outcomes"]) + "</table>")
    return "".join(out)


def render(results: dict[str, dict[str, Any]], loads: list[dict[str, Any]]) -> str:
    """``results`` maps analysis name (reconcile, screen, spikes, routes; ``volumes``: the CITES
    series with both reports, ``volumes.volumes``; ``lemis``: the LEMIS section) to its result
    dict."""
    results = dict(results)
    lemis = results.pop("lemis", None)
    volumes_ = results.pop("volumes", None)
    out = ["<!doctype html><html><head><meta charset='utf-8'><title>WildTrace trade report</title>",
           "<style>body{font-family:sans-serif;max-width:980px;margin:2em auto}td,th{border:1px solid #ccc;"
           "padding:2px 6px;font-size:13px}table{border-collapse:collapse}</style></head><body>",
           "<h1>WildTrace trade report</h1>",
           "<p>Flags are review triggers with the numbers behind them, not findings of illegality.</p>"]
    if any(ld.get("origin") == origin.SYNTHETIC for ld in loads):
        out.append(f"<p style='background:#fff3cd;padding:.5em'><strong>{html.escape(origin.NOTICE)}</strong></p>")
    out.append("<h2>Sources loaded</h2><table><tr><th>file</th><th>format</th><th>origin</th><th>status</th>"
               "<th>rows</th><th>rejected</th><th>citation</th></tr>")
    for ld in loads:
        out.append("<tr>" + "".join(f"<td>{html.escape(str(ld.get(k) if ld.get(k) is not None else ''))}</td>"
                                    for k in ("path", "format", "origin", "status", "rows_loaded", "rows_rejected",
                                              "citation")) + "</tr>")
    out.append("</table>")
    if "reconcile" in results:
        cov = results["reconcile"]["coverage"]
        out.append("<h2>Reconciliation coverage</h2><table>" + "".join(
            f"<tr><td>{html.escape(k)}</td><td>{v}</td></tr>" for k, v in cov.items()) + "</table>")
        out.append(_flags("Reconciliation flags", results["reconcile"]))
    if volumes_:
        out.append(_volumes_html(volumes_))
    if "woe" in results:
        out.append(_woe_html(results["woe"]))
    for name, title in (("screen", "Captive-breeding screen (Res. Conf. 17.7)"), ("spikes", "Volume spikes"),
                        ("routes", "New routes and re-exports")):
        if name in results:
            out.append(_flags(title, results[name]))
    if lemis:
        out.append(_lemis_html(lemis))
    taxa = sorted({str(f["taxon"]) for r in results.values() for f in r.get("flags", []) if f.get("taxon")})
    if taxa:
        out.append("<h2>Taxa flagged</h2><p>" + html.escape(", ".join(taxa[:200])) + "</p>")
    prov = {k: v.get("provenance") for k, v in results.items()}
    out.append(f"<h2>Provenance</h2><pre>{html.escape(json.dumps(prov, indent=1, default=str))}</pre></body></html>")
    return "".join(out)


def loads_of(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The load log: each file loaded, its format, status, counts, origin and citation (a
    database loaded before origins were kept: the origin by format, see ``origin.py``)."""
    cur = con.execute("SELECT * FROM loads ORDER BY load_id")
    names = [d[0] for d in cur.description or []]
    out = []
    for r in cur.fetchall():
        row = dict(zip(names, r, strict=True))
        if not row.get("origin") and row.get("status") == "loaded":
            row["origin"] = origin.REAL.get(str(row.get("format")))
        out.append({k: row.get(k) for k in ("path", "member", "format", "origin", "status", "rows_loaded",
                                             "rows_rejected", "citation")})
    return out


def report(con: duckdb.DuckDBPyConnection, *, ranges: dict[str, set[str]] | None = None,
           register: dict[str, set[str]] | None = None, taxon: str | None = None, year_from: int | None = None, year_to: int | None = None,
           limit: int = 1000) -> dict[str, Any]:
    """Every analysis, narrowed alike; the one function ``trade report`` and the workbench call."""
    results = {"reconcile": reconcile(con), "screen": screen(con, ranges=ranges, register=register), "spikes": spikes(con),
               "routes": routes(con)}
    woe = woe_summary(con, cites_dataset(con), taxon=taxon)
    narrowed = {name: narrow(res, taxon, year_from, year_to, limit,
                             lists=("flags", "reexport_chains") if name == "routes" else ("flags",))
                for name, res in results.items()}
    out = {**narrowed, "woe": woe, "loads": loads_of(con)}
    sel = Selection(taxon=taxon, year_from=year_from, year_to=year_to)
    loaded = coverage.counts(con)
    if loaded.get(schema.BULK) or loaded.get(schema.COMPTAB):
        out["volumes"] = volumes(con, sel, dataset=cites_dataset(con))
    if loaded.get(schema.LEMIS):
        out["lemis"] = {"volumes": volumes(con, sel, dataset=schema.LEMIS), "outcomes": lemis_outcomes(con, sel)}
    return out


def html_report(report_: dict[str, Any]) -> str:
    return render({k: v for k, v in report_.items() if k != "loads"}, report_["loads"])


def narrow(result: dict[str, Any], taxon: str | None, year_from: int | None, year_to: int | None,
           limit: int, lists: tuple[str, ...] = ("flags",)) -> dict[str, Any]:
    """Keep the flags (and other per-taxon lists) that match; ``flag_counts`` stay database totals."""
    want = taxon.casefold() if taxon else None

    def keep(item: dict[str, Any]) -> bool:
        if want is not None and str(item.get("taxon", "")).casefold() != want:
            return False
        span = years(item)
        if span is None:  # no single year (e.g. a cumulative re-export total): kept
            return True
        return (year_from is None or span[1] >= year_from) and (year_to is None or span[0] <= year_to)

    out = dict(result)
    for name in lists:
        items = [i for i in result.get(name, []) if keep(i)]
        out[name] = items[:limit]
        out[f"{name}_matching"] = len(items)
    out["query"] = {"taxon": taxon, "year_from": year_from, "year_to": year_to, "limit": limit}
    return out
