"""SMART patrol XML: read the file SMART desktop exports for a patrol, and write it back.

The format, as found in public sources (no copy of SmartPatrol.xsd turned up in the public code
index searched; these show the shape):

- A LoRaWAN-to-SMART Connect bridge (Go, public code; repository not named by the search index)
  that uploads a patrol (namespace ``http://www.smartconservationsoftware.org/xml/1.2/
  patrol``, prefix ``ns2``): ``<ns2:patrol patrolType="GROUND" startDate="2019-06-13"
  endDate="2019-06-13" isArmed="false" id="SMART_000007">`` with children ``objective/description``,
  ``team`` and ``station`` (``languageCode``/``value`` attributes) and ``legs`` (``startDate``,
  ``endDate``, ``id``) holding ``transportType`` (``value``), ``members`` (``givenName``,
  ``familyName``, ``employeeId``, ``isPilot``, ``isLeader``), ``mandate`` and ``days`` (``date``,
  ``startTime="00:00:00"``, ``endTime``, ``restMinutes="0.0"``) with a ``track`` (``distance`` in
  km, ``geom`` = the day's track as WKT).
- SMART's own Java data processors (org.wcs.smart.data.transforms, WCS, MIT): ``<waypoints
  time="00:00:00" y="4.0" x="3.0" id="1">`` inside ``days``, holding ``<observations
  categoryKey="threat.biologicalresourceuse....peopleconfronted.">`` with ``<attributes
  attributeKey="actiontaken"><itemKey>observedonly</itemKey></attributes>`` and
  ``<dValue>3.0</dValue>``.
- A public Windmill connector script that imports SMART patrol XML (lxml, namespace
  ``.../xml/1.3/patrol``; repository not named by the search index): in 1.3
  observations sit in ``waypoints/groups/observations``; attribute values are the child elements
  ``itemKey``, ``dValue``, ``bValue``, ``sValue``; waypoint ``x``/``y`` are longitude/latitude.
- SMART independent incidents use ``.../xml/1.0/independentincident`` with a root
  ``<Waypoint id x y dateTime>``: read here as observations with no patrol.

So: everything is an attribute except attribute values (child elements); coordinates are WGS84
longitude/latitude; ``time`` is local wall-clock time of the day's ``date`` with no zone (pass the
site's ``utc_offset``, else read as UTC with a note). Both ``1.2`` and ``1.3`` are read, with the
long value names (``stringValue``, ``doubleValue``, ``booleanValue``, ``dateValue``) as well.

Reading streams with lxml ``iterparse`` (no DTD, no entities, no network; files with a DOCTYPE
or ENTITY anywhere and files over ``max_bytes`` are refused) and clears each waypoint once read. A day with a track
gives the patrol's path from the track (times spread evenly between the day's start and end, to
the second, with a note); otherwise the waypoints are the path. Categories become paths
(``threat.hunting.snare.`` -> ``threat/hunting/snare``); attributes a JSON object.

``write_smart_xml(data, folder)`` writes one ``patrol-<id>.xml`` per patrol (1.3 namespace, as
SMART exports one patrol per file; an id that is not file-safe, or whose name is taken, gets a hash
of the real id added, so no patrol overwrites another) and one ``incident-<n>.xml`` per
observation with no patrol.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd
import shapely
from lxml import etree

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

NS_13 = "http://www.smartconservationsoftware.org/xml/1.3/patrol"
NS_INCIDENT = "http://www.smartconservationsoftware.org/xml/1.0/independentincident"
_NS_OK = re.compile(r"^https?://www\.smartconservationsoftware\.org/xml/[\d.]+/(patrol|"
                    r"independentincident)$")
MAX_BYTES = 2 * 1024**3
_VALUES = {"itemKey": "item", "sValue": "s", "stringValue": "s", "dValue": "d",
           "doubleValue": "d", "numberValue": "d", "bValue": "b", "booleanValue": "b",
           "dateValue": "s", "date": "s"}


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _attribute_value(att: etree._Element) -> object:
    items: list[str] = []
    value: object = None
    for child in att:
        kind = _VALUES.get(_local(child.tag))
        text = (child.text or "").strip()
        if kind == "item":
            items.append(text)
        elif kind == "d":
            try:
                value = float(text)
            except ValueError:
                value = text
        elif kind == "b":
            value = text.lower() == "true"
        elif kind == "s":
            value = text
    if items:
        return items[0] if len(items) == 1 else items
    return value


def _observations(wp: etree._Element) -> Iterator[tuple[str, str, int]]:
    """(category path, attributes JSON, line) of each observation of a waypoint element."""
    for el in wp.iter():
        if _local(el.tag) != "observations":
            continue
        key = (el.get("categoryKey") or "").strip().strip(".")
        attrs = {a.get("attributeKey") or "": _attribute_value(a)
                 for a in el if _local(a.tag) == "attributes"}
        yield key.replace(".", "/"), json.dumps(attrs, sort_keys=True), el.sourceline or 0


def _check_file(path: Path, max_bytes: int) -> None:
    """Refuse files over ``max_bytes`` and any DOCTYPE or ENTITY declaration, wherever it is
    (a comment can push one past any fixed-size look at the head); read in chunks."""
    size = path.stat().st_size
    if size > max_bytes:
        raise DataError(f"{path.name}: {size} bytes is over the {max_bytes}-byte limit for XML")
    tail = b""
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            block = tail + chunk
            if b"<!DOCTYPE" in block or b"<!ENTITY" in block:
                raise DataError(f"{path.name}: XML with a DOCTYPE or entities is refused "
                                "(not SMART)")
            tail = block[-8:]


class _Acc:
    """Raw rows of every file read, assembled into tables once (each row names its file)."""

    def __init__(self) -> None:
        self.rejects: list[Reject] = []
        self.notes: list[str] = []
        self.legs: list[tuple[str, str, str, str, str, str, int, str]] = []
        # waypoint rows: patrol, leg, id, "date time", x, y, line, day index (-1: none), file
        self.wps: list[tuple[str | None, str, str, str, str, str, int, int, str]] = []
        self.obs: list[tuple[int, str, str, int]] = []  # waypoint row, category, attrs, line
        self.days: list[tuple[str, str, str, str, str]] = []  # patrol, leg, start, end, file
        self.tracks: dict[int, tuple[str, int]] = {}  # day index -> (WKT, line)


def read_smart_xml(paths: str | Path | Sequence[str | Path], *,
                   utc_offset: str | float | None = None,
                   max_bytes: int = MAX_BYTES) -> PatrolData:
    """The patrols, path points and observations of SMART patrol XML files (one or many).

    Many files are parsed one by one and assembled into tables once, so a folder of one file
    per patrol reads as fast as one big file.
    """
    files = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
    offset = C.parse_offset(utc_offset)
    acc = _Acc()
    for f in files:
        _check_file(f, max_bytes)
        _parse(f, acc)
    return _assemble(acc, offset)


def _parse(path: Path, acc: _Acc) -> None:
    src = path.name
    legs, wps, obs, days, tracks = acc.legs, acc.wps, acc.obs, acc.days, acc.tracks
    rejects, notes = acc.rejects, acc.notes
    patrol: str | None = None
    leg = ""
    day = -1
    date = ""
    leg_days: list[int] = []
    try:
        for event, el in etree.iterparse(
                str(path), events=("start", "end"), resolve_entities=False, no_network=True,
                load_dtd=False, huge_tree=False, remove_comments=True):
            name = _local(el.tag)
            if event == "start":
                if el.getparent() is None and el.getroottree().docinfo.doctype:
                    raise DataError(f"{src}: XML with a DOCTYPE is refused (not SMART)")
                if name == "patrol":
                    ns = el.tag[1:].partition("}")[0] if el.tag.startswith("{") else ""
                    if ns and not _NS_OK.match(ns):
                        notes.append(f"{src}: namespace {ns} is not SMART's; read as 1.3")
                    patrol = (el.get("id") or "").strip() or f"{src}:{el.sourceline}"
                elif name == "legs" and patrol is not None:
                    leg, leg_days = (el.get("id") or "1").strip(), []
                elif name == "days" and patrol is not None:
                    date = (el.get("date") or "").strip()
                    days.append((patrol, leg, f"{date} {el.get('startTime') or '00:00:00'}",
                                 f"{date} {el.get('endTime') or '23:59:59'}", src))
                    day = len(days) - 1
                    leg_days.append(day)
                continue
            if name in ("waypoints", "Waypoint"):
                when = (el.get("dateTime") or el.get("time") or "").strip()
                if "T" not in when and date and patrol is not None:
                    when = f"{date} {when}"
                wps.append((patrol, leg if patrol is not None else "", (el.get("id") or "").strip(),
                            when, el.get("x") or "", el.get("y") or "", el.sourceline or 0,
                            day if patrol is not None else -1, src))
                if len(el):
                    obs.extend((len(wps) - 1, *o) for o in _observations(el))
                el.clear()
                parent = el.getparent()
                while parent is not None and el.getprevious() is not None:
                    del parent[0]
            elif name == "track" and patrol is not None and day >= 0:
                tracks[day] = (el.get("geom") or "", el.sourceline or 0)
            elif name == "days":
                el.clear()
            elif name == "legs" and patrol is not None:
                transport = members = ""
                names = []
                for child in el:
                    tag = _local(child.tag)
                    if tag == "transportType":
                        transport = child.get("value") or ""
                    elif tag == "members":
                        names.append(f"{child.get('givenName') or ''} "
                                     f"{child.get('familyName') or ''}".strip())
                members = ";".join(n for n in names if n)
                first = days[leg_days[0]][2] if leg_days else f"{el.get('startDate')} 00:00:00"
                last = days[leg_days[-1]][3] if leg_days else f"{el.get('endDate')} 23:59:59"
                legs.append((patrol, leg, transport, members, first, last, el.sourceline or 0,
                             src))
                el.clear()
            elif name == "patrol":
                patrol, leg, day, date = None, "", -1, ""
    except etree.XMLSyntaxError as exc:
        rejects.append(Reject(exc.lineno or 0, f"{src}: XML is malformed from here on: {exc.msg}",
                              None, ""))
        if patrol is not None and leg and leg_days and (patrol, leg) not in {
                (p[0], p[1]) for p in legs}:
            legs.append((patrol, leg, "", "", days[leg_days[0]][2], days[leg_days[-1]][3], 0,
                         src))
            notes.append(f"{src}: leg {leg} of patrol {patrol} was cut off by the XML error; "
                         "kept what was read before it")


def _assemble(acc: _Acc, offset: int | None) -> PatrolData:
    rejects, notes, days, tracks = acc.rejects, acc.notes, acc.days, acc.tracks
    w = pd.DataFrame(acc.wps, columns=["patrol_id", "leg_id", "wid", "when", "x", "y", "line",
                                       "day", "src"])
    src = w["src"].to_numpy()
    x = pd.to_numeric(w["x"], errors="coerce").to_numpy(dtype="float64")
    y = pd.to_numeric(w["y"], errors="coerce").to_numpy(dtype="float64")
    times, naive = C.parse_times(w["when"], offset)
    tnp = times.dt.tz_convert(None).to_numpy()
    why = C.bad_lonlat(x, y)
    why[(why == "") & times.isna().to_numpy()] = "missing or unreadable time"
    dup = w.duplicated(["src", "patrol_id", "wid"], keep="first").to_numpy() & w["patrol_id"].notna()
    dup &= (w["wid"] != "").to_numpy()
    why[(why == "") & dup] = "duplicate waypoint id in this patrol (the first is kept)"
    for i in np.flatnonzero(why != ""):
        r = w.iloc[i]
        rejects.append(Reject(int(r["line"]), f"{r['src']}: waypoint: {why[i]}", r["wid"] or None,
                              C.preview(f"patrol={r['patrol_id']} id={r['wid']} x={r['x']} "
                                        f"y={r['y']} time={r['when']}")))
    o = pd.DataFrame(acc.obs, columns=["wp", "category", "attributes", "line"])
    at = o["wp"].to_numpy(dtype="int64")
    empty = (why == "") & w["patrol_id"].isna().to_numpy()
    empty[at] = False
    for i in np.flatnonzero(empty):
        rejects.append(Reject(int(w["line"].iloc[i]), f"{src[i]}: waypoint outside any patrol "
                              "with no observation: nothing to keep", w["wid"].iloc[i] or None,
                              C.preview(f"id={w['wid'].iloc[i]} x={w['x'].iloc[i]} "
                                        f"y={w['y'].iloc[i]} time={w['when'].iloc[i]}")))
    ok = why == ""
    track_days = set(tracks)
    on_path = ok & w["patrol_id"].notna().to_numpy() & ~w["day"].isin(track_days).to_numpy()
    way = pd.DataFrame({"patrol_id": w["patrol_id"].to_numpy()[on_path],
                        "leg_id": w["leg_id"].to_numpy()[on_path],
                        "time": tnp[on_path], "lon": x[on_path], "lat": y[on_path],
                        "source": src[on_path], "line": w["line"].to_numpy()[on_path]})
    way["time"] = pd.to_datetime(way["time"], utc=True)
    way = pd.concat([way, _track_points(days, tracks, offset, rejects, notes)],
                    ignore_index=True)
    seq = (o.groupby("wp").cumcount() + 1).to_numpy() if len(o) else np.zeros(0, dtype="int64")
    pids = w["patrol_id"].to_numpy()[at]
    wids = w["wid"].to_numpy()[at]
    lines = w["line"].to_numpy()[at]
    obs_id = np.asarray([f"{p if p is not None else f}:{wid or ln}:{k}" for p, wid, ln, k, f in
                         zip(pids, wids, lines, seq, src[at], strict=True)], dtype=object)
    o_ok = ok[at]
    for i in np.flatnonzero(~o_ok):
        rejects.append(Reject(int(o["line"].iloc[i]), f"{src[at[i]]}: observation: its waypoint was rejected "
                              f"({why[at[i]]})", str(obs_id[i]),
                              C.preview(o["category"].iloc[i])))
    observations = pd.DataFrame({
        "obs_id": obs_id[o_ok], "patrol_id": pids[o_ok],
        "time": pd.to_datetime(tnp[at][o_ok], utc=True), "lon": x[at][o_ok],
        "lat": y[at][o_ok], "category": o["category"].to_numpy()[o_ok],
        "attributes": o["attributes"].to_numpy()[o_ok], "source": src[at][o_ok],
        "line": o["line"].to_numpy()[o_ok]})
    lg = pd.DataFrame(acc.legs, columns=["patrol_id", "leg_id", "transport", "members",
                                         "start", "end", "line", "source"])
    start, n1 = C.parse_times(lg["start"], offset)
    end, n2 = C.parse_times(lg["end"], offset)
    patrols = lg.assign(start=start, end=end)
    files = sorted(set(src)) or ["SMART XML"]
    notes += C.naive_note(naive + n1 + n2, offset, files[0] if len(files) == 1 else
                          f"{len(files)} SMART XML files")
    return PatrolData(
        patrols=_typed(patrols, PATROL_COLUMNS), waypoints=_typed(way, WAYPOINT_COLUMNS),
        observations=_typed(observations, OBSERVATION_COLUMNS), rejects=rejects, notes=notes)


def _typed(df: pd.DataFrame, columns: dict[str, str]) -> pd.DataFrame:
    if not len(df):
        return frame(columns)
    return df[list(columns)].reset_index(drop=True).astype(columns)


def _track_points(days: list[tuple[str, str, str, str, str]],
                  tracks: dict[int, tuple[str, int]], offset: int | None,
                  rejects: list[Reject], notes: list[str]) -> pd.DataFrame:
    """Path points of the days that carry a track, times spread evenly over the day."""
    rows = []
    for d, (wkt, line) in sorted(tracks.items()):
        src = days[d][4]
        try:
            geom = shapely.from_wkt(wkt)
            xy = shapely.get_coordinates(geom)
        except shapely.errors.GEOSException as exc:
            rejects.append(Reject(line, f"{src}: track: unreadable geometry ({exc})", None,
                                  C.preview(wkt)))
            continue
        if len(xy) < 2:
            rejects.append(Reject(line, f"{src}: track: fewer than two points", None,
                                  C.preview(wkt)))
            continue
        patrol, leg, start, end, src = days[d]
        rows.append(pd.DataFrame({"patrol_id": patrol, "leg_id": leg, "start": start, "end": end,
                                  "source": src,
                                  "k": np.arange(len(xy)) / (len(xy) - 1), "lon": xy[:, 0],
                                  "lat": xy[:, 1], "line": line}))
    if not rows:
        return frame(WAYPOINT_COLUMNS)
    t = pd.concat(rows, ignore_index=True)
    start, _ = C.parse_times(t["start"], offset)
    end, _ = C.parse_times(t["end"], offset)
    t["time"] = (start + (end - start) * t["k"]).dt.round("s")
    why = C.bad_lonlat(t["lon"].to_numpy(), t["lat"].to_numpy())
    why[(why == "") & t["time"].isna().to_numpy()] = "day has no readable date"
    for i in np.flatnonzero(why != ""):
        rejects.append(Reject(int(t["line"].iloc[i]), f"{t['source'].iloc[i]}: track point {i}: {why[i]}",
                              None,
                              C.preview(f"{t['lon'].iloc[i]} {t['lat'].iloc[i]}")))
    notes.append(f"{len(rows)} SMART day tracks carry no times; their points were spread evenly "
                 "between the day's start and end time")
    return t[why == ""]


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:80] or "patrol"


def _file_name(pid: str, used: set[str]) -> str:
    """``patrol-<id>.xml``; the safe id plus a hash of the real id when the id is not file-safe
    or the name is taken (in any case: some file systems ignore case)."""
    safe = _safe(pid)
    name = f"patrol-{safe}.xml"
    if safe != pid or name.lower() in used:
        digest = hashlib.sha256(pid.encode("utf-8")).hexdigest()
        name = f"patrol-{safe[:60]}-{digest[:12]}.xml"
        k = 1
        while name.lower() in used:
            name, k = f"patrol-{safe[:60]}-{digest[:12]}-{k + 1}.xml", k + 1
    used.add(name.lower())
    return name


def _hms(t: pd.Series, offset: int | None) -> tuple[pd.Series, pd.Series]:
    local = t.dt.tz_convert(None) + pd.Timedelta(minutes=offset or 0)
    return local.dt.strftime("%Y-%m-%d"), local.dt.strftime("%H:%M:%S")


def _obs_xml(categories: list[str], attributes: list[str]) -> str:
    out = []
    for cat, attrs in zip(categories, attributes, strict=True):
        key = str(cat).replace("/", ".") + "."
        parts = [f"<ns2:observations categoryKey={quoteattr(key)}>"]
        for k, v in json.loads(attrs or "{}").items():
            parts.append(f"<ns2:attributes attributeKey={quoteattr(str(k))}>")
            if isinstance(v, bool):
                parts.append(f"<ns2:bValue>{str(v).lower()}</ns2:bValue>")
            elif isinstance(v, (int, float)):
                parts.append(f"<ns2:dValue>{float(v)!r}</ns2:dValue>")
            elif isinstance(v, list):
                parts.extend(f"<ns2:itemKey>{_esc(str(i))}</ns2:itemKey>" for i in v)
            elif v is not None:
                parts.append(f"<ns2:sValue>{_esc(str(v))}</ns2:sValue>")
            parts.append("</ns2:attributes>")
        parts.append("</ns2:observations>")
        out.append("".join(parts))
    return "".join(out)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _ns(t: pd.Series) -> np.ndarray:
    return t.dt.tz_convert(None).to_numpy().view("int64")


def _runs(codes: np.ndarray, lo: int, hi: int) -> list[tuple[int, int]]:
    """The [start, end) index ranges of equal consecutive values of codes[lo:hi]."""
    if hi <= lo:
        return []
    cut = np.flatnonzero(codes[lo + 1:hi] != codes[lo:hi - 1]) + lo + 1
    edges = [lo, *cut.tolist(), hi]
    return list(zip(edges[:-1], edges[1:], strict=True))


def write_smart_xml(data: PatrolData, folder: str | Path, *,
                    utc_offset: str | float | None = None) -> list[Path]:
    """One SMART 1.3 patrol XML per patrol (and an incident XML per patrol-less observation)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    offset = C.parse_offset(utc_offset)
    wp, ob = data.waypoints, data.observations
    legs_of: dict[str, list[tuple[str, str, str, pd.Timestamp, pd.Timestamp]]] = {}
    for lg in data.patrols.itertuples(index=False):
        legs_of.setdefault(str(lg.patrol_id), []).append(
            (str(lg.leg_id), str(lg.transport or ""), str(lg.members or ""), lg.start, lg.end))
    first_leg = {p: v[0][0] for p, v in legs_of.items()}
    on = ob[ob["patrol_id"].notna()]
    okeys = list(zip(on["patrol_id"], _ns(on["time"]), on["lon"], on["lat"], strict=True))
    body: dict[tuple[object, ...], str] = {}
    for k, cat, att in zip(okeys, on["category"], on["attributes"], strict=True):
        body[k] = body.get(k, "") + _obs_xml([cat], [att])
    wkeys = set(zip(wp["patrol_id"], _ns(wp["time"]), wp["lon"], wp["lat"], strict=True))
    extra = on[np.array([k not in wkeys for k in okeys], dtype=bool)]
    pts = pd.concat([wp[["patrol_id", "leg_id", "time", "lon", "lat"]],
                     extra[["patrol_id", "time", "lon", "lat"]].assign(
                         leg_id=extra["patrol_id"].map(first_leg))], ignore_index=True)
    pts = pts[pts["patrol_id"].isin(list(legs_of))]
    pts["day"], pts["hms"] = _hms(pts["time"], offset)
    pts = pts.sort_values(["patrol_id", "leg_id", "time"], kind="stable").drop_duplicates(
        ["patrol_id", "time", "lon", "lat"]).reset_index(drop=True)
    wid = (pts.groupby("patrol_id", sort=False).cumcount() + 1).tolist()
    keys = zip(pts["patrol_id"], _ns(pts["time"]), pts["lon"], pts["lat"], strict=True)
    lines = [f'<ns2:waypoints id="{w}" x="{x!r}" y="{y!r}" time="{h}">'
             f'{"" if (got := body.get(k)) is None else f"<ns2:groups>{got}</ns2:groups>"}'
             "</ns2:waypoints>\n"
             for w, x, y, h, k in zip(wid, pts["lon"].tolist(), pts["lat"].tolist(),
                                      pts["hms"].tolist(), keys, strict=True)]
    p_codes = pd.factorize(pts["patrol_id"])[0]
    l_codes = pd.factorize(pts["patrol_id"].astype(str) + "\x00" + pts["leg_id"].astype(str))[0]
    d_codes = pd.factorize(pts["day"])[0]
    days = pts["day"].to_numpy()
    ranges = {pts["patrol_id"].iloc[a]: (a, b) for a, b in _runs(p_codes, 0, len(pts))}
    shift = pd.Timedelta(minutes=offset or 0)
    written: list[Path] = []
    used: set[str] = set()
    for pid, legs in legs_of.items():
        a, b = ranges.get(pid, (0, 0))
        by_leg = {pts["leg_id"].iloc[i]: (i, j) for i, j in _runs(l_codes, a, b)}
        local = [((s.tz_convert(None) + shift), (e.tz_convert(None) + shift))
                 for _, _, _, s, e in legs]
        out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n',
               f'<ns2:patrol xmlns:ns2="{NS_13}" patrolType="GROUND" '
               f'startDate="{min(s for s, _ in local):%Y-%m-%d}" '
               f'endDate="{max(e for _, e in local):%Y-%m-%d}" isArmed="false" '
               f'id={quoteattr(pid)}>\n'
               '<ns2:objective><ns2:description></ns2:description></ns2:objective>\n']
        for (leg, transport, members, _, _), (ls, le) in zip(legs, local, strict=True):
            sday, eday = f"{ls:%Y-%m-%d}", f"{le:%Y-%m-%d}"
            out.append(f'<ns2:legs startDate="{sday}" endDate="{eday}" id={quoteattr(leg)}>\n'
                       f'<ns2:transportType languageCode="en" value={quoteattr(transport)}/>\n')
            for j, who in enumerate(n for n in members.split(";") if n):
                given, _, family = who.partition(" ")
                out.append(f"<ns2:members givenName={quoteattr(given)} familyName="
                           f'{quoteattr(family)} isPilot="false" '
                           f'isLeader="{str(j == 0).lower()}"/>\n')
            i, j = by_leg.get(leg, (0, 0))
            by_day = {days[x]: (x, y) for x, y in _runs(d_codes, i, j)}
            for d in sorted(set(by_day) | {sday, eday}):
                st = f"{ls:%H:%M:%S}" if d == sday else "00:00:00"
                en = f"{le:%H:%M:%S}" if d == eday else "23:59:59"
                x, y = by_day.get(d, (0, 0))
                out.append(f'<ns2:days date="{d}" startTime="{st}" endTime="{en}" '
                           f'restMinutes="0.0">\n{"".join(lines[x:y])}</ns2:days>\n')
            out.append("</ns2:legs>\n")
        out.append("</ns2:patrol>\n")
        target = folder / _file_name(pid, used)
        target.write_text("".join(out), encoding="utf-8")
        written.append(target)
    for n, row in enumerate(ob[ob["patrol_id"].isna()].itertuples(index=False), start=1):
        when = row.time.tz_convert(None) + pd.Timedelta(minutes=offset or 0)
        target = folder / f"incident-{n}.xml"
        target.write_text(
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Waypoint xmlns="{NS_INCIDENT}" xmlns:ns2="{NS_INCIDENT}" id="{n}" '
            f'x="{row.lon!r}" y="{row.lat!r}" dateTime="{when:%Y-%m-%dT%H:%M:%S}">'
            f"{_obs_xml([row.category], [row.attributes])}</Waypoint>\n", encoding="utf-8")
        written.append(target)
    return written
