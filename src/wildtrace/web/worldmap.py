"""The dashboard's world map: the shipped SVG (``data/world/countries.svg``, one ``<path>`` per
country with its ISO 3166-1 alpha-2 code) coloured by listings per country, each country with
listings a link. Drawn on the server from the package's own file: no tiles, no download.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache

from markupsafe import Markup, escape

from wildtrace import manifest

SVG_NS = "{http://www.w3.org/2000/svg}"
#: Fill of each class, lightest first (ColorBrewer "Greens", colour-blind safe); class 0 = none.
PALETTE = ("#e4e7e9", "#c7e9c0", "#74c476", "#31a354", "#006d2c")


@dataclass(frozen=True)
class Shape:
    code: str  # ISO 3166-1 alpha-2; "" for units without one (drawn, never coloured)
    name: str
    d: str


@cache
def shapes() -> tuple[str, tuple[Shape, ...]]:
    """The map's viewBox and its country shapes."""
    root = ET.parse(manifest.path("world_map")).getroot()
    found = tuple(Shape(p.get("data-code", ""), p.get("data-name", ""), p.get("d", ""))
                  for p in root.iter(f"{SVG_NS}path"))
    return root.get("viewBox", "0 0 1000 500"), found


def breaks(top: int) -> list[int]:
    """Lower bounds of classes 1-4 for counts up to ``top``: geometric steps (1, 2, 4, 10 at 10)."""
    if top <= 0:
        return []
    out: list[int] = []
    for i in range(4):
        low = max(1, math.ceil(top ** (i / 4)))
        if not out or low > out[-1]:
            out.append(low)
    return out


def klass(n: int, bounds: list[int]) -> int:
    return sum(1 for low in bounds if n >= low) if n > 0 else 0


def legend(bounds: list[int], top: int) -> list[tuple[str, str]]:
    """(colour, label) for the legend: "none", then each class's range."""
    out = [(PALETTE[0], "none")]
    for i, low in enumerate(bounds):
        high = bounds[i + 1] - 1 if i + 1 < len(bounds) else top
        out.append((PALETTE[i + 1], f"{low:,}" if low == high else f"{low:,}–{high:,}"))
    return out


def choropleth(counts: Mapping[str, int], href: Callable[[str], str], *, title: str,
               names: Mapping[str, str] | None = None) -> Markup:
    """The map as inline SVG: countries with listings coloured by class, each a link to
    ``href(code)`` with its name and count as the accessible name and tooltip."""
    view, found = shapes()
    bounds = breaks(max(counts.values(), default=0))
    plain, linked = [], []
    for s in found:
        n = counts.get(s.code, 0) if s.code else 0
        if not n:
            plain.append(f'<path d="{s.d}" fill="{PALETTE[0]}"/>')
            continue
        label = escape(f"{(names or {}).get(s.code, s.name)}: {n:,} listing{'s' if n != 1 else ''}")
        linked.append(f'<a href="{escape(href(s.code))}" aria-label="{label}" data-code="{escape(s.code)}" '
                      f'data-n="{n}" class="country"><title>{label}</title>'
                      f'<path d="{s.d}" fill="{PALETTE[klass(n, bounds)]}"/></a>')
    return Markup(
        f'<svg class="world-map" viewBox="{escape(view)}" xmlns="http://www.w3.org/2000/svg" '
        f'aria-labelledby="world-map-title" focusable="false"><title id="world-map-title">{escape(title)}</title>'
        f'<g class="land" aria-hidden="true">{"".join(plain)}</g>'
        f'<g class="countries">{"".join(linked)}</g></svg>')
