"""One entry point for patrol exports: ``read_patrols(paths)`` picks each file's reader.

A file is SMART patrol XML when it starts with ``<`` (after a BOM and blanks) or ends in
``.xml``; a SMART query CSV when it ends in ``.csv``/``.txt`` or its first line names SMART's
columns ("Patrol ID", "Waypoint Date", "X"...); EarthRanger JSON when it starts with ``{`` or
``[`` or ends in ``.json``/``.geojson``. All XML files are assembled in one go (a folder of one
file per patrol is fast), and all EarthRanger files are read together (tracks are matched to the
patrols of the other files). A folder stands for the files in it (sorted, not
recursive). Anything else is a ``ConfigError`` naming the file: the user gave the wrong path.
A file that cannot be read at all is one reject naming it; the others are read.

The same records given twice (overlapping monthly exports, a file given twice) count once: each
repeat is a reject naming the file and line it repeats, and a leg given twice is one leg
(``drop_duplicates``).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from wildtrace.errors import ConfigError, DataError
from wildtrace.patrol import crs as C
from wildtrace.patrol.earthranger import read_earthranger
from wildtrace.patrol.records import PatrolData
from wildtrace.patrol.smart_csv import read_smart_csv
from wildtrace.patrol.smart_xml import read_smart_xml
from wildtrace.rejects import Reject

_CSV_HINTS = ("patrol id", "waypoint date", "waypoint id", "observation category")


def sniff(path: Path) -> str:
    """``"smart_xml"``, ``"smart_csv"`` or ``"earthranger"`` for one file (ConfigError if none)."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    text = head.decode("utf-8-sig", errors="replace").lstrip()
    suffix = path.suffix.lower()
    if text.startswith("<") or (suffix == ".xml" and not text):
        return "smart_xml"
    if text.startswith(("{", "[")) or (suffix in (".json", ".geojson") and not text):
        return "earthranger"
    first = head.decode("cp1252", errors="replace").split("\n", 1)[0].lower()
    if suffix in (".csv", ".txt") or any(h in first for h in _CSV_HINTS):
        return "smart_csv"
    raise ConfigError(f"{path}: not a patrol export WildTrace reads (SMART patrol XML, "
                      "SMART query CSV or EarthRanger JSON)")


def expand(paths: str | Path | Sequence[str | Path]) -> list[Path]:
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    out: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            out.extend(sorted(f for f in p.iterdir() if f.is_file()))
        elif p.is_file():
            out.append(p)
        else:
            raise ConfigError(f"{p}: no such file or folder")
    return out


def read_patrols(paths: str | Path | Sequence[str | Path], *, crs: str | None = None,
                 utc_offset: str | float | None = None) -> PatrolData:
    """Every patrol export in ``paths`` as one ``PatrolData`` (rejects and notes included).

    ``crs`` is the CRS of CSV X/Y columns that state none (default WGS84); ``utc_offset`` the
    site's offset from UTC for times written without a zone (default: read as UTC, noted).
    """
    files = expand(paths)
    if not files:
        raise ConfigError("no patrol export files given")
    parts: list[PatrolData] = []
    xml: list[Path] = []
    er: list[Path] = []
    for f in files:
        kind = sniff(f)
        if kind == "smart_xml":
            xml.append(f)
        elif kind == "smart_csv":
            parts.append(_whole_file(f, functools.partial(_read_csv, f, crs, utc_offset)))
        else:
            er.append(f)
    if xml:
        parts.extend(_together(xml, lambda fs: read_smart_xml(fs, utc_offset=utc_offset)))
    if er:
        parts.extend(_together(er, lambda fs: read_earthranger(fs, utc_offset=utc_offset)))
    data = PatrolData.concat(parts)
    # the site's offset also decides which local month a patrol or find falls in (effort, panel)
    data.utc_offset_minutes = C.parse_offset(utc_offset)
    if crs is not None and (xml or er):
        data.notes.append(f"--crs {crs} applies to SMART CSV X/Y only; SMART XML and EarthRanger "
                          "files state WGS84 longitude/latitude and were read as such")
    return drop_duplicates(data)


