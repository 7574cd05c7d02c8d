"""Inline SVG charts of trade quantities, drawn on the server: horizontal bars (one or two
series side by side) and lines over years (one line per series). No script, no network.

Every chart carries a ``<title>`` and an ``aria-label`` naming what it shows and its unit;
every label and title is escaped here, so a taxon or country name cannot become markup.
Charts are one view of a table: the caller shows the same numbers as a table beside it.
Quantities of different units never share a chart.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

#: colours of the series, in order (exporter-reported, importer-reported)
COLOURS = ("#2f6f4f", "#b8641b", "#36c", "#777")
#: bar labels longer than this are cut (the full label is the bar's title)
LABEL_CHARS = 40


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def ticks(top: float, n: int = 4) -> list[float]:
    """Round tick values from 0 to about ``top``."""
    if top <= 0:
        return [0.0]
    step = 10 ** math.floor(math.log10(top / n))
    for m in (1, 2, 5, 10):
        if top / (step * m) <= n:
            step *= m
            break
    return [i * step for i in range(int(top // step) + 2) if i * step <= top * 1.05 or i == 1]


def _open(title: str, width: int, height: int) -> list[str]:
    return [f'<svg class="trade-chart" role="img" aria-label="{esc(title)}" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
            f"<title>{esc(title)}</title>",
            f'<text x="0" y="14" font-weight="bold" font-size="13">{esc(title)}</text>']


def _legend(names: tuple[str, ...], x: int, y: int) -> str:
    out = []
    for i, name in enumerate(names):
        out.append(f'<rect x="{x}" y="{y + 14 * i}" width="10" height="10" fill="{COLOURS[i % len(COLOURS)]}"/>'
                   f'<text x="{x + 14}" y="{y + 9 + 14 * i}" font-size="11">{esc(name)}</text>')
    return "".join(out)


def bars(items: Sequence[tuple[str, tuple[float, ...]]], title: str, unit: str,
         series: tuple[str, ...] = ("quantity",), width: int = 640) -> str:
    """Horizontal bars: each item a label and one value per series (drawn side by side)."""
    if not items:
        return ""
    k = len(series)
    top = max((v for _, vals in items for v in vals), default=0) or 1
    # the left margin fits the longest label (about 7 px a character at 12 px), cut at LABEL_CHARS
    chars = min(max(len(label) for label, _ in items), LABEL_CHARS)
    left, right, band = max(120, int(chars * 7.2) + 14), 70, 6 + 12 * k
    legend = 14 * k if k > 1 else 0
    h = band * len(items) + 58 + legend
    span = width - left - right
    parts = _open(title, width, h)
    if k > 1:
        parts.append(_legend(series, left, 20))
    for i, (label, vals) in enumerate(items):
        y = 24 + legend + band * i
        short = label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS - 1] + "\u2026"
        parts.append(f'<text x="{left - 6}" y="{y + 10 + 6 * (k - 1)}" font-size="12" text-anchor="end">'
                     f"{esc(short)}<title>{esc(label)}</title></text>")
        for j, v in enumerate(vals):
            w = int(span * v / top) if v > 0 else 0
            yy = y + 12 * j
            parts.append(f'<rect x="{left}" y="{yy}" width="{w}" height="11" fill="{COLOURS[j % len(COLOURS)]}">'
                         f"<title>{esc(label)}, {esc(series[j])}: {v:,.6g} {esc(unit)}</title></rect>"
                         f'<text x="{left + w + 4}" y="{yy + 10}" font-size="10">{v:,.6g}</text>')
    axis_y = 24 + legend + band * len(items) + 2
    parts.append(f'<line x1="{left}" y1="{axis_y}" x2="{left + span}" y2="{axis_y}" stroke="#555"/>')
    for t in ticks(top):
        x = left + span * t / top
        parts.append(f'<line x1="{x:.1f}" y1="{axis_y}" x2="{x:.1f}" y2="{axis_y + 4}" stroke="#555"/>'
                     f'<text x="{x:.1f}" y="{axis_y + 16}" font-size="10" text-anchor="middle">{t:,.6g}</text>')
    parts.append(f'<text x="{left + span / 2:.0f}" y="{axis_y + 30}" font-size="11" text-anchor="middle">'
                 f"{esc(unit)}</text>")
    return "".join(parts) + "</svg>"


def lines(points: dict[str, list[tuple[int, float]]], title: str, unit: str, width: int = 640,
          height: int = 240) -> str:
    """One line per series over years (a missing year is drawn as no point, not as zero)."""
    drawn = {name: sorted(p) for name, p in points.items() if p}
    xs = [x for p in drawn.values() for x, _ in p]
    if not xs or len(set(xs)) < 2:
        return ""
    x0, x1 = min(xs), max(xs)
    top = max((y for p in drawn.values() for _, y in p), default=0) or 1
    left, bottom, top_pad = 72, 40, 24 + 14 * len(drawn)
    plot_w, plot_h = width - left - 20, height - bottom - top_pad

    def px(x: float) -> float:
        return left + (x - x0) / max(x1 - x0, 1) * plot_w

    def py(y: float) -> float:
        return top_pad + plot_h - y / top * plot_h

    parts = _open(title, width, height)
    parts.append(_legend(tuple(drawn), left, 20))
    parts.append(f'<line x1="{left}" y1="{py(0):.1f}" x2="{left + plot_w}" y2="{py(0):.1f}" stroke="#555"/>'
                 f'<line x1="{left}" y1="{top_pad}" x2="{left}" y2="{py(0):.1f}" stroke="#555"/>')
    for i, (name, p) in enumerate(drawn.items()):
        colour = COLOURS[i % len(COLOURS)]
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in p)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>')
        parts.extend(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="2.5" fill="{colour}">'
                     f"<title>{esc(name)}, {x}: {y:,.6g} {esc(unit)}</title></circle>" for x, y in p)
    for t in ticks(top):
        parts.append(f'<line x1="{left - 4}" y1="{py(t):.1f}" x2="{left}" y2="{py(t):.1f}" stroke="#555"/>'
                     f'<text x="{left - 6}" y="{py(t) + 4:.1f}" font-size="10" text-anchor="end">{t:,.6g}</text>')
    step = max(1, (x1 - x0) // 6)
    for x in range(x0, x1 + 1, step):
        parts.append(f'<line x1="{px(x):.1f}" y1="{py(0):.1f}" x2="{px(x):.1f}" y2="{py(0) + 4:.1f}" stroke="#555"/>'
                     f'<text x="{px(x):.1f}" y="{py(0) + 16:.1f}" font-size="10" text-anchor="middle">{x}</text>')
    mid = top_pad + plot_h / 2
    parts.append(f'<text x="{left + plot_w / 2:.0f}" y="{height - 4}" font-size="11" text-anchor="middle">year</text>'
                 f'<text x="12" y="{mid:.0f}" font-size="11" text-anchor="middle" '
                 f'transform="rotate(-90 12 {mid:.0f})">{esc(unit)}</text>')
    return "".join(parts) + "</svg>"


def volume_charts(v: dict[str, Any], sides: dict[str, str]) -> dict[str, str]:
    """The charts of one (term, unit) of ``volumes.volumes``: per year, top exporters, importers
    and exporter -> importer flows, each side (exporter- and importer-reported, or LEMIS's
    imports and exports) its own series: two lines or two bars side by side, never one bar of
    their sum."""
    what = f"{v['term_name']}, {v['unit_name']}"
    order = list(sides)  # E then I for CITES; LEMIS's imports first
    labels = tuple(sides[s] for s in order)
    keys = [f"q_{s.lower()}" for s in order]
    per_year = {label: [(r["year"], float(r[k] or 0)) for r in v["by_year"]] for label, k in zip(labels, keys, strict=True)}
    out = {"by_year": lines(per_year, f"{what} per year", v["unit_name"])}
    for part, title in (("top_exporters", "Top exporters"), ("top_importers", "Top importers"),
                        ("top_flows", "Top flows (exporter \u2192 importer)")):
        items = [(r["name"], tuple(float(r[k] or 0) for k in keys)) for r in v.get(part, [])]
        out[part] = bars(items, f"{title}, {what}", v["unit_name"], series=labels)
    return out


def outcomes(per_year: list[dict[str, Any]]) -> str:
    """LEMIS line items per year beside those refused and those seized (``volumes.lemis_outcomes``)."""
    items = [(str(r["year"]), (float(r["line_items"]), float(r["refused"]), float(r["seized"]))) for r in per_year]
    return bars(items, "LEMIS line items per year: all, refused, seized", "line items",
                series=("line items", "refused", "seized"))
