"""Static features of each cell, from the layers a site has: how far it is from the park's edge,
roads, rivers, villages and ranger posts, how high it lies and what covers it.

``static_features(grid, layers, rasters)`` returns ``(DataFrame[cell_id, f_*], notes)``:

- ``f_dist_boundary_km``: from the cell's centre to the park's outline (the boundary ``make_grid``
  kept, or a ``boundary`` layer when one is given). Unsigned: a centre just outside the park is
  near the boundary too.
- ``f_dist_<layer>_km`` for every other vector layer (``layers``: name -> GeoDataFrame or file
  path, any CRS, reprojected): from the cell's centre to the nearest feature (0 inside a polygon).
  Distances are measured in the park's UTM zone (EPSG:6933 is equal-area, not distance-true).
- rasters (``rasters``: name -> GeoTIFF path, any CRS): each cell is sampled on a 5 × 5 lattice of
  points spread over it (an estimate of the zonal statistic that needs no resampling of the
  raster, whatever its resolution or CRS). A continuous raster gives ``f_<name>``, the mean of the
  samples (nodata and samples off the raster ignored); a categorical one (its name contains
  "cover" or "class", e.g. ``landcover``, or is listed in ``categorical``) gives
  ``f_<name>_<class>``, the share of the cell in each class (the majority class is the largest).

A layer or raster that is missing, unreadable, empty or without a CRS is skipped with a note,
never a crash: features are optional evidence, the model works with what there is.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from wildtrace.patrol import grid as gridmod
from wildtrace.patrol.records import WORK_CRS

#: Samples per side of each cell for raster statistics (SAMPLES² points per cell).
SAMPLES = 5
#: Most land-cover classes given their own column; rarer ones are summed into ``_other``.
MAX_CLASSES = 12


def _name(key: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(key).lower()).strip("_") or "layer"


def _is_categorical(name: str, categorical: Iterable[str]) -> bool:
    return name in set(categorical) or "cover" in name or "class" in name


def _read_layer(name: str, layer: Any, notes: list[str]) -> gpd.GeoDataFrame | None:
    """The layer as a GeoDataFrame with a CRS and some geometry, or None with a note why not."""
    if layer is None:
        notes.append(f"layer {name}: not given, skipped")
        return None
    if isinstance(layer, (str, Path)):
        import pyogrio

        try:
            gdf = pyogrio.read_dataframe(Path(layer))
        except Exception as exc:  # pyogrio: DataSourceError, OSError, ... any unreadable file
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            notes.append(f"layer {name}: {Path(layer).name} cannot be read ({first}), skipped")
            return None
    elif isinstance(layer, gpd.GeoSeries):
        gdf = gpd.GeoDataFrame(geometry=layer)
    elif isinstance(layer, gpd.GeoDataFrame):
        gdf = layer
    else:
        notes.append(f"layer {name}: a {type(layer).__name__} is not a layer, skipped")
        return None
    if gdf.crs is None:
        notes.append(f"layer {name}: states no CRS, skipped")
        return None
    geoms = gdf.geometry
    gdf = gdf[geoms.notna() & ~geoms.is_empty]
    if gdf.empty:
        notes.append(f"layer {name}: holds no geometry, skipped")
        return None
    return gdf


def _nearest_km(centres: np.ndarray, geoms: np.ndarray) -> np.ndarray:
    tree = shapely.STRtree(geoms)
    idx, dist = tree.query_nearest(centres, return_distance=True, all_matches=False)
    out = np.full(len(centres), np.nan)
    out[idx[0]] = dist / 1000.0
    return out


def static_features(grid: gpd.GeoDataFrame, layers: Mapping[str, Any] | None = None,
                    rasters: Mapping[str, Any] | None = None, *,
                    categorical: Iterable[str] = ()) -> tuple[pd.DataFrame, list[str]]:
    """Distances to the layers and raster statistics per cell (``f_*``), and notes."""
    notes: list[str] = []
    out = pd.DataFrame({"cell_id": grid["cell_id"].to_numpy()})
    utm = grid.estimate_utm_crs()
    centres = gpd.GeoSeries(grid.geometry.centroid, crs=grid.crs).to_crs(utm).to_numpy()
    given = dict(layers or {})
    boundary_layer = given.pop("boundary", None)
    outline = None
    if boundary_layer is not None:
        gdf = _read_layer("boundary", boundary_layer, notes)
        if gdf is not None:
            outline = gdf.to_crs(utm).geometry.boundary.to_numpy()
    if outline is None:
        park = gpd.GeoSeries([gridmod.park_outline(grid)], crs=WORK_CRS).to_crs(utm)
        outline = park.boundary.to_numpy()
    out["f_dist_boundary_km"] = _nearest_km(centres, outline)
    for key, layer in given.items():
        name = _name(key)
        gdf = _read_layer(name, layer, notes)
        if gdf is None:
            continue
        try:
            geoms = gdf.to_crs(utm).geometry.make_valid().to_numpy()
        except (pyproj.exceptions.CRSError, ValueError) as exc:
            notes.append(f"layer {name}: cannot be reprojected ({exc}), skipped")
            continue
        out[f"f_dist_{name}_km"] = _nearest_km(centres, geoms)
    cat = {_name(c) for c in categorical}
    for key, path in (rasters or {}).items():
        name = _name(key)
        values = _sample_raster(grid, name, path, notes)
        if values is None:
            continue
        if _is_categorical(name, cat):
            for col, share in _class_shares(name, values).items():
                out[col] = share
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a cell all nodata: NaN, noted below
                mean = np.nanmean(values, axis=1) if values.size else np.zeros(0)
            empty = int(np.isnan(mean).sum())
            if empty:
                notes.append(f"raster {name}: {empty} cells have no data in it (their value is left empty)")
            out[f"f_{name}"] = mean
    return out, notes


def sample_points(grid: gpd.GeoDataFrame, n: int = SAMPLES) -> tuple[np.ndarray, np.ndarray]:
    """A lattice of n × n points inside each cell, in ``WORK_CRS``: arrays of shape (cells, n²)."""
    b = grid.geometry.bounds
    f = (np.arange(n) + 0.5) / n
    fx, fy = np.meshgrid(f, f)
    minx, maxx = b["minx"].to_numpy()[:, None], b["maxx"].to_numpy()[:, None]
    miny, maxy = b["miny"].to_numpy()[:, None], b["maxy"].to_numpy()[:, None]
    return minx + fx.ravel()[None, :] * (maxx - minx), miny + fy.ravel()[None, :] * (maxy - miny)


def _sample_raster(grid: gpd.GeoDataFrame, name: str, path: Any,
                   notes: list[str]) -> np.ndarray | None:
    """Band 1 at each cell's sample points (cells × samples), NaN for nodata or off the raster."""
    import rasterio
    from rasterio.windows import Window

    if path is None:
        notes.append(f"raster {name}: not given, skipped")
        return None
    try:
        src = rasterio.open(Path(path))
    except (rasterio.errors.RasterioIOError, OSError, TypeError) as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        notes.append(f"raster {name}: {Path(str(path)).name} cannot be read ({first}), skipped")
        return None
    with src:
        if src.crs is None:
            notes.append(f"raster {name}: states no CRS, skipped")
            return None
        xs, ys = sample_points(grid)
        t = pyproj.Transformer.from_crs(WORK_CRS, src.crs, always_xy=True)
        rx, ry = t.transform(xs.ravel(), ys.ravel())
        a, b, c, d, e, f = (~src.transform)[:6]
        rx, ry = np.asarray(rx), np.asarray(ry)
        cols_f, rows_f = a * rx + b * ry + c, d * rx + e * ry + f
        rows = np.floor(np.asarray(rows_f)).astype("int64")
        cols = np.floor(np.asarray(cols_f)).astype("int64")
        on = (rows >= 0) & (rows < src.height) & (cols >= 0) & (cols < src.width)
        values = np.full(rows.shape, np.nan)
        if not on.any():
            notes.append(f"raster {name}: does not overlap the park, skipped")
            return None
        r0, r1, c0, c1 = rows[on].min(), rows[on].max(), cols[on].min(), cols[on].max()
        try:
            band = src.read(1, window=Window(c0, r0, c1 - c0 + 1, r1 - r0 + 1), masked=True)
        except (rasterio.errors.RasterioIOError, ValueError) as exc:
            notes.append(f"raster {name}: cannot be read ({exc}), skipped")
            return None
        data = np.ma.filled(band.astype("float64"), np.nan)
        values[on] = data[rows[on] - r0, cols[on] - c0]
    return values.reshape(xs.shape)


def _class_shares(name: str, values: np.ndarray) -> dict[str, np.ndarray]:
    """Share of each cell's samples in each class (classes by frequency; rare ones as 'other')."""
    flat = values[~np.isnan(values)]
    classes, counts = np.unique(flat.astype("int64"), return_counts=True)
    ranked = classes[np.argsort(-counts, kind="stable")]
    keep, rare = ranked[:MAX_CLASSES], ranked[MAX_CLASSES:]
    valid = (~np.isnan(values)).sum(axis=1)
    denom = np.where(valid > 0, valid, 1)
    shares: dict[str, np.ndarray] = {}
    for c in sorted(keep.tolist()):
        share = (values == c).sum(axis=1) / denom
        shares[f"f_{name}_{c}"] = np.where(valid > 0, share, np.nan)
    if len(rare):
        share = np.isin(values, rare).sum(axis=1) / denom
        shares[f"f_{name}_other"] = np.where(valid > 0, share, np.nan)
    return shares
