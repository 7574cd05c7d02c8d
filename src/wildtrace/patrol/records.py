"""Patrol records in one shape, whatever system exported them.

Every importer (SMART patrol XML, SMART query CSV, EarthRanger JSON) returns a ``PatrolData``:
three pandas tables with the columns below, coordinates already in WGS84 longitude/latitude
(``WGS84``) whatever CRS the file stated, times as timezone-aware UTC timestamps, and every record
it could not use in ``rejects`` with its place in the file and why. Nothing is dropped silently.

``patrols``: one row per patrol leg
    patrol_id (str), leg_id (str), source (str: file name), transport (str), members (str, ';'-joined),
    start (datetime64[ns, UTC]), end (datetime64[ns, UTC]), line (int: line or element number in the file)
``waypoints``: one row per track point or waypoint of a patrol
    patrol_id (str), leg_id (str), time (datetime64[ns, UTC]), lon (float), lat (float),
    source (str), line (int)
``observations``: one row per observation (a waypoint may carry several)
    obs_id (str), patrol_id (str or <NA>: incidental observations belong to no patrol),
    time (datetime64[ns, UTC]), lon (float), lat (float),
    category (str: the category path, keys joined by '/', e.g. 'humanactivity/snare'),
    attributes (str: a JSON object of the observation's attributes), source (str), line (int)

Work on areas and lengths happens in ``WORK_CRS`` (EPSG:6933, the equal-area projection
ecoscope uses for patrol coverage).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from wildtrace.rejects import Reject

WGS84 = "EPSG:4326"
#: Equal-area CRS for lengths, areas and the grid (as ecoscope computes patrol coverage).
WORK_CRS = "EPSG:6933"

PATROL_COLUMNS: dict[str, str] = {
    "patrol_id": "string", "leg_id": "string", "source": "string", "transport": "string",
    "members": "string", "start": "datetime64[ns, UTC]", "end": "datetime64[ns, UTC]", "line": "int64",
}
WAYPOINT_COLUMNS: dict[str, str] = {
    "patrol_id": "string", "leg_id": "string", "time": "datetime64[ns, UTC]", "lon": "float64",
    "lat": "float64", "source": "string", "line": "int64",
}
OBSERVATION_COLUMNS: dict[str, str] = {
    "obs_id": "string", "patrol_id": "string", "time": "datetime64[ns, UTC]", "lon": "float64",
    "lat": "float64", "category": "string", "attributes": "string", "source": "string", "line": "int64",
}


def frame(columns: dict[str, str], rows: list[dict[str, object]] | None = None) -> pd.DataFrame:
    """A table with exactly these columns and dtypes (empty when no rows)."""
    df = pd.DataFrame(rows or [], columns=list(columns))
    return df.astype(columns) if len(df) else pd.DataFrame(
        {c: pd.Series(dtype=t) for c, t in columns.items()})


@dataclass
class PatrolData:
    """What one or more exports hold: patrol legs, their track points, observations, rejects."""

    patrols: pd.DataFrame = field(default_factory=lambda: frame(PATROL_COLUMNS))
    waypoints: pd.DataFrame = field(default_factory=lambda: frame(WAYPOINT_COLUMNS))
    observations: pd.DataFrame = field(default_factory=lambda: frame(OBSERVATION_COLUMNS))
    rejects: list[Reject] = field(default_factory=list)
    #: Plain sentences about the import an analyst should read (CRS assumed, legs split...).
    notes: list[str] = field(default_factory=list)
    #: The site's UTC offset (minutes east of UTC) the import read local times with; None = UTC.
    #: Times stay stored in UTC; effort and the panel cut months at local midnight with it.
    utc_offset_minutes: int | None = None

    def __post_init__(self) -> None:
        for name, columns in (("patrols", PATROL_COLUMNS), ("waypoints", WAYPOINT_COLUMNS),
                              ("observations", OBSERVATION_COLUMNS)):
            missing = set(columns) - set(getattr(self, name).columns)
            if missing:
                raise ValueError(f"PatrolData.{name} lacks columns {sorted(missing)}")

    @classmethod
    def concat(cls, parts: list[PatrolData]) -> PatrolData:
        """Several imports as one (patrol ids are kept as the files give them)."""
        if not parts:
            return cls()
        offsets = {p.utc_offset_minutes for p in parts}
        offset = next(iter(offsets)) if len(offsets) == 1 else None
        notes = [n for p in parts for n in p.notes]
        if len(offsets) > 1:
            seen = ", ".join(sorted(offset_text(o) for o in offsets))
            notes.append(f"the records were read with different UTC offsets ({seen}): months are "
                         "cut at UTC midnight")
        return cls(
            patrols=pd.concat([p.patrols for p in parts], ignore_index=True),
            waypoints=pd.concat([p.waypoints for p in parts], ignore_index=True),
            observations=pd.concat([p.observations for p in parts], ignore_index=True),
            rejects=[r for p in parts for r in p.rejects],
            notes=notes,
            utc_offset_minutes=offset,
        )


def offset_text(minutes: int | None) -> str:
    """'+03:00' for 180, '-05:30' for -330, 'UTC' for None."""
    if minutes is None:
        return "UTC"
    sign = "-" if minutes < 0 else "+"
    hours, mins = divmod(abs(int(minutes)), 60)
    return f"{sign}{hours:02d}:{mins:02d}"
