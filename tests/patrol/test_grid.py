"""The park grid: cell counts, areas, clipped edges, ids, and boundaries that cannot be used."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from wildtrace.errors import ConfigError
from wildtrace.patrol import grid
from wildtrace.patrol.records import WORK_CRS

FIXTURES = Path(__file__).parent / "fixtures"
X0, Y0 = 2894000.0, 3658000.0  # the square fixture's south-west corner in EPSG:6933 (30°N, 30°E)


def square(width: float, height: float) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[shapely.box(X0, Y0, X0 + width, Y0 + height)], crs=WORK_CRS)


def test_a_10_km_square_gives_100_whole_cells_row_major_from_the_north_west() -> None:
    cells = grid.make_grid(square(10_000, 10_000))
    assert len(cells) == 100
    assert str(cells.crs) == WORK_CRS
    assert cells["cell_id"].tolist() == list(range(100))
    assert np.allclose(cells["inside"], 1.0)
    assert np.allclose(cells.geometry.area, 1e6)
    first = cells.iloc[0]
    assert (first["row"], first["col"]) == (0, 0)
    assert first.geometry.bounds == pytest.approx((X0, Y0 + 9000, X0 + 1000, Y0 + 10_000))
    eleventh = cells.iloc[11]
    assert (eleventh["row"], eleventh["col"]) == (1, 1)


def test_the_boundary_file_in_wgs84_gives_the_same_grid() -> None:
    cells = grid.make_grid(FIXTURES / "grid_square.geojson")
    assert len(cells) == 100
    assert cells["inside"].sum() == pytest.approx(100.0, rel=1e-6)


def test_cells_at_the_edge_keep_the_whole_square_and_say_how_much_is_inside() -> None:
    cells = grid.make_grid(square(2500, 1500))
    assert len(cells) == 6
    inside = cells.sort_values("cell_id")["inside"].round(6).tolist()
    assert inside == [1.0, 1.0, 0.5, 0.5, 0.5, 0.25]
    assert np.allclose(cells.geometry.area, 1e6)  # squares are not clipped


def test_larger_cells_and_equal_area_on_an_irregular_park_with_a_lake() -> None:
    park = gpd.read_file(FIXTURES / "grid_irregular.geojson")
    geod = pyproj.Geod(ellps="WGS84")
    poly = park.geometry.iloc[0]
    lake = shapely.Polygon(poly.interiors[0])
    area_km2 = (abs(geod.geometry_area_perimeter(shapely.Polygon(poly.exterior))[0])
                - abs(geod.geometry_area_perimeter(lake)[0])) / 1e6
    for cell_km in (1.0, 2.0):
        cells = grid.make_grid(park, cell_km=cell_km)
        assert cells["inside"].sum() * cell_km**2 == pytest.approx(area_km2, rel=1e-3)
        assert (cells["inside"] > 0).all() and (cells["inside"] <= 1).all()
    lake_centre = gpd.GeoSeries([shapely.Point(35.095, -1.955)], crs="EPSG:4326").to_crs(WORK_CRS)
    cells = grid.make_grid(park, cell_km=1.0)
    assert not cells.contains(lake_centre.iloc[0]).any()  # a cell all lake is not park
    shore = cells[cells.distance(lake_centre.iloc[0]) < 1000]
    assert len(shore) and (shore["inside"] < 1).all(), shore


def test_locate_finds_the_cell_of_a_point_and_minus_one_outside() -> None:
    cells = grid.make_grid(square(3000, 2000))
    ids = grid.locate(cells, np.array([X0 + 500, X0 + 2500, X0 - 10, np.nan]),
                      np.array([Y0 + 1500, Y0 + 500, Y0 + 500, Y0]))
    assert ids.tolist() == [0, 5, -1, -1]


def test_a_grid_without_its_attrs_still_knows_its_lattice() -> None:
    cells = grid.make_grid(square(3000, 2000))
    bare = gpd.GeoDataFrame(cells.drop(columns="geometry"), geometry=cells.geometry.to_numpy(), crs=WORK_CRS)
    bare.attrs.clear()
    assert grid.lattice(bare) == pytest.approx(grid.lattice(cells))


@pytest.mark.parametrize(("name", "says"), [
    ("grid_broken.geojson", "cannot be read"),
    ("grid_lines.geojson", "holds no polygon"),
    ("no_such_park.geojson", "cannot be read"),
])
def test_unusable_boundary_files_are_one_clear_config_error(name: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says) as err:
        grid.read_boundary(FIXTURES / name)
    assert "\n" not in str(err.value)


def test_a_shapefile_without_prj_has_no_crs(tmp_path: Path) -> None:
    import pyogrio

    path = tmp_path / "park.shp"
    with pytest.warns(UserWarning, match="crs"):
        pyogrio.write_dataframe(gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)]), path)
    with pytest.raises(ConfigError, match="states no CRS"):
        grid.make_grid(path)


def test_bad_cell_size_is_refused() -> None:
    with pytest.raises(ConfigError, match="positive"):
        grid.make_grid(square(1000, 1000), cell_km=0)


def test_points_on_the_park_outer_edge_belong_to_the_edge_cell() -> None:
    """Review of issue 28: a point exactly on the east or south edge was outside the grid (-1)."""
    cells = grid.make_grid(square(10000, 10000))
    xs = np.array([X0 + 10000, X0 + 5500, X0, X0 + 5500, X0 + 10000, X0 + 10000.5])
    ys = np.array([Y0 + 5500, Y0, Y0 + 5500, Y0 + 10000, Y0, Y0 + 5500])
    # east edge row 4 → cell 49; south edge col 5 → 95; west → 40; north → 5; SE corner → 99;
    # half a metre beyond the east edge is outside
    assert grid.locate(cells, xs, ys).tolist() == [49, 95, 40, 5, 99, -1]
    # and after the WGS84 round trip the importers make (float noise around the edge)
    lon, lat = grid.to_lonlat(xs[:5], ys[:5])
    assert grid.locate(cells, *grid.from_lonlat(lon, lat)).tolist() == [49, 95, 40, 5, 99]


def test_a_point_on_an_inner_edge_next_to_a_dropped_cell_belongs_to_the_park_cell() -> None:
    """An L-shaped park: the line x = X0 + 1000 is park edge for the north row only."""
    park = shapely.union(shapely.box(X0, Y0, X0 + 1000, Y0 + 2000), shapely.box(X0, Y0, X0 + 2000, Y0 + 1000))
    cells = grid.make_grid(gpd.GeoDataFrame(geometry=[park], crs=WORK_CRS))
    assert cells["cell_id"].tolist() == [0, 1, 2]  # (row 0, col 0), (1, 0), (1, 1)
    assert grid.locate(cells, np.array([X0 + 1000, X0 + 1500]), np.array([Y0 + 1500, Y0 + 1000])).tolist() == [0, 2]


def test_a_grid_over_the_cell_limit_is_one_config_error_naming_the_count() -> None:
    """Review of issue 28: --cell-km 0.1 on a 150 km² park took 80 s and 1 GB; a typo must stop."""
    with pytest.raises(ConfigError, match=r"10,000 cells, over the limit of 5,000; use a larger "
                       r"--cell-km \(e\.g\. 0\.2\)") as err:
        grid.make_grid(square(10000, 10000), cell_km=0.1, max_cells=5000)
    assert "\n" not in str(err.value)
    # the default limit refuses from the park's area, before drawing millions of squares
    with pytest.raises(ConfigError, match=r"about 25,000,000 cells, over the limit of "
                       f"{grid.MAX_CELLS:,}"):
        grid.make_grid(square(100000, 100000), cell_km=0.02)
    assert len(grid.make_grid(square(10000, 10000), cell_km=0.1, max_cells=10000)) == 10000


def test_the_grid_knows_the_boundary_file_name_for_its_messages(tmp_path: Path) -> None:
    path = tmp_path / "my-park.geojson"
    square(3000, 2000).to_crs("EPSG:4326").to_file(path)
    assert grid.make_grid(path).attrs["boundary_name"] == "my-park.geojson"
    assert grid.make_grid(grid.read_boundary(path)).attrs["boundary_name"] == "my-park.geojson"
    assert grid.make_grid(square(3000, 2000)).attrs["boundary_name"] == "given"
