"""The SYNTHETIC park: deterministic, shaped like a real site, and detection that follows effort."""

from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from pyproj import Transformer

from wildtrace.errors import ConfigError
from wildtrace.patrol.records import (
    OBSERVATION_COLUMNS,
    PATROL_COLUMNS,
    WAYPOINT_COLUMNS,
    WORK_CRS,
    PatrolData,
)
from wildtrace.patrol.synthetic import PARK_CRS, SyntheticPark, make_park

AREA, YEARS = 150.0, 2


@pytest.fixture(scope="module")
def park(tmp_path_factory: pytest.TempPathFactory) -> SyntheticPark:
    return make_park(11, area_km2=AREA, years=YEARS, folder=tmp_path_factory.mktemp("park"))


def _to_park(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = Transformer.from_crs("EPSG:4326", PARK_CRS, always_xy=True).transform(lon, lat)
    return np.asarray(x), np.asarray(y)


def _tiny_grid(park: SyntheticPark, cell_m: float = 1000.0) -> gpd.GeoDataFrame:
    """A 1 km grid in WORK_CRS over the park, as make_grid would lay it (cells touching it)."""
    outline = park.boundary.to_crs(WORK_CRS).geometry.iloc[0]
    minx, miny, maxx, maxy = outline.bounds
    xs = np.arange(math.floor(minx / cell_m) * cell_m, maxx, cell_m)
    ys = np.arange(math.floor(miny / cell_m) * cell_m, maxy, cell_m)
    gx, gy = np.meshgrid(xs, ys)
    boxes = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + cell_m, gy.ravel() + cell_m)
    boxes = boxes[shapely.intersects(boxes, outline)]
    return gpd.GeoDataFrame({"cell_id": np.arange(len(boxes))}, geometry=boxes, crs=WORK_CRS)


def test_same_seed_same_park_other_seed_other_park(park: SyntheticPark) -> None:
    again = make_park(11, area_km2=AREA, years=YEARS)
    pd.testing.assert_frame_equal(again.data.waypoints, park.data.waypoints)
    pd.testing.assert_frame_equal(again.data.observations, park.data.observations)
    pd.testing.assert_frame_equal(again.data.patrols, park.data.patrols)
    assert again.boundary.geometry.iloc[0].equals(park.boundary.geometry.iloc[0])
    other = make_park(12, area_km2=AREA, years=YEARS)
    assert not other.boundary.geometry.iloc[0].equals(park.boundary.geometry.iloc[0])


def test_says_it_is_synthetic(park: SyntheticPark) -> None:
    assert park.synthetic is True
    assert any("SYNTHETIC" in note for note in park.data.notes)
    assert "SYNTHETIC" in park.boundary["name"].iloc[0]
    assert "SYNTHETIC" in park.files["readme"].read_text(encoding="utf-8")
    with rasterio.open(park.rasters["elevation"]) as src:
        assert src.tags()["SYNTHETIC"] == "true"


def test_boundary_is_an_irregular_park_of_the_asked_area(park: SyntheticPark) -> None:
    outline = park.boundary.geometry.iloc[0]
    assert park.boundary.crs.to_epsg() == 32636
    assert outline.is_valid
    assert outline.area / 1e6 == pytest.approx(AREA, rel=1e-6)
    equal_area = park.boundary.to_crs(WORK_CRS).geometry.iloc[0].area / 1e6
    assert equal_area == pytest.approx(AREA, rel=0.01)
    assert len(outline.exterior.coords) > 100
    assert outline.area / outline.convex_hull.area < 0.97  # not a square, not a disc
    lon, lat = park.boundary_wgs84.geometry.iloc[0].centroid.coords[0]
    assert 29.5 < lon < 31 and -1 < lat < 1  # western Uganda


