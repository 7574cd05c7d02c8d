"""Self-contained HTML report: sources, coverage, flags with reasons and inline SVG charts
(volume over time, top exporters, importers and flows) drawn for each (term, unit) on its own,
with axes, country names and taxon names. No scripts, no network."""

from __future__ import annotations

import html
import json
import math
from typing import Any

import duckdb

from wildtrace.trade import origin
from wildtrace.trade.codes import load_codes
from wildtrace.trade.reconcile import reconcile
from wildtrace.trade.routes import routes
from wildtrace.trade.screen import cites_dataset, screen
from wildtrace.trade.trends import spikes
from wildtrace.trade.units import term_label, woe_summary


def party_name(code: str | None) -> str:
    """``JP`` -> "Japan (JP)"; unknown codes as they are."""
    if not code:
        return "unknown"
    name = load_codes().party.get(code)
    return f"{name} ({code})" if name else code


def _ticks(top: float, n: int = 4) -> list[float]:
    """Round tick values from 0 to about ``top``."""
    if top <= 0:
        return [0.0]
    step = 10 ** math.floor(math.log10(top / n))
    for m in (1, 2, 5, 10):
        if top / (step * m) <= n:
            step *= m
            break
    return [i * step for i in range(int(top // step) + 2) if i * step <= top * 1.05 or i == 1]


def _bars(items: list[tuple[str, float]], title: str, unit: str, width: int = 640) -> str:
    if not items:
        return ""
    top = max(v for _, v in items) or 1
    left, right = 230, 80
    h = 18 * len(items) + 54
    span = width - left - right
    parts = [f'<svg role="img" aria-label="{html.escape(title)}" width="{width}" height="{h}">',
             f'<text x="0" y="14" font-weight="bold">{html.escape(title)}</text>']
    for i, (label, v) in enumerate(items):
        y = 24 + 18 * i
        w = int(span * v / top)
        parts.append(f'<text x="0" y="{y + 12}" font-size="12">{html.escape(str(label))[:36]}</text>'
                     f'<rect x="{left}" y="{y}" width="{w}" height="14" fill="#4a7"/>'
                     f'<text x="{left + w + 4}" y="{y + 12}" font-size="11">{v:,.6g}</text>')
    axis_y = 24 + 18 * len(items) + 4
    parts.append(f'<line x1="{left}" y1="{axis_y}" x2="{left + span}" y2="{axis_y}" stroke="#555"/>')
    for t in _ticks(top):
        x = left + span * t / top
        parts.append(f'<line x1="{x:.1f}" y1="{axis_y}" x2="{x:.1f}" y2="{axis_y + 4}" stroke="#555"/>'
                     f'<text x="{x:.1f}" y="{axis_y + 16}" font-size="10" text-anchor="middle">{t:,.6g}</text>')
    parts.append(f'<text x="{left + span / 2:.0f}" y="{axis_y + 28}" font-size="11" text-anchor="middle">'
                 f'{html.escape(unit)}</text>')
    return "".join(parts) + "</svg>"


def _line(points: list[tuple[int, float]], title: str, unit: str, width: int = 640, height: int = 220) -> str:
    if len(points) < 2:
        return ""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1, top = min(xs), max(xs), max(ys) or 1
    left, bottom, top_pad = 70, 40, 30
    plot_w, plot_h = width - left - 20, height - bottom - top_pad

    def px(x: float) -> float:
        return left + (x - x0) / max(x1 - x0, 1) * plot_w

    def py(y: float) -> float:
        return top_pad + plot_h - y / top * plot_h

    path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in points)
    parts = [f'<svg role="img" aria-label="{html.escape(title)}" width="{width}" height="{height}">',
             f'<text x="0" y="14" font-weight="bold">{html.escape(title)}</text>',
             f'<line x1="{left}" y1="{py(0):.1f}" x2="{left + plot_w}" y2="{py(0):.1f}" stroke="#555"/>',
             f'<line x1="{left}" y1="{top_pad}" x2="{left}" y2="{py(0):.1f}" stroke="#555"/>',
             f'<polyline fill="none" stroke="#36c" stroke-width="2" points="{path}"/>']
    for t in _ticks(top):
        parts.append(f'<line x1="{left - 4}" y1="{py(t):.1f}" x2="{left}" y2="{py(t):.1f}" stroke="#555"/>'
                     f'<text x="{left - 6}" y="{py(t) + 4:.1f}" font-size="10" text-anchor="end">{t:,.6g}</text>')
    step = max(1, (x1 - x0) // 6)
    for x in range(x0, x1 + 1, step):
        parts.append(f'<line x1="{px(x):.1f}" y1="{py(0):.1f}" x2="{px(x):.1f}" y2="{py(0) + 4:.1f}" stroke="#555"/>'
                     f'<text x="{px(x):.1f}" y="{py(0) + 16:.1f}" font-size="10" text-anchor="middle">{x}</text>')
    parts.append(f'<text x="{left + plot_w / 2:.0f}" y="{height - 4}" font-size="11" text-anchor="middle">year</text>'
                 f'<text x="12" y="{top_pad + plot_h / 2:.0f}" font-size="11" text-anchor="middle" '
                 f'transform="rotate(-90 12 {top_pad + plot_h / 2:.0f})">{html.escape(unit)}</text>')
    return "".join(parts) + "</svg>"


def _flows_html(flows: dict[str, Any]) -> str:
    out = ["<h2>Trade over time, per term and unit</h2>",
           "<p>Each chart is one term in one unit, as reported by the "
           + ("exporters" if flows.get("reporter") == "E" else "importers")
           + "; quantities in different units are never added together, and nothing is converted.</p>"]
    for f in flows.get("by_unit", []):
        what = f"{term_label(f['term'])}, {f['unit_label']}"
        out.append(f"<h3>{html.escape(what)}: {f['records']:,} records</h3>")
        out.append(_line([(r["year"], r["quantity"] or 0) for r in f["by_year"]], f"{what} per year", f["unit_label"]))
        out.append(_bars([(party_name(r["party"]), r["quantity"] or 0) for r in f["top_exporters"]],
                         f"Top exporters, {what}", f["unit_label"]))
        out.append(_bars([(party_name(r["party"]), r["quantity"] or 0) for r in f["top_importers"]],
                         f"Top importers, {what}", f["unit_label"]))
        out.append(_bars([(f"{r['exporter']} \u2192 {r['importer']}", r["quantity"] or 0) for r in f["top_flows"]],
                         f"Top flows (exporter \u2192 importer), {what}", f["unit_label"]))
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
    counts = ", ".join(f"{k}: {v}" for k, v in result.get("flag_counts", {}).items()) or "none"
    items = "".join(f"<li>{html.escape('; '.join(f.get('reasons', [])))}</li>" for f in result.get("flags", [])[:limit])
    return f"<h2>{html.escape(title)}</h2><p>Flags: {html.escape(counts)}</p><ul>{items}</ul>"


def render(results: dict[str, dict[str, Any]], loads: list[dict[str, Any]]) -> str:
    """``results`` maps analysis name (reconcile, screen, spikes, routes) to its result dict."""
    out = ["<!doctype html><html><head><meta charset='utf-8'><title>WildTrace trade report</title>",
           "<style>body{font-family:sans-serif;max-width:980px;margin:2em auto}td,th{border:1px solid #ccc;"
           "padding:2px 6px;font-size:13px}table{border-collapse:collapse}</style></head><body>",
           "<h1>WildTrace trade report</h1>",
           "<p>Flags are review triggers with the numbers behind them, not findings of illegality.</p>",
           "<h2>Sources loaded</h2><table><tr><th>file</th><th>format</th><th>status</th><th>rows</th>"
           "<th>rejected</th><th>citation</th></tr>"]
    for ld in loads:
        out.append("<tr>" + "".join(f"<td>{html.escape(str(ld.get(k) if ld.get(k) is not None else ''))}</td>"
                                    for k in ("path", "format", "status", "rows_loaded", "rows_rejected", "citation")) + "</tr>")
    out.append("</table>")
    if "reconcile" in results:
        cov = results["reconcile"]["coverage"]
        out.append("<h2>Reconciliation coverage</h2><table>" + "".join(
            f"<tr><td>{html.escape(k)}</td><td>{v}</td></tr>" for k, v in cov.items()) + "</table>")
        out.append(_flags("Reconciliation flags", results["reconcile"]))
    if "routes" in results:
        out.append(_flows_html(results["routes"]["flows"]))
    if "woe" in results:
        out.append(_woe_html(results["woe"]))
    for name, title in (("screen", "Captive-breeding screen (Res. Conf. 17.7)"), ("spikes", "Volume spikes"),
                        ("routes", "New routes and re-exports")):
        if name in results:
            out.append(_flags(title, results[name]))
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
    return {**narrowed, "woe": woe, "loads": loads_of(con)}


def html_report(report_: dict[str, Any]) -> str:
    return render({k: v for k, v in report_.items() if k != "loads"}, report_["loads"])


def _years(flag: dict[str, Any]) -> tuple[int, int] | None:
    for key in ("year", "year_e"):
        if isinstance(flag.get(key), int):
            return flag[key], flag[key]
    ys = flag.get("years")
    if isinstance(ys, list) and ys and all(isinstance(y, int) for y in ys):
        return min(ys), max(ys)
    return None


def narrow(result: dict[str, Any], taxon: str | None, year_from: int | None, year_to: int | None,
           limit: int, lists: tuple[str, ...] = ("flags",)) -> dict[str, Any]:
    """Keep the flags (and other per-taxon lists) that match; ``flag_counts`` stay database totals."""
    want = taxon.casefold() if taxon else None

    def keep(item: dict[str, Any]) -> bool:
        if want is not None and str(item.get("taxon", "")).casefold() != want:
            return False
        span = _years(item)
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
