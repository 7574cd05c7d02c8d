"""A patrol plan as GPX 1.1, the file rangers load into Garmin handhelds and SMART Mobile.

One ``<rte>`` per route (the post, each target cell in visiting order, the post again) and one
``<wpt>`` per target cell (named by cell id, with its risk and rank in the plan), in the element
order the GPX 1.1 schema requires (metadata, wpt, rte, trk). ``tracks=True`` writes each route as
a ``<trk>`` as well, for devices and apps that show tracks but not routes. Names are short
(Garmin units cut names at 10–30 characters) and every text goes through the XML writer, so a
post named ``<A & B>`` is escaped, not injected. Older Garmin units hold at most 250 points per
route: longer routes are reported in the plan's size, not split here.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from wildtrace import clock
from wildtrace.patrol.plan import Plan, Route

GPX_NS = "http://www.topografix.com/GPX/1/1"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{GPX_NS} http://www.topografix.com/GPX/1/1/gpx.xsd"
#: Characters XML 1.0 cannot hold at all (escaping does not help): removed from names.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    el = ET.SubElement(parent, f"{{{GPX_NS}}}{tag}", attrib)
    if text is not None:
        el.text = _NOT_XML.sub("", text)
    return el


def _point(parent: ET.Element, tag: str, lon: float, lat: float, name: str,
           desc: str | None = None, sym: str | None = None, kind: str | None = None) -> None:
    """A wptType element (wpt, rtept or trkpt) with children in the schema's order."""
    pt = _sub(parent, tag, lat=f"{lat:.7f}", lon=f"{lon:.7f}")
    _sub(pt, "name", name)
    if desc:
        _sub(pt, "desc", desc)
    if sym:
        _sub(pt, "sym", sym)
    if kind:
        _sub(pt, "type", kind)


def _cell_name(cell_id: int) -> str:
    return f"C{cell_id:04d}"


def write_gpx(plan: Plan, path: str | Path, *, name: str = "WildTrace patrol plan",
              tracks: bool = False) -> Path:
    """Write the plan as GPX 1.1 (namespace http://www.topografix.com/GPX/1/1); returns the path.

    An empty plan still gives a valid GPX with its metadata (and its reason in the description).
    """
    ET.register_namespace("", GPX_NS)
    root = ET.Element(f"{{{GPX_NS}}}gpx", {
        "version": "1.1", "creator": "WildTrace", f"{{{XSI_NS}}}schemaLocation": SCHEMA_LOCATION})
    meta = _sub(root, "metadata")
    _sub(meta, "name", name)
    covered = f"{plan.share_covered:.1%}" if plan.total_risk > 0 else "n/a"
    desc = (f"{sum(1 for r in plan.routes if r.stops)} route(s), budget {plan.budget_km:g} km each, "
            f"risk covered {plan.risk_covered:.3f} ({covered} of the month's total)")
    if plan.reason:
        desc += f"; {plan.reason}"
    if plan.meta.get("synthetic"):
        desc = "SYNTHETIC DATA: " + desc
    _sub(meta, "desc", desc)
    _sub(meta, "time", plan.created or clock.stamp())

    ranked = sorted((s for r in plan.routes for s in r.stops), key=lambda s: (-s.risk, s.cell_id))
    rank = {s.cell_id: i for i, s in enumerate(ranked, 1)}
    for route in plan.routes:
        for order, stop in enumerate(route.stops, 1):
            _point(root, "wpt", stop.lon, stop.lat, _cell_name(stop.cell_id),
                   desc=(f"post {route.post_id} team {route.team} stop {order}; "
                         f"risk {stop.risk:.3f}, rank {rank[stop.cell_id]} in plan"),
                   sym="Flag, Red", kind="patrol target")
    routes = [(i, r) for i, r in enumerate(plan.routes, 1) if r.stops]
    for i, route in routes:
        rte = _sub(root, "rte")
        _route_head(rte, i, route.post_id, route.team, route.distance_km, route.risk_covered)
        _points(rte, "rtept", route)
    if tracks:
        for i, route in routes:
            trk = _sub(root, "trk")
            _route_head(trk, i, route.post_id, route.team, route.distance_km, route.risk_covered)
            _points(_sub(trk, "trkseg"), "trkpt", route)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="UTF-8", xml_declaration=True)
    return path


def _route_head(el: ET.Element, number: int, post_id: str, team: int, km: float,
                risk: float) -> None:
    """name, desc, number (the rteType/trkType order before the points)."""
    _sub(el, "name", f"R{number} {post_id}"[:30])
    _sub(el, "desc", f"post {post_id}, team {team}: {km:.1f} km, risk covered {risk:.3f}")
    _sub(el, "number", str(number))


def _points(parent: ET.Element, tag: str, route: Route) -> None:
    """The post, each target cell in visiting order, the post again."""
    _point(parent, tag, route.post_lon, route.post_lat, f"POST {route.post_id}"[:30],
           sym="Ranger Station", kind="post")
    for stop in route.stops:
        _point(parent, tag, stop.lon, stop.lat, _cell_name(stop.cell_id), sym="Flag, Red",
               kind="patrol target")
    _point(parent, tag, route.post_lon, route.post_lat, f"POST {route.post_id}"[:30],
           sym="Ranger Station", kind="post")
