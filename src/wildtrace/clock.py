"""The one clock: every timestamp WildTrace writes comes from here, in one format.

``now()`` is an aware UTC datetime; ``stamp()`` is ISO 8601 UTC with a ``Z`` (seconds by
default, ``"milliseconds"`` where order within a second matters, as in the audit log);
``today()`` is the UTC date. Tests that need a fixed time pass it in; nothing here is patched.
"""

from __future__ import annotations

import datetime as dt
import time

UTC = dt.UTC


def now() -> dt.datetime:
    """The current time, UTC, timezone-aware."""
    return dt.datetime.now(UTC)


def iso(moment: dt.datetime, timespec: str = "seconds") -> str:
    """``moment`` as ISO 8601 UTC ending in ``Z`` (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def stamp(timespec: str = "seconds") -> str:
    """Now as ISO 8601 UTC ending in ``Z``: ``2026-12-06T15:07:03Z``."""
    return iso(now(), timespec)


def today() -> str:
    """Today's UTC date, ``YYYY-MM-DD``."""
    return now().date().isoformat()


_SECOND: list[tuple[int, str]] = [(0, "")]


def stamp_cached() -> str:
    """``stamp()`` formatted at most once a second (the scanner stamps every listing)."""
    second = int(time.time())
    if _SECOND[0][0] != second:
        _SECOND[0] = (second, iso(dt.datetime.fromtimestamp(second, UTC)))
    return _SECOND[0][1]
