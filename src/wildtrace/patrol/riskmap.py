"""Risk maps for one month: a GeoTIFF for GIS, GeoJSON for web maps, a PNG for people.

All three read the grid (``grid.make_grid``: square cells in ``WORK_CRS`` with ``cell_id``, ``row``,
``col``) and a risk table (``cell_id``, ``risk`` in [0, 1], ``uncertainty``). The GeoTIFF is one
float32 band aligned on the grid (row/col become raster rows/columns; pixels with no cell are
nodata); the GeoJSON is RFC 7946 (WGS84 lon/lat, no ``crs`` member, exterior rings
counter-clockwise) with each cell's risk, rank and decile; the PNG is drawn here with Pillow (no
matplotlib, no internet tiles) with a colour ramp readable by colour-blind people (viridis), the
park outline, ranger posts, plan routes, a legend and a scale bar in km.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from PIL import Image, ImageDraw, ImageFont
from pyproj import Geod, Transformer

from wildtrace.errors import Invalid
from wildtrace.patrol.records import WGS84, WORK_CRS

if TYPE_CHECKING:
    from wildtrace.patrol.plan import Plan

#: Value written where there is no cell (outside the park) or no value.
NODATA = -9999.0

#: Viridis (matplotlib's perceptually uniform, colour-blind-safe ramp) at 11 even stops; colours
#: in between are interpolated linearly, which is indistinguishable from the 256-entry table.
VIRIDIS: tuple[tuple[int, int, int], ...] = (
    (0x44, 0x01, 0x54), (0x48, 0x24, 0x75), (0x41, 0x44, 0x87), (0x35, 0x5F, 0x8D),
    (0x2A, 0x78, 0x8E), (0x21, 0x91, 0x8C), (0x22, 0xA8, 0x84), (0x44, 0xBF, 0x70),
    (0x7A, 0xD1, 0x51), (0xBD, 0xDF, 0x26), (0xFD, 0xE7, 0x25),
)
BACKGROUND = (255, 255, 255)
NO_VALUE = (200, 200, 200)      # a cell of the park without a risk value
OUTLINE = (20, 20, 20)          # the park boundary
ROUTE = (230, 97, 0)            # plan routes: orange, apart from every viridis colour
POST = (255, 255, 255)          # posts: white triangles with a black edge
TARGET = (230, 97, 0)


@dataclass(frozen=True)
class Layout:
    """Where the grid's cells fall on a north-up raster: transform, shape, pixel of each cell."""

    transform: Any          # affine.Affine
    height: int
    width: int
    rows: np.ndarray        # raster row of each grid cell (grid order)
    cols: np.ndarray        # raster column of each grid cell (grid order)
    cell_size: float        # metres in WORK_CRS


def layout(grid: gpd.GeoDataFrame) -> Layout:
    """The north-up raster the grid's rows and columns make.

    A grid from ``grid.make_grid`` carries its lattice in ``attrs`` (origin, cell size, shape):
    the raster is then the whole lattice. Otherwise it is inferred from the cells:

    the cell size is the widest cell (at least one cell is whole), and the origin is the left/top
    edge implied by the cells whose edge was not clipped, so clipped cells at the park edge still
    land on the right pixel. Row 0 may be the grid's north or south row: the centroids decide.
    """
    from affine import Affine

    if len(grid) == 0:
        raise Invalid("the grid has no cells")
    row = grid["row"].to_numpy(dtype=np.int64)
    col = grid["col"].to_numpy(dtype=np.int64)
    meta = grid.attrs
    if {"origin", "cell_m", "shape"} <= set(meta):  # grid.make_grid's lattice: row 0 is north
        (x0, y0), size, (nrows, ncols) = meta["origin"], float(meta["cell_m"]), meta["shape"]
        return Layout(Affine(size, 0.0, float(x0), 0.0, -size, float(y0)), int(nrows),
                      int(ncols), row, col, size)
    bounds = shapely.bounds(np.asarray(grid.geometry.values))
    size = float(max(np.max(bounds[:, 2] - bounds[:, 0]), np.max(bounds[:, 3] - bounds[:, 1])))
    col0, row0 = int(col.min()), int(row.min())
    width, height = int(col.max()) - col0 + 1, int(row.max()) - row0 + 1
    left = float(np.min(bounds[:, 0] - (col - col0) * size))
    cy = (bounds[:, 1] + bounds[:, 3]) / 2
    north_first = height == 1 or cy[row == row.min()].mean() > cy[row == row.max()].mean()
    if north_first:
        top = float(np.max(bounds[:, 3] + (row - row0) * size))
        rrows = row - row0
    else:
        top = float(np.max(bounds[:, 3] - (row - row0) * size)) + (height - 1) * size
        rrows = (height - 1) - (row - row0)
    return Layout(Affine(size, 0.0, left, 0.0, -size, top), height, width, rrows, col - col0, size)


