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

from collections.abc import Sequence
from pathlib import Path

from wildtrace.errors import ConfigError
from wildtrace.patrol.earthranger import read_earthranger
from wildtrace.patrol.records import PatrolData
from wildtrace.patrol.smart_csv import read_smart_csv
from wildtrace.patrol.smart_xml import read_smart_xml

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


def _expand(paths: str | Path | Sequence[str | Path]) -> list[Path]:
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
    files = _expand(paths)
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
            parts.append(read_smart_csv(f, crs=crs, utc_offset=utc_offset))
        else:
            er.append(f)
    if xml:
        parts.append(read_smart_xml(xml, utc_offset=utc_offset))
    if er:
        parts.append(read_earthranger(er, utc_offset=utc_offset))
    return PatrolData.concat(parts)
