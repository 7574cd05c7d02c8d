"""Patrol effort per cell and month: how far patrols walked in each cell, and how much they saw.

``effort_per_cell(grid, data, swath_m=100, max_gap=3 h, max_speed_kmh=60)`` returns one row per
(cell, month) that patrols touched: ``cell_id``, ``period`` ('YYYY-MM'), ``effort_km`` and
``coverage``; ``.attrs["notes"]`` says what was left out and why.

- **Tracks.** The waypoints of each (patrol_id, leg_id), in time order, joined point to point.
  A step longer in time than ``max_gap`` (a night in camp, a lost GPS) or faster than
  ``max_speed_kmh`` (a GPS jump) is not a walked line and is not counted; the notes say how many
  steps and kilometres that was.
- **Months.** A step that crosses midnight at the end of a month is cut where the clock crosses
  it (position interpolated in time), each part counted in its own month. Months are the site's
  wall-clock months when ``data.utc_offset_minutes`` is known (times stay UTC), else UTC months.
- **The park.** Records that lie wholly outside the boundary (the wrong park, or a wrong CRS) are
  a ``ConfigError``, one line; a part outside is noted with its share. Track points inside the park
  that make no walked track in any cell (no patrolled cell-month to learn from) are a
  ``ConfigError`` too: both are the user's input to fix, not a crash.
- **effort_km.** Each step's length is measured on the WGS84 ellipsoid (pyproj ``Geod``), then
  shared between the cells its straight line crosses in EPSG:6933, in proportion to the part in
  each cell (an exact walk along the regular lattice in numpy, no per-point Python loop).
  Track outside every cell (outside the park) is not counted and is noted.
- **coverage**, as ecoscope defines patrol coverage (``ecoscope.base.utils.coverage_area_km2``:
  each segment buffered by ``swath_m / 2`` per side, overlaps merged): the share of the cell's area
  lying within ``swath_m / 2`` of a track walked that month (0..1). The buffers are drawn in a
  locally conformal frame (``grid.conformal_scale``) so the swath has the same ground width
  whichever way the track runs; that frame keeps areas, so shares are exact.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from wildtrace.errors import ConfigError
from wildtrace.patrol import grid as gridmod
from wildtrace.patrol.records import PatrolData

DEFAULT_SWATH_M = 100.0
DEFAULT_MAX_GAP = pd.Timedelta(hours=3)
DEFAULT_MAX_SPEED_KMH = 60.0
#: Segments per quarter circle of the swath's round ends (GEOS buffer); 8 is within 0.2 % of 16.
QUAD_SEGS = 8
_GEOD = pyproj.Geod(ellps="WGS84")
_EMPTY = {"cell_id": "int64", "period": "string", "effort_km": "float64", "coverage": "float64"}


def effort_per_cell(grid: gpd.GeoDataFrame, data: PatrolData, *, swath_m: float = DEFAULT_SWATH_M,
                    max_gap: pd.Timedelta | str = DEFAULT_MAX_GAP,
                    max_speed_kmh: float = DEFAULT_MAX_SPEED_KMH) -> pd.DataFrame:
    """Track length (km) and coverage (0..1) per cell and month; notes in ``.attrs["notes"]``."""
    gap = pd.Timedelta(max_gap)
    if not swath_m > 0:
        raise ConfigError(f"swath width {swath_m} m: it must be positive")
    if gap <= pd.Timedelta(0) or not max_speed_kmh > 0:
        raise ConfigError("the gap and speed limits of a track must be positive")
    notes: list[str] = []
    offset = data.utc_offset_minutes
    inside = _points_in_park(grid, data.waypoints, notes)
    seg = track_segments(data.waypoints, max_gap=gap, max_speed_kmh=max_speed_kmh, notes=notes)
    pieces = split_by_month(seg, offset)
    if pieces.empty:
        if inside:
            raise ConfigError(f"no patrolled cell-month: the {inside:,} track points inside the park "
                              f"make no walked track (legs of one point, or steps over {gap} apart "
                              f"or faster than {max_speed_kmh:g} km/h)")
        out = pd.DataFrame({c: pd.Series(dtype=t) for c, t in _EMPTY.items()})
        out.attrs["notes"] = notes + ["no walked track: effort is zero everywhere"]
        out.attrs["utc_offset_minutes"] = offset
        return out
    cells, km, codes = cell_lengths(grid, pieces)
    if not (km > 0).any():
        raise ConfigError(f"no patrolled cell-month: no walked track lies in a cell of the park "
                          f"{grid.attrs.get('boundary_name', 'given')} (its track points inside it "
                          "are never joined by a counted step)")
    effort = pd.DataFrame({"cell_id": cells, "code": codes, "effort_km": km})
    outside = float(pieces["length_m"].sum() / 1000.0 - effort["effort_km"].sum())
    if outside > 0.001:
        notes.append(f"{outside:,.1f} km of track lies outside the park's cells and is not counted")
    effort = effort.groupby(["cell_id", "code"], as_index=False)["effort_km"].sum()
    cover = coverage(grid, pieces, swath_m)
    out = effort.merge(cover, on=["cell_id", "code"], how="outer")
    out = out.fillna({"effort_km": 0.0, "coverage": 0.0})
    out["period"] = _period_names(out["code"].to_numpy())
    out = out.sort_values(["code", "cell_id"])[["cell_id", "period", "effort_km", "coverage"]]
    out = out.astype(_EMPTY).reset_index(drop=True)
    out.attrs["notes"] = notes
    out.attrs["utc_offset_minutes"] = offset
    return out


def _points_in_park(grid: gpd.GeoDataFrame, waypoints: pd.DataFrame, notes: list[str]) -> int:
    """How many usable track points lie in the park (on its edge counts); none at all, when there
    are some, is a ConfigError (the wrong boundary or CRS); a share outside is noted."""
    lon = waypoints["lon"].to_numpy(dtype=float, na_value=np.nan)
    lat = waypoints["lat"].to_numpy(dtype=float, na_value=np.nan)
    ok = np.isfinite(lon) & np.isfinite(lat)
    total = int(ok.sum())
    if total == 0:
        return 0
    x, y = gridmod.from_lonlat(lon[ok], lat[ok])
    park = gridmod.park_outline(grid)
    shapely.prepare(park)
    inside = int(shapely.intersects_xy(park, x, y).sum())
    name = grid.attrs.get("boundary_name", "given")
    if inside == 0:
        raise ConfigError(f"none of the {total:,} track points lie inside the park boundary {name}: "
                          "is it the right park, and its CRS right?")
    if inside < total:
        notes.append(f"{total - inside:,} of {total:,} track points ({(total - inside) / total:.1%}) "
                     f"lie outside the park boundary {name}; their track is not counted")
    return inside


def track_segments(waypoints: pd.DataFrame, *, max_gap: pd.Timedelta, max_speed_kmh: float,
                   notes: list[str]) -> pd.DataFrame:
    """Consecutive waypoint pairs of each leg that count as walked track.

    Columns: ``run`` (a stretch of unbroken track: same leg, no gap between), ``t0``/``t1``
    (int64 ns UTC), ``x0, y0, x1, y1`` (EPSG:6933 m), ``length_m`` (ellipsoidal).
    """
    wp = waypoints
    usable = wp["lon"].notna() & wp["lat"].notna() & wp["time"].notna()
    usable &= np.isfinite(wp["lon"].to_numpy(dtype=float, na_value=np.nan))
    usable &= np.isfinite(wp["lat"].to_numpy(dtype=float, na_value=np.nan))
    if (~usable).sum():
        notes.append(f"{int((~usable).sum())} waypoints without coordinates or time are not part of any track")
    wp = wp[usable]
    leg = wp.groupby(["patrol_id", "leg_id"], sort=False, dropna=False).ngroup().to_numpy()
    t = wp["time"].to_numpy(dtype="datetime64[ns]").astype("int64")
    order = np.lexsort((t, leg))
    leg, t = leg[order], t[order]
    lon = wp["lon"].to_numpy(dtype=float)[order]
    lat = wp["lat"].to_numpy(dtype=float)[order]
    same = leg[1:] == leg[:-1]
    a = np.flatnonzero(same)
    b = a + 1
    if len(a):
        _, _, dist = _GEOD.inv(lon[a], lat[a], lon[b], lat[b])
        dist = np.asarray(dist, dtype=float)
    else:
        dist = np.zeros(0)
    dt = (t[b] - t[a]) / 1e9
    too_long = dt > max_gap.total_seconds()
    speed_kmh = np.where(dt > 0, dist / np.maximum(dt, 1e-9) * 3.6, np.where(dist > 1.0, np.inf, 0.0))
    too_fast = ~too_long & (speed_kmh > max_speed_kmh)
    if too_long.any():
        notes.append(f"{int(too_long.sum())} steps longer than {max_gap} between waypoints "
                     f"({dist[too_long].sum() / 1000:,.1f} km as the crow flies) are not counted as track")
    if too_fast.any():
        notes.append(f"{int(too_fast.sum())} steps faster than {max_speed_kmh:g} km/h (GPS jumps, "
                     f"{dist[too_fast].sum() / 1000:,.1f} km) are not counted as track")
    ok = ~(too_long | too_fast)
    # A run breaks where the leg changes or a step is not counted.
    breaks = np.ones(len(a), dtype=bool)
    if len(a) > 1:
        breaks[1:] = (a[1:] != b[:-1]) | ~ok[:-1]
    run = np.cumsum(breaks) - 1
    x, y = gridmod.from_lonlat(lon, lat)
    seg = pd.DataFrame({"run": run, "t0": t[a], "t1": t[b], "x0": x[a], "y0": y[a], "x1": x[b],
                        "y1": y[b], "length_m": dist})
    return seg[ok].reset_index(drop=True)


def _month_code(ns: np.ndarray, offset_ns: int = 0) -> np.ndarray:
    """Months since 1970-01 of int64 ns UTC timestamps, on a clock ``offset_ns`` ahead of UTC."""
    local = np.asarray(ns, dtype="int64") + offset_ns
    return local.astype("datetime64[ns]").astype("datetime64[M]").astype("int64")


def _month_start_ns(code: np.ndarray, offset_ns: int = 0) -> np.ndarray:
    """The UTC instant (int64 ns) of local midnight starting each month code."""
    start = np.asarray(code, dtype="int64").astype("datetime64[M]").astype("datetime64[ns]")
    return start.astype("int64") - offset_ns


def _period_names(code: np.ndarray) -> np.ndarray:
    return np.asarray(code, dtype="int64").astype("datetime64[M]").astype(str)


def split_by_month(seg: pd.DataFrame, utc_offset_minutes: int | None = None) -> pd.DataFrame:
    """Each step cut at month boundaries (in time): columns of ``seg`` plus ``code`` (month).

    With ``utc_offset_minutes`` months begin at the site's local midnight; times stay UTC.
    """
    if seg.empty:
        return seg.assign(code=pd.Series(dtype="int64"))
    off = int(utc_offset_minutes or 0) * 60_000_000_000
    t0, t1 = seg["t0"].to_numpy(), seg["t1"].to_numpy()
    m0, m1 = _month_code(t0, off), _month_code(t1, off)
    n = (m1 - m0 + 1).astype("int64")
    idx = np.repeat(np.arange(len(seg)), n)
    k = np.arange(len(idx)) - np.repeat(np.cumsum(n) - n, n)
    code = m0[idx] + k
    dt = (t1 - t0)[idx].astype(float)
    start = np.maximum(t0[idx], _month_start_ns(code, off))
    end = np.minimum(t1[idx], _month_start_ns(code + 1, off))
    fa = np.where(dt > 0, (start - t0[idx]) / np.where(dt > 0, dt, 1.0), 0.0)
    fb = np.where(dt > 0, (end - t0[idx]) / np.where(dt > 0, dt, 1.0), 1.0)
    cols = {c: seg[c].to_numpy()[idx] for c in ("x0", "y0", "x1", "y1", "length_m")}
    dx, dy = cols["x1"] - cols["x0"], cols["y1"] - cols["y0"]
    return pd.DataFrame({
        "run": seg["run"].to_numpy()[idx], "code": code, "t0": start, "t1": end,
        "x0": cols["x0"] + fa * dx, "y0": cols["y0"] + fa * dy,
        "x1": cols["x0"] + fb * dx, "y1": cols["y0"] + fb * dy,
        "length_m": cols["length_m"] * (fb - fa),
    })


def cell_lengths(grid: gpd.GeoDataFrame,
                 pieces: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut each piece where it crosses the lattice: (cell id, km, month code) of each part in a cell."""
    x0w, y0n, size, _, _ = gridmod.lattice(grid)
    u0 = (pieces["x0"].to_numpy() - x0w) / size
    u1 = (pieces["x1"].to_numpy() - x0w) / size
    v0 = (y0n - pieces["y0"].to_numpy()) / size
    v1 = (y0n - pieces["y1"].to_numpy()) / size
    n = len(pieces)
    ts = [np.zeros(n), np.ones(n)]
    owners = [np.arange(n), np.arange(n)]
    for p0, p1 in ((u0, u1), (v0, v1)):
        lo = np.floor(np.minimum(p0, p1)) + 1
        hi = np.ceil(np.maximum(p0, p1)) - 1
        count = np.maximum(hi - lo + 1, 0).astype("int64")
        who = np.repeat(np.arange(n), count)
        k = lo[who] + (np.arange(len(who)) - np.repeat(np.cumsum(count) - count, count))
        ts.append((k - p0[who]) / (p1 - p0)[who])
        owners.append(who)
    t = np.concatenate(ts)
    owner = np.concatenate(owners)
    order = np.lexsort((t, owner))
    t, owner = t[order], owner[order]
    same = owner[1:] == owner[:-1]
    ta, tb, who = t[:-1][same], t[1:][same], owner[:-1][same]
    mid = (ta + tb) / 2
    col = np.floor(u0[who] + mid * (u1 - u0)[who])
    row = np.floor(v0[who] + mid * (v1 - v0)[who])
    table = gridmod.cell_lookup(grid)
    nr, nc = table.shape
    inside = (col >= 0) & (col < nc) & (row >= 0) & (row < nr)
    cell = np.full(len(who), -1, dtype="int64")
    cell[inside] = table[row[inside].astype("int64"), col[inside].astype("int64")]
    km = (tb - ta) * pieces["length_m"].to_numpy()[who] / 1000.0
    keep = (cell >= 0) & (km > 0)
    return cell[keep], km[keep], pieces["code"].to_numpy()[who][keep]


