"""The patrol plan: every route within its budget, from its post and back, highest risk first."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Geod

from wildtrace.errors import Invalid
from wildtrace.patrol.plan import Plan, make_plan
from wildtrace.patrol.records import WORK_CRS

X0, Y0 = 2_800_000.0, -300_000.0  # EPSG:6933 metres, near 29° E, 2.4° S
GEOD = Geod(ellps="WGS84")


def small_grid(n_rows: int, n_cols: int) -> gpd.GeoDataFrame:
    rows, cols = np.divmod(np.arange(n_rows * n_cols), n_cols)
    boxes = shapely.box(X0 + cols * 1000, Y0 - (rows + 1) * 1000, X0 + (cols + 1) * 1000,
                        Y0 - rows * 1000)
    return gpd.GeoDataFrame({"cell_id": np.arange(n_rows * n_cols), "row": rows, "col": cols,
                             "inside": 1.0}, geometry=boxes, crs=WORK_CRS)


def posts_at(cells: list[tuple[float, float]], names: list[str]) -> gpd.GeoDataFrame:
    """Posts at (row, col) cell positions (fractions allowed), returned in WGS84."""
    pts = [(X0 + (c + 0.5) * 1000, Y0 - (r + 0.5) * 1000) for r, c in cells]
    return gpd.GeoDataFrame({"name": names}, geometry=shapely.points(pts),
                            crs=WORK_CRS).to_crs(4326)


def random_risk(grid: gpd.GeoDataFrame, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"cell_id": grid["cell_id"], "risk": rng.beta(1, 5, len(grid)),
                         "uncertainty": 0.1})


def ground_km(waypoints: list[tuple[float, float]]) -> float:
    lon, lat = np.asarray(waypoints).T
    return float(GEOD.line_length(lon, lat)) / 1000


@pytest.fixture(scope="module")
def park() -> tuple[gpd.GeoDataFrame, pd.DataFrame, gpd.GeoDataFrame]:
    grid = small_grid(12, 14)
    return grid, random_risk(grid, 1), posts_at([(2, 2), (9, 11), (6, 6)], ["north", "south", "hq"])


def test_every_route_keeps_to_the_budget_and_returns_to_its_post(park: tuple) -> None:
    grid, risk, posts = park
    plan = make_plan(grid, risk, posts, budget_km=9.0, teams=2)
    assert plan.status in ("ROUTING_SUCCESS", "ROUTING_OPTIMAL"), plan.to_dict()
    assert len(plan.routes) == 6 and not plan.empty
    post_xy = {n: tuple(np.round(shapely.get_coordinates(g)[0], 9))
               for n, g in zip(posts["name"], posts.geometry, strict=True)}
    for route in plan.routes:
        # measured on the ellipsoid, independently of the plan's own distance model
        assert ground_km(route.waypoints) <= 9.0 * 1.0005, route
        assert route.distance_km <= 9.0 + 1e-9, route
        assert route.distance_km == pytest.approx(ground_km(route.waypoints), rel=5e-4)
        assert route.waypoints[0] == route.waypoints[-1], route
        assert tuple(np.round(route.waypoints[0], 9)) == post_xy[route.post_id], route
        assert route.risk_covered == pytest.approx(sum(s.risk for s in route.stops))
        assert route.duration_h == pytest.approx(route.distance_km / 3.0, abs=1e-3)
    visited = [c for r in plan.routes for c in r.cell_ids]
    assert len(visited) == len(set(visited)), visited  # a cell is visited once
    risk_of = risk.set_index("cell_id")["risk"]
    assert plan.risk_covered == pytest.approx(float(risk_of[visited].sum()))
    assert plan.share_covered == pytest.approx(plan.risk_covered / float(risk_of.sum()))


def test_a_tight_budget_goes_for_the_highest_risk_cell() -> None:
    grid = small_grid(7, 7)
    risk = pd.DataFrame({"cell_id": grid["cell_id"], "risk": 0.05, "uncertainty": 0.1})
    hot = int(grid.loc[(grid["row"] == 3) & (grid["col"] == 5), "cell_id"].iloc[0])
    risk.loc[risk["cell_id"] == hot, "risk"] = 0.9
    posts = posts_at([(3, 3)], ["camp"])
    plan = make_plan(grid, risk, posts, budget_km=5.0)
    (route,) = plan.routes
    assert hot in route.cell_ids, plan.to_dict()
    assert route.distance_km <= 5.0


def test_tight_budgets_pick_cells_riskier_than_the_candidates_average(park: tuple) -> None:
    grid, risk, posts = park
    plan = make_plan(grid, risk, posts, budget_km=4.0)
    picked = [s.risk for r in plan.routes for s in r.stops]
    assert picked and np.mean(picked) > risk["risk"].mean() * 1.5, picked


def test_the_plan_is_deterministic(park: tuple) -> None:
    grid, risk, posts = park
    one = make_plan(grid, risk, posts, budget_km=8.0, teams=2)
    two = make_plan(grid, risk, posts, budget_km=8.0, teams=2)
    assert [r.cell_ids for r in one.routes] == [r.cell_ids for r in two.routes]
    assert one.risk_covered == two.risk_covered


def test_ortools_covers_at_least_as_much_risk_as_greedy(park: tuple) -> None:
    grid, risk, posts = park
    for budget in (5.0, 10.0, 16.0):
        best = make_plan(grid, risk, posts, budget_km=budget)
        greedy = make_plan(grid, risk, posts, budget_km=budget, method="greedy")
        assert best.risk_covered >= greedy.risk_covered - 1e-9, (budget, best.risk_covered,
                                                                 greedy.risk_covered)
        assert all(r.distance_km <= budget + 1e-9 for r in greedy.routes)


def test_a_budget_that_reaches_no_cell_gives_an_empty_plan_with_a_reason(tmp_path: Path) -> None:
    grid = small_grid(4, 4)
    far = gpd.GeoDataFrame({"post_id": ["far"]},
                           geometry=shapely.points([[X0 + 20_000, Y0 - 20_000]]), crs=WORK_CRS)
    plan = make_plan(grid, random_risk(grid, 2), far, budget_km=3.0)
    assert plan.empty and plan.status == "unreachable"
    assert "3 km" in plan.reason and "nearest" in plan.reason, plan.reason
    assert [r.stops for r in plan.routes] == [[]]
    json.dumps(plan.to_dict())
    doc = json.loads(plan.to_geojson(tmp_path / "p.geojson").read_text())
    assert doc["features"] == [] and doc["properties"]["reason"] == plan.reason


def test_plans_with_nothing_to_do_say_why() -> None:
    grid = small_grid(3, 3)
    zero = pd.DataFrame({"cell_id": grid["cell_id"], "risk": 0.0})
    posts = posts_at([(1, 1)], ["p"])
    assert "risk above 0" in make_plan(grid, zero, posts, budget_km=5).reason
    none = make_plan(grid, random_risk(grid, 1), posts.iloc[:0], budget_km=5)
    assert none.empty and "no ranger posts" in none.reason
    with pytest.raises(Invalid):
        make_plan(grid, zero, posts, budget_km=0)
    with pytest.raises(Invalid):
        make_plan(grid, zero, posts, budget_km=5, method="magic")
    with pytest.raises(Invalid, match="more than once"):  # two months at once
        make_plan(grid, pd.concat([zero, zero]), posts, budget_km=5)


def test_candidates_are_the_top_n_and_posts_without_crs_are_noted(park: tuple) -> None:
    grid, risk, posts = park
    bare = gpd.GeoDataFrame({"post_id": ["x"]}, geometry=[posts.geometry.iloc[0]])
    plan = make_plan(grid, risk, bare, budget_km=30.0, max_cells=10)
    assert plan.candidates == 10
    assert any("no CRS" in n for n in plan.notes), plan.notes
    assert any("candidates: 10 of the 168" in n for n in plan.notes), plan.notes
    top10 = set(risk.nlargest(10, "risk")["cell_id"])
    assert set(plan.routes[0].cell_ids) <= top10


def test_plan_json_and_geojson_round_trip(park: tuple, tmp_path: Path) -> None:
    grid, risk, posts = park
    plan = make_plan(grid, risk, posts, budget_km=7.0, meta={"period": "2026-11"})
    back = Plan.from_dict(json.loads(plan.to_json(tmp_path / "plan.json").read_text()))
    assert back == plan
    doc = json.loads(plan.to_geojson(tmp_path / "plan.geojson").read_text())
    assert "crs" not in doc and doc["properties"]["meta"] == {"period": "2026-11"}
    lines = [f for f in doc["features"] if f["geometry"]["type"] == "LineString"]
    points = [f for f in doc["features"] if f["geometry"]["type"] == "Point"]
    assert len(lines) == sum(1 for r in plan.routes if r.stops)
    assert len(points) == sum(len(r.stops) for r in plan.routes)
    for line in lines:
        coords = line["geometry"]["coordinates"]
        assert coords[0] == coords[-1]
        lon, lat = np.asarray(coords).T
        assert ((-180 <= lon) & (lon <= 180)).all() and ((-90 <= lat) & (lat <= 90)).all()
        assert 28 < lon.min() and lat.max() < 0  # lon first, then lat


def test_edge_cells_are_visited_at_a_point_inside_the_park() -> None:
    park = shapely.Polygon([(X0, Y0), (X0 + 6000, Y0), (X0, Y0 - 5000)])
    grid = small_grid(5, 6)
    grid["inside"] = shapely.area(shapely.intersection(grid.geometry.values, park)) / 1e6
    grid = grid[grid["inside"] > 1e-6].reset_index(drop=True)
    grid.attrs.update({"origin": (X0, Y0), "cell_m": 1000.0, "shape": (5, 6), "boundary": park})
    risk = pd.DataFrame({"cell_id": grid["cell_id"], "risk": 0.5})
    plan = make_plan(grid, risk, posts_at([(0.5, 0.5)], ["corner"]), budget_km=40.0)
    stops = [s for r in plan.routes for s in r.stops]
    assert len(stops) == len(grid)
    pts = gpd.GeoSeries(shapely.points([(s.lon, s.lat) for s in stops]), crs=4326).to_crs(WORK_CRS)
    assert shapely.contains(park.buffer(1e-3), np.asarray(pts.values)).all()


def test_a_post_far_from_the_hot_spot_still_gets_work() -> None:
    grid = small_grid(6, 30)
    risk = pd.DataFrame({"cell_id": grid["cell_id"], "risk": 0.05})
    risk.loc[grid["col"] < 10, "risk"] = 0.8  # the hot spot is all in the west
    posts = posts_at([(2, 2), (3, 27)], ["west", "east"])
    plan = make_plan(grid, risk, posts, budget_km=6.0, max_cells=20)
    by_post = {r.post_id: r for r in plan.routes}
    assert by_post["west"].stops and by_post["east"].stops, plan.to_dict()
    assert min(s.risk for s in by_post["west"].stops) == 0.8
    assert plan.candidates <= 20