def test_layers_sit_where_they_should(park: SyntheticPark) -> None:
    outline = park.boundary.geometry.iloc[0]
    posts = park.layers["posts"]
    assert 3 <= len(posts) <= 6
    assert shapely.contains(outline, posts.geometry.to_numpy()).all()
    villages = park.layers["villages"]
    outside = ~shapely.contains(outline, villages.geometry.to_numpy())
    assert outside.mean() > 0.5
    assert villages.distance(outline.exterior).max() < 6000  # near the boundary
    roads, rivers = park.layers["roads"], park.layers["rivers"]
    assert roads.intersects(outline).any() and rivers.intersects(outline).any()
    assert all(gdf.crs.to_epsg() == 32636 for gdf in park.layers.values())
    assert set(park.layers_in("EPSG:4326")) == {"roads", "rivers", "villages", "posts"}


def test_rasters_are_georeferenced_terrain_and_land_cover(park: SyntheticPark) -> None:
    with rasterio.open(park.rasters["elevation"]) as src:
        elev = src.read(1)
        assert src.crs.to_epsg() == 32636
        assert src.res == (250.0, 250.0)
    assert 700 < elev.min() < elev.max() < 1700
    assert np.abs(np.diff(elev, axis=1)).max() < 60  # smooth: no cliffs between 250 m pixels
    with rasterio.open(park.rasters["landcover"]) as src:
        cover = src.read(1)
        classes = {int(k): v for k, v in json.loads(src.tags()["classes"]).items()}
    assert set(np.unique(cover)) <= set(classes) and len(np.unique(cover)) >= 3
    for name in ("boundary", "roads", "rivers", "villages", "posts"):
        assert gpd.read_file(park.files[name]).crs.to_epsg() == 4326


def test_patrol_data_keeps_the_contract(park: SyntheticPark) -> None:
    data = park.data
    assert isinstance(data, PatrolData)
    for table, columns in ((data.patrols, PATROL_COLUMNS), (data.waypoints, WAYPOINT_COLUMNS),
                           (data.observations, OBSERVATION_COLUMNS)):
        assert list(table.columns) == list(columns)
        assert {c: str(t) for c, t in table.dtypes.items()} == {
            c: str(pd.Series(dtype=t).dtype) for c, t in columns.items()}
    PatrolData(data.patrols, data.waypoints, data.observations)  # validates
    assert data.rejects == []
    assert data.waypoints["lon"].between(29, 32).all() and data.waypoints["lat"].between(-1, 1).all()
    assert set(data.waypoints["patrol_id"]) == set(data.patrols["patrol_id"])
    assert data.patrols["patrol_id"].is_unique
    obs = data.observations
    assert obs["obs_id"].is_unique
    patrolled = obs["patrol_id"].dropna()
    assert patrolled.isin(data.patrols["patrol_id"]).all()
    assert 0 < obs["patrol_id"].isna().sum() < 0.05 * len(obs)  # a few incidental reports
    cats = set(obs["category"])
    assert {"humanactivity/snare", "humanactivity/poachercamp", "humanactivity/carcass"} <= cats
    assert {"wildlife/elephant", "wildlife/buffalo"} <= cats
    assert all(isinstance(json.loads(a), dict) for a in obs["attributes"])
    first, last = data.waypoints["time"].min(), data.waypoints["time"].max()
    assert first.year == 2019 and last.year in (2020, 2021)


def test_waypoints_stay_inside_and_step_like_rangers(park: SyntheticPark) -> None:
    wp = park.data.waypoints
    x, y = _to_park(wp["lon"].to_numpy(), wp["lat"].to_numpy())
    outline = park.boundary.geometry.iloc[0].buffer(1.0)  # 1 m for the WGS84 round trip
    assert shapely.contains_xy(outline, x, y).all()
    same = wp["patrol_id"].to_numpy()[1:] == wp["patrol_id"].to_numpy()[:-1]
    step = np.hypot(np.diff(x), np.diff(y))[same]
    gap = np.diff(wp["time"].to_numpy()).astype("timedelta64[s]").astype(int)[same]
    assert (gap > 0).all()  # time goes forward within a patrol
    foot = np.isin(wp["patrol_id"].to_numpy()[1:][same],
                   park.data.patrols.loc[park.data.patrols["transport"] == "foot", "patrol_id"])
    walking = foot & (gap < 400)
    assert 250 < np.median(step[walking]) < 350
    assert np.quantile(step[walking], 0.9) <= 401
    assert 270 < np.median(gap[walking]) < 330  # every ~5 minutes


