"""GPX 1.1 of a plan: parsed back, checked against the schema's element order, names escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from wildtrace.patrol.gpx import GPX_NS, write_gpx
from wildtrace.patrol.plan import Plan, make_plan
from wildtrace.patrol.records import WORK_CRS

X0, Y0 = 2_800_000.0, -300_000.0
NS = {"g": GPX_NS}

#: The child sequences of the GPX 1.1 schema (http://www.topografix.com/GPX/1/1/gpx.xsd) for the
#: types a plan uses: each element's children must appear in this order, each at most once unless
#: marked repeatable.
WPT = ["ele", "time", "magvar", "geoidheight", "name", "cmt", "desc", "src", "link*", "sym",
       "type", "fix", "sat", "hdop", "vdop", "pdop", "ageofdgpsdata", "dgpsid", "extensions"]
SEQUENCES: dict[str, list[str]] = {
    "gpx": ["metadata", "wpt*", "rte*", "trk*", "extensions"],
    "metadata": ["name", "desc", "author", "copyright", "link*", "time", "keywords", "bounds",
                 "extensions"],
    "wpt": WPT, "rtept": WPT, "trkpt": WPT,
    "rte": ["name", "cmt", "desc", "src", "link*", "number", "type", "extensions", "rtept*"],
    "trk": ["name", "cmt", "desc", "src", "link*", "number", "type", "extensions", "trkseg*"],
    "trkseg": ["trkpt*", "extensions"],
}


def check_schema_order(el: ET.Element) -> None:
    """Fail unless ``el`` and its descendants follow the GPX 1.1 sequences above."""
    tag = el.tag.removeprefix(f"{{{GPX_NS}}}")
    assert el.tag == f"{{{GPX_NS}}}{tag}", el.tag
    seq = SEQUENCES.get(tag)
    if seq is None:
        assert len(el) == 0, f"{tag} should hold text only"
        return
    names = [s.rstrip("*") for s in seq]
    pos = -1
    for child in el:
        ctag = child.tag.removeprefix(f"{{{GPX_NS}}}")
        assert ctag in names, f"<{ctag}> is not allowed in <{tag}>"
        i = names.index(ctag)
        assert i > pos or (i == pos and seq[i].endswith("*")), f"<{ctag}> out of order in <{tag}>"
        pos = i
        check_schema_order(child)
    if tag in ("wpt", "rtept", "trkpt"):
        lat, lon = float(el.attrib["lat"]), float(el.attrib["lon"])
        assert -90 <= lat <= 90 and -180 <= lon < 180, el.attrib


def small_plan(names: list[str], budget_km: float = 8.0, *,
               away_km: float = 0.0) -> tuple[Plan, pd.DataFrame]:
    n = 10
    rows, cols = np.divmod(np.arange(n * n), n)
    grid = gpd.GeoDataFrame({"cell_id": np.arange(n * n), "row": rows, "col": cols,
                             "inside": 1.0},
                            geometry=shapely.box(X0 + cols * 1000, Y0 - (rows + 1) * 1000,
                                                 X0 + (cols + 1) * 1000, Y0 - rows * 1000),
                            crs=WORK_CRS)
    risk = pd.DataFrame({"cell_id": grid["cell_id"],
                         "risk": np.random.default_rng(4).beta(1, 4, n * n)})
    away = away_km * 1000
    spots = [[X0 + 2500 - away, Y0 - 2500], [X0 + 7500, Y0 - 7500]][: len(names)]
    posts = gpd.GeoDataFrame({"name": names}, geometry=shapely.points(spots), crs=WORK_CRS)
    return make_plan(grid, risk, posts, budget_km=budget_km), risk


def test_gpx_parses_and_follows_the_schema(tmp_path: Path) -> None:
    plan, _ = small_plan(["North", "South"])
    path = write_gpx(plan, tmp_path / "plan.gpx", name="November 2026")
    root = ET.parse(path).getroot()
    assert root.tag == f"{{{GPX_NS}}}gpx"
    assert root.attrib["version"] == "1.1" and root.attrib["creator"] == "WildTrace"
    check_schema_order(root)
    assert root.find("g:metadata/g:name", NS).text == "November 2026"  # type: ignore[union-attr]
    rtes = root.findall("g:rte", NS)
    routes = [r for r in plan.routes if r.stops]
    assert len(rtes) == len(routes) == 2
    for rte, route in zip(rtes, routes, strict=True):
        pts = rte.findall("g:rtept", NS)
        assert len(pts) == len(route.stops) + 2
        got = [(float(p.attrib["lon"]), float(p.attrib["lat"])) for p in pts]
        np.testing.assert_allclose(got, route.waypoints, atol=1e-7)
        names = [p.find("g:name", NS).text for p in pts]  # type: ignore[union-attr]
        assert names[0] == names[-1] == f"POST {route.post_id}"
        assert names[1:-1] == [f"C{c:04d}" for c in route.cell_ids]
    wpts = root.findall("g:wpt", NS)
    assert len(wpts) == sum(len(r.stops) for r in routes)
    assert not root.findall("g:trk", NS)


def test_gpx_with_tracks_for_devices_that_show_only_tracks(tmp_path: Path) -> None:
    plan, _ = small_plan(["North"])
    root = ET.parse(write_gpx(plan, tmp_path / "t.gpx", tracks=True)).getroot()
    check_schema_order(root)
    trkpts = root.findall("g:trk/g:trkseg/g:trkpt", NS)
    assert len(trkpts) == len(plan.routes[0].stops) + 2


def test_gpx_escapes_hostile_names(tmp_path: Path) -> None:
    evil = 'Post <b>&"x"</b>]]><!--\x00\x1b'
    plan, _ = small_plan([evil])
    path = write_gpx(plan, tmp_path / "e.gpx", name="<script>alert(1)</script> & co")
    text = path.read_text(encoding="utf-8")
    assert "<script>" not in text and "<b>" not in text
    root = ET.parse(path).getroot()
    check_schema_order(root)
    assert root.find("g:metadata/g:name", NS).text == "<script>alert(1)</script> & co"  # type: ignore[union-attr]
    rte_name = root.find("g:rte/g:rtept/g:name", NS).text  # type: ignore[union-attr]
    assert rte_name == f"POST {evil}"[:30].replace("\x00", "").replace("\x1b", "")


def test_an_empty_plan_is_still_valid_gpx_with_its_reason(tmp_path: Path) -> None:
    plan, _ = small_plan(["North"], budget_km=3.0, away_km=10.0)
    assert plan.empty
    root = ET.parse(write_gpx(plan, tmp_path / "empty.gpx")).getroot()
    check_schema_order(root)
    assert root.findall("g:rte", NS) == [] and root.findall("g:wpt", NS) == []
    desc = root.find("g:metadata/g:desc", NS).text  # type: ignore[union-attr]
    assert desc is not None and plan.reason in desc


@pytest.mark.parametrize("synthetic", [True, False])
def test_synthetic_plans_say_so(tmp_path: Path, synthetic: bool) -> None:
    plan, _ = small_plan(["North"])
    plan.meta["synthetic"] = synthetic
    root = ET.parse(write_gpx(plan, tmp_path / "s.gpx")).getroot()
    desc = root.find("g:metadata/g:desc", NS).text or ""  # type: ignore[union-attr]
    assert desc.startswith("SYNTHETIC") == synthetic
