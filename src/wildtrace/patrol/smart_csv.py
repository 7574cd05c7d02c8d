"""SMART query CSV exports (Patrol and Observation queries): read them, and write them back.

The columns, as found in public sources:

- SMART desktop's fixed query columns (org.wcs.smart.query.ui.querytable.FixedTableColumn, WCS,
  MIT): "Patrol ID", "Type", "Patrol Start Date", "Patrol End Date", "Station", "Team",
  "Objective", "Objective Rating", "Mandate", "Armed", "Patrol Leg Id", "Leader", "Pilot",
  "Patrol Transport Type", "Waypoint Id", "Waypoint Date", "Waypoint Time", "X", "Y",
  "Direction", "Distance", "Comment"; dates and times are written with Java's locale
  ``DateFormat`` ("Jun 13, 2019", "10:05:00 AM"), booleans as Yes/No.
- Observation query exports seen in the wild (site dashboards parsing SMART CSV): "Waypoint ID",
  "Waypoint Date", "Waypoint Time", "X", "Y", "Comment", "Last Modified", "Last Modified By",
  "Observation Category 0", "Observation Category 1", attribute columns named by their label
  ("Affiliation", "Number of snares"...), "Observation Group"; files come as UTF-8 with a BOM or
  Windows-1252, comma- or semicolon-separated.
- X/Y are in the CRS the analyst chose for the export (WGS84 by default); some sites export
  "UTM Zone" with "Easting"/"Northing", or add a CRS/EPSG column.

Reading: header names are matched case- and space-insensitively; rows are parsed with the csv
module (exact line numbers, a row with the wrong number of fields is a reject) and then handled
as whole columns. Coordinates: per-row "UTM Zone" (or "CRS"/"EPSG") columns first, then the
``crs`` the caller states, else WGS84; each CRS gets one vectorised pyproj transform, so a file
mixing two UTM zones reads right. Every row is a waypoint of its patrol leg ("Patrol Leg Id",
"1" when absent); a row with an "Observation Category 0" is also an observation (categories joined
with '/', the other non-fixed columns its attributes, as strings). A row with no "Patrol ID" is
an observation with no patrol ("Comment" counts as an attribute: on an observation row it is
the ranger's note about it). A waypoint id seen again in the same patrol with another place or
time is a reject. A leg's start and end are its first and last waypoint times (the patrol dates
when none is usable).
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from wildtrace.errors import DataError
from wildtrace.patrol import crs as C
from wildtrace.patrol.records import (
    OBSERVATION_COLUMNS,
    PATROL_COLUMNS,
    WAYPOINT_COLUMNS,
    PatrolData,
    frame,
)
from wildtrace.rejects import Reject

MAX_BYTES = 2 * 1024**3
_CAT = re.compile(r"^observation category (\d+)$")
#: Fixed SMART columns that are not observation attributes (normalised names).
_FIXED = {
    "patrol id", "type", "patrol start date", "patrol end date", "station", "team", "objective",
    "objective rating", "mandate", "armed", "patrol leg id", "leader", "pilot", "members",
    "patrol transport type", "waypoint id", "waypoint date", "waypoint time", "x", "y",
    "direction", "distance", "last modified", "last modified by", "observation group",
    "utm zone", "zone", "easting", "northing", "crs", "epsg", "observation id", "waypoint source",
    "conservation area id", "conservation area name",
}


def _norm(name: str) -> str:
    return " ".join(name.replace("\ufeff", "").strip().lower().replace("_", " ").split())


def _decode(raw: bytes, src: str, notes: list[str]) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        notes.append(f"{src}: not UTF-8; read as Windows-1252")
        return raw.decode("cp1252", errors="replace")


def read_smart_csv(path: str | Path, *, crs: str | None = None,
                   utc_offset: str | float | None = None,
                   max_bytes: int = MAX_BYTES) -> PatrolData:
    """The patrol legs, waypoints and observations of one SMART query CSV export."""
    path = Path(path)
    src = path.name
    if path.stat().st_size > max_bytes:
        raise DataError(f"{src}: over the {max_bytes}-byte limit for CSV")
    if crs is not None:
        C.check_crs(crs)
    offset = C.parse_offset(utc_offset)
    notes: list[str] = []
    rejects: list[Reject] = []
    text = _decode(path.read_bytes(), src, notes)
    first = text.split("\n", 1)[0]
    delim = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, skipinitialspace=True)
    header = next(reader, None)
    if not header:
        raise DataError(f"{src}: empty CSV")
    cols = [_norm(h) for h in header]
    rows: list[list[str]] = []
    lines: list[int] = []
    for row in reader:
        if not "".join(row).strip():
            continue
        if len(row) != len(cols):
            rejects.append(Reject(reader.line_num, f"row has {len(row)} fields, the header "
                                  f"{len(cols)}", None, C.preview(delim.join(row))))
            continue
        rows.append(row)
        lines.append(reader.line_num)
    grid = np.array(rows, dtype=object).reshape(len(rows), len(cols))
    df = pd.DataFrame({f"c{i}": pd.Series(grid[:, i], dtype=object) for i in range(len(cols))},
                      index=pd.RangeIndex(len(rows)))
    idx = {c: f"c{i}" for i, c in reversed(list(enumerate(cols)))}
    if not ({"x", "y"} <= set(idx) or {"easting", "northing"} <= set(idx)):
        raise DataError(f"{src}: no X/Y (or Easting/Northing) columns: not a SMART query export")

    def col(*names: str) -> pd.Series:
        for n in names:
            if n in idx:
                return df[idx[n]]
        return pd.Series("", index=df.index, dtype=object)

    line = np.asarray(lines, dtype="int64")
    patrol = col("patrol id")
    leg = col("patrol leg id").where(lambda s: s != "", "1")
    wid = col("waypoint id")
    when = (col("waypoint date") + " " + col("waypoint time")).str.strip()
    xs, ys = (col("easting", "x"), col("northing", "y")) if "easting" in idx else (col("x"),
                                                                                  col("y"))
    x = pd.to_numeric(xs.str.replace(",", ".", regex=False), errors="coerce").to_numpy("float64")
    y = pd.to_numeric(ys.str.replace(",", ".", regex=False), errors="coerce").to_numpy("float64")
    why = np.full(len(df), "", dtype=object)
    row_crs = _row_crs(col("utm zone", "zone"), col("crs", "epsg"), crs, why)
    lon = np.full(len(df), np.nan)
    lat = np.full(len(df), np.nan)
    for name in pd.unique(row_crs[why == ""]):
        m = (row_crs == name) & (why == "")
        lon[m], lat[m] = C.to_wgs84(x[m], y[m], str(name))
    bad = C.bad_lonlat(lon, lat)
    if crs is None:
        big = (np.abs(x) > 1000) | (np.abs(y) > 1000)
        projected = (bad != "") & (row_crs == "EPSG:4326") & big & np.isfinite(x + y)
        bad[projected] = ("coordinates out of range for WGS84 longitude/latitude: these look "
                          "like projected coordinates: pass the file's CRS (--crs EPSG:...)")
    why[why == ""] = bad[why == ""]
    times, naive = C.parse_times(when, offset)
    why[(why == "") & times.isna().to_numpy()] = "missing or unreadable waypoint date/time"
    key = pd.DataFrame({"p": patrol, "w": wid, "t": when, "x": xs, "y": ys})
    has_id = ((patrol != "") & (wid != "")).to_numpy()
    first_seen = ~key.duplicated(["p", "w"]).to_numpy()
    same = key.duplicated(["p", "w", "t", "x", "y"]).to_numpy()
    clash = has_id & ~first_seen & ~same
    why[(why == "") & clash] = "waypoint id seen before in this patrol with another place or time"
    cats = sorted((int(m.group(1)), idx[c]) for c in idx if (m := _CAT.match(c)))
    cat_cols = [df[c] for _, c in cats]
    category = _join(cat_cols, len(df))
    why[(why == "") & (patrol == "").to_numpy() & (category == "")] = (
        "no patrol and no observation category: nothing to keep")
    attr_cols = [(header[int(c[1:])].replace("\ufeff", "").strip(), c) for n, c in idx.items()
                 if n not in _FIXED and not _CAT.match(n)]
    for i in np.flatnonzero(why != ""):
        what = "observation" if category[i] else "waypoint" if patrol.iloc[i] else "row"
        rejects.append(Reject(int(line[i]), f"{what}: {why[i]}", wid.iloc[i] or None,
                              C.preview(delim.join(rows[i]))))
    ok = why == ""
    used = pd.unique(row_crs[ok])
    if len(used) > 1:
        counts = ", ".join(f"{n} ({int((ok & (row_crs == n)).sum())} rows)" for n in used)
        notes.append(f"{src}: rows in {len(used)} coordinate systems, each reprojected: {counts}")
    tnp = times.dt.tz_convert(None).to_numpy()
    is_wp = ok & (patrol != "").to_numpy() & ~(has_id & same)
    waypoints = pd.DataFrame({"patrol_id": patrol.to_numpy()[is_wp], "leg_id": leg.to_numpy()[is_wp],
                              "time": pd.to_datetime(tnp[is_wp], utc=True), "lon": lon[is_wp],
                              "lat": lat[is_wp], "source": src, "line": line[is_wp]})
    is_obs = ok & (category != "")
    oid = col("observation id").to_numpy()
    pid = patrol.to_numpy()
    seq = pd.Series(pid).groupby([pid, wid.to_numpy()]).cumcount().to_numpy() + 1
    obs_id = [o or f"{p or src}:{w or ln}:{k}" for o, p, w, ln, k in
              zip(oid[is_obs], pid[is_obs], wid.to_numpy()[is_obs], line[is_obs], seq[is_obs],
                  strict=True)]
    attrs = _attributes(df, attr_cols, is_obs)
    observations = pd.DataFrame({
        "obs_id": obs_id, "patrol_id": pd.array(pid[is_obs], dtype="string").fillna(""),
        "time": pd.to_datetime(tnp[is_obs], utc=True), "lon": lon[is_obs], "lat": lat[is_obs],
        "category": category[is_obs], "attributes": attrs, "source": src, "line": line[is_obs]})
    observations["patrol_id"] = observations["patrol_id"].replace("", pd.NA)
    patrols = _legs(src, patrol, leg, col("patrol transport type"), col("leader", "members"),
                    col("patrol start date"), col("patrol end date"), times, ok, line, offset)
    notes += C.naive_note(naive, offset, src)
    return PatrolData(patrols=_typed(patrols, PATROL_COLUMNS),
                      waypoints=_typed(waypoints, WAYPOINT_COLUMNS),
                      observations=_typed(observations, OBSERVATION_COLUMNS),
                      rejects=sorted(rejects, key=lambda r: r.line), notes=notes)


def _row_crs(zone: pd.Series, named: pd.Series, crs: str | None, why: np.ndarray) -> np.ndarray:
    """The CRS of each row: its UTM zone or CRS column, else ``crs``, else WGS84."""
    out = np.full(len(zone), crs or "EPSG:4326", dtype=object)
    for value in pd.unique(zone[zone != ""]):
        m = (zone == value).to_numpy()
        try:
            out[m] = C.utm_crs(str(value))
        except ValueError as exc:
            why[m] = str(exc)
    for value in pd.unique(named[(named != "") & (zone == "")]):
        m = ((named == value) & (zone == "")).to_numpy()
        text = str(value)
        name = f"EPSG:{text}" if text.isdigit() else text
        try:
            out[m] = C.check_crs(name)
        except Exception as exc:  # noqa: BLE001 - any unreadable CRS is this row's problem
            why[m] = str(exc)
    return out


def _join(parts: list[pd.Series], n: int) -> np.ndarray:
    if not parts:
        return np.full(n, "", dtype=object)
    joined = parts[0]
    for p in parts[1:]:
        joined = joined.where(p == "", joined + "/" + p)
    return joined.to_numpy(dtype=object)


def _attributes(df: pd.DataFrame, attr_cols: list[tuple[str, str]], mask: np.ndarray) -> list[str]:
    names = [a for a, _ in attr_cols]
    values = [df[c].to_numpy()[mask] for _, c in attr_cols]
    return [json.dumps({k: v for k, v in zip(names, vals, strict=True) if v}, sort_keys=True,
                       ensure_ascii=False)
            for vals in zip(*values, strict=True)] if values else ["{}"] * int(mask.sum())


def _legs(src: str, patrol: pd.Series, leg: pd.Series, transport: pd.Series,
          leader: pd.Series, start_date: pd.Series, end_date: pd.Series, times: pd.Series,
          ok: np.ndarray, line: np.ndarray, offset: int | None) -> pd.DataFrame:
    t = pd.DataFrame({"patrol_id": patrol, "leg_id": leg, "transport": transport,
                      "members": leader, "sd": start_date, "ed": end_date,
                      "time": times.where(ok), "line": line})
    t = t[t["patrol_id"] != ""]
    if not len(t):
        return frame(PATROL_COLUMNS)
    g = t.groupby(["patrol_id", "leg_id"], sort=False)
    legs = g.agg(transport=("transport", "first"), members=("members", "first"),
                 sd=("sd", "first"), ed=("ed", "first"), start=("time", "min"),
                 end=("time", "max"), line=("line", "min")).reset_index()
    sd, _ = C.parse_times(legs["sd"], offset)
    ed, _ = C.parse_times(legs["ed"] + " 23:59:59", offset)
    legs["start"] = legs["start"].fillna(sd)
    legs["end"] = legs["end"].fillna(ed)
    return legs.assign(source=src)


def _typed(df: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    if not len(df):
        return frame(columns)
    return df[list(columns)].reset_index(drop=True).astype(columns)


def write_smart_csv(data: PatrolData, path: str | Path, *,
                    utc_offset: str | float | None = None) -> Path:
    """``data`` as a SMART observation-query CSV (UTF-8, WGS84 X/Y, local dates and times)."""
    path = Path(path)
    offset = pd.Timedelta(minutes=C.parse_offset(utc_offset) or 0)
    wp, ob = data.waypoints, data.observations
    legs = data.patrols.drop_duplicates(["patrol_id", "leg_id"])
    first_leg = legs.drop_duplicates("patrol_id").set_index("patrol_id")["leg_id"]
    wkey = pd.MultiIndex.from_arrays([wp["patrol_id"], wp["time"], wp["lon"], wp["lat"]])
    okey = pd.MultiIndex.from_arrays([ob["patrol_id"], ob["time"], ob["lon"], ob["lat"]])
    on_wp = okey.isin(wkey) & ob["patrol_id"].notna().to_numpy()
    matched = ob[on_wp]
    covered = wkey.isin(okey[on_wp])
    loose = ob[~on_wp]
    base = pd.concat([
        wp[~covered].assign(category="", attributes="{}"),
        matched.merge(wp.drop_duplicates(["patrol_id", "time", "lon", "lat"])[
            ["patrol_id", "time", "lon", "lat", "leg_id"]], on=["patrol_id", "time", "lon", "lat"],
            how="left"),
        loose.assign(leg_id=loose["patrol_id"].map(first_leg)),
    ], ignore_index=True)
    base = base.sort_values(["patrol_id", "time"], kind="stable", na_position="last")
    ids = base.drop_duplicates(["patrol_id", "time", "lon", "lat"]).copy()
    ids["wid"] = ids.groupby("patrol_id", dropna=False).cumcount() + 1
    base = base.merge(ids[["patrol_id", "time", "lon", "lat", "wid"]],
                      on=["patrol_id", "time", "lon", "lat"], how="left")
    info = legs.set_index(["patrol_id", "leg_id"])
    li = pd.MultiIndex.from_arrays([base["patrol_id"], base["leg_id"]])
    local = base["time"].dt.tz_convert(None) + offset
    start = (info["start"].reindex(li).dt.tz_convert(None) + offset).to_numpy()
    end = (info["end"].reindex(li).dt.tz_convert(None) + offset).to_numpy()
    out = pd.DataFrame({
        "Patrol ID": base["patrol_id"].fillna("").to_numpy(),
        "Patrol Start Date": pd.Series(start).dt.strftime("%Y-%m-%d").fillna("").to_numpy(),
        "Patrol End Date": pd.Series(end).dt.strftime("%Y-%m-%d").fillna("").to_numpy(),
        "Patrol Leg Id": base["leg_id"].fillna("").to_numpy(),
        "Leader": info["members"].reindex(li).fillna("").to_numpy(),
        "Patrol Transport Type": info["transport"].reindex(li).fillna("").to_numpy(),
        "Waypoint Id": base["wid"].to_numpy(),
        "Waypoint Date": local.dt.strftime("%Y-%m-%d").to_numpy(),
        "Waypoint Time": local.dt.strftime("%H:%M:%S").to_numpy(),
        "X": base["lon"].to_numpy(), "Y": base["lat"].to_numpy()})
    parts = [str(c).split("/") if c else [] for c in base["category"].fillna("")]
    depth = max((len(p) for p in parts), default=0)
    for k in range(max(depth, 1)):
        out[f"Observation Category {k}"] = [p[k] if len(p) > k else "" for p in parts]
    attrs = [json.loads(a) if a and a != "{}" else {} for a in base["attributes"].fillna("{}")]
    keys = sorted({k for a in attrs for k in a})
    for k in keys:
        out[k] = [("" if a.get(k) is None else a[k]) for a in attrs]
    out.to_csv(path, index=False, encoding="utf-8", float_format=None)
    return path