def test_patrols_start_and_end_at_a_post(park: SyntheticPark) -> None:
    wp = park.data.waypoints
    x, y = _to_park(wp["lon"].to_numpy(), wp["lat"].to_numpy())
    posts = park.layers["posts"].geometry
    px, py = posts.x.to_numpy(), posts.y.to_numpy()
    grouped = pd.DataFrame({"p": wp["patrol_id"], "x": x, "y": y}).groupby("p", sort=False)
    for ends in (grouped.first(), grouped.last()):
        d = np.hypot(ends["x"].to_numpy()[:, None] - px, ends["y"].to_numpy()[:, None] - py)
        assert d.min(axis=1).max() < 1.0
    far = np.hypot(x[:, None] - px, y[:, None] - py).min(axis=1)
    assert np.quantile(far, 0.9) > 2000  # they do go out


def test_some_patrols_camp_overnight_across_a_month_boundary(park: SyntheticPark) -> None:
    p = park.data.patrols
    local = pd.DataFrame({"start": p["start"].dt.tz_convert("Africa/Kampala"),
                          "end": p["end"].dt.tz_convert("Africa/Kampala")})
    two_days = local["end"].dt.date != local["start"].dt.date
    assert two_days.sum() > 10
    crossing = p["start"].dt.strftime("%Y-%m") != p["end"].dt.strftime("%Y-%m")
    assert crossing.sum() >= 5
    wp = park.data.waypoints
    months = wp.groupby("patrol_id")["time"].agg(lambda t: t.dt.strftime("%Y-%m").nunique())
    assert (months > 1).sum() == crossing.sum()


def test_effort_thins_out_away_from_posts(park: SyntheticPark) -> None:
    cells = park.cells.set_index("cell")
    total = park.presence.groupby("cell")["effort_km"].sum()
    centres = cells.loc[total.index].geometry.centroid
    d_post = centres.apply(lambda c: park.layers["posts"].distance(c).min()).to_numpy()
    effort = total.to_numpy()
    assert effort[d_post < 2000].mean() > 5 * effort[d_post > 5000].mean()
    unpatrolled = park.presence.groupby("cell")["effort_km"].apply(lambda e: (e == 0).mean())
    assert (unpatrolled > 0.5).sum() >= 5  # some corners barely ever see a patrol


def test_truth_is_clustered_at_the_edge_and_seasonal(park: SyntheticPark) -> None:
    grid = _tiny_grid(park)
    table = park.truth_table(grid)
    assert len(table) == len(grid) * YEARS * 12
    assert table["truth"].between(0, 1).all()
    outline = park.boundary.to_crs(WORK_CRS).geometry.iloc[0]
    inside = shapely.area(shapely.intersection(grid.geometry.to_numpy(), outline)) / 1e6
    full = grid.loc[inside > 0.99, ["cell_id"]].assign(
        depth=shapely.distance(grid.geometry.centroid.to_numpy()[inside > 0.99],
                               outline.exterior))
    mean = table.groupby("cell_id")["truth"].mean().loc[full["cell_id"]].to_numpy()
    edge, deep = full["depth"].to_numpy() < 1500, full["depth"].to_numpy() > 3500
    assert mean[edge].mean() > 1.5 * mean[deep].mean()
    month = table["period"].str[5:].astype(int)
    dry, wet = month.isin([1, 2, 7, 8, 12]), month.isin([4, 5, 10, 11])
    assert table.loc[dry, "truth"].mean() > 1.3 * table.loc[wet, "truth"].mean()
    # Hot spots make the truth lumpy, and it drifts: year 2 is like year 1 but not the same.
    years = table.assign(y=table["period"].str[:4]).groupby(["cell_id", "y"])["truth"].mean()
    wide = years.unstack()
    r = np.corrcoef(wide.iloc[:, 0], wide.iloc[:, 1])[0, 1]
    assert 0.6 < r < 0.9999
    assert np.quantile(mean, 0.95) > 3 * np.quantile(mean, 0.25)


