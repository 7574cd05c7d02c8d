"""The land of a SYNTHETIC park: its outline, roads, rivers, villages, posts, terrain and the truth.

Nothing here describes a real place. The park is drawn at random (for a seed) in UTM zone 36N
(``PARK_CRS``, EPSG:32636) near where Queen Elizabeth National Park lies in Uganda, so that
coordinates, distances and CRS handling look like a real site's; ``synthetic.make_park`` puts the
pieces together and simulates the patrols.

``TruthField`` is the latent poaching pressure: the log-odds that a snare is present within a
1 km² area around a point in a month. It is what the model should learn and cannot see directly:
high near the boundary, villages, roads and rivers, low near ranger posts, higher in woodland
and forest, with hot spots that drift and fade over the years, a slowly changing random field,
and a dry-season rise (Uganda: December-February and June-August are dry).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, MultiLineString, MultiPoint, Polygon
from shapely.ops import substring

#: The CRS the synthetic park is drawn in (UTM zone 36N, as Ugandan parks use).
PARK_CRS = "EPSG:32636"
#: Where the park's centre lies (lon, lat): the Queen Elizabeth NP area, western Uganda.
CENTER_LONLAT = (30.2, 0.25)
#: Land-cover classes of the categorical raster (and what the truth reads).
LAND_COVER = {1: "grassland", 2: "woodland", 3: "forest", 4: "wetland", 5: "cropland"}
#: Log-odds added to the pressure per calendar month: dry months up, wet months down.
SEASON = np.array([0.45, 0.45, 0.0, -0.35, -0.35, 0.45, 0.45, 0.45, 0.0, -0.35, -0.35, 0.45])
FloatArray = np.ndarray


def center_utm() -> tuple[float, float]:
    """The park centre in ``PARK_CRS`` metres."""
    x, y = Transformer.from_crs("EPSG:4326", PARK_CRS, always_xy=True).transform(*CENTER_LONLAT)
    return float(x), float(y)


@dataclass(frozen=True)
class Waves:
    """A smooth random field: a sum of plane waves, unit standard deviation, any point cheap."""

    kx: FloatArray
    ky: FloatArray
    phase: FloatArray
    amp: FloatArray
    cx: float
    cy: float

    @classmethod
    def draw(cls, rng: np.random.Generator, n: int, wl_min: float, wl_max: float,
             center: tuple[float, float]) -> Waves:
        """``n`` waves with wavelengths (metres) spread log-uniformly in [wl_min, wl_max]."""
        wl = np.exp(rng.uniform(math.log(wl_min), math.log(wl_max), n))
        ang = rng.uniform(0, 2 * math.pi, n)
        k = 2 * math.pi / wl
        amp = np.sqrt(wl / wl_max)
        amp = amp / math.sqrt(float((amp ** 2).sum()) / 2)
        return cls(k * np.cos(ang), k * np.sin(ang), rng.uniform(0, 2 * math.pi, n), amp,
                   center[0], center[1])

    def __call__(self, x: FloatArray, y: FloatArray) -> FloatArray:
        dx, dy = np.asarray(x, float) - self.cx, np.asarray(y, float) - self.cy
        out = np.zeros(np.broadcast(dx, dy).shape)
        for kx, ky, ph, a in zip(self.kx, self.ky, self.phase, self.amp, strict=True):
            out += a * np.cos(kx * dx + ky * dy + ph)
        return out


def draw_boundary(rng: np.random.Generator, area_km2: float, center: tuple[float, float]
                  ) -> Polygon:
    """An irregular, star-shaped outline of exactly ``area_km2``, elongated and rotated."""
    theta = np.linspace(0, 2 * math.pi, 240, endpoint=False)
    r = np.ones_like(theta)
    for k in range(2, 8):
        r += rng.normal(0, 0.13 / k ** 0.6) * np.cos(k * theta + rng.uniform(0, 2 * math.pi))
    for k in range(8, 25):
        r += rng.normal(0, 0.012) * np.cos(k * theta + rng.uniform(0, 2 * math.pi))
    r = np.clip(r, 0.45, None)
    stretch, turn = rng.uniform(1.1, 1.5), rng.uniform(0, math.pi)
    x, y = r * np.cos(theta) * stretch, r * np.sin(theta) / stretch
    xr = x * math.cos(turn) - y * math.sin(turn)
    yr = x * math.sin(turn) + y * math.cos(turn)
    unit = Polygon(np.column_stack([xr, yr]))
    scale = math.sqrt(area_km2 * 1e6 / unit.area)
    return Polygon(np.column_stack([center[0] + xr * scale, center[1] + yr * scale]))


def _meander(rng: np.random.Generator, a: FloatArray, b: FloatArray, wiggle: float,
             n: int = 120) -> LineString:
    """A line from ``a`` to ``b`` that bends sideways by up to about ``wiggle`` metres."""
    t = np.linspace(0, 1, n)
    side = np.zeros(n)
    for k in range(1, 6):
        side += rng.normal(0, wiggle / k) * np.sin(k * math.pi * t + rng.uniform(0, 0.3))
    d = b - a
    normal = np.array([-d[1], d[0]]) / (np.hypot(*d) or 1.0)
    pts = a + np.outer(t, d) + np.outer(side, normal)
    return LineString(pts)


def _across(rng: np.random.Generator, park: Polygon, reach: float, offset: float
            ) -> tuple[FloatArray, FloatArray]:
    """Two points outside the park whose chord passes within ``offset`` of its centre."""
    c = np.array(park.centroid.coords[0])
    ang = rng.uniform(0, 2 * math.pi)
    u = np.array([math.cos(ang), math.sin(ang)])
    shift = np.array([-u[1], u[0]]) * rng.uniform(-offset, offset)
    return c + shift - u * reach, c + shift + u * reach


def draw_roads(rng: np.random.Generator, park: Polygon) -> list[tuple[str, LineString]]:
    """A main road through the park, a road skirting it outside, and a track to the interior."""
    radius = math.sqrt(park.area / math.pi)
    a, b = _across(rng, park, 1.8 * radius, 0.35 * radius)
    main = _meander(rng, a, b, 0.08 * radius)
    ring = shapely.LineString(park.buffer(2500, quad_segs=4).exterior.coords)
    start = rng.uniform(0, 1)
    skirt = substring(ring, start * ring.length,
                                  (start + rng.uniform(0.3, 0.5)) * ring.length)
    if skirt.geom_type != "LineString" or skirt.length < 1000:  # wrapped past the ring's end
        skirt = substring(ring, 0.1 * ring.length, 0.5 * ring.length)
    a2, b2 = _across(rng, park, 1.6 * radius, 0.5 * radius)
    track = _meander(rng, a2, (a2 + b2) / 2, 0.05 * radius, n=60)
    return [("main road", main), ("perimeter road", skirt), ("track", track)]


def draw_rivers(rng: np.random.Generator, park: Polygon) -> list[LineString]:
    """One or two meandering rivers that cross the park."""
    radius = math.sqrt(park.area / math.pi)
    out = []
    for _ in range(int(rng.integers(1, 3))):
        a, b = _across(rng, park, 1.7 * radius, 0.6 * radius)
        out.append(_meander(rng, a, b, 0.15 * radius, n=200))
    return out


def draw_villages(rng: np.random.Generator, park: Polygon, roads: MultiLineString
                  ) -> FloatArray:
    """Village points: mostly 0.5-5 km outside the boundary (some on the perimeter road)."""
    n = int(min(30, 6 + park.area / 150e6))
    ring = park.exterior
    c = np.array(park.centroid.coords[0])
    pts = np.array([ring.interpolate(f, normalized=True).coords[0]
                    for f in rng.uniform(0, 1, n)])
    u = pts - c
    u /= np.hypot(u[:, 0], u[:, 1])[:, None]
    depth = np.where(rng.random(n) < 0.85, rng.uniform(500, 5000, n), -rng.uniform(300, 1500, n))
    out: FloatArray = pts + u * depth[:, None]
    return out


def draw_posts(rng: np.random.Generator, park: Polygon, roads: MultiLineString) -> FloatArray:
    """Three to six ranger posts inside, 1.5 km or more from the boundary, spread apart."""
    n = int(rng.integers(3, 7))
    minx, miny, maxx, maxy = park.bounds
    x, y = rng.uniform(minx, maxx, 4000), rng.uniform(miny, maxy, 4000)
    pts = shapely.points(x, y)
    depth = shapely.distance(pts, park.exterior)
    ok = shapely.contains_xy(park, x, y) & (depth > 1500)
    x, y = x[ok], y[ok]
    near_road = np.exp(-shapely.distance(shapely.points(x, y), roads) / 4000)
    order = np.argsort(-(near_road + rng.uniform(0, 0.8, len(x))))
    spacing = 0.8 * math.sqrt(park.area / n)
    while True:
        chosen: list[int] = []
        for i in order:
            if all(math.hypot(x[i] - x[j], y[i] - y[j]) >= spacing for j in chosen):
                chosen.append(int(i))
            if len(chosen) == n:
                return np.column_stack([x[chosen], y[chosen]])
        spacing *= 0.8


@dataclass(frozen=True)
class Hotspots:
    """Gaussian bumps of pressure that move (metres a year) and wax and wane over years."""

    x: FloatArray
    y: FloatArray
    vx: FloatArray
    vy: FloatArray
    amp: FloatArray
    width: FloatArray
    period: FloatArray
    phase: FloatArray

    @classmethod
    def draw(cls, rng: np.random.Generator, park: Polygon) -> Hotspots:
        n = int(max(3, round(park.area / 200e6)))
        minx, miny, maxx, maxy = park.bounds
        xs, ys = rng.uniform(minx, maxx, 50 * n), rng.uniform(miny, maxy, 50 * n)
        ok = shapely.contains_xy(park, xs, ys)
        xs, ys = xs[ok][:n], ys[ok][:n]
        speed, heading = rng.uniform(500, 2000, n), rng.uniform(0, 2 * math.pi, n)
        return cls(xs, ys, speed * np.cos(heading), speed * np.sin(heading),
                   rng.uniform(1.0, 2.2, n), rng.uniform(1200, 3000, n),
                   rng.uniform(4, 10, n), rng.uniform(0, 2 * math.pi, n))

    def __call__(self, x: FloatArray, y: FloatArray, tau: FloatArray) -> FloatArray:
        out = np.zeros(np.broadcast(x, y, tau).shape)
        for i in range(len(self.x)):
            cx, cy = self.x[i] + self.vx[i] * tau, self.y[i] + self.vy[i] * tau
            a = self.amp[i] * (0.6 + 0.4 * np.sin(2 * math.pi * tau / self.period[i]
                                                  + self.phase[i]))
            out += a * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * self.width[i] ** 2))
        return out


@dataclass(frozen=True)
class Terrain:
    """Elevation and land cover as functions of a point, shared by the rasters and the truth."""

    park: Polygon
    rivers: MultiLineString
    villages: MultiPoint
    broad: Waves
    fine: Waves
    cover: Waves

    def elevation(self, x: FloatArray, y: FloatArray) -> FloatArray:
        """Metres above sea level: about 750-1,500 m, valleys along the rivers."""
        d_river = shapely.distance(shapely.points(x, y), self.rivers)
        return (1100 + 110 * self.broad(x, y) + 35 * self.fine(x, y)
                - 60 * np.exp(-d_river / 1500))

    def land_cover(self, x: FloatArray, y: FloatArray) -> FloatArray:
        """Class codes of ``LAND_COVER``: wetland by rivers, cropland by villages outside."""
        pts = shapely.points(x, y)
        v = self.cover(x, y)
        cls = np.where(v > 0.9, 3, np.where(v > 0.0, 2, 1))
        cls = np.where(shapely.distance(pts, self.rivers) < 400, 4, cls)
        outside = ~shapely.contains_xy(self.park, x, y)
        cls = np.where(outside & (shapely.distance(pts, self.villages) < 3000), 5, cls)
        return cls.astype(np.uint8)


@dataclass(frozen=True)
class TruthField:
    """The true poaching pressure (log-odds of a snare within 1 km² around a point, a month)."""

    park: Polygon
    roads: MultiLineString
    rivers: MultiLineString
    villages: MultiPoint
    posts: MultiPoint
    terrain: Terrain
    hotspots: Hotspots
    drift_a: Waves
    drift_b: Waves
    start_year: int
    intercept: float = -3.6

    def static(self, x: FloatArray, y: FloatArray) -> FloatArray:
        """The log-odds part that never changes: edges, villages, roads, rivers, posts, cover."""
        pts = shapely.points(x, y)
        cover = self.terrain.land_cover(x, y)
        return (self.intercept
                + 1.5 * np.exp(-shapely.distance(pts, self.park.exterior) / 3000)
                + 1.2 * np.exp(-shapely.distance(pts, self.villages) / 4000)
                + 0.7 * np.exp(-shapely.distance(pts, self.roads) / 2000)
                + 0.3 * np.exp(-shapely.distance(pts, self.rivers) / 1500)
                - 1.5 * np.exp(-shapely.distance(pts, self.posts) / 3000)
                + np.where(cover == 3, 0.4, np.where(cover == 2, 0.2, 0.0)))

    def changing(self, x: FloatArray, y: FloatArray, year: FloatArray, month: FloatArray
                 ) -> FloatArray:
        """The log-odds part that moves: hot spots, the drifting field and the season."""
        month = np.asarray(month, int)
        tau = np.asarray(year, float) - self.start_year + (month - 0.5) / 12
        w = 2 * math.pi * tau / 16
        drift = 0.5 * (np.cos(w) * self.drift_a(x, y) + np.sin(w) * self.drift_b(x, y))
        out: FloatArray = self.hotspots(x, y, tau) + drift + SEASON[month - 1]
        return out

    def prob(self, x: FloatArray, y: FloatArray, year: FloatArray, month: FloatArray,
             static: FloatArray | None = None) -> FloatArray:
        """Probability that a snare is present within 1 km² around (x, y) in that month."""
        s = self.static(x, y) if static is None else static
        logit = s + self.changing(x, y, year, month)
        out: FloatArray = 1.0 / (1.0 + np.exp(-logit))
        return out