def coverage(grid: gpd.GeoDataFrame, pieces: pd.DataFrame, swath_m: float,
             months_per_batch: int = 6) -> pd.DataFrame:
    """Share of each cell's area within ``swath_m / 2`` of the month's track (cell_id, code, coverage).

    Works through the months a few at a time so memory stays flat however long the records run.
    """
    code = pieces["code"].to_numpy()
    parts = [_coverage_batch(grid, pieces[(code >= lo) & (code < lo + months_per_batch)], swath_m)
             for lo in range(int(code.min()), int(code.max()) + 1, months_per_batch)]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({"cell_id": pd.Series(dtype="int64"), "code": pd.Series(dtype="int64"),
                             "coverage": pd.Series(dtype=float)})
    return pd.concat(parts, ignore_index=True)


def _candidates(grid: gpd.GeoDataFrame, pieces: pd.DataFrame, reach_x: float,
                reach_y: float) -> tuple[np.ndarray, np.ndarray]:
    """(piece, cell position) pairs whose boxes, the piece's widened by the swath, overlap."""
    x0w, y0n, size, nr, nc = gridmod.lattice(grid)
    x0, x1 = pieces["x0"].to_numpy(), pieces["x1"].to_numpy()
    y0, y1 = pieces["y0"].to_numpy(), pieces["y1"].to_numpy()
    c_lo = np.clip(np.floor((np.minimum(x0, x1) - reach_x - x0w) / size), 0, nc - 1).astype("int64")
    c_hi = np.clip(np.floor((np.maximum(x0, x1) + reach_x - x0w) / size), 0, nc - 1).astype("int64")
    r_lo = np.clip(np.floor((y0n - np.maximum(y0, y1) - reach_y) / size), 0, nr - 1).astype("int64")
    r_hi = np.clip(np.floor((y0n - np.minimum(y0, y1) + reach_y) / size), 0, nr - 1).astype("int64")
    w, h = c_hi - c_lo + 1, r_hi - r_lo + 1
    n = w * h
    piece = np.repeat(np.arange(len(pieces)), n)
    k = np.arange(len(piece)) - np.repeat(np.cumsum(n) - n, n)
    row = r_lo[piece] + k // w[piece]
    col = c_lo[piece] + k % w[piece]
    position = np.full((nr, nc), -1, dtype="int64")
    position[grid["row"].to_numpy(), grid["col"].to_numpy()] = np.arange(len(grid))
    cell = position[row, col]
    keep = cell >= 0
    return piece[keep], cell[keep]


