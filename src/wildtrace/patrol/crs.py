"""Coordinates and times as the patrol exports write them, made WGS84 and UTC.

Shared by the three importers (``smart_xml``, ``smart_csv``, ``earthranger``):

- ``to_wgs84(x, y, crs)``: reprojects whole arrays with one cached pyproj ``Transformer`` per CRS
  (``always_xy``: x is easting/longitude). ``utm_crs("36S")`` names the WGS 84 / UTM zone
  (``N``/``S`` = hemisphere, as in "WGS 84 / UTM zone 36S" = EPSG:32736; a bare number is north).
- ``bad_lonlat(lon, lat)``: why each point cannot be used (missing, not finite, out of range, or
  out of range but valid once swapped: "looks like lat/lon swapped"); "" where it is fine.
  Points are rejected, never silently swapped or clipped.
- ``parse_times(text, offset_min)``: timestamps to UTC. Times that state a zone keep it; times
  without one (SMART writes local wall-clock time) are taken at the site's offset when the caller
  states it, else as UTC, and the importer adds a note saying so. ISO 8601 first; then the
  locale formats SMART desktop writes ("Jun 13, 2019 10:05:00 AM", "13-Jun-2019", "13/06/2019").
- ``parse_offset("+03:00")``: a UTC offset in minutes (``ConfigError`` when unreadable).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from wildtrace.errors import ConfigError
from wildtrace.patrol.records import WGS84

_ZONE = re.compile(r"^\s*(?:utm\s*(?:zone)?\s*)?(\d{1,2})\s*([a-z]*)\s*$", re.I)
_OFFSET = re.compile(r"^\s*(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?\s*$", re.I)
#: A zone written after a time of day ("...10:05:00+03:00", "...T07:00Z"), not "13-06-2019".
_HAS_ZONE = r".*\d:\d\d(?::\d\d(?:\.\d+)?)?\s*(?:[zZ]|[+-]\d\d:?\d\d)$"
#: Formats tried, in order, for the date and time strings ISO 8601 did not read.
_FORMATS: Sequence[str] = (
    "%b %d, %Y %I:%M:%S %p", "%b %d, %Y %H:%M:%S", "%b %d, %Y", "%d-%b-%Y %H:%M:%S", "%d-%b-%Y",
    "%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %I:%M:%S %p",
    "%d %b %Y %H:%M:%S", "%d %b %Y",
)


def utm_crs(zone: str) -> str:
    """The EPSG code of the WGS 84 / UTM zone written as ``"36S"``, ``"UTM zone 36 South"``, ``"36"``."""
    m = _ZONE.match(str(zone))
    if not m or not 1 <= int(m.group(1)) <= 60:
        raise ValueError(f"unreadable UTM zone {zone!r}")
    hemi = m.group(2).lower()
    if hemi not in ("", "n", "s", "north", "south"):
        raise ValueError(f"unreadable UTM hemisphere in {zone!r} (use N or S)")
    return f"EPSG:{(32700 if hemi.startswith('s') else 32600) + int(m.group(1))}"


def check_crs(crs: str) -> str:
    """``crs`` if pyproj knows it, else a ``ConfigError`` naming it."""
    try:
        CRS.from_user_input(crs)
    except CRSError as exc:
        raise ConfigError(f"unknown coordinate reference system {crs!r}: {exc}") from None
    return crs


@functools.lru_cache(maxsize=64)
def _transformer(crs: str) -> Transformer:
    return Transformer.from_crs(CRS.from_user_input(crs), WGS84, always_xy=True)


def _is_wgs84(crs: str) -> bool:
    return crs.upper().replace(" ", "") in ("EPSG:4326", "WGS84", "OGC:CRS84", "4326")


def to_wgs84(x: np.ndarray, y: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude of the points ``x, y`` given in ``crs`` (NaN stays NaN)."""
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    if _is_wgs84(crs):
        return x, y
    lon, lat = _transformer(crs).transform(x, y)
    lon, lat = np.asarray(lon, dtype="float64"), np.asarray(lat, dtype="float64")
    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    lon[bad] = np.nan
    lat[bad] = np.nan
    return lon, lat


def bad_lonlat(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Per point, why it cannot be used ("" where it can): missing, out of range, swapped."""
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    why = np.full(lon.shape, "", dtype=object)
    missing = ~(np.isfinite(lon) & np.isfinite(lat))
    out = ~missing & ((np.abs(lon) > 180) | (np.abs(lat) > 90))
    swapped = out & (np.abs(lat) <= 180) & (np.abs(lon) <= 90)
    why[missing] = "missing or unreadable coordinates"
    why[out] = "coordinates out of range for WGS84 longitude/latitude"
    why[swapped] = "coordinates out of range (looks like latitude/longitude swapped)"
    return why


def parse_offset(offset: str | float | int | None) -> int | None:
    """Minutes east of UTC for ``"+03:00"``, ``"UTC-5"``, ``"+0530"`` or a number of hours."""
    if offset is None or offset == "":
        return None
    if isinstance(offset, (int, float)):
        return int(round(float(offset) * 60))
    m = _OFFSET.match(offset)
    if not m:
        raise ConfigError(f"unreadable UTC offset {offset!r} (write it as +03:00)")
    minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
    if minutes > 14 * 60:
        raise ConfigError(f"UTC offset {offset!r} is beyond +/-14:00")
    return minutes if m.group(1) == "+" else -minutes


def parse_times(text: pd.Series, offset_min: int | None) -> tuple[pd.Series, int]:
    """UTC timestamps of ``text`` (NaT where unreadable) and how many had no zone of their own.

    Zone-less times are local time at ``offset_min`` minutes east of UTC (UTC when None).
    """
    s = pd.Series(text, dtype="string").str.strip()
    s = s.where(s != "", pd.NA)
    zoned = s.str.match(_HAS_ZONE).fillna(False).astype(bool)
    shift = pd.Timedelta(minutes=offset_min or 0)
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns, UTC]")
    if zoned.any():
        out[zoned] = pd.to_datetime(s[zoned], utc=True, errors="coerce", format="ISO8601")
    naive = ~zoned & s.notna()
    if naive.any():
        local = pd.to_datetime(s[naive], errors="coerce", format="ISO8601")
        todo = local.isna()
        for fmt in _FORMATS:
            if not todo.any():
                break
            local[todo] = pd.to_datetime(s[naive][todo], errors="coerce", format=fmt)
            todo = local.isna()
        out[naive] = (local - shift).dt.tz_localize("UTC")
    return out, int(naive.sum())


def naive_note(count: int, offset_min: int | None, where: str) -> list[str]:
    """The note an importer adds when ``count`` times in ``where`` had no zone."""
    if not count:
        return []
    if offset_min is None:
        return [f"{where}: {count} times had no time zone and were read as UTC "
                "(pass the site's UTC offset to read them as local time)"]
    sign = "+" if offset_min >= 0 else "-"
    hhmm = f"{sign}{abs(offset_min) // 60:02d}:{abs(offset_min) % 60:02d}"
    return [f"{where}: {count} times had no time zone and were read as local time UTC{hhmm}"]


def preview(text: object, limit: int = 160) -> str:
    """The first characters of a raw record, on one line."""
    return " ".join(str(text).split())[:limit]