def _values_in_grid_order(grid: gpd.GeoDataFrame, values: Any, column: str = "risk"
                          ) -> np.ndarray:
    """``values`` as a float array in grid order: a risk table (its ``column`` by cell_id), a
    Series or mapping by cell_id, or a sequence already in grid order."""
    if isinstance(values, pd.DataFrame):
        if column not in values.columns or "cell_id" not in values.columns:
            raise Invalid(f"the table has no cell_id/{column} columns: {list(values.columns)}")
        values = pd.Series(values[column].to_numpy(), index=values["cell_id"].to_numpy())
    if isinstance(values, pd.Series | Mapping):
        series = pd.Series(values, dtype="float64")
        return grid["cell_id"].map(series).to_numpy(dtype="float64", na_value=np.nan)
    arr = np.asarray(values, dtype="float64")
    if arr.shape != (len(grid),):
        raise Invalid(f"values has shape {arr.shape}; the grid has {len(grid)} cells")
    return arr


def write_geotiff(grid: gpd.GeoDataFrame, values: Any, path: str | Path, *,
                  nodata: float = NODATA, tags: Mapping[str, object] | None = None,
                  column: str = "risk") -> Path:
    """One float32 band aligned on the grid, CRS and transform written, tags for provenance.

    ``values``: per cell (a risk table, whose ``column`` is written; a Series/mapping by
    cell_id; or a sequence in grid order). Pixels with
    no cell (outside the park) and cells without a value are ``nodata``. ``tags`` (e.g.
    ``model_version``, ``input_hash``, ``period``) are written as GeoTIFF metadata tags.
    """
    import rasterio

    lay = layout(grid)
    vals = _values_in_grid_order(grid, values, column)
    band = np.full((lay.height, lay.width), nodata, dtype="float32")
    band[lay.rows, lay.cols] = np.where(np.isfinite(vals), vals, nodata).astype("float32")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    profile = {"driver": "GTiff", "height": lay.height, "width": lay.width, "count": 1,
               "dtype": "float32", "crs": grid.crs or WORK_CRS, "transform": lay.transform,
               "nodata": nodata, "compress": "deflate"}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(band, 1)
        dst.update_tags(**{str(k): str(v) for k, v in (tags or {}).items()})
    return path


def one_value_per_cell(risk_df: pd.DataFrame) -> None:
    """A map or plan is of one month: a table with a cell twice (several periods) is refused."""
    if "cell_id" not in risk_df.columns or "risk" not in risk_df.columns:
        raise Invalid(f"the risk table needs cell_id and risk columns: {list(risk_df.columns)}")
    if risk_df["cell_id"].duplicated().any():
        raise Invalid("the risk table holds a cell more than once (several months?): "
                      "give one month's rows")


def ranked(grid: gpd.GeoDataFrame, risk_df: pd.DataFrame) -> pd.DataFrame:
    """The grid's cells with risk, uncertainty, rank (1 = highest risk) and decile (1 = top 10 %).

    Ties in risk are ranked by cell_id so the order is reproducible; cells without a risk value
    get no rank.
    """
    one_value_per_cell(risk_df)
    cols = [c for c in ("cell_id", "risk", "uncertainty") if c in risk_df.columns]
    df = grid[["cell_id", "row", "col"]].merge(risk_df[cols], on="cell_id", how="left")
    if "uncertainty" not in df.columns:
        df["uncertainty"] = np.nan
    order = df.dropna(subset=["risk"]).sort_values(["risk", "cell_id"], ascending=[False, True])
    n = len(order)
    rank = pd.Series(np.arange(1, n + 1), index=order.index)
    df["rank"] = rank.reindex(df.index).astype("Int64")
    df["decile"] = np.ceil(df["rank"].astype("float64") * 10 / max(n, 1)).astype("Int64")
    return df


def _num(x: Any) -> float | None:
    return None if x is None or pd.isna(x) else round(float(x), 6)


