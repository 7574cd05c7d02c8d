"""Build the workbench's static world map and country table from public-domain data.

Inputs (nothing is downloaded at run time; fetch them once by hand):

- ``countries-110m.json`` of the npm package ``world-atlas`` 2.0.2 (ISC): Natural Earth 4.1.0
  admin-0 countries at 1:110m (public domain) as TopoJSON, ids ISO 3166-1 numeric;
  ``npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz`` gives ``package/countries-110m.json``.
- ``iso_3166-1.json`` of Debian's ``iso-codes`` package (LGPL-2.1+ data: codes and names), at
  ``/usr/share/iso-codes/json/iso_3166-1.json``.

Outputs, under ``src/wildtrace/data/world/``:

- ``countries.svg``: one ``<path>`` per country (``data-code`` ISO 3166-1 alpha-2, ``data-name``),
  Equal Earth projection, coordinates rounded to 0.1 of a 1000-wide box; Antarctica left out.
- ``countries.csv``: every ISO 3166-1 country: ``code, alpha3, numeric, name, official_name``.

Usage: ``python scripts/make_world_map.py package/countries-110m.json [iso_3166-1.json]``
"""

from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

OUT = Path(__file__).resolve().parents[1] / "src" / "wildtrace" / "data" / "world"
ISO = Path("/usr/share/iso-codes/json/iso_3166-1.json")
WIDTH = 1000.0
#: Natural Earth units without an ISO 3166-1 numeric code: Kosovo uses the user-assigned XK;
#: Northern Cyprus and Somaliland keep no code (drawn, never coloured).
EXTRA = {"Kosovo": "XK"}
SKIP = {"010"}  # Antarctica

A1, A2, A3, A4 = 1.340264, -0.081106, 0.000893, 0.003796
M = math.sqrt(3) / 2


def equal_earth(lon: float, lat: float) -> tuple[float, float]:
    """Equal Earth (Šavrič, Patterson, Jenny 2018) in units of the Earth's radius."""
    lam, phi = math.radians(lon), math.radians(lat)
    theta = math.asin(M * math.sin(phi))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = lam * math.cos(theta) / (M * (A1 + 3 * A2 * t2 + t6 * (7 * A3 + 9 * A4 * t2)))
    y = theta * (A1 + A2 * t2 + t6 * (A3 + A4 * t2))
    return x, y


def decode_arcs(topo: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """Each TopoJSON arc as (lon, lat) points (delta-decoded, transform applied)."""
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    out = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        out.append(points)
    return out


def ring(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> list[tuple[float, float]]:
    """A ring's points; one that crosses the antimeridian (Russia, Fiji) is unwrapped to run
    continuously, then clamped to the map's edge (the part past 180° is drawn along it)."""
    points: list[tuple[float, float]] = []
    for i in indexes:
        arc = arcs[i] if i >= 0 else list(reversed(arcs[~i]))
        points.extend(arc[1:] if points else arc)
    out: list[tuple[float, float]] = []
    shift = 0.0
    for lon, lat in points:
        if out and abs(lon + shift - out[-1][0]) > 180:
            shift += 360 if lon + shift < out[-1][0] else -360
        out.append((lon + shift, lat))
    if not out:
        return out
    if sum(lon for lon, _ in out) / len(out) > 180:
        out = [(lon - 360, lat) for lon, lat in out]
    elif sum(lon for lon, _ in out) / len(out) < -180:
        out = [(lon + 360, lat) for lon, lat in out]
    return [(min(180.0, max(-180.0, lon)), lat) for lon, lat in out]


def path_data(rings: list[list[tuple[float, float]]], box: tuple[float, float, float, float]) -> str:
    x0, y1, scale = box[0], box[3], WIDTH / (box[2] - box[0])
    parts = []
    for points in rings:
        cmds: list[str] = []
        last = None
        for lon, lat in points:
            x, y = equal_earth(lon, lat)
            p = (round((x - x0) * scale, 1), round((y1 - y) * scale, 1))
            if p != last:
                cmds.append(f"{p[0]:g} {p[1]:g}")
                last = p
        if len(cmds) >= 3:
            parts.append("M" + "L".join(cmds) + "Z")
    return "".join(parts)


def main(topo_file: str, iso_file: str = str(ISO)) -> None:
    topo = json.loads(Path(topo_file).read_text(encoding="utf-8"))
    iso = json.loads(Path(iso_file).read_text(encoding="utf-8"))["3166-1"]
    by_numeric = {c["numeric"]: c for c in iso}
    arcs = decode_arcs(topo)
    edge = [equal_earth(lon, lat) for lon in (-180, 0, 180) for lat in range(-90, 91, 5)]
    box = (min(x for x, _ in edge), -1.0, max(x for x, _ in edge), max(y for _, y in edge))
    height = (box[3] - box[1]) * WIDTH / (box[2] - box[0])
    paths, coded = [], 0
    for g in topo["objects"]["countries"]["geometries"]:
        numeric, name = str(g.get("id") or ""), g["properties"]["name"]
        if numeric in SKIP:
            continue
        polys = [g["arcs"]] if g["type"] == "Polygon" else g["arcs"]
        rings = [ring(arcs, r) for poly in polys for r in poly]
        code = by_numeric[numeric]["alpha_2"] if numeric in by_numeric else EXTRA.get(name, "")
        coded += bool(code)
        paths.append(f'<path data-code="{code}" data-name={quoteattr(name)} d="{path_data(rings, box)}"/>')
    OUT.mkdir(parents=True, exist_ok=True)
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH:g} {height:.0f}">\n'
           + "\n".join(sorted(paths)) + "\n</svg>\n")
    (OUT / "countries.svg").write_text(svg, encoding="utf-8")
    with open(OUT / "countries.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["code", "alpha3", "numeric", "name", "official_name"])
        for c in sorted(iso, key=lambda c: c["alpha_2"]):
            w.writerow([c["alpha_2"], c["alpha_3"], c["numeric"], c.get("common_name") or c["name"],
                        c.get("official_name", "")])
        w.writerow(["XK", "XKX", "", "Kosovo", "Republic of Kosovo"])
    print(f"{len(paths)} shapes, {coded} with a code, {len(svg):,} bytes", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:])
