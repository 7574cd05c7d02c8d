"""One entry point for patrol exports: ``read_patrols(paths)`` picks each file's reader.

A file is SMART patrol XML when it starts with ``<`` (after a BOM and blanks) or ends in
``.xml``; a SMART query CSV when it ends in ``.csv``/``.txt`` or its first line names SMART's
columns ("Patrol ID", "Waypoint Date", "X"...); EarthRanger JSON when it starts with ``{`` or
``[`` or ends in ``.json``/``.geojson``. All XML files are assembled in one go (a folder of one
file per patrol is fast), and all EarthRanger files are read together (tracks are matched to the
patrols of the other files). A folder stands for the files in it (sorted, not
recursive). Anything else is a ``ConfigError`` naming the file: the user gave the wrong path.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from pathlib import Path

from wildtrace.errors import ConfigError, DataError
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
    if text.startswith(("{", "[")):
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
    return PatrolData.concat(parts)


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
    ISO 8601 times), for a GIS or a spreadsheet; written whole or not at all."""
    from wildtrace.atomic import atomic_write

    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name in ("patrols", "waypoints", "observations"):
        path = out[name] = folder / f"{name}.csv"
        with atomic_write(path) as fh:
            getattr(data, name).to_csv(fh, index=False, date_format="%Y-%m-%dT%H:%M:%SZ")
    return out
