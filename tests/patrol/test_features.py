"""Static cell features: distances on known geometry, raster statistics from a GeoTIFF written
here, and layers that are missing or unusable skipped with a note."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from wildtrace.patrol import features, grid
from wildtrace.patrol.records import WORK_CRS

X0, Y0 = 2894000.0, 3658000.0  # 30°N, 30°E: EPSG:6933 true to scale within 0.3 % over the park


@pytest.fixture
def cells() -> gpd.GeoDataFrame:
    return grid.make_grid(gpd.GeoDataFrame(geometry=[shapely.box(X0, Y0, X0 + 10_000, Y0 + 10_000)], crs=WORK_CRS))


def centres(cells: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    c = cells.geometry.centroid
    return c.x.to_numpy(), c.y.to_numpy()


def test_distances_to_the_boundary_and_to_layers_in_other_crs(cells: gpd.GeoDataFrame, tmp_path: Path) -> None:
    road = gpd.GeoDataFrame(geometry=[shapely.LineString([(X0 + 3000, Y0 - 5000), (X0 + 3000, Y0 + 15_000)])],
                            crs=WORK_CRS).to_crs("EPSG:4326")
    village = gpd.GeoDataFrame(geometry=[shapely.Point(X0 + 9500, Y0 + 9500)], crs=WORK_CRS)
    village.to_crs("EPSG:3857").to_file(tmp_path / "villages.geojson")
    table, notes = features.static_features(cells, {"roads": road, "villages": tmp_path / "villages.geojson"}, {})
    assert notes == []
    assert list(table["cell_id"]) == list(cells["cell_id"])
    x, y = centres(cells)
    edge = np.minimum.reduce([x - X0, X0 + 10_000 - x, y - Y0, Y0 + 10_000 - y]) / 1000
    assert np.allclose(table["f_dist_boundary_km"], edge, rtol=5e-3, atol=5e-3)
    assert table.loc[0, "f_dist_boundary_km"] == pytest.approx(0.5, rel=5e-3)
    assert np.allclose(table["f_dist_roads_km"], np.abs(x - (X0 + 3000)) / 1000, rtol=5e-3, atol=5e-3)
    to_village = np.hypot(x - (X0 + 9500), y - (Y0 + 9500)) / 1000
    assert np.allclose(table["f_dist_villages_km"], to_village, rtol=5e-3, atol=5e-3)
    assert table.loc[9, "f_dist_villages_km"] == pytest.approx(0.0, abs=1e-6)


def test_a_polygon_layer_is_zero_inside_and_a_boundary_layer_replaces_the_grids(cells: gpd.GeoDataFrame) -> None:
    farm = gpd.GeoDataFrame(geometry=[shapely.box(X0, Y0, X0 + 2000, Y0 + 2000)], crs=WORK_CRS)
    bigger = gpd.GeoDataFrame(geometry=[shapely.box(X0 - 1000, Y0 - 1000, X0 + 11_000, Y0 + 11_000)], crs=WORK_CRS)
    table, _ = features.static_features(cells, {"farms": farm, "boundary": bigger}, {})
    south_west = cells[(cells["row"] == 9) & (cells["col"] == 0)].index[0]
    assert table.loc[south_west, "f_dist_farms_km"] == 0.0
    assert table.loc[0, "f_dist_boundary_km"] == pytest.approx(1.5, rel=5e-3)


def test_missing_and_unusable_layers_are_skipped_with_a_note(cells: gpd.GeoDataFrame, tmp_path: Path) -> None:
    broken = tmp_path / "rivers.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    no_crs = gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)])
    empty = gpd.GeoDataFrame(geometry=[], crs=WORK_CRS)
    table, notes = features.static_features(
        cells, {"rivers": broken, "posts": tmp_path / "no_such.shp", "wells": no_crs, "camps": empty,
                "roads": None, "odd": 42},
        {"elevation": tmp_path / "no_such.tif", "landcover": None})
    assert list(table.columns) == ["cell_id", "f_dist_boundary_km"]
    text = " | ".join(notes)
    for says in ("layer rivers: rivers.geojson cannot be read", "layer posts: no_such.shp cannot be read",
                 "layer wells: states no CRS", "layer camps: holds no geometry", "layer roads: not given",
                 "layer odd: a int is not a layer", "raster elevation: no_such.tif cannot be read",
                 "raster landcover: not given"):
        assert says in text, (says, notes)


def _geotiff(path: Path, values: np.ndarray, crs: str | None, nodata: float | None = None) -> Path:
    import rasterio
    from affine import Affine

    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1], height=values.shape[0], count=1,
                       dtype=values.dtype, crs=crs, nodata=nodata,
                       transform=Affine(100, 0, X0 - 1000, 0, -100, Y0 + 11_000)) as dst:
        dst.write(values, 1)
    return path


def test_raster_mean_and_land_cover_shares_per_cell(cells: gpd.GeoDataFrame, tmp_path: Path) -> None:
    # 100 m pixels over 12 × 12 km from (X0 - 1 km, Y0 + 11 km): elevation = 100 × the column of the
    # grid cell the pixel lies in; land cover 1 in the west half of the park, 2 in the east half.
    px_x = X0 - 1000 + (np.arange(120) + 0.5) * 100
    col = np.floor((px_x - X0) / 1000)
    elevation = np.tile(100.0 * col, (120, 1)).astype("float32")
    elevation[:20, :] = -9999  # the northernmost kilometre inside the park: nodata
    cover = np.tile(np.where(px_x < X0 + 5000, 1, 2).astype("uint8"), (120, 1))
    rasters = {"elevation": _geotiff(tmp_path / "dem.tif", elevation, WORK_CRS, nodata=-9999),
               "landcover": _geotiff(tmp_path / "lc.tif", cover, WORK_CRS)}
    table, notes = features.static_features(cells, {}, rasters)
    north = cells["row"] == 0
    assert table.loc[~north, "f_elevation"].tolist() == pytest.approx((100.0 * cells.loc[~north, "col"]).tolist())
    assert table.loc[north, "f_elevation"].isna().all()
    assert any("raster elevation: 10 cells have no data" in n for n in notes), notes
    west = cells["col"] < 5
    assert (table.loc[west, "f_landcover_1"] == 1).all() and (table.loc[west, "f_landcover_2"] == 0).all()
    assert (table.loc[~west, "f_landcover_2"] == 1).all()


def test_a_raster_in_another_crs_is_sampled_where_the_cells_are(cells: gpd.GeoDataFrame, tmp_path: Path) -> None:
    import rasterio
    from affine import Affine

    lon0, lat1 = grid.to_lonlat(np.array([X0 - 1000]), np.array([Y0 + 11_000]))
    lon1, lat0 = grid.to_lonlat(np.array([X0 + 11_000]), np.array([Y0 - 1000]))
    n = 240
    lons = lon0[0] + (np.arange(n) + 0.5) * (lon1[0] - lon0[0]) / n
    values = np.tile(lons, (n, 1)).astype("float64")  # each pixel holds its own longitude
    path = tmp_path / "lon.tif"
    with rasterio.open(path, "w", driver="GTiff", width=n, height=n, count=1, dtype="float64", crs="EPSG:4326",
                       transform=Affine((lon1[0] - lon0[0]) / n, 0, lon0[0], 0, -(lat1[0] - lat0[0]) / n, lat1[0])) as dst:
        dst.write(values, 1)
    table, notes = features.static_features(cells, {}, {"lon": path})
    x, y = centres(cells)
    centre_lon, _ = grid.to_lonlat(x, y)
    assert np.allclose(table["f_lon"], centre_lon, atol=(lon1[0] - lon0[0]) / n)
    assert notes == []


def test_a_raster_without_crs_or_off_the_park_is_skipped(cells: gpd.GeoDataFrame, tmp_path: Path) -> None:
    values = np.ones((120, 120), dtype="float32")
    no_crs = _geotiff(tmp_path / "nocrs.tif", values, None)
    table, notes = features.static_features(cells, {}, {"elevation": no_crs})
    assert "f_elevation" not in table.columns and any("states no CRS" in n for n in notes), notes