def write_geojson(grid: gpd.GeoDataFrame, risk_df: pd.DataFrame, path: str | Path, *,
                  properties: Mapping[str, object] | None = None) -> Path:
    """The cells as WGS84 polygons (RFC 7946) with cell_id, row, col, risk, uncertainty, rank, decile.

    ``properties`` (model version, input hash, period...) go in the collection's ``properties``
    foreign member, once, not on every feature.
    """
    df = ranked(grid, risk_df)
    geoms = gpd.GeoSeries(grid.geometry.values, crs=grid.crs or WORK_CRS).to_crs(WGS84).values
    geoms = shapely.orient_polygons(shapely.set_precision(np.asarray(geoms), 1e-7),
                                    exterior_cw=False)
    features = []
    for rec, geom in zip(df.itertuples(index=False), geoms, strict=True):
        features.append({
            "type": "Feature",
            "geometry": shapely.geometry.mapping(geom),
            "properties": {"cell_id": int(rec.cell_id), "row": int(rec.row), "col": int(rec.col),
                           "risk": _num(rec.risk), "uncertainty": _num(rec.uncertainty),
                           "rank": None if pd.isna(rec.rank) else int(rec.rank),
                           "decile": None if pd.isna(rec.decile) else int(rec.decile)},
        })
    doc: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if properties:
        doc["properties"] = {str(k): v for k, v in properties.items()}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, separators=(",", ":"), default=str), encoding="utf-8")
    return path


def ramp(values: np.ndarray) -> np.ndarray:
    """Viridis RGB (uint8, shape (n, 3)) for values in [0, 1] (clipped); NaN gets NO_VALUE."""
    v = np.clip(np.nan_to_num(values, nan=0.0), 0.0, 1.0) * (len(VIRIDIS) - 1)
    lo = np.floor(v).astype(int).clip(0, len(VIRIDIS) - 2)
    t = (v - lo)[:, None]
    table = np.asarray(VIRIDIS, dtype="float64")
    rgb = np.rint(table[lo] * (1 - t) + table[lo + 1] * t).astype("uint8")
    rgb[np.isnan(values)] = NO_VALUE
    return rgb


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _nice_km(km: float) -> float:
    """The largest 1, 2 or 5 × 10^k not above ``km``."""
    if km <= 0:
        return 0.0
    base = 10 ** math.floor(math.log10(km))
    return next(m * base for m in (5, 2, 1) if m * base <= km)


class _Canvas:
    """Maps WORK_CRS coordinates to pixels in the map frame (north up, equal scale on x and y)."""

    def __init__(self, bbox: tuple[float, float, float, float], frame: tuple[int, int, int, int]):
        minx, miny, maxx, maxy = bbox
        fx0, fy0, fx1, fy1 = frame
        span = max(maxx - minx, maxy - miny, 1.0)
        self.scale = min((fx1 - fx0) / max(maxx - minx, span * 1e-3),
                         (fy1 - fy0) / max(maxy - miny, span * 1e-3))
        self.x0 = fx0 + ((fx1 - fx0) - (maxx - minx) * self.scale) / 2 - minx * self.scale
        self.y0 = fy0 + ((fy1 - fy0) - (maxy - miny) * self.scale) / 2 + maxy * self.scale

    def px(self, xy: np.ndarray) -> list[tuple[float, float]]:
        x = self.x0 + xy[:, 0] * self.scale
        y = self.y0 - xy[:, 1] * self.scale
        return list(zip(x.tolist(), y.tolist(), strict=True))


def _rings(geom: Any) -> list[np.ndarray]:
    """Every ring (exterior and holes) of a (multi)polygon or line, as coordinate arrays."""
    out: list[np.ndarray] = []
    for part in shapely.get_parts(geom):
        if isinstance(part, shapely.Polygon):
            out.append(np.asarray(part.exterior.coords))
            out.extend(np.asarray(r.coords) for r in part.interiors)
        elif not part.is_empty:
            out.append(shapely.get_coordinates(part))
    return out