def _coverage_batch(grid: gpd.GeoDataFrame, pieces: pd.DataFrame, swath_m: float) -> pd.DataFrame:
    if pieces.empty:
        return pd.DataFrame()
    sx, sy = gridmod.conformal_scale(grid)
    r = swath_m / 2.0
    seg_i, cell_i = _candidates(grid, pieces, r * sx, r * sy)
    if len(seg_i) == 0:
        return pd.DataFrame()
    b = grid.geometry.bounds
    rect = np.column_stack([b["minx"] / sx, b["miny"] / sy, b["maxx"] / sx, b["maxy"] / sy])
    ncell = len(rect)
    code = pieces["code"].to_numpy()
    run = pieces["run"].to_numpy()
    base = code.min()
    key = (code[seg_i] - base) * ncell + cell_i
    order = np.lexsort((seg_i, key))
    key, seg_i, cell_i = key[order], seg_i[order], cell_i[order]
    # Only track within r of the cell can cover it, and all of it lies in the cell's box widened by
    # r: clip each step to that box first (Liang-Barsky, in numpy) so every buffer stays small.
    x0, y0 = pieces["x0"].to_numpy()[seg_i] / sx, pieces["y0"].to_numpy()[seg_i] / sy
    x1, y1 = pieces["x1"].to_numpy()[seg_i] / sx, pieces["y1"].to_numpy()[seg_i] / sy
    box = rect[cell_i]
    ta, tb = _clip(x0, y0, x1, y1, box[:, 0] - r, box[:, 1] - r, box[:, 2] + r, box[:, 3] + r)
    keep = ta <= tb
    if not keep.any():  # the candidate boxes were clamped to the lattice: no track reaches a cell
        return pd.DataFrame()
    key, seg_i, ta, tb = key[keep], seg_i[keep], ta[keep], tb[keep]
    dx, dy = (x1 - x0)[keep], (y1 - y0)[keep]
    x0, y0 = x0[keep], y0[keep]
    groups, group_idx = np.unique(key, return_inverse=True)
    # Chain consecutive steps of one run within a group: one line buffers far faster than many
    # touching segments, and gives the same swath.
    start = np.ones(len(seg_i), dtype=bool)
    start[1:] = ((key[1:] != key[:-1]) | (seg_i[1:] != seg_i[:-1] + 1)
                 | (run[seg_i[1:]] != run[seg_i[:-1]]) | (tb[:-1] < 1) | (ta[1:] > 0))
    chain = np.cumsum(start) - 1
    last = np.r_[start[1:], True]
    xy = np.column_stack([x0 + ta * dx, y0 + ta * dy])
    end_xy = np.column_stack([x0 + tb * dx, y0 + tb * dy])[last]
    pos = np.r_[np.arange(len(seg_i)) * 2, np.flatnonzero(last) * 2 + 1]
    pts = np.r_[xy, end_xy]
    owner = np.r_[chain, chain[last]]
    o = np.argsort(pos, kind="stable")
    chains = shapely.linestrings(pts[o], indices=owner[o])
    # Buffer each chain, clip it to its cell, then merge the pieces of a cell-month (ecoscope's
    # merged coverage): GEOS is several times faster this way than buffering one multi-line of
    # many overlapping patrols, and the area is the same.
    cells = (groups % ncell).astype("int64")
    box = rect[cells]
    boxes = shapely.box(box[:, 0], box[:, 1], box[:, 2], box[:, 3])
    gid = group_idx[start]
    buffers = shapely.intersection(shapely.buffer(chains, r, quad_segs=QUAD_SEGS), boxes[gid])
    edges = np.r_[0, np.flatnonzero(np.diff(gid)) + 1, len(gid)]
    clipped = buffers[edges[:-1]].copy()
    for k in np.flatnonzero(np.diff(edges) > 1):
        clipped[k] = shapely.union_all(buffers[edges[k]:edges[k + 1]])
    area = (box[:, 2] - box[:, 0]) * (box[:, 3] - box[:, 1])
    share = np.clip(shapely.area(clipped) / area, 0.0, 1.0)
    out = pd.DataFrame({"cell_id": grid["cell_id"].to_numpy()[cells],
                        "code": groups // ncell + base, "coverage": share})
    return out[out["coverage"] > 0]


def _clip(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray, xmin: np.ndarray,
          ymin: np.ndarray, xmax: np.ndarray, ymax: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Liang-Barsky: the part [ta, tb] of each segment inside its box (ta > tb: none)."""
    ta, tb = np.zeros(len(x0)), np.ones(len(x0))
    dx, dy = x1 - x0, y1 - y0
    for p, q in ((-dx, x0 - xmin), (dx, xmax - x0), (-dy, y0 - ymin), (dy, ymax - y0)):
        parallel = p == 0
        tb = np.where(parallel & (q < 0), -1.0, tb)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(parallel, 0.0, q / np.where(parallel, 1.0, p))
        ta = np.where(~parallel & (p < 0), np.maximum(ta, t), ta)
        tb = np.where(~parallel & (p > 0), np.minimum(tb, t), tb)
    return ta, tb
