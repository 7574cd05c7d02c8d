"""The park's grid: square cells of equal area laid over the boundary, in ``WORK_CRS``.

``make_grid(boundary, cell_km=1.0)`` returns one row per cell that overlaps the park:
``cell_id`` (0..n-1, row-major from the north-west corner), ``row``, ``col``, ``inside`` (the
fraction of the cell's area inside the park) and ``geometry``, the *whole* square (never clipped:
risk rasters, routes and effort work on whole cells; ``inside`` says how much of it is park).
Cells that do not overlap the park (or only touch its edge) are dropped.

Why EPSG:6933 and no second grid in the park's own CRS: 6933 is equal-area, so every cell holds
exactly ``cell_km``² of ground wherever the park lies, which is what effort per cell and coverage
need (ecoscope computes coverage and density grids in it). It is not conformal: away from 30°
latitude a cell is a rectangle on the ground (at the equator about 1.15 km east-west by 0.87 km
north-south for a 1 km cell). Lengths and distances are therefore never read off 6933 coordinates:
``effort`` measures tracks on the ellipsoid and buffers swaths in a locally conformal frame
(``conformal_scale``), ``features`` measures distances in the park's UTM zone.

The grid keeps the park outline (in ``WORK_CRS``) in ``grid.attrs["boundary"]`` so later stages
(distance to the boundary, maps) need not be handed it again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from wildtrace.errors import ConfigError
from wildtrace.patrol.records import WORK_CRS

#: Cells overlapping the park by less than this share of their area are dropped (edge touches).
MIN_INSIDE = 1e-6
#: The most cells ``make_grid`` makes unless told otherwise. Time and memory grow with cells ×
#: months (15,000 cells × 36 months took 80 s and 1 GB), so a mistyped ``--cell-km`` must stop
#: here rather than eat the machine; 100,000 still covers a 50,000 km² reserve in 1 km cells.
MAX_CELLS = 100_000
#: A point this close (metres) to a lattice line may belong to the cell on either side of it:
#: the WGS84 round trip alone moves a 6933 point by about a millimetre.
EDGE_TOL_M = 0.01


def read_boundary(path: str | Path) -> gpd.GeoDataFrame:
    """A park boundary from a GeoJSON, shapefile or GeoPackage: its polygons, with their CRS.

    Raises ``ConfigError`` (one line) when the file cannot be read, holds no polygon, or states
    no CRS (a boundary without a CRS cannot be placed on the ground; GeoJSON is WGS84 by its
    specification, so pyogrio reports it).
    """
    import pyogrio

    p = Path(path)
    try:
        gdf = pyogrio.read_dataframe(p)
    except Exception as exc:  # pyogrio raises DataSourceError, OSError... for unreadable files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"park boundary {p.name}: cannot be read ({first})") from exc
    out = _polygons(gdf, p.name)
    out.attrs["name"] = p.name  # so make_grid and its messages can name the file
    return out


def _polygons(gdf: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame):  # a table without geometry (a CSV, a spreadsheet)
        raise ConfigError(f"park boundary {name}: holds no geometry (give a GeoJSON, GeoPackage or shapefile)")
    if gdf.crs is None:
        raise ConfigError(f"park boundary {name}: states no CRS (give the file its .prj, or use GeoJSON)")
    geoms = gdf.geometry[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    polys = geoms[geoms.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polys.empty:
        found = sorted(set(geoms.geom_type)) or ["nothing"]
        raise ConfigError(f"park boundary {name}: holds no polygon (found {', '.join(found)})")
    return gpd.GeoDataFrame(geometry=polys.make_valid(), crs=gdf.crs)


def boundary_geometry(boundary: Any) -> shapely.Geometry:
    """The park as one (multi)polygon in ``WORK_CRS``, from a GeoDataFrame/GeoSeries or a path."""
    if isinstance(boundary, (str, Path)):
        gdf = read_boundary(boundary)
    elif isinstance(boundary, (gpd.GeoDataFrame, gpd.GeoSeries)):
        frame = boundary if isinstance(boundary, gpd.GeoDataFrame) else gpd.GeoDataFrame(geometry=boundary)
        gdf = _polygons(frame, "given")
    else:
        raise ConfigError(f"park boundary: expected a GeoDataFrame or a file path, got {type(boundary).__name__}")
    geom = shapely.union_all(gdf.to_crs(WORK_CRS).geometry.to_numpy())
    if geom.is_empty or geom.area <= 0:
        raise ConfigError("park boundary: its polygons have no area")
    return geom


def make_grid(boundary: Any, cell_km: float = 1.0, *, max_cells: int = MAX_CELLS) -> gpd.GeoDataFrame:
    """Square cells of ``cell_km`` × ``cell_km`` (in ``WORK_CRS``) over the park, row-major.

    The grid's origin is the park's north-west bounding corner, so a park that is itself a
    10 × 10 km square in EPSG:6933 gets exactly 100 cells. More than ``max_cells`` cells is a
    ``ConfigError`` naming the count and a cell size that fits.
    """
    if not np.isfinite(cell_km) or cell_km <= 0:
        raise ConfigError(f"cell size {cell_km} km: it must be a positive number")
    park = boundary_geometry(boundary)
    size = float(cell_km) * 1000.0
    minx, miny, maxx, maxy = park.bounds
    ncols = max(1, int(np.ceil((maxx - minx) / size - 1e-6)))
    nrows = max(1, int(np.ceil((maxy - miny) / size - 1e-6)))
    # The park's area bounds the count from below: refuse before drawing a huge lattice.
    _check_cells(int(np.ceil(park.area / (size * size))), cell_km, max_cells, about=True)
    if nrows * ncols > 50 * max_cells:  # a thin, far-flung park: too many squares to test
        _check_cells(nrows * ncols, cell_km, max_cells, about=True)
    rows, cols = np.divmod(np.arange(nrows * ncols), ncols)
    x0 = minx + cols * size
    y1 = maxy - rows * size
    squares = shapely.box(x0, y1 - size, x0 + size, y1)
    shapely.prepare(park)
    candidate = shapely.intersects(park, squares)
    inside = np.zeros(len(squares))
    inside[candidate] = shapely.area(shapely.intersection(squares[candidate], park)) / (size * size)
    keep = inside > MIN_INSIDE
    _check_cells(int(keep.sum()), cell_km, max_cells)
    grid = gpd.GeoDataFrame({
        "cell_id": np.arange(int(keep.sum()), dtype="int64"),
        "row": rows[keep].astype("int64"),
        "col": cols[keep].astype("int64"),
        "inside": np.clip(inside[keep], 0.0, 1.0),
    }, geometry=squares[keep], crs=WORK_CRS)
    grid.attrs.update(grid_meta(minx, maxy, size, nrows, ncols, park))
    grid.attrs["boundary_name"] = _name(boundary)
    return grid


def _name(boundary: Any) -> str:
    """The boundary's file name (a path, or a frame from ``read_boundary``), else 'given'."""
    if isinstance(boundary, (str, Path)):
        return Path(boundary).name
    name = getattr(boundary, "attrs", {}).get("name")
    return str(name) if name else "given"