def _first_of(df: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """For each row, the position of the first row with the same ``keys`` (itself if first)."""
    pos = np.arange(len(df))
    if not len(df):
        return pos
    codes = df.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    uniq, first = np.unique(codes, return_index=True)
    at = np.empty(int(codes.max()) + 1, dtype="int64")
    at[uniq] = first
    return at[codes]


def _dup_rejects(df: pd.DataFrame, first: np.ndarray, what: str, why: str,
                 cols: list[str]) -> list[Reject]:
    """A reject for each row whose first copy is another row, naming that row."""
    dup = np.flatnonzero(first != np.arange(len(df)))
    if not len(dup):
        return []
    src, line = df["source"].to_numpy(), df["line"].to_numpy()
    ids = df["obs_id"].astype(str).to_numpy() if what == "observation" else [None] * len(df)
    text = df[cols[0]].iloc[dup].astype(str)
    for c in cols[1:]:
        text = text + " " + df[c].iloc[dup].astype(str)
    return [Reject(int(line[i]), f"{src[i]}: {what}: duplicate of {src[first[i]]} line "
                   f"{int(line[first[i]])}{why}", ids[i], C.preview(t))
            for i, t in zip(dup.tolist(), text.tolist(), strict=True)]


def drop_duplicates(data: PatrolData) -> PatrolData:
    """The same records given twice (overlapping monthly exports, a file given twice) kept once.

    A waypoint with the same patrol, leg, time and place as an earlier one, and an observation
    with the same id, or with the same patrol, time, place, category and attributes as one in an
    earlier file, is a reject naming the row it repeats (within one file, observations with other
    ids are kept: two snares found at one waypoint are two finds); legs given more than once become one (earliest start, latest
    end), with a note. "Earlier" is the order the files were read in.
    """
    wp = data.waypoints.reset_index(drop=True)
    first = _first_of(wp, ["patrol_id", "leg_id", "time", "lon", "lat"])
    rejects = _dup_rejects(wp, first, "waypoint", "", ["patrol_id", "leg_id", "time", "lon", "lat"])
    data.waypoints = wp[first == np.arange(len(wp))].reset_index(drop=True)
    ob = data.observations.reset_index(drop=True)
    by_id = _first_of(ob, ["obs_id"])
    by_content = _first_of(ob, ["patrol_id", "time", "lon", "lat", "category", "attributes"])
    # the same content in one file is two observations (two snares at one waypoint, each with its
    # own id); in another file it is the same observation exported again
    source = ob["source"].to_numpy(dtype=object)
    by_content = np.where(source[by_content] != source, by_content, np.arange(len(ob)))
    same_id = by_id != np.arange(len(ob))
    first = np.where(same_id, by_id, by_content)
    keep = first == np.arange(len(ob))
    cols = ["category", "time", "lon", "lat"]
    rejects += _dup_rejects(ob, np.where(same_id, first, np.arange(len(ob))), "observation",
                            " (same observation id)", cols)
    rest = ~same_id & ~keep
    rejects += _dup_rejects(ob, np.where(rest, first, np.arange(len(ob))), "observation",
                            " (same patrol, time, place, category and attributes)", cols)
    data.observations = ob[keep].reset_index(drop=True)
    data.rejects += rejects
    data.patrols = _merge_legs(data.patrols, data.notes)
    return data


def _merge_legs(legs: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Legs given more than once (same patrol and leg id) as one row, with a note."""
    dup = legs.duplicated(["patrol_id", "leg_id"], keep=False).to_numpy()
    if not dup.any():
        return legs
    many = legs[dup]
    g = many.groupby(["patrol_id", "leg_id"], sort=False)
    merged = g.agg(source=("source", "first"), transport=("transport", "first"),
                   members=("members", "first"), start=("start", "min"), end=("end", "max"),
                   line=("line", "first")).reset_index()
    where = g["source"].agg(lambda s: ", ".join(dict.fromkeys(s.astype(str))))
    shown = "; ".join(f"patrol {p} leg {leg} ({w})" for (p, leg), w in list(where.items())[:5])
    more = f" and {len(where) - 5} more" if len(where) > 5 else ""
    notes.append(f"{len(where)} patrol legs were given more than once (in several files or "
                 f"twice in one) and were merged (earliest start, latest end): {shown}{more}")
    out = pd.concat([legs[~dup], merged[list(legs.columns)]], ignore_index=True)
    return out.astype(legs.dtypes.to_dict())


def _whole_file(path: Path, read: Callable[[], PatrolData]) -> PatrolData:
    """A file that cannot be read at all (too big, a DOCTYPE, not JSON...) is one reject naming
    it; the other files are still read."""
    try:
        return read()
    except DataError as exc:
        return PatrolData(rejects=[Reject(0, f"{path.name}: the whole file was not read: {exc}", None, "")])


def _together(files: list[Path], read: Callable[[list[Path]], PatrolData]) -> list[PatrolData]:
    """Files read in one go (fast, and EarthRanger tracks meet their patrols); if one of them
    cannot be read at all, it becomes a reject and the others are read without it."""
    try:
        return [read(files)]
    except DataError:
        good: list[Path] = []
        out: list[PatrolData] = []
        for f in files:
            part = _whole_file(f, functools.partial(read, [f]))
            if part.rejects and part.rejects[0].line == 0 and "whole file" in part.rejects[0].reason:
                out.append(part)
            else:
                good.append(f)
        if good:
            out.append(read(good))
        return out


def _read_csv(path: Path, crs: str | None, utc_offset: str | float | None) -> PatrolData:
    return _named(read_smart_csv(path, crs=crs, utc_offset=utc_offset), path.name)


def _named(data: PatrolData, name: str) -> PatrolData:
    data.rejects = [dataclasses.replace(r, reason=f"{name}: {r.reason}") for r in data.rejects]
    return data


def write_tables(data: PatrolData, folder: Path) -> dict[str, Path]:
    """The imported tables as CSV (patrols.csv, waypoints.csv, observations.csv: WGS84, UTC,
    ISO 8601 times), for a GIS or a spreadsheet; written whole or not at all.

    Every text cell goes through the project's formula guard (``safe_cell``: a cell starting
    with = + - @ tab or CR is written as text); numbers and times are written as they are.
    """
    from wildtrace.atomic import atomic_write
    from wildtrace.csvcell import safe_cell

    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name in ("patrols", "waypoints", "observations"):
        path = out[name] = folder / f"{name}.csv"
        table = getattr(data, name).copy()
        for col in table.columns:
            if pd.api.types.is_string_dtype(table[col]) or table[col].dtype == object:
                table[col] = table[col].map(safe_cell, na_action="ignore")
        with atomic_write(path) as fh:
            table.to_csv(fh, index=False, date_format="%Y-%m-%dT%H:%M:%SZ")
    return out
