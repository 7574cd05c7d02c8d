"""The SYNTHETIC park's records and files: PatrolData tables, layers, rasters on disk.

Turns the simulated walks and finds (park CRS, int64 UTC nanoseconds) into the ``PatrolData``
every importer returns (WGS84, UTC, exactly the contract's columns), and writes the park's
rasters and layers to a folder so the feature code reads them as it would a real site's files.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import shapely
from pyproj import Transformer
from rasterio.transform import Affine
from shapely.geometry import LineString, Polygon

from wildtrace.patrol.records import (
    OBSERVATION_COLUMNS,
    PATROL_COLUMNS,
    WAYPOINT_COLUMNS,
    WGS84,
    PatrolData,
)
from wildtrace.patrol.synthetic_walk import UTC_OFFSET_H, Walks
from wildtrace.patrol.synthetic_world import LAND_COVER, PARK_CRS, Terrain, TruthField

SOURCE = "synthetic"
ILLEGAL = {"humanactivity/snare": 0.75, "humanactivity/poachercamp": 0.12,
           "humanactivity/carcass": 0.13}
WILDLIFE = {"wildlife/elephant": 0.2, "wildlife/buffalo": 0.25, "wildlife/uganda_kob": 0.3,
            "wildlife/lion": 0.05, "wildlife/hippopotamus": 0.1, "wildlife/leopard": 0.02,
            "wildlife/topi": 0.08}
RASTER_RES_M = 250.0


def _pick(rng: np.random.Generator, table: dict[str, float], n: int) -> np.ndarray:
    keys = list(table)
    w = np.array([table[k] for k in keys])
    return np.array(keys, dtype=object)[rng.choice(len(keys), n, p=w / w.sum())]


def _attributes(rng: np.random.Generator, category: str) -> str:
    """SMART-like attributes of one observation, as a JSON object."""
    if category == "humanactivity/snare":
        attrs: dict[str, object] = {
            "number": int(rng.geometric(0.5)), "snaretype": str(rng.choice(["wire", "nylon"])),
            "actiontakenitems": "removed"}
    elif category == "humanactivity/poachercamp":
        attrs = {"age": str(rng.choice(["fresh", "old"])), "numberofpeople": int(rng.integers(0, 4))}
    elif category == "humanactivity/carcass":
        attrs = {"species": str(rng.choice(["buffalo", "uganda_kob", "warthog", "elephant"])),
                 "causeofdeath": "snare"}
    else:
        attrs = {"number": int(rng.geometric(0.15)),
                 "agesex": str(rng.choice(["mixed", "adult male", "female with young"]))}
    return json.dumps(attrs, sort_keys=True)


def _lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = Transformer.from_crs(PARK_CRS, WGS84, always_xy=True).transform(x, y)
    return np.asarray(lon, float), np.asarray(lat, float)


def _utc(ns: np.ndarray) -> pd.DatetimeIndex:
    return pd.to_datetime(np.asarray(ns, np.int64), unit="ns", utc=True)


def patrol_ids(walks: Walks) -> np.ndarray:
    """SMART-like patrol ids: SYN-<local start date>-<number that day>."""
    n = len(walks.day)
    if n == 0:
        return np.empty(0, dtype=object)
    _, first, inverse = np.unique(walks.day, return_index=True, return_inverse=True)
    k = np.arange(n) - first[inverse] + 1
    dates = _utc(walks.start + UTC_OFFSET_H * 3_600_000_000_000).strftime("%Y%m%d")
    return np.array([f"SYN-{d}-{i:02d}" for d, i in zip(dates, k, strict=True)], dtype=object)


def records(rng: np.random.Generator, walks: Walks, finds: dict[str, np.ndarray],
            truth: TruthField, park: Polygon, periods: list[str], wildlife_per_patrol: float,
            n_incidental: int) -> PatrolData:
    """The simulated patrols, waypoints and observations as a PatrolData (WGS84, UTC)."""
    ids = patrol_ids(walks)
    n_p = len(ids)
    members = [";".join(f"Ranger {p + 1}-{r:02d}" for r in sorted(
        rng.choice(12, int(rng.integers(2, 5)), replace=False) + 1)) for p in walks.post]
    patrols = pd.DataFrame({
        "patrol_id": ids, "leg_id": ids + "-L1", "source": SOURCE,
        "transport": np.where(walks.vehicle, "vehicle", "foot"), "members": members,
        "start": _utc(walks.start), "end": _utc(walks.end), "line": np.arange(1, n_p + 1)})
    lon, lat = _lonlat(walks.x, walks.y)
    waypoints = pd.DataFrame({
        "patrol_id": ids[walks.pid], "leg_id": (ids + "-L1")[walks.pid], "time": _utc(walks.t),
        "lon": lon, "lat": lat, "source": SOURCE, "line": np.arange(1, len(lon) + 1)})
    # Finds of illegal activity, where and when the patrol was.
    cat_f = _pick(rng, ILLEGAL, len(finds["x"]))
    # Wildlife sightings at random waypoints of each patrol (not illegal activity).
    counts = np.bincount(walks.pid, minlength=n_p)
    starts = np.cumsum(counts) - counts
    n_w = rng.poisson(wildlife_per_patrol, n_p)
    wp = np.repeat(np.arange(n_p), n_w)
    wi = starts[wp] + (rng.random(len(wp)) * counts[wp]).astype(int)
    cat_w = _pick(rng, WILDLIFE, len(wi))
    # Incidental reports without a patrol (community informants), where pressure is high.
    minx, miny, maxx, maxy = park.bounds
    cx, cy = rng.uniform(minx, maxx, 60 * n_incidental), rng.uniform(miny, maxy, 60 * n_incidental)
    inside = shapely.contains_xy(park, cx, cy)
    cx, cy = cx[inside], cy[inside]
    cm = rng.integers(0, len(periods), len(cx))
    year = np.array([int(periods[i][:4]) for i in cm])
    month = np.array([int(periods[i][5:]) for i in cm])
    w = truth.prob(cx, cy, year, month)
    take = rng.choice(len(cx), min(n_incidental, len(cx)), replace=False, p=w / w.sum())
    month_ns = pd.to_datetime([periods[i] + "-01" for i in cm[take]], utc=True).as_unit("ns").asi8
    ti = month_ns + (rng.uniform(0, 28, len(take)) * 86_400e9).astype(np.int64)
    cat_i = np.where(rng.random(len(take)) < 0.75, "humanactivity/snare", "wildlife/elephant")
    x = np.concatenate([finds["x"], walks.x[wi], cx[take]])
    y = np.concatenate([finds["y"], walks.y[wi], cy[take]])
    t = np.concatenate([finds["t"], walks.t[wi], ti]).astype(np.int64)
    pid = pd.array(np.concatenate([ids[finds["pid"].astype(int)], ids[walks.pid[wi]],
                                   np.full(len(take), None, dtype=object)]), dtype="string")
    cat = np.concatenate([cat_f, cat_w, cat_i]).astype(object)
    order = np.argsort(t, kind="stable")
    olon, olat = _lonlat(x[order], y[order])
    observations = pd.DataFrame({
        "obs_id": [f"SYN-O{i:06d}" for i in range(1, len(order) + 1)],
        "patrol_id": pid[order], "time": _utc(t[order]), "lon": olon, "lat": olat,
        "category": cat[order], "attributes": [_attributes(rng, c) for c in cat[order]],
        "source": np.where(pd.isna(pid[order]), SOURCE + "-incidental", SOURCE),
        "line": np.arange(1, len(order) + 1)})
    return PatrolData(patrols=patrols.astype(PATROL_COLUMNS),
                      waypoints=waypoints.astype(WAYPOINT_COLUMNS),
                      observations=observations.astype(OBSERVATION_COLUMNS))


def layers(rng: np.random.Generator, roads: list[tuple[str, LineString]],
           rivers: list[LineString], villages: np.ndarray, posts: np.ndarray, park: Polygon
           ) -> dict[str, gpd.GeoDataFrame]:
    """Roads, rivers, villages and ranger posts as GeoDataFrames in the park CRS."""
    vpts = shapely.points(villages[:, 0], villages[:, 1])
    return {
        "roads": gpd.GeoDataFrame({"name": [n for n, _ in roads]},
                                  geometry=[g for _, g in roads], crs=PARK_CRS),
        "rivers": gpd.GeoDataFrame({"name": [f"River {i + 1}" for i in range(len(rivers))]},
                                   geometry=rivers, crs=PARK_CRS),
        "villages": gpd.GeoDataFrame({
            "name": [f"Village {i + 1}" for i in range(len(villages))],
            "population": rng.integers(200, 5000, len(villages)),
            "inside_park": shapely.contains(park, vpts)}, geometry=vpts, crs=PARK_CRS),
        "posts": gpd.GeoDataFrame({
            "post_id": [f"POST-{i + 1}" for i in range(len(posts))],
            "name": [f"Ranger post {i + 1}" for i in range(len(posts))]},
            geometry=shapely.points(posts[:, 0], posts[:, 1]), crs=PARK_CRS),
    }


def write(folder: Path, seed: int, boundary: gpd.GeoDataFrame,
          layer_frames: dict[str, gpd.GeoDataFrame], terrain: Terrain
          ) -> tuple[dict[str, Path], dict[str, Path]]:
    """Rasters (GeoTIFF, park CRS, 250 m) and layers (GeoJSON, WGS84) of the park."""
    folder.mkdir(parents=True, exist_ok=True)
    minx, miny, maxx, maxy = boundary.geometry.iloc[0].buffer(5000).bounds
    x0, y1 = np.floor(minx / RASTER_RES_M) * RASTER_RES_M, np.ceil(maxy / RASTER_RES_M) * RASTER_RES_M
    width = int(np.ceil((maxx - x0) / RASTER_RES_M))
    height = int(np.ceil((y1 - miny) / RASTER_RES_M))
    cols, rows = np.meshgrid(np.arange(width), np.arange(height))
    xs = (x0 + (cols + 0.5) * RASTER_RES_M).ravel()
    ys = (y1 - (rows + 0.5) * RASTER_RES_M).ravel()
    # what rasterio's from_origin gives, written out (its own Affine product warns of a deprecation)
    transform = Affine(RASTER_RES_M, 0.0, x0, 0.0, -RASTER_RES_M, y1)
    rasters = {"elevation": folder / "elevation.tif", "landcover": folder / "landcover.tif"}
    grids = {"elevation": terrain.elevation(xs, ys).reshape(height, width).astype(np.float32),
             "landcover": terrain.land_cover(xs, ys).reshape(height, width)}
    for name, path in rasters.items():
        arr = grids[name]
        with rasterio.open(path, "w", driver="GTiff", width=width, height=height, count=1,
                           dtype=arr.dtype.name, crs=PARK_CRS, transform=transform,
                           nodata=(-9999.0 if name == "elevation" else 0)) as dst:
            dst.write(arr, 1)
            dst.update_tags(SYNTHETIC="true", seed=str(seed),
                            **({"classes": json.dumps(LAND_COVER)} if name == "landcover"
                               else {"units": "metres above sea level"}))
    files = {"boundary": folder / "boundary.geojson"}
    boundary.to_crs(WGS84).to_file(files["boundary"], driver="GeoJSON")
    for name, gdf in layer_frames.items():
        files[name] = folder / f"{name}.geojson"
        gdf.to_crs(WGS84).to_file(files[name], driver="GeoJSON")
    files["readme"] = folder / "SYNTHETIC.txt"
    files["readme"].write_text(
        f"SYNTHETIC park made by wildtrace.patrol.synthetic.make_park(seed={seed}).\n"
        "Not a real park: the outline, layers, rasters and patrols are simulated.\n",
        encoding="utf-8")
    return rasters, files