def render_png(grid: gpd.GeoDataFrame, risk_df: pd.DataFrame, boundary: gpd.GeoDataFrame | None,
               path: str | Path, *, posts: gpd.GeoDataFrame | None = None,
               plan: Plan | None = None, title: str = "Poaching risk",
               period: str | None = None, synthetic: bool = False, legend: bool = True,
               size: tuple[int, int] = (1000, 800), column: str = "risk") -> Path:
    """A picture of the month's risk map, drawn server-side with Pillow.

    Cells coloured by ``column`` (viridis, 0 to 1; edge cells only where they are park), the park
    outline (``boundary``, or the one the grid keeps in ``attrs["boundary"]`` when None), ranger
    posts (white triangles), the plan's routes (orange lines, targets as dots), a title naming
    the month and saying SYNTHETIC when asked, a legend and a scale bar. The map is drawn in WORK_CRS; the scale
    bar is measured on the ground (geodesic) at the map's centre latitude, since EPSG:6933's
    east-west scale is true only at 30° N/S.
    """
    width, height = size
    if width < 200 or height < 150:
        raise Invalid(f"PNG size {size} is too small (at least 200 × 150)")
    img = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(img)
    s = max(10, min(width, height) // 45)
    title_font, font = _font(int(s * 1.4)), _font(s)
    top = int(s * 3)
    legend_w = int(s * 11) if legend else 0
    frame = (s, top, width - legend_w - s, height - int(s * 3.5))

    border = boundary.to_crs(WORK_CRS) if boundary is not None and len(boundary) else None
    if border is None and isinstance(grid.attrs.get("boundary"), shapely.Geometry):
        border = gpd.GeoDataFrame(geometry=[grid.attrs["boundary"]], crs=WORK_CRS)
    work = grid.to_crs(WORK_CRS) if grid.crs and grid.crs != WORK_CRS else grid
    boxes = [work.total_bounds] + ([border.total_bounds] if border is not None else [])
    bb = np.vstack(boxes)
    bbox = (bb[:, 0].min(), bb[:, 1].min(), bb[:, 2].max(), bb[:, 3].max())
    canvas = _Canvas(bbox, frame)

    df = ranked(work, risk_df)
    values = (df[column].to_numpy(dtype="float64", na_value=np.nan)
              if column in df.columns else np.full(len(df), np.nan))
    scale_top = colour_top(values)
    colours = ramp(values / scale_top)
    shapes = np.asarray(work.geometry.values)
    if border is not None and "inside" in work.columns:  # whole squares: colour only the park
        edge = work["inside"].to_numpy(dtype="float64") < 1 - 1e-9
        shapes = shapes.copy()
        shapes[edge] = shapely.intersection(shapes[edge], border.geometry.union_all())
    for geom, rgb in zip(shapes, colours, strict=True):
        fill = tuple(int(c) for c in rgb)
        for part in shapely.get_parts(geom):
            if isinstance(part, shapely.Polygon) and not part.is_empty:
                draw.polygon(canvas.px(np.asarray(part.exterior.coords)), fill=fill, outline=fill)
    if border is not None:
        for ring in _rings(border.geometry.union_all()):
            draw.line(canvas.px(ring), fill=OUTLINE, width=max(2, s // 5), joint="curve")
    if plan is not None:
        _draw_plan(draw, canvas, plan, s)
    if posts is not None and len(posts):
        pts = shapely.get_coordinates(posts.to_crs(WORK_CRS).geometry.values)
        r = s * 0.7
        for x, y in canvas.px(pts):
            draw.polygon([(x, y - r), (x - r, y + r * 0.7), (x + r, y + r * 0.7)],
                         fill=POST, outline=OUTLINE, width=2)

    heading = " · ".join(p for p in (title, period, "SYNTHETIC DATA" if synthetic else "") if p)
    draw.text((s, s * 0.8), heading, fill=OUTLINE, font=title_font)
    _scale_bar(draw, canvas, bbox, (frame[0], height - int(s * 1.2)), s, font)
    if legend:
        _legend(draw, (width - legend_w, top), s, font, posts is not None, plan is not None, scale_top)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, format="PNG", optimize=False)
    return path


def _draw_plan(draw: ImageDraw.ImageDraw, canvas: _Canvas, plan: Plan, s: int) -> None:
    to_work = Transformer.from_crs(WGS84, WORK_CRS, always_xy=True)
    for route in plan.routes:
        if not route.waypoints:
            continue
        lon, lat = np.asarray(route.waypoints, dtype="float64").T
        x, y = to_work.transform(lon, lat)
        pts = canvas.px(np.column_stack([x, y]))
        draw.line(pts, fill=ROUTE, width=max(2, s // 4), joint="curve")
        r = max(2, s // 4)
        for px, py in pts[1:-1]:
            draw.ellipse([px - r, py - r, px + r, py + r], fill=TARGET, outline=OUTLINE)


def _scale_bar(draw: ImageDraw.ImageDraw, canvas: _Canvas,
               bbox: tuple[float, float, float, float], at: tuple[int, int], s: int,
               font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> None:
    """A bar of a round number of km, measured on the ground at the map's centre latitude."""
    minx, miny, maxx, maxy = bbox
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    to_geo = Transformer.from_crs(WORK_CRS, WGS84, always_xy=True)
    probe = 1000.0
    lon0, lat0 = to_geo.transform(cx, cy)
    lon1, lat1 = to_geo.transform(cx + probe, cy)
    ground_m = Geod(ellps="WGS84").inv(lon0, lat0, lon1, lat1)[2]
    px_per_km = canvas.scale * probe / max(ground_m / 1000.0, 1e-9)
    km = _nice_km((s * 12) / px_per_km) if px_per_km > 0 else 0.0
    if km <= 0:
        return
    x0, y0 = at
    length = km * px_per_km
    draw.rectangle([x0, y0 - s * 0.4, x0 + length, y0], fill=OUTLINE)
    draw.rectangle([x0 + length / 2, y0 - s * 0.4, x0 + length, y0], fill=BACKGROUND,
                   outline=OUTLINE)
    label = f"{km:g} km"
    draw.text((x0 + length + s * 0.5, y0 - s * 1.0), label, fill=OUTLINE, font=font)


def colour_top(values: np.ndarray) -> float:
    """The risk the colour ramp ends at: the highest risk on the map rounded up to a readable
    step (0.05 up to 0.5, else 0.1; at most 1). Monthly risks are small probabilities: on a 0-1
    ramp every cell would look the same."""
    finite = values[np.isfinite(values)]
    high = float(finite.max()) if finite.size else 1.0
    step = 0.05 if high <= 0.5 else 0.1
    return float(min(1.0, max(step, math.ceil(high / step - 1e-9) * step)))


def _legend(draw: ImageDraw.ImageDraw, at: tuple[int, int], s: int,
            font: ImageFont.FreeTypeFont | ImageFont.ImageFont, posts: bool, plan: bool,
            scale_top: float = 1.0) -> None:
    """A vertical colour bar (risk 0 to ``scale_top``) and keys for the outline, posts and routes."""
    x, y = at
    draw.text((x, y), "Risk (probability)", fill=OUTLINE, font=font)
    bar_top, bar_h, bar_w = y + int(s * 1.8), s * 12, int(s * 1.5)
    steps = np.linspace(1.0, 0.0, bar_h)
    for i, rgb in enumerate(ramp(steps)):
        draw.line([(x, bar_top + i), (x + bar_w, bar_top + i)], fill=tuple(int(c) for c in rgb))
    draw.rectangle([x, bar_top, x + bar_w, bar_top + bar_h], outline=OUTLINE)
    for v in (0.0, 0.25, 0.5, 0.75, 1.0):
        ty = bar_top + (1 - v) * bar_h
        draw.line([(x + bar_w, ty), (x + bar_w + s * 0.4, ty)], fill=OUTLINE)
        draw.text((x + bar_w + s * 0.6, ty - s * 0.6), f"{v * scale_top:.3g}", fill=OUTLINE, font=font)
    y = bar_top + bar_h + s * 2
    draw.rectangle([x, y, x + bar_w, y + s], fill=NO_VALUE, outline=OUTLINE)
    draw.text((x + bar_w + s * 0.6, y - s * 0.1), "no value", fill=OUTLINE, font=font)
    y += int(s * 1.8)
    draw.line([(x, y + s / 2), (x + bar_w, y + s / 2)], fill=OUTLINE, width=max(2, s // 5))
    draw.text((x + bar_w + s * 0.6, y - s * 0.1), "park boundary", fill=OUTLINE, font=font)
    if posts:
        y += int(s * 1.8)
        r = s * 0.6
        cx, cy = x + bar_w / 2, y + s / 2
        draw.polygon([(cx, cy - r), (cx - r, cy + r * 0.7), (cx + r, cy + r * 0.7)], fill=POST,
                     outline=OUTLINE, width=2)
        draw.text((x + bar_w + s * 0.6, y - s * 0.1), "ranger post", fill=OUTLINE, font=font)
    if plan:
        y += int(s * 1.8)
        draw.line([(x, y + s / 2), (x + bar_w, y + s / 2)], fill=ROUTE, width=max(2, s // 4))
        draw.text((x + bar_w + s * 0.6, y - s * 0.1), "patrol route", fill=OUTLINE, font=font)


__all__ = ["NODATA", "VIRIDIS", "colour_top", "layout", "one_value_per_cell", "ramp", "ranked", "render_png",
           "write_geojson", "write_geotiff"]