def _check_cells(count: int, cell_km: float, max_cells: int, *, about: bool = False) -> None:
    """One-line ConfigError when a grid would have more than ``max_cells`` cells."""
    if count <= max_cells:
        return
    fits = float(np.ceil(cell_km * np.sqrt(count / max_cells) * 10) / 10)
    raise ConfigError(f"cell size {cell_km:g} km: the grid would have {'about ' if about else ''}"
                      f"{count:,} cells, over the limit of {max_cells:,}; use a larger --cell-km "
                      f"(e.g. {fits:g})")


def grid_meta(x_west: float, y_north: float, size: float, nrows: int, ncols: int,
              park: shapely.Geometry) -> dict[str, Any]:
    """What a grid carries besides its rows: the lattice (origin, cell size, shape) and the park."""
    return {"origin": (float(x_west), float(y_north)), "cell_m": float(size),
            "shape": (int(nrows), int(ncols)), "boundary": park}


def lattice(grid: gpd.GeoDataFrame) -> tuple[float, float, float, int, int]:
    """(x_west, y_north, cell size in m, rows, cols) of a grid, read from its attrs or its cells."""
    meta = grid.attrs
    if "origin" in meta and "cell_m" in meta and "shape" in meta:
        (x0, y0), size, (nr, nc) = meta["origin"], meta["cell_m"], meta["shape"]
        return float(x0), float(y0), float(size), int(nr), int(nc)
    if grid.empty:
        raise ConfigError("the grid has no cells")
    b = grid.geometry.bounds
    size = float((b["maxx"] - b["minx"]).iloc[0])
    x0 = float((b["minx"] - grid["col"] * size).iloc[0])
    y0 = float((b["maxy"] + grid["row"] * size).iloc[0])
    return x0, y0, size, int(grid["row"].max()) + 1, int(grid["col"].max()) + 1


