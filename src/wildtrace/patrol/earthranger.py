"""EarthRanger API JSON (patrols, events, track points): read saved responses, and write them.

The shapes, as found in public sources:

- ecoscope (wildlife-dynamics/ecoscope, ``ecoscope/io/earthranger.py``, BSD-3) and er-client:
  ``GET /api/v1.0/activity/patrols`` returns patrols ``{id, serial_number, title, state,
  patrol_segments: [{id, patrol_type, leader: {id, name, ...} | null, start_location,
  end_location: {latitude, longitude}, time_range: {start_time, end_time | null}, events:
  [{id, serial_number, event_type, geojson: {geometry, properties: {datetime}}}]}]}``; ecoscope
  gets a segment's track as the leader subject's observations between ``start_time`` and
  ``end_time``. ``GET /api/v1.0/activity/events`` returns events ``{id, serial_number,
  event_type, priority, state, time, location: {latitude, longitude} | null, event_details: {...},
  patrols: [...], patrol_segments: [...]}``. Observations (``/observations``) are ``{id, location,
  recorded_at, source, ...}``. List endpoints wrap results as ``{"data": {"count", "next",
  "previous", "results": [...]}, "status": {"code", "message"}}``.
- PADAS/das-web-react (EarthRanger's web client) test fixtures: events carry ``location`` with
  latitude/longitude as strings or numbers, ``time`` with the site's offset
  (``2021-12-16T13:17:55.927000-08:00``), ``event_details``, ``patrols: []``,
  ``patrol_segments: []``.
- ``GET /api/v1.0/subject/<id>/tracks`` returns a GeoJSON FeatureCollection: a LineString per
  subject with ``properties.id`` (the subject) and ``properties.coordinateProperties.times``
  (from EarthRanger's API as we know it; no stored copy of that response was found to check).

Reading takes any mix of such files at once (so tracks can be matched to the segments they
belong to): patrols become legs (one per segment: leg_id = segment id, transport = patrol_type,
members = leader name); track points (FeatureCollections, or observation results with
``subject_id``) go to the segment of their subject whose time range holds them (one
``merge_asof``); a segment with no track gets its start/end locations, with a note. Events become
observations (category = event_type, attributes = event_details) of the patrol named in
``patrols`` or, failing that, of the segment named in ``patrol_segments``; otherwise no patrol.
Times are ISO 8601 with offsets; zone-less ones use ``utc_offset`` (else UTC, with a note). A
``next`` page link that is not followed is noted. Element numbers (1-based, per file) stand in for
line numbers. A record not shaped as EarthRanger writes it (a feature, segment, time range or
event that is not an object, ``patrols`` that is not a list, a patrol with no segments) is a
reject; a repeated event id is a reject (the first is kept); JSON nested too deeply to parse is a
``DataError``.

``write_earthranger_json(data, path)`` writes the patrols response to ``path`` and, next to it,
``<stem>.events.json`` and ``<stem>.tracks.geojson`` (a leader subject per leg).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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


def _results(doc: Any, src: str, notes: list[str]) -> list[Any]:
    """The records of one API response, whatever envelope it came in."""
    if isinstance(doc, dict) and "data" in doc:
        doc = doc["data"]
    if isinstance(doc, dict) and "results" in doc:
        if doc.get("next"):
            notes.append(f"{src}: one page of {doc.get('count')} records; the next page "
                         f"({C.preview(doc['next'], 80)}) is not in this file")
        doc = doc["results"]
    if isinstance(doc, dict):
        return [doc]
    if isinstance(doc, list):
        return doc
    raise DataError(f"{src}: not an EarthRanger response (no data/results list)")


def _loc(loc: Any) -> tuple[float, float]:
    if isinstance(loc, dict):
        try:
            return float(loc.get("longitude")), float(loc.get("latitude"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return np.nan, np.nan
    return np.nan, np.nan


class _Acc:
    """Rows gathered from every file before they are matched and typed."""

    def __init__(self) -> None:
        self.legs: list[dict[str, Any]] = []
        self.events: dict[str, dict[str, Any]] = {}
        self.points: list[tuple[str, str, float, float, str, int]] = []
        self.rejects: list[Reject] = []
        self.notes: list[str] = []


def _obj(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, {} when it is missing (null); else ``_Malformed``."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _Malformed(f"{type(value).__name__} where an object belongs")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Malformed(f"{what} is a {type(value).__name__}, not a list")
    return value


class _Malformed(ValueError):
    """One record that is not shaped as EarthRanger writes it (becomes a reject)."""


def _patrol(acc: _Acc, p: dict[str, Any], src: str, n: int) -> None:
    pid = str(p.get("id") or p.get("serial_number") or f"{src}#{n}")
    segments = _list(p.get("patrol_segments"), "patrol_segments")
    if not segments:
        acc.rejects.append(Reject(n, f"{src}: patrol {pid} has no patrol segments: nothing to "
                                  "keep", pid, C.preview(p)))
        return
    for k, seg in enumerate(segments, start=1):
        if not isinstance(seg, dict):
            acc.rejects.append(Reject(n, f"{src}: patrol {pid} segment {k}: not a JSON object",
                                      pid, C.preview(seg)))
            continue
        try:
            tr = _obj(seg.get("time_range"))
            events = _list(seg.get("events"), "events")
        except _Malformed as exc:
            acc.rejects.append(Reject(n, f"{src}: patrol {pid} segment {k}: {exc}", pid,
                                      C.preview(seg)))
            continue
        leader = seg.get("leader") or {}
        acc.legs.append({
            "patrol_id": pid, "leg_id": str(seg.get("id") or len(acc.legs) + 1),
            "transport": str(seg.get("patrol_type") or ""),
            "members": str(leader.get("name") or "") if isinstance(leader, dict) else "",
            "subject": str(leader.get("id") or "") if isinstance(leader, dict) else "",
            "start": str(tr.get("start_time") or ""), "end": str(tr.get("end_time") or ""),
            "start_loc": _loc(seg.get("start_location")), "end_loc": _loc(seg.get("end_location")),
            "source": src, "line": n})
        for j, ev in enumerate(events, start=1):
            where = f"{src}: patrol {pid} segment {k} event {j}"
            if not isinstance(ev, dict):
                acc.rejects.append(Reject(n, f"{where}: not a JSON object", None, C.preview(ev)))
                continue
            eid = str(ev.get("id") or f"{src}#{n}.{k}.{j}")
            if eid in acc.events:
                continue  # an event listed in two segments, or already read in full
            try:
                gj = _obj(ev.get("geojson"))
                geometry = _obj(gj.get("geometry"))
                xy = _list(geometry.get("coordinates"), "coordinates")[:2]
                props = _obj(gj.get("properties"))
            except _Malformed as exc:
                acc.rejects.append(Reject(n, f"{where}: geojson: {exc}", eid, C.preview(ev)))
                continue
            acc.events[eid] = {
                "id": eid, "event_type": ev.get("event_type"),
                "time": ev.get("time") or props.get("datetime"),
                "location": {"longitude": xy[0], "latitude": xy[1]} if len(xy) == 2 else None,
                "event_details": ev.get("event_details") or {}, "patrols": [pid],
                "_src": src, "_n": n, "_embedded": True}


def _tracks(acc: _Acc, doc: dict[str, Any], src: str) -> None:
    features = doc.get("features")
    if not isinstance(features, list):
        acc.rejects.append(Reject(1, f"{src}: FeatureCollection whose features are not a list",
                                  None, C.preview(features)))
        return
    for n, f in enumerate(features, start=1):
        try:
            feature = _obj(f)
            props = _obj(feature.get("properties"))
            geom = _obj(feature.get("geometry"))
            coords = _list(geom.get("coordinates"), "coordinates")
            if geom.get("type") == "MultiLineString":
                coords = [c for part in coords for c in _list(part, "a line")]
            times = _list(_obj(props.get("coordinateProperties")).get("times"), "times")
        except _Malformed as exc:
            acc.rejects.append(Reject(n, f"{src}: track feature: {exc}", None, C.preview(f)))
            continue
        subject = str(props.get("id") or props.get("subject_id") or "")
        if len(times) != len(coords):
            acc.rejects.append(Reject(n, f"{src}: track: {len(coords)} points but {len(times)} times",
                                      subject or None, C.preview(props.get("title", ""))))
            continue
        for c, t in zip(coords, times, strict=True):
            ok = isinstance(c, list) and len(c) >= 2
            acc.points.append((subject, str(t or ""), c[0] if ok else np.nan,
                               c[1] if ok else np.nan, src, n))


def read_earthranger(paths: str | Path | Sequence[str | Path], *,
                     utc_offset: str | float | None = None,
                     max_bytes: int = MAX_BYTES) -> PatrolData:
    """Patrols, track points and events from saved EarthRanger API responses, matched."""
    files = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
    offset = C.parse_offset(utc_offset)
    acc = _Acc()
    for path in files:
        src = path.name
        if path.stat().st_size > max_bytes:
            raise DataError(f"{src}: over the {max_bytes}-byte limit for JSON")
        try:
            doc = json.loads(path.read_bytes().decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DataError(f"{src}: not JSON ({exc})") from None
        except RecursionError:
            raise DataError(f"{src}: JSON nested too deeply to read (not an EarthRanger "
                            "response)") from None
        if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
            _tracks(acc, doc, src)
            continue
        for n, item in enumerate(_results(doc, src, acc.notes), start=1):
            try:
                _item(acc, item, src, n)
            except (_Malformed, TypeError, AttributeError, ValueError) as exc:
                acc.rejects.append(Reject(n, f"{src}: element {n}: malformed ({exc})", None,
                                          C.preview(item)))
    return _assemble(acc, offset)


def _item(acc: _Acc, item: Any, src: str, n: int) -> None:
    """One record of a response: a patrol, an event or a track observation."""
    if not isinstance(item, dict):
        acc.rejects.append(Reject(n, f"{src}: not a JSON object", None, C.preview(item)))
    elif "event_type" in item:
        _event(acc, item, src, n)
    elif "patrol_segments" in item:
        _patrol(acc, item, src, n)
    elif "recorded_at" in item:
        lon, lat = _loc(item.get("location"))
        acc.points.append((str(item.get("subject_id") or item.get("subject") or ""),
                           str(item.get("recorded_at") or ""), lon, lat, src, n))
    else:
        acc.rejects.append(Reject(n, f"{src}: neither a patrol, an event nor an observation",
                                  str(item.get("id") or "") or None, C.preview(item)))


def _event(acc: _Acc, item: dict[str, Any], src: str, n: int) -> None:
    """An event in full; a repeated id is a reject (the first is kept), never an overwrite. An
    event first seen embedded in a patrol segment (a summary) is replaced by the full one."""
    eid = str(item.get("id") or f"{src}#{n}")
    for key, what in (("patrols", "patrols"), ("patrol_segments", "patrol_segments")):
        value = item.get(key)
        if value is not None and not isinstance(value, list):
            acc.rejects.append(Reject(n, f"{src}: event {eid}: {what} is a "
                                      f"{type(value).__name__}, not a list", eid, C.preview(item)))
            return
    first = acc.events.get(eid)
    if first is not None and not first.get("_embedded"):
        raw = {k: v for k, v in first.items() if not k.startswith("_")}
        same = json.dumps(raw, sort_keys=True, default=str) == json.dumps(
            item, sort_keys=True, default=str)
        how = "an identical copy" if same else "with other content; the first is kept"
        acc.rejects.append(Reject(n, f"{src}: duplicate event id {eid} ({how}: first in "
                                  f"{first['_src']} element {first['_n']})", eid,
                                  C.preview(item)))
        return
    acc.events[eid] = {**item, "_src": src, "_n": n}


def _assemble(acc: _Acc, offset: int | None) -> PatrolData:
    legs = pd.DataFrame(acc.legs, columns=["patrol_id", "leg_id", "transport", "members", "subject",
                                           "start", "end", "start_loc", "end_loc", "source",
                                           "line"])
    legs["start"], n1 = C.parse_times(legs["start"], offset)
    legs["end"], n2 = C.parse_times(legs["end"], offset)
    pts = pd.DataFrame(acc.points, columns=["subject", "t", "lon", "lat", "source", "line"])
    pts["time"], n3 = C.parse_times(pts["t"], offset)
    lon = pd.to_numeric(pts["lon"], errors="coerce").to_numpy("float64")
    lat = pd.to_numeric(pts["lat"], errors="coerce").to_numpy("float64")
    pts["lon"], pts["lat"] = lon, lat
    why = C.bad_lonlat(lon, lat)
    why[(why == "") & pts["time"].isna().to_numpy()] = "missing or unreadable time"
    pts["why"] = why
    good = pts[why == ""].copy()
    good["seg"] = _match(good, legs)
    unmatched = good["seg"] < 0
    pts.loc[good.index[unmatched], "why"] = "outside every patrol segment of its subject"
    for i in np.flatnonzero(pts["why"].to_numpy() != ""):
        r = pts.iloc[i]
        acc.rejects.append(Reject(int(r["line"]), f"{r['source']}: track point: {r['why']}", r["subject"] or None,
                                  C.preview(f"{r['source']} {r['t']} {r['lon']} {r['lat']}")))
    good = good[~unmatched]
    seg = good["seg"].to_numpy()
    way = pd.DataFrame({"patrol_id": legs["patrol_id"].to_numpy()[seg],
                        "leg_id": legs["leg_id"].to_numpy()[seg],
                        "time": good["time"].reset_index(drop=True),
                        "lon": good["lon"].to_numpy(), "lat": good["lat"].to_numpy(),
                        "source": good["source"].to_numpy(), "line": good["line"].to_numpy()})
    way = pd.concat([way, _ends(legs, set(seg.tolist()), acc)], ignore_index=True)
    tracked = way.groupby(["patrol_id", "leg_id"])["time"].agg(["min", "max"])
    key = pd.MultiIndex.from_frame(legs[["patrol_id", "leg_id"]])
    legs["start"] = legs["start"].fillna(tracked["min"].reindex(key).set_axis(legs.index))
    legs["end"] = legs["end"].fillna(tracked["max"].reindex(key).set_axis(legs.index))
    obs, n4 = _events(acc, legs, offset)
    acc.notes += C.naive_note(n1 + n2 + n3 + n4, offset, "EarthRanger files")
    return PatrolData(patrols=_typed(legs, PATROL_COLUMNS), waypoints=_typed(way, WAYPOINT_COLUMNS),
                      observations=_typed(obs, OBSERVATION_COLUMNS), rejects=acc.rejects,
                      notes=acc.notes)


def _match(pts: pd.DataFrame, legs: pd.DataFrame) -> np.ndarray:
    """Index of the leg each point belongs to (same subject, within its time range), or -1."""
    out = np.full(len(pts), -1, dtype="int64")
    if not len(pts) or not len(legs):
        return out
    segs = legs.reset_index(drop=True).assign(seg=np.arange(len(legs)))
    segs = segs[segs["start"].notna()]
    left = pts.reset_index(drop=True).assign(pos=np.arange(len(pts)))
    left["subject"] = left["subject"].astype(str)
    segs = segs.assign(subject=segs["subject"].astype(str))
    with_subject = left["subject"] != ""
    parts = []
    if with_subject.any():
        parts.append(pd.merge_asof(left[with_subject].sort_values("time"),
                                   segs.sort_values("start")[["subject", "start", "end", "seg"]],
                                   left_on="time", right_on="start", by="subject"))
    if (~with_subject).any():
        parts.append(pd.merge_asof(left[~with_subject].sort_values("time"),
                                   segs.sort_values("start")[["start", "end", "seg"]],
                                   left_on="time", right_on="start"))
    m = pd.concat(parts, ignore_index=True)
    inside = m["seg"].notna() & (m["end"].isna() | (m["time"] <= m["end"]))
    out[m["pos"][inside].to_numpy()] = m["seg"][inside].astype("int64").to_numpy()
    return out


def _ends(legs: pd.DataFrame, tracked: set[int], acc: _Acc) -> pd.DataFrame:
    """Start and end locations of segments that have no track points."""
    rows = []
    for i, leg in enumerate(legs.itertuples(index=False)):
        if i in tracked:
            continue
        for loc, t in ((leg.start_loc, leg.start), (leg.end_loc, leg.end)):
            if C.bad_lonlat(np.array([loc[0]]), np.array([loc[1]]))[0] == "" and pd.notna(t):
                rows.append({"patrol_id": leg.patrol_id, "leg_id": leg.leg_id, "time": t,
                             "lon": loc[0], "lat": loc[1], "source": leg.source, "line": leg.line})
        acc.notes.append(f"{leg.source}: patrol {leg.patrol_id} segment {leg.leg_id} has no "
                         "track points; its start and end locations stand in for its path")
    return pd.DataFrame(rows, columns=list(WAYPOINT_COLUMNS))


def _events(acc: _Acc, legs: pd.DataFrame, offset: int | None) -> tuple[pd.DataFrame, int]:
    seg_patrol = dict(zip(legs["leg_id"], legs["patrol_id"], strict=True))
    rows = []
    for eid, ev in acc.events.items():
        patrols = [p for p in ev.get("patrols") or [] if p]
        pid = patrols[0] if patrols else None
        if isinstance(pid, dict):
            pid = pid.get("id")
        if pid is None:
            for s in ev.get("patrol_segments") or []:
                sid = s.get("id") if isinstance(s, dict) else s
                pid = seg_patrol.get(str(sid)) or pid
        lon, lat = _loc(ev.get("location"))
        rows.append({"obs_id": eid, "patrol_id": None if pid is None else str(pid),
                     "t": str(ev.get("time") or ""), "lon": lon, "lat": lat,
                     "category": str(ev.get("event_type") or ""),
                     "attributes": json.dumps(ev.get("event_details") or {}, sort_keys=True,
                                              ensure_ascii=False, default=str),
                     "source": ev["_src"], "line": ev["_n"]})
    obs = pd.DataFrame(rows, columns=["obs_id", "patrol_id", "t", "lon", "lat", "category",
                                      "attributes", "source", "line"])
    obs["time"], naive = C.parse_times(obs["t"], offset)
    why = C.bad_lonlat(obs["lon"].to_numpy("float64"), obs["lat"].to_numpy("float64"))
    why[(why == "") & obs["time"].isna().to_numpy()] = "missing or unreadable time"
    for i in np.flatnonzero(why != ""):
        r = obs.iloc[i]
        acc.rejects.append(Reject(int(r["line"]), f"{r['source']}: event: {why[i]}", r["obs_id"],
                                  C.preview(f"{r['source']} {r['category']} {r['t']}")))
    return obs[why == ""], naive


def _typed(df: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    if not len(df):
        return frame(columns)
    return df[list(columns)].reset_index(drop=True).astype(columns)


def _iso(t: pd.Series) -> list[str]:
    return list(t.dt.strftime("%Y-%m-%dT%H:%M:%S+00:00").fillna(""))


def _envelope(results: list[dict[str, Any]]) -> dict[str, Any]:
    return {"data": {"count": len(results), "next": None, "previous": None, "results": results},
            "status": {"code": 200, "message": "OK"}}


def write_earthranger_json(data: PatrolData, path: str | Path) -> list[Path]:
    """The patrols response at ``path``; events and tracks next to it (see the module doc)."""
    path = Path(path)
    stem = path.name.removesuffix(".json")
    ev_path, tr_path = path.with_name(f"{stem}.events.json"), path.with_name(f"{stem}.tracks.geojson")
    ob = data.observations
    o_iso = _iso(ob["time"])
    events = [{"id": str(r.obs_id), "serial_number": i + 1, "event_type": str(r.category),
               "priority": 0, "state": "resolved", "time": o_iso[i],
               "location": {"latitude": r.lat, "longitude": r.lon},
               "event_details": json.loads(r.attributes or "{}"),
               "patrols": [] if pd.isna(r.patrol_id) else [str(r.patrol_id)], "patrol_segments": []}
              for i, r in enumerate(ob.itertuples(index=False))]
    by_patrol: dict[str, list[dict[str, Any]]] = {}
    for e in events:
        for p in e["patrols"]:
            by_patrol.setdefault(p, []).append(
                {"id": e["id"], "serial_number": e["serial_number"], "event_type": e["event_type"],
                 "geojson": {"type": "Feature", "geometry": {
                     "type": "Point", "coordinates": [e["location"]["longitude"],
                                                      e["location"]["latitude"]]},
                     "properties": {"datetime": e["time"]}}})
    wp = data.waypoints.sort_values("time", kind="stable")
    tracks = {k: g for k, g in wp.groupby(["patrol_id", "leg_id"], sort=False)}
    features, patrols = [], []
    for n, (pid, legs) in enumerate(data.patrols.groupby("patrol_id", sort=False), start=1):
        segments = []
        s_iso, e_iso = _iso(legs["start"]), _iso(legs["end"])
        for i, leg in enumerate(legs.itertuples(index=False)):
            subject = f"subject:{pid}:{leg.leg_id}"
            g = tracks.get((pid, leg.leg_id))
            ends: list[dict[str, Any] | None] = [None, None]
            if g is not None and len(g):
                xy = np.column_stack([g["lon"].to_numpy(), g["lat"].to_numpy()])
                ends = [{"latitude": xy[0, 1], "longitude": xy[0, 0]},
                        {"latitude": xy[-1, 1], "longitude": xy[-1, 0]}]
                features.append({"type": "Feature", "geometry": {
                    "type": "LineString", "coordinates": xy.tolist()}, "properties": {
                    "title": str(leg.members or ""), "subject_type": "person", "id": subject,
                    "coordinateProperties": {"times": _iso(g["time"])}}})
            segments.append({"id": str(leg.leg_id), "patrol_type": str(leg.transport or ""),
                             "leader": {"id": subject, "name": str(leg.members or ""),
                                        "subject_type": "person"},
                             "start_location": ends[0], "end_location": ends[1],
                             "time_range": {"start_time": s_iso[i] or None,
                                            "end_time": e_iso[i] or None},
                             "events": by_patrol.get(str(pid), []) if i == 0 else []})
        patrols.append({"id": str(pid), "serial_number": n, "title": str(pid), "state": "done",
                        "priority": 0, "patrol_segments": segments})
    path.write_text(json.dumps(_envelope(patrols), ensure_ascii=False), encoding="utf-8")
    ev_path.write_text(json.dumps(_envelope(events), ensure_ascii=False), encoding="utf-8")
    tr_path.write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                       encoding="utf-8")
    return [path, ev_path, tr_path]