def test_truth_at_points_matches_truth_per_grid_cell(park: SyntheticPark) -> None:
    grid = _tiny_grid(park)
    period = "2019-07"
    per_cell = park.truth_grid(grid, period)
    assert list(per_cell.index) == list(grid["cell_id"])
    c = grid.geometry.centroid
    at_points = park.truth(c.x.to_numpy(), c.y.to_numpy(), period)
    outline = park.boundary.to_crs(WORK_CRS).geometry.iloc[0]
    full = (shapely.area(shapely.intersection(grid.geometry.to_numpy(), outline)) / 1e6) > 0.999
    np.testing.assert_allclose(per_cell.to_numpy()[full], at_points[full], rtol=2e-3)
    assert (per_cell.to_numpy()[~full] <= at_points[~full] + 1e-12).all()  # part of a cell
    # The simulation drew snares from the same truth (its cells in the park CRS).
    sim = park.presence[(park.presence["period"] == period)].set_index("cell")
    centres = park.cells.set_index("cell").loc[sim.index].geometry.centroid
    whole = park.cells.set_index("cell").loc[sim.index, "area_km2"].to_numpy() > 0.999
    again = park.truth(centres.x.to_numpy(), centres.y.to_numpy(), period, crs=PARK_CRS)
    np.testing.assert_allclose(sim["p"].to_numpy()[whole], again[whole], rtol=1e-9)


def test_finds_follow_effort_for_the_same_truth() -> None:
    light = make_park(5, area_km2=AREA, years=YEARS, patrols_per_day=0.2)
    heavy = make_park(5, area_km2=AREA, years=YEARS, patrols_per_day=3.0)
    np.testing.assert_array_equal(light.presence["p"], heavy.presence["p"])  # same truth

    def illegal(p: SyntheticPark) -> int:
        cats = p.data.observations.dropna(subset=["patrol_id"])["category"]
        return int(cats.str.startswith("humanactivity/").sum())

    assert illegal(heavy) > 2 * illegal(light)
    # Within a park: a snare that is there is found more often where more was walked.
    pr = heavy.presence[heavy.presence["present"]]
    low = pr[(pr["effort_km"] > 0) & (pr["effort_km"] < 1)]["detected"].mean()
    high = pr[pr["effort_km"] > 4]["detected"].mean()
    assert high > low + 0.3
    assert not pr.loc[pr["effort_km"] == 0, "detected"].any()  # never found where nobody went
    k = heavy.params["k_detect"]
    expected = 1 - np.exp(-k * pr["effort_km"].to_numpy())
    assert pr["detected"].mean() == pytest.approx(expected.mean(), abs=0.05)


def test_full_size_defaults_aim_at_half_a_million_waypoints() -> None:
    small = make_park(3, area_km2=AREA, years=1)
    assert small.params["patrols_per_day"] == 1.0
    rate = 3.5  # the default for 2,000 km²: 3.5 patrols a day, about 78 waypoints each
    per_patrol = len(small.data.waypoints) / len(small.data.patrols)
    assert 400_000 < rate * 365.25 * 5 * per_patrol < 650_000


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ConfigError):
        make_park(1, area_km2=0)
    with pytest.raises(ConfigError):
        make_park(1, years=0)
