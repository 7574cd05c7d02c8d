"""Patrol effort per cell and month on hand-drawn tracks with known answers."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from wildtrace.errors import ConfigError
from wildtrace.patrol import effort, grid
from wildtrace.patrol.records import WAYPOINT_COLUMNS, WORK_CRS, PatrolData, frame

X0, Y0 = 2894000.0, 3658000.0  # 30°N, where EPSG:6933 is true to scale: 1 km there is 1 km on the ground
GEOD = pyproj.Geod(ellps="WGS84")


def park(x0: float = X0, y0: float = Y0, km: int = 10) -> gpd.GeoDataFrame:
    box = shapely.box(x0, y0, x0 + km * 1000, y0 + km * 1000)
    return grid.make_grid(gpd.GeoDataFrame(geometry=[box], crs=WORK_CRS))


def track(points: list[tuple[float, float, str]], patrol: str = "P1", leg: str = "1") -> list[dict[str, object]]:
    """Waypoints from (x, y) in EPSG:6933 and an ISO time."""
    xs, ys = np.array([p[0] for p in points]), np.array([p[1] for p in points])
    lon, lat = grid.to_lonlat(xs, ys)
    return [{"patrol_id": patrol, "leg_id": leg, "time": pd.Timestamp(p[2], tz="UTC"), "lon": lo,
             "lat": la, "source": "hand.csv", "line": i} for i, (p, lo, la) in enumerate(zip(points, lon, lat, strict=True))]


def data(*tracks: list[dict[str, object]]) -> PatrolData:
    return PatrolData(waypoints=frame(WAYPOINT_COLUMNS, [w for t in tracks for w in t]))


def by_cell(table: pd.DataFrame) -> dict[tuple[int, str], float]:
    """Effort by (cell, month); rows with coverage only (a swath's end reaching in) left out."""
    return {(int(r.cell_id), str(r.period)): float(r.effort_km) for r in table.itertuples() if r.effort_km > 0}


def test_a_straight_3_km_line_gives_1_km_in_each_of_3_cells() -> None:
    cells = park()
    y = Y0 + 5500  # the middle of row 4
    t = track([(X0 + 1000 * i, y, f"2024-03-05T08:{i * 15:02d}") for i in range(4)])
    out = effort.effort_per_cell(cells, data(t))
    assert by_cell(out) == pytest.approx({(40, "2024-03"): 1.0, (41, "2024-03"): 1.0,
                                          (42, "2024-03"): 1.0}, rel=2e-3)
    lon, lat = grid.to_lonlat(np.array([X0, X0 + 3000]), np.array([y, y]))
    walked = GEOD.inv(lon[0], lat[0], lon[1], lat[1])[2] / 1000
    assert out["effort_km"].sum() == pytest.approx(walked, rel=1e-6)
    assert out.attrs["notes"] == []


def test_lengths_are_ground_lengths_where_6933_is_not_true_to_scale() -> None:
    x0 = 3_470_000.0  # about 36°E on the equator, where 6933 stretches east-west by 1/0.867
    cells = park(x0, 0.0)
    t = track([(x0 + 500, 5500, "2024-03-05T08:00"), (x0 + 8500, 5500, "2024-03-05T10:00")])
    out = effort.effort_per_cell(cells, data(t))
    lon, lat = grid.to_lonlat(np.array([x0 + 500, x0 + 8500]), np.array([5500.0, 5500.0]))
    walked = GEOD.inv(lon[0], lat[0], lon[1], lat[1])[2] / 1000
    assert out["effort_km"].sum() == pytest.approx(walked, rel=1e-6)
    assert walked == pytest.approx(8 / 0.8668, rel=1e-3)
    assert set(out.loc[out["effort_km"] > 0, "cell_id"]) == {40 + c for c in range(9)}


def test_a_step_across_midnight_at_the_end_of_a_month_is_cut_by_time() -> None:
    cells = park()
    y = Y0 + 5500
    t = track([(X0 + 0, y, "2024-01-31T23:00"), (X0 + 2000, y, "2024-02-01T01:00")])
    out = effort.effort_per_cell(cells, data(t))
    assert by_cell(out) == pytest.approx({(40, "2024-01"): 1.0, (41, "2024-02"): 1.0}, rel=2e-3)


def test_long_gaps_and_impossible_speeds_are_not_track_and_are_noted() -> None:
    cells = park()
    y = Y0 + 5500
    night = track([(X0 + 500, y, "2024-03-05T17:00"), (X0 + 3500, y, "2024-03-06T07:00")], "NIGHT")
    jump = track([(X0 + 500, Y0 + 2500, "2024-03-05T08:00"), (X0 + 9500, Y0 + 2500, "2024-03-05T08:01")], "JUMP")
    fine = track([(X0 + 500, Y0 + 8500, "2024-03-05T08:00"), (X0 + 1500, Y0 + 8500, "2024-03-05T08:20")], "OK")
    out = effort.effort_per_cell(cells, data(night, jump, fine))
    assert by_cell(out) == pytest.approx({(10, "2024-03"): 0.5, (11, "2024-03"): 0.5}, rel=2e-3)
    notes = " | ".join(out.attrs["notes"])
    assert "1 steps longer than 0 days 03:00:00" in notes and "1 steps faster than 60 km/h" in notes, notes
    looser = effort.effort_per_cell(cells, data(night), max_gap="16h")
    assert looser["effort_km"].sum() == pytest.approx(3.0, rel=2e-3)


def test_legs_and_patrols_are_never_joined_to_each_other() -> None:
    cells = park()
    a = track([(X0 + 500, Y0 + 500, "2024-03-05T08:00"), (X0 + 500, Y0 + 1500, "2024-03-05T08:20")], "P1", "1")
    b = track([(X0 + 5500, Y0 + 500, "2024-03-05T08:30"), (X0 + 5500, Y0 + 1500, "2024-03-05T08:50")], "P1", "2")
    out = effort.effort_per_cell(cells, data(a, b))
    assert out["effort_km"].sum() == pytest.approx(2.0, rel=2e-3)  # not the 5 km hop between legs


def test_coverage_is_the_share_of_the_cell_within_half_the_swath_merged_like_ecoscope() -> None:
    cells = park()
    y = Y0 + 5500
    through = track([(X0 + 500, y, "2024-03-05T08:00"), (X0 + 5500, y, "2024-03-05T09:00")], "A")
    again = track([(X0 + 500, y, "2024-03-07T08:00"), (X0 + 5500, y, "2024-03-07T09:00")], "B")
    out = effort.effort_per_cell(cells, data(through, again), swath_m=100).set_index("cell_id")
    # cell 42 is crossed from edge to edge: a 100 m band over 1 km, counted once for two patrols
    assert out.loc[42, "coverage"] == pytest.approx(0.1, abs=2e-4)
    assert out.loc[42, "effort_km"] == pytest.approx(2.0, rel=2e-3)
    # cell 40 holds the start: half the band and a half-disc of radius 50 m
    assert out.loc[40, "coverage"] == pytest.approx(0.05 + math.pi * 50**2 / 2 / 1e6, abs=2e-4)
    # cell 35 (row 3) only meets the swath if the track is within 50 m of it: it is 500 m away
    assert 35 not in out.index
    wide = effort.effort_per_cell(cells, data(through), swath_m=1200).set_index("cell_id")
    assert wide.loc[42, "coverage"] == pytest.approx(1.0, abs=1e-9)
    # 600 m reach, 500 m to the cell (ground metres: 6933 is 0.04 % off scale here)
    assert wide.loc[32, "coverage"] == pytest.approx(0.1, abs=1e-3)


def test_empty_records_give_an_empty_table_with_the_columns() -> None:
    out = effort.effort_per_cell(park(), PatrolData())
    assert list(out.columns) == ["cell_id", "period", "effort_km", "coverage"] and out.empty
    assert out.attrs["notes"]


def test_many_steps_add_up_to_the_walked_distance() -> None:
    cells = park()
    rng = np.random.default_rng(3)
    xs = X0 + 5000 + np.cumsum(rng.normal(0, 80, 400))
    ys = Y0 + 5000 + np.cumsum(rng.normal(0, 80, 400))
    times = pd.date_range("2024-05-31T20:00", periods=400, freq="1min")
    t = track([(x, y, str(s)) for x, y, s in zip(xs, ys, times, strict=True)])
    out = effort.effort_per_cell(cells, data(t), max_speed_kmh=1000)
    lon, lat = grid.to_lonlat(xs, ys)
    walked = GEOD.line_length(lon, lat) / 1000
    inside = (xs > X0) & (xs < X0 + 10_000) & (ys > Y0) & (ys < Y0 + 10_000)
    assert inside.all(), "the walk must stay in the park for this check"
    assert out["effort_km"].sum() == pytest.approx(walked, rel=1e-6)
    assert set(out["period"]) == {"2024-05", "2024-06"}
    assert ((out["coverage"] > 0) & (out["coverage"] <= 1)).all()


def test_coverage_equals_the_merged_swath_of_every_track_of_the_month_cut_by_each_cell() -> None:
    cells = park()
    rng = np.random.default_rng(7)
    walks, lines = [], []
    for k in range(3):  # three patrols criss-crossing the middle of the park, some steps long
        xs = X0 + 5000 + np.cumsum(rng.normal(0, 300, 60))
        ys = Y0 + 5000 + np.cumsum(rng.normal(0, 300, 60))
        times = pd.date_range(f"2024-04-0{k + 1}T06:00", periods=60, freq="3min")
        walks.append(track([(x, y, str(s)) for x, y, s in zip(xs, ys, times, strict=True)], f"P{k}"))
        lines.append(np.column_stack([xs, ys]))
    out = effort.effort_per_cell(cells, data(*walks), swath_m=160, max_speed_kmh=1000).set_index("cell_id")
    sx, sy = grid.conformal_scale(cells)
    swath = shapely.union_all([shapely.buffer(shapely.LineString(c / [sx, sy]), 80, quad_segs=8) for c in lines])
    for cell in cells.itertuples():
        minx, miny, maxx, maxy = cell.geometry.bounds
        box = shapely.box(minx / sx, miny / sy, maxx / sx, maxy / sy)
        expected = shapely.intersection(swath, box).area / box.area
        got = out["coverage"].get(cell.cell_id, 0.0)
        # (to within the polygonal round ends GEOS draws where a track is cut at a cell)
        assert got == pytest.approx(expected, abs=1e-5), (cell.cell_id, got, expected)


def test_records_wholly_outside_the_park_are_one_config_error_not_a_crash() -> None:
    """Review of issue 28: track beyond the east edge made ``_coverage_batch`` raise IndexError
    (its candidate cells are clamped to the edge cells, the clip keeps nothing)."""
    cells = park()
    near = track([(X0 + 12000, Y0 + 5500, "2024-03-05T08:00"), (X0 + 13000, Y0 + 5600, "2024-03-05T08:30"),
                  (X0 + 14000, Y0 + 5500, "2024-03-05T09:00")])
    with pytest.raises(ConfigError, match=r"^none of the 3 track points lie inside the park boundary "
                       r"given: is it the right park, and its CRS right\?$"):
        effort.effort_per_cell(cells, data(near))
    far = track([(X0 - 900_000, Y0, "2024-03-05T08:00"), (X0 - 899_000, Y0, "2024-03-05T08:30")])
    with pytest.raises(ConfigError, match="none of the 2 track points"):
        effort.effort_per_cell(cells, data(far))


def test_track_partly_outside_is_counted_inside_and_the_share_outside_noted() -> None:
    """A batch of months whose only track lies just outside the park (the IndexError of the
    review) beside months inside it: effort inside is counted, the rest noted."""
    cells = park()
    y = Y0 + 5500
    inside = track([(X0 + 500, y, "2024-01-05T08:00"), (X0 + 2500, y, "2024-01-05T09:00")], "P1")
    outside = track([(X0 + 12000, y, "2024-09-05T08:00"), (X0 + 13000, y, "2024-09-05T08:30")], "P2")
    out = effort.effort_per_cell(cells, data(inside, outside))
    assert by_cell(out) == pytest.approx({(40, "2024-01"): 0.5, (41, "2024-01"): 1.0,
                                          (42, "2024-01"): 0.5}, rel=2e-3)
    assert set(out["period"]) == {"2024-01"}
    assert any("2 of 4 track points (50.0%) lie outside the park boundary given" in n
               for n in out.attrs["notes"]), out.attrs["notes"]


def test_track_points_in_the_park_that_make_no_walked_track_are_a_config_error() -> None:
    """No patrolled cell-month at all is the user's input to fix (exit 2), not a DataError later."""
    cells = park()
    lone = track([(X0 + 500, Y0 + 500, "2024-01-05T08:00")], "P1") + track(
        [(X0 + 1500, Y0 + 500, "2024-01-06T08:00")], "P2")
    with pytest.raises(ConfigError, match=r"^no patrolled cell-month: the 2 track points inside the park"):
        effort.effort_per_cell(cells, data(lone))
    gaps = track([(X0 + 500, Y0 + 500, "2024-01-05T08:00"), (X0 + 900, Y0 + 500, "2024-01-05T20:00")])
    with pytest.raises(ConfigError, match="no patrolled cell-month"):
        effort.effort_per_cell(cells, data(gaps))


def test_months_are_cut_at_the_sites_local_midnight_when_its_utc_offset_is_known() -> None:
    """Review of issue 28: with a +03:00 site, 2021-01-01 00:30 local is 2020-12-31 21:30Z; the
    month boundary is local midnight (21:00Z), not UTC midnight. Times stay UTC."""
    cells = park()
    y = Y0 + 5500
    t = track([(X0 + 0, y, "2020-12-31T20:00"), (X0 + 2000, y, "2020-12-31T22:00")])
    local = PatrolData(waypoints=frame(WAYPOINT_COLUMNS, t), utc_offset_minutes=180)
    assert by_cell(effort.effort_per_cell(cells, local)) == pytest.approx(
        {(40, "2020-12"): 1.0, (41, "2021-01"): 1.0}, rel=2e-3)
    west = PatrolData(waypoints=frame(WAYPOINT_COLUMNS, t), utc_offset_minutes=-150)  # -02:30
    assert by_cell(effort.effort_per_cell(cells, west)) == pytest.approx(
        {(40, "2020-12"): 1.0, (41, "2020-12"): 1.0}, rel=2e-3)
    out = effort.effort_per_cell(cells, data(t))  # unknown offset: UTC months
    assert set(out["period"]) == {"2020-12"} and out.attrs["utc_offset_minutes"] is None
    assert local.waypoints["time"].dt.tz is not None and str(local.waypoints["time"].dt.tz) == "UTC"


def test_concat_keeps_the_utc_offset_when_all_parts_agree_else_none_with_a_note() -> None:
    a = PatrolData(utc_offset_minutes=180)
    b = PatrolData(utc_offset_minutes=180)
    assert PatrolData.concat([a, b]).utc_offset_minutes == 180
    mixed = PatrolData.concat([a, PatrolData(utc_offset_minutes=-330), PatrolData()])
    assert mixed.utc_offset_minutes is None
    assert mixed.notes == ["the records were read with different UTC offsets (+03:00, -05:30, UTC): "
                           "months are cut at UTC midnight"]
    assert PatrolData.concat([PatrolData(), PatrolData()]).utc_offset_minutes is None
