"""Risk maps read back: the GeoTIFF by rasterio, the GeoJSON as RFC 7946, the PNG by Pillow."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from PIL import Image

from wildtrace.errors import Invalid
from wildtrace.patrol import riskmap
from wildtrace.patrol.plan import make_plan
from wildtrace.patrol.records import WORK_CRS

X0, Y0 = 2_800_000.0, -300_000.0  # EPSG:6933 metres, near 29° E, 2.4° S


def small_grid(n_rows: int = 6, n_cols: int = 8, *, north_first: bool = True,
               drop: tuple[int, ...] = ()) -> gpd.GeoDataFrame:
    """Square 1 km cells in WORK_CRS, row-major; ``drop`` removes cells (outside the park)."""
    rows, cols = np.divmod(np.arange(n_rows * n_cols), n_cols)
    top = Y0 - rows * 1000 if north_first else Y0 - (n_rows - 1 - rows) * 1000
    boxes = shapely.box(X0 + cols * 1000, top - 1000, X0 + (cols + 1) * 1000, top)
    grid = gpd.GeoDataFrame({"row": rows, "col": cols, "inside": 1.0}, geometry=boxes,
                            crs=WORK_CRS)
    grid = grid.drop(index=list(drop)).reset_index(drop=True)
    grid.insert(0, "cell_id", np.arange(len(grid)))
    return grid


def risk_for(grid: gpd.GeoDataFrame, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"cell_id": grid["cell_id"], "risk": rng.uniform(0, 1, len(grid)),
                         "uncertainty": rng.uniform(0, 0.2, len(grid))})


@pytest.mark.parametrize("north_first", [True, False])
def test_geotiff_round_trip(tmp_path: Path, north_first: bool) -> None:
    grid = small_grid(north_first=north_first, drop=(0, 13))
    risk = risk_for(grid)
    path = riskmap.write_geotiff(grid, risk.set_index("cell_id")["risk"], tmp_path / "r.tif",
                                 tags={"model_version": "iware-e 1", "input_hash": "abc123"})
    with rasterio.open(path) as src:
        band = src.read(1)
        assert src.crs.to_epsg() == 6933
        assert src.count == 1 and src.dtypes[0] == "float32"
        assert (src.height, src.width) == (6, 8)
        assert src.transform.a == 1000 and src.transform.e == -1000
        assert (src.transform.c, src.transform.f) == (X0, Y0)
        assert src.nodata == riskmap.NODATA
        assert src.tags()["model_version"] == "iware-e 1"
        assert src.tags()["input_hash"] == "abc123"
        # every cell's value is read back at the pixel under the cell's centre
        centres = shapely.get_coordinates(grid.geometry.centroid.values)
        rows, cols = rasterio.transform.rowcol(src.transform, centres[:, 0], centres[:, 1])
    got = band[np.asarray(rows), np.asarray(cols)]
    np.testing.assert_allclose(got, risk["risk"].to_numpy(dtype="float32"), rtol=1e-6)
    assert (band == riskmap.NODATA).sum() == 2, band  # the two cells outside the park


def test_geotiff_of_clipped_edge_cells_keeps_alignment(tmp_path: Path) -> None:
    grid = small_grid(3, 3)
    clip = shapely.box(X0 + 300, Y0 - 2600, X0 + 3000, Y0)  # clips the left column and bottom row
    grid["geometry"] = grid.geometry.intersection(clip)
    path = riskmap.write_geotiff(grid, np.arange(9, dtype=float), tmp_path / "c.tif")
    with rasterio.open(path) as src:
        assert (src.transform.c, src.transform.f) == (X0, Y0)
        np.testing.assert_array_equal(src.read(1), np.arange(9, dtype="float32").reshape(3, 3))


def test_geotiff_rejects_values_of_the_wrong_length(tmp_path: Path) -> None:
    with pytest.raises(Invalid):
        riskmap.write_geotiff(small_grid(), [0.5, 0.2], tmp_path / "x.tif")


def _ring_ccw(ring: list[list[float]]) -> bool:
    xs, ys = np.asarray(ring).T
    return float(np.sum(xs[:-1] * ys[1:] - xs[1:] * ys[:-1])) > 0


def test_geojson_is_rfc7946_with_rank_and_decile(tmp_path: Path) -> None:
    grid = small_grid(5, 4)
    risk = risk_for(grid, seed=3).iloc[:-1]  # the last cell has no risk value
    path = riskmap.write_geojson(grid, risk, tmp_path / "r.geojson",
                                 properties={"period": "2026-11", "model_version": "m1"})
    doc = json.loads(path.read_text())
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    assert doc["properties"] == {"period": "2026-11", "model_version": "m1"}
    assert len(doc["features"]) == len(grid)
    for feat in doc["features"]:
        assert feat["geometry"]["type"] == "Polygon"
        ring = feat["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1] and len(ring) >= 4, feat
        assert _ring_ccw(ring), feat  # RFC 7946: exterior rings counter-clockwise
        lon, lat = np.asarray(ring).T
        assert ((28 < lon) & (lon < 31)).all() and ((-4 < lat) & (lat < -1)).all(), ring
        assert set(feat["properties"]) == {"cell_id", "row", "col", "risk", "uncertainty",
                                           "rank", "decile"}
    props = pd.DataFrame([f["properties"] for f in doc["features"]]).set_index("cell_id")
    assert props.loc[19, "risk"] is None or np.isnan(props.loc[19, "risk"])
    assert pd.isna(props.loc[19, "rank"])
    rated = props.dropna(subset=["rank"])
    assert sorted(rated["rank"].astype(int)) == list(range(1, 20))
    by_rank = rated.sort_values("rank")
    assert by_rank["risk"].is_monotonic_decreasing
    assert by_rank["decile"].astype(int).tolist() == sorted(by_rank["decile"].astype(int))
    assert int(by_rank["decile"].iloc[0]) == 1 and int(by_rank["decile"].iloc[-1]) == 10
    # the polygons are where the grid is: back to WORK_CRS, they match the cells
    back = gpd.read_file(path).set_crs(4326, allow_override=True).to_crs(WORK_CRS)
    assert np.allclose(back.geometry.area, 1e6, rtol=1e-3)


def test_ramp_is_viridis_and_marks_missing_values() -> None:
    rgb = riskmap.ramp(np.array([0.0, 1.0, np.nan, 2.0, -1.0]))
    assert tuple(rgb[0]) == riskmap.VIRIDIS[0] and tuple(rgb[1]) == riskmap.VIRIDIS[-1]
    assert tuple(rgb[2]) == riskmap.NO_VALUE
    assert tuple(rgb[3]) == riskmap.VIRIDIS[-1] and tuple(rgb[4]) == riskmap.VIRIDIS[0]
    # luminance rises along the ramp: readable in grey and by colour-blind readers
    lum = riskmap.ramp(np.linspace(0, 1, 50)) @ np.array([0.2126, 0.7152, 0.0722])
    assert (np.diff(lum) > 0).all()


def has_colour(arr: np.ndarray, rgb: tuple[int, int, int]) -> bool:
    return bool((arr == np.asarray(rgb, dtype=arr.dtype)).all(axis=2).any())


def test_png_has_the_asked_size_and_cells_drawn(tmp_path: Path) -> None:
    grid = small_grid(10, 12)
    risk = risk_for(grid, seed=5)
    risk.loc[risk["cell_id"] == 0, "risk"] = 1.0
    boundary = gpd.GeoDataFrame(geometry=[grid.union_all()], crs=WORK_CRS).to_crs(4326)
    posts = gpd.GeoDataFrame({"name": ["A <post>"]},
                             geometry=shapely.points([[X0 + 5500, Y0 - 5500]]), crs=WORK_CRS)
    plan = make_plan(grid, risk, posts, budget_km=12)
    path = riskmap.render_png(grid, risk, boundary, tmp_path / "r.png", posts=posts, plan=plan,
                              period="2026-11", synthetic=True, size=(640, 480))
    img = Image.open(path)
    assert img.format == "PNG" and img.size == (640, 480)
    arr = np.asarray(img.convert("RGB"))
    assert len(np.unique(arr.reshape(-1, 3), axis=0)) > 20
    assert has_colour(arr, riskmap.VIRIDIS[-1])  # the risk-1 cell is drawn in the top colour
    assert has_colour(arr, riskmap.ROUTE)        # the plan's routes are drawn
    # the centre of the map frame is a cell, not background
    ys, xs = np.nonzero((arr != riskmap.BACKGROUND).any(axis=2))
    assert len(xs) > 0.3 * 640 * 480


def test_png_without_extras_and_with_cells_lacking_risk(tmp_path: Path) -> None:
    grid = small_grid(4, 4)
    risk = risk_for(grid).iloc[:8]
    path = riskmap.render_png(grid, risk, None, tmp_path / "p.png", legend=False,
                              size=(300, 200), title="t")
    arr = np.asarray(Image.open(path).convert("RGB"))
    assert has_colour(arr, riskmap.NO_VALUE)
    with pytest.raises(Invalid):
        riskmap.render_png(grid, risk, None, tmp_path / "q.png", size=(20, 20))


def lattice_grid() -> tuple[gpd.GeoDataFrame, shapely.Geometry]:
    """A grid as ``grid.make_grid`` returns it: whole squares over a triangular park, row 0 north,
    cells that miss the park dropped, the lattice and the park outline kept in ``attrs``."""
    park = shapely.Polygon([(X0, Y0), (X0 + 6000, Y0), (X0, Y0 - 5000)])
    rows, cols = np.divmod(np.arange(5 * 6), 6)
    squares = shapely.box(X0 + cols * 1000, Y0 - (rows + 1) * 1000, X0 + (cols + 1) * 1000,
                          Y0 - rows * 1000)
    inside = shapely.area(shapely.intersection(squares, park)) / 1e6
    keep = inside > 1e-6
    grid = gpd.GeoDataFrame({"cell_id": np.arange(int(keep.sum())), "row": rows[keep],
                             "col": cols[keep], "inside": inside[keep]},
                            geometry=squares[keep], crs=WORK_CRS)
    grid.attrs.update({"origin": (X0, Y0), "cell_m": 1000.0, "shape": (5, 6), "boundary": park})
    return grid, park


def test_geotiff_of_a_grid_with_its_lattice_takes_a_risk_table(tmp_path: Path) -> None:
    grid, _ = lattice_grid()
    risk = risk_for(grid).assign(period="2026-11")  # what RiskModel.predict returns
    path = riskmap.write_geotiff(grid, risk, tmp_path / "l.tif")
    with rasterio.open(path) as src:
        band = src.read(1)
        assert (src.height, src.width) == (5, 6)
        assert (src.transform.c, src.transform.f, src.transform.a) == (X0, Y0, 1000.0)
    np.testing.assert_allclose(band[grid["row"], grid["col"]], risk["risk"].astype("float32"))
    assert (band == riskmap.NODATA).sum() == 30 - len(grid)
    with pytest.raises(Invalid):
        riskmap.write_geotiff(grid, risk.drop(columns="risk"), tmp_path / "m.tif")


def test_png_draws_the_outline_the_grid_keeps(tmp_path: Path) -> None:
    grid, _ = lattice_grid()
    path = riskmap.render_png(grid, risk_for(grid), None, tmp_path / "o.png", size=(400, 300))
    arr = np.asarray(Image.open(path).convert("RGB"))
    assert (arr == np.array(riskmap.OUTLINE)).all(axis=2).sum() > 200


def test_the_colour_ramp_ends_at_the_highest_risk_on_the_map() -> None:
    """Monthly risks are small probabilities: a 0-1 ramp would paint every cell alike."""
    from wildtrace.patrol.riskmap import colour_top

    assert colour_top(np.array([0.01, 0.12, np.nan])) == pytest.approx(0.15)
    assert colour_top(np.array([0.2])) == pytest.approx(0.2)
    assert colour_top(np.array([0.71])) == pytest.approx(0.8)
    assert colour_top(np.array([0.0])) == pytest.approx(0.05)
    assert colour_top(np.array([np.nan])) == 1.0
