"""Server-side rendering helpers: highlighted matches and SVG bar charts.

Both build markup from escaped pieces only: listing text and chart labels pass through
``markupsafe.escape`` before they are joined with the few tags written here.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

#: Longest text shown on a detail page per field (the rest is cut with a note).
MAX_SHOWN_CHARS = 200_000


def highlight(text: str, matches: list[dict[str, Any]], field: str) -> Markup:
    """The field's text with each matched span in ``<mark class="kind">``."""
    spans = []
    for m in matches:
        if m.get("field") != field:
            continue
        try:
            start, end = (int(x) for x in m["span"])
        except (KeyError, TypeError, ValueError):
            continue
        if 0 <= start < end <= len(text):
            spans.append((start, end, str(m.get("kind", "")), str(m.get("ref", ""))))
    spans.sort()
    out: list[str] = []
    pos = 0
    for start, end, kind, ref in spans:
        if start < pos:  # overlapping match: keep the first
            continue
        out.append(str(escape(text[pos:start])))
        out.append(f'<mark class="m-{escape(kind)}" title="{escape(kind)}: {escape(ref)}">'
                   f"{escape(text[start:end])}</mark>")
        pos = end
    out.append(str(escape(text[pos:])))
    return Markup("".join(out))


def bar_chart(title: str, items: list[tuple[str, int]], *, width: int = 520,
              hrefs: list[str] | None = None) -> Markup:
    """A horizontal bar chart as inline SVG (no script). With ``hrefs`` (one per item), each bar
    is a link (the dashboard's bars open the queue filtered to that bar)."""
    bar_h, gap, label_w = 18, 6, 200
    height = max(1, len(items)) * (bar_h + gap) + 30
    top = max((n for _, n in items), default=0) or 1
    role = "group" if hrefs else "img"  # links inside an image role are hidden from screen readers
    parts = [f'<svg class="chart" role="{role}" aria-label="{escape(title)}" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
             f'<title>{escape(title)}</title>',
             f'<text x="0" y="14" class="chart-title">{escape(title)}</text>']
    if not items:
        parts.append('<text x="0" y="40" class="chart-empty">no data yet</text>')
    for i, (label, n) in enumerate(items):
        y = 24 + i * (bar_h + gap)
        w = max(1, int((width - label_w - 60) * n / top))
        short = label if len(label) <= 26 else label[:25] + "…"  # fits the 200 px label column at 12 px
        bar = (f'<text x="{label_w - 6}" y="{y + 13}" text-anchor="end" class="chart-label">'
               f'{escape(short)}<title>{escape(label)}</title></text>'
               f'<rect class="bar" x="{label_w}" y="{y}" width="{w}" height="{bar_h}"/>'
               f'<text x="{label_w + w + 4}" y="{y + 13}" class="chart-value">{n}</text>')
        if hrefs and i < len(hrefs) and hrefs[i]:  # an empty href: a bar no filter can select
            bar = (f'<a href="{escape(hrefs[i])}" class="bar-link" aria-label="{escape(label)}: {n}">'
                   f'{bar}</a>')
        parts.append(bar)
    parts.append("</svg>")
    return Markup("".join(parts))