def park_outline(grid: gpd.GeoDataFrame) -> shapely.Geometry:
    """The park polygon kept by ``make_grid`` (or, for a grid without it, the union of its cells)."""
    park = grid.attrs.get("boundary")
    if isinstance(park, shapely.Geometry) and not park.is_empty:
        return park
    return shapely.union_all(grid.geometry.to_numpy())


def cell_lookup(grid: gpd.GeoDataFrame) -> np.ndarray:
    """A (rows × cols) array of cell ids, -1 where the lattice has no cell (outside the park)."""
    _, _, _, nr, nc = lattice(grid)
    table = np.full((nr, nc), -1, dtype="int64")
    table[grid["row"].to_numpy(), grid["col"].to_numpy()] = grid["cell_id"].to_numpy()
    return table


def locate(grid: gpd.GeoDataFrame, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The cell id holding each point (``WORK_CRS`` metres), -1 outside every cell.

    A point inside the lattice belongs to the cell east/south of the lines it lies on; a point on
    the grid's outer edge (the park's east or south edge, or a lattice line with no cell beyond
    it), within ``EDGE_TOL_M`` of a cell, belongs to that edge cell.
    """
    x0, y0, size, nr, nc = lattice(grid)
    u = (np.asarray(x, dtype=float) - x0) / size
    v = (y0 - np.asarray(y, dtype=float)) / size
    table = cell_lookup(grid)
    out = np.full(len(u), -1, dtype="int64")
    near_u, near_v = np.round(u), np.round(v)
    on_u = np.abs(u - near_u) <= EDGE_TOL_M / size
    on_v = np.abs(v - near_v) <= EDGE_TOL_M / size
    # First the cell the point lies in, then, for a point on a line, the cell(s) on its other side.
    tries = ((np.floor(u), np.floor(v), True), (near_u - 1, np.floor(v), on_u),
             (np.floor(u), near_v - 1, on_v), (near_u - 1, near_v - 1, on_u & on_v),
             (near_u, np.floor(v), on_u), (np.floor(u), near_v, on_v))
    for col, row, allowed in tries:
        ok = (out < 0) & allowed & np.isfinite(col) & np.isfinite(row)
        ok &= (col >= 0) & (col < nc) & (row >= 0) & (row < nr)
        idx = np.flatnonzero(ok)
        out[idx] = table[row[idx].astype("int64"), col[idx].astype("int64")]
    return out


def conformal_scale(grid: gpd.GeoDataFrame) -> tuple[float, float]:
    """EPSG:6933's scale along the parallel and the meridian at the park's centre.

    Dividing 6933 x by the first and y by the second gives a frame where, near the park, metres
    are ground metres in every direction and areas are unchanged (the two scales multiply to 1).
    """
    centre = shapely.centroid(park_outline(grid))
    lon, lat = pyproj.Transformer.from_crs(WORK_CRS, "EPSG:4326", always_xy=True).transform(
        centre.x, centre.y)
    factors = pyproj.Proj(WORK_CRS).get_factors(lon, lat)
    return float(factors.parallel_scale), float(factors.meridional_scale)


def to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``WORK_CRS`` metres to WGS84 longitude/latitude (vectorised)."""
    t = pyproj.Transformer.from_crs(WORK_CRS, "EPSG:4326", always_xy=True)
    lon, lat = t.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(lon), np.asarray(lat)


def from_lonlat(lon: pd.Series | np.ndarray, lat: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 longitude/latitude to ``WORK_CRS`` metres (vectorised; NaN stays NaN)."""
    t = pyproj.Transformer.from_crs("EPSG:4326", WORK_CRS, always_xy=True)
    x, y = t.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    return np.asarray(x), np.asarray(y)
