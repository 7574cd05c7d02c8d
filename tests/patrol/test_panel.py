"""The cell-month panel: every cell every month, detections from illegal categories only, rejects
for what cannot be placed, and lagged features that never see the row's own month or later."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import yaml

from wildtrace.patrol import grid, panel
from wildtrace.patrol.records import OBSERVATION_COLUMNS, WORK_CRS, frame

X0, Y0 = 2894000.0, 3658000.0


@pytest.fixture
def cells() -> gpd.GeoDataFrame:
    """A 3 × 2 km park: cells 0 1 2 on the north row, 3 4 5 on the south row."""
    return grid.make_grid(gpd.GeoDataFrame(geometry=[shapely.box(X0, Y0, X0 + 3000, Y0 + 2000)], crs=WORK_CRS))


def centre(cell: int) -> tuple[float, float]:
    row, col = divmod(cell, 3)
    return X0 + 500 + 1000 * col, Y0 + 1500 - 1000 * row


def obs(rows: list[tuple[str, int | None, str | None, str]], attributes: str = "{}") -> pd.DataFrame:
    """Observations (id, cell or None for no coordinates, time, category)."""
    out = []
    for i, (oid, cell, when, category) in enumerate(rows):
        lon = lat = None
        if cell is not None:
            x, y = centre(cell) if cell >= 0 else (X0 - 5000, Y0)
            lo, la = grid.to_lonlat(np.array([x]), np.array([y]))
            lon, lat = float(lo[0]), float(la[0])
        out.append({"obs_id": oid, "patrol_id": "P1", "time": None if when is None else pd.Timestamp(when, tz="UTC"),
                    "lon": lon, "lat": lat, "category": category, "attributes": attributes,
                    "source": "obs.csv", "line": i + 2})
    return frame(OBSERVATION_COLUMNS, out)


def effort(rows: list[tuple[int, str, float]]) -> pd.DataFrame:
    return pd.DataFrame({"cell_id": [r[0] for r in rows], "period": [r[1] for r in rows],
                         "effort_km": [r[2] for r in rows], "coverage": [r[2] / 10 for r in rows]})


def test_every_cell_every_month_with_effort_detections_and_label(cells: gpd.GeoDataFrame) -> None:
    eff = effort([(0, "2023-11", 2.0), (4, "2024-02", 1.5)])
    found = obs([("a", 1, "2023-12-05T10:00", "humanactivity/snare"),
                 ("b", 1, "2023-12-20T10:00", "Human Activity > Illegal activity > Poacher camp"),
                 ("c", 2, "2023-12-20T10:00", "wildlife/elephant")])
    statics = pd.DataFrame({"cell_id": range(6), "f_dist_road_km": np.arange(6) * 0.5})
    table = panel.build_panel(cells, eff, found, statics)
    assert len(table) == 6 * 4
    assert not table.duplicated(["cell_id", "period"]).any()
    assert sorted(table["period"].unique()) == ["2023-11", "2023-12", "2024-01", "2024-02"]
    for column in ("cell_id", "period", "year", "month", "effort_km", "coverage", "detections", "label",
                   "f_dist_road_km", *panel.LAG_FEATURES):
        assert column in table.columns, column
    row = table.set_index(["cell_id", "period"])
    assert row.loc[(1, "2023-12"), "detections"] == 2 and row.loc[(1, "2023-12"), "label"] == 1
    assert row.loc[(2, "2023-12"), "detections"] == 0  # an elephant is not illegal activity
    assert row.loc[(4, "2024-02"), "effort_km"] == 1.5 and row.loc[(4, "2024-01"), "effort_km"] == 0
    assert row.loc[(4, "2024-02"), ["year", "month"]].tolist() == [2024, 2]
    assert row.loc[(5, "2024-01"), "f_dist_road_km"] == 2.5
    assert table["detections"].dtype == "int64" and set(table["label"]) == {0, 1}
    assert any("1 observations are not illegal activity" in n for n in table.attrs["notes"])
    assert table.attrs["rules_version"]


def test_illegal_observations_that_cannot_be_placed_are_rejects_not_silence(cells: gpd.GeoDataFrame) -> None:
    found = obs([("ok", 0, "2024-01-03T10:00", "humanactivity/snare"),
                 ("nowhere", None, "2024-01-03T10:00", "humanactivity/snare"),
                 ("outside", -1, "2024-01-03T10:00", "humanactivity/snare"),
                 ("timeless", 3, None, "humanactivity/snare"),
                 ("bird", None, "2024-01-03T10:00", "wildlife/bird")])
    table = panel.build_panel(cells, effort([(0, "2024-01", 1.0)]), found)
    rejects = {r.record_id: r for r in table.attrs["rejects"]}
    assert set(rejects) == {"nowhere", "outside", "timeless"}
    assert "without coordinates" in rejects["nowhere"].reason
    assert "outside the park" in rejects["outside"].reason
    assert "without a time" in rejects["timeless"].reason
    assert rejects["outside"].line == 4 and json.loads(rejects["outside"].preview)["category"]
    assert table["detections"].sum() == 1


@pytest.mark.parametrize(("category", "attributes", "illegal"), [
    ("humanactivity/snare", "{}", True),
    ("Human Activity > Illegal activity > Charcoal burning", "{}", True),
    ("humanactivity/hunting/gunshotsheard", "{}", True),
    ("snare_rep", "{}", True),
    ("wildlife/elephant", "{}", False),
    ("Wildlife > Animal sighting", "{}", False),
    ("wildlife/carcass", '{"cause": "natural, old age"}', False),
    ("wildlife/carcass", '{"cause": "Snared"}', True),
    ("wildlife/carcass", '{"tusks": "tusks removed"}', True),
    ("research/cameratrap", "{}", False),
    ("patrol/snareremovalpatrol", "{}", False),
    ("", "{}", False),
])
def test_which_categories_are_illegal_activity(category: str, attributes: str, illegal: bool) -> None:
    rules = panel.load_rules()
    got = rules.classify(pd.Series([category]), pd.Series([attributes]))
    assert bool(got[0]) is illegal, (category, attributes)


def test_every_rule_in_the_data_file_says_where_it_comes_from_and_why() -> None:
    doc = yaml.safe_load(panel.RULES_FILE.read_text(encoding="utf-8"))
    assert doc["version"]
    for rule in doc["rules"]:
        assert rule["source"].strip() and rule["why"].strip() and rule["verified_on"], rule
        assert isinstance(rule["illegal"], bool), rule


Found = tuple[str, int | None, str | None, str]


def _history(cells: gpd.GeoDataFrame, extra: tuple[Found, ...] = ()) -> pd.DataFrame:
    months = [str(p) for p in pd.period_range("2022-01", "2023-12", freq="M")]
    eff = effort([(c, m, 1.0 + c) for m in months for c in (0, 4)])
    base = [("d1", 4, "2022-03-10T10:00", "humanactivity/snare"),
            ("d2", 4, "2023-02-10T10:00", "humanactivity/snare"),
            ("d3", 1, "2023-02-11T10:00", "humanactivity/snare")]
    return panel.build_panel(cells, eff, obs(base + list(extra)))


def test_lagged_features_count_only_the_twelve_months_before(cells: gpd.GeoDataFrame) -> None:
    row = _history(cells).set_index(["cell_id", "period"])
    assert row.loc[(4, "2022-03"), "f_past_detections_12m"] == 0  # its own month is not the past
    assert row.loc[(4, "2022-04"), "f_past_detections_12m"] == 1
    assert row.loc[(4, "2023-03"), "f_past_detections_12m"] == 2  # 2022-03 .. 2023-02
    assert row.loc[(4, "2023-04"), "f_past_detections_12m"] == 1  # 2022-03 has left the window
    assert row.loc[(4, "2023-02"), "f_past_detections_12m"] == 1
    assert row.loc[(4, "2022-01"), "f_past_effort_12m"] == 0
    assert row.loc[(4, "2022-07"), "f_past_effort_12m"] == pytest.approx(6 * 5.0)
    assert row.loc[(4, "2023-07"), "f_past_effort_12m"] == pytest.approx(12 * 5.0)
    assert row.loc[(4, "2023-07"), "f_past_coverage_12m"] == pytest.approx(0.5)
    # neighbours: cell 1 (north of 4) had one in 2023-02; 4's own detections are not its neighbours'
    assert row.loc[(4, "2023-03"), "f_past_detections_nbr_12m"] == 1
    assert row.loc[(1, "2023-03"), "f_past_detections_nbr_12m"] == 2  # both of 4's are in the window
    assert row.loc[(0, "2022-04"), "f_past_detections_nbr_12m"] == 1  # 4 is diagonal to 0


def test_no_leakage_a_new_detection_changes_no_row_up_to_its_own_month(cells: gpd.GeoDataFrame) -> None:
    before = _history(cells)
    after = _history(cells, (("new", 2, "2023-06-15T10:00", "humanactivity/snare"),))
    lags = list(panel.LAG_FEATURES)
    key = ["cell_id", "period"]
    a, b = before.set_index(key).sort_index(), after.set_index(key).sort_index()
    upto = a.index.get_level_values("period") <= "2023-06"
    pd.testing.assert_frame_equal(a.loc[upto, lags], b.loc[upto, lags])
    assert b.loc[(2, "2023-06"), "detections"] == 1
    assert b.loc[(2, "2023-07"), "f_past_detections_12m"] == 1
    assert b.loc[(5, "2023-07"), "f_past_detections_nbr_12m"] == a.loc[(5, "2023-07"), "f_past_detections_nbr_12m"] + 1


def test_a_cutoff_freezes_the_lags_for_a_year_ahead_forecast(cells: gpd.GeoDataFrame) -> None:
    table = _history(cells, (("late", 2, "2023-06-15T10:00", "humanactivity/snare"),))
    frozen = panel.add_lag_features(table, cutoff="2023-01").set_index(["cell_id", "period"])
    assert frozen.loc[(2, "2023-12"), "f_past_detections_12m"] == 0  # 2023-06 is after the cutoff
    assert frozen.loc[(4, "2023-12"), "f_past_detections_12m"] == 1  # 2022-03, known at the cutoff
    free = table.set_index(["cell_id", "period"])
    early = free.index.get_level_values("period") <= "2023-01"
    lags = list(panel.LAG_FEATURES)
    pd.testing.assert_frame_equal(free.loc[early, lags].sort_index(), frozen.loc[early, lags].sort_index())


def test_future_rows_carry_static_and_lagged_features_for_a_month_after_the_records(
        cells: gpd.GeoDataFrame) -> None:
    statics = pd.DataFrame({"cell_id": range(6), "f_dist_road_km": np.arange(6) * 0.5})
    eff = effort([(4, "2024-01", 2.0), (4, "2024-02", 3.0)])
    table = panel.build_panel(cells, eff, obs([("a", 4, "2024-02-05T10:00", "humanactivity/snare")]), statics)
    rows = panel.future_rows(table, "2024-04").set_index("cell_id")
    assert len(rows) == 6 and set(rows["period"]) == {"2024-04"}
    assert rows.loc[4, "f_past_detections_12m"] == 1 and rows.loc[4, "f_past_effort_12m"] == 5.0
    assert rows.loc[5, "f_dist_road_km"] == 2.5 and rows.loc[1, "f_past_detections_nbr_12m"] == 1
    assert rows[["year", "month"]].drop_duplicates().values.tolist() == [[2024, 4]]
    assert rows["effort_km"].isna().all() and "detections" not in rows.columns
    far = panel.future_rows(table, "2025-03").set_index("cell_id")
    assert far.loc[4, "f_past_detections_12m"] == 0  # twelve months before 2025-03 hold no records


def test_periods_can_be_fixed_and_observations_outside_them_are_rejects(cells: gpd.GeoDataFrame) -> None:
    found = obs([("in", 0, "2024-02-03T10:00", "humanactivity/snare"),
                 ("late", 0, "2024-09-03T10:00", "humanactivity/snare")])
    table = panel.build_panel(cells, effort([]), found, periods=["2024-01", "2024-03"])
    assert sorted(table["period"].unique()) == ["2024-01", "2024-02", "2024-03"]
    assert [r.record_id for r in table.attrs["rejects"]] == ["late"]


def test_finds_are_put_in_the_sites_local_month_when_its_utc_offset_is_known(cells: gpd.GeoDataFrame) -> None:
    """Review of issue 28: a snare at 2021-01-01 01:30 local (+03:00) is 2020-12-31 22:30Z; cut at
    UTC midnight it fell in 2020-12, a training year, instead of the test year 2021."""
    found = obs([("snare", 4, "2020-12-31T22:30", "humanactivity/snare")])
    months = ["2020-12", "2021-01"]
    local = panel.build_panel(cells, effort([]), found, periods=months, utc_offset_minutes=180)
    hit = local[local["detections"] > 0]
    assert hit[["cell_id", "period", "year"]].values.tolist() == [[4, "2021-01", 2021]]
    utc = panel.build_panel(cells, effort([]), found, periods=months)
    assert utc.loc[utc["detections"] > 0, "period"].tolist() == ["2020-12"]
    # by default the offset effort_per_cell used (in its attrs) applies, so the two agree
    eff = effort([(1, "2021-01", 2.0)])
    eff.attrs["utc_offset_minutes"] = 180
    both = panel.build_panel(cells, eff, found)
    assert both.loc[both["detections"] > 0, "period"].tolist() == ["2021-01"]
    assert set(both["period"]) == {"2021-01"}


def test_a_find_on_the_parks_south_edge_is_in_the_edge_cell_not_a_reject(cells: gpd.GeoDataFrame) -> None:
    """Review of issue 28: points on the east or south edge of the park were outside the grid."""
    lon, lat = grid.to_lonlat(np.array([X0 + 2500, X0 + 3000]), np.array([Y0, Y0 + 500]))
    found = frame(OBSERVATION_COLUMNS, [
        {"obs_id": oid, "patrol_id": "P1", "time": pd.Timestamp("2021-03-01T10:00", tz="UTC"),
         "lon": float(lo), "lat": float(la), "category": "humanactivity/snare", "attributes": "{}",
         "source": "obs.csv", "line": i + 2}
        for i, (oid, lo, la) in enumerate(zip(["S", "E"], lon, lat, strict=True))])
    located, rejects, _ = panel.locate_observations(cells, found)
    assert rejects == []
    assert located[["obs_id", "cell_id"]].values.tolist() == [["S", 5], ["E", 5]]
