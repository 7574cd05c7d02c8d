"""Self-contained HTML report: coverage, flags with reasons and inline SVG charts
(volume over time, top exporters and importers, top flows). No scripts, no network."""

from __future__ import annotations

import html
import json
from typing import Any

import duckdb

from wildtrace.trade.reconcile import reconcile
from wildtrace.trade.routes import routes
from wildtrace.trade.screen import screen
from wildtrace.trade.trends import spikes


def _bars(items: list[tuple[str, float]], title: str, width: int = 520) -> str:
    if not items:
        return ""
    top = max(v for _, v in items) or 1
    h = 18 * len(items) + 30
    parts = [f'<svg role="img" aria-label="{html.escape(title)}" width="{width}" height="{h}">',
             f'<text x="0" y="14" font-weight="bold">{html.escape(title)}</text>']
    for i, (label, v) in enumerate(items):
        y = 24 + 18 * i
        w = int((width - 200) * v / top)
        parts.append(f'<text x="0" y="{y + 12}" font-size="12">{html.escape(str(label))[:28]}</text>'
                     f'<rect x="130" y="{y}" width="{w}" height="14" fill="#4a7"/>'
                     f'<text x="{135 + w}" y="{y + 12}" font-size="11">{v:,.0f}</text>')
    return "".join(parts) + "</svg>"


def _line(points: list[tuple[int, float]], title: str, width: int = 520, height: int = 180) -> str:
    if len(points) < 2:
        return ""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1, top = min(xs), max(xs), max(ys) or 1
    path = " ".join(f"{40 + (x - x0) / max(x1 - x0, 1) * (width - 60):.1f},{height - 20 - y / top * (height - 50):.1f}"
                    for x, y in points)
    return (f'<svg role="img" aria-label="{html.escape(title)}" width="{width}" height="{height}">'
            f'<text x="0" y="14" font-weight="bold">{html.escape(title)}</text>'
            f'<polyline fill="none" stroke="#36c" stroke-width="2" points="{path}"/>'
            f'<text x="40" y="{height - 4}" font-size="11">{x0}</text>'
            f'<text x="{width - 50}" y="{height - 4}" font-size="11">{x1}</text>'
            f'<text x="0" y="34" font-size="11">{top:,.0f}</text></svg>')


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
        fl = results["routes"]["flows"]
        out.append("<h2>Trade over time</h2>")
        out.append(_line([(r["year"], r["quantity"] or 0) for r in fl["by_year"]], "Exporter-reported quantity per year"))
        out.append(_bars([(r["party"], r["quantity"] or 0) for r in fl["top_exporters"]], "Top exporters"))
        out.append(_bars([(r["party"], r["quantity"] or 0) for r in fl["top_importers"]], "Top importers"))
        out.append(_bars([(f"{r['exporter']}->{r['importer']}", r["quantity"] or 0) for r in fl["top_flows"]], "Top flows"))
    for name, title in (("screen", "Captive-breeding screen (Res. Conf. 17.7)"), ("spikes", "Volume spikes"),
                        ("routes", "New routes and re-exports")):
        if name in results:
            out.append(_flags(title, results[name]))
    prov = {k: v.get("provenance") for k, v in results.items()}
    out.append(f"<h2>Provenance</h2><pre>{html.escape(json.dumps(prov, indent=1, default=str))}</pre></body></html>")
    return "".join(out)


def loads_of(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The load log: each file loaded, its format, status, counts and citation."""
    return [dict(zip(("path", "format", "status", "rows_loaded", "rows_rejected", "citation"), r, strict=True))
            for r in con.execute("SELECT path, format, status, rows_loaded, rows_rejected, citation "
                                 "FROM loads").fetchall()]


def report(con: duckdb.DuckDBPyConnection, *, ranges: dict[str, set[str]] | None = None,
           taxon: str | None = None, year_from: int | None = None, year_to: int | None = None,
           limit: int = 1000) -> dict[str, Any]:
    """Every analysis, narrowed alike; the one function ``trade report`` and the workbench call."""
    results = {"reconcile": reconcile(con), "screen": screen(con, ranges=ranges), "spikes": spikes(con),
               "routes": routes(con)}
    narrowed = {name: narrow(res, taxon, year_from, year_to, limit,
                             lists=("flags", "reexport_chains") if name == "routes" else ("flags",))
                for name, res in results.items()}
    return {**narrowed, "loads": loads_of(con)}


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
