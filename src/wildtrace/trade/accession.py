"""When each country became a CITES Party (``data/trade/parties.csv``, column ``joined``: the
date the Convention entered into force for it), for the re-export checks.

A country reports its trade to CITES from the year it joins. Trade between two countries in a
year when neither was a Party reaches the CITES Trade Database from no one: a re-exporter may
hold specimens it imported then, and no record shows them. Territories and regions without a
date of their own (Hong Kong, Taiwan, ``XX``) are unknown here, never assumed to be Parties or
non-Parties. Stock is not assumed to be kept for ever: unreported years explain re-exports
that begin at most ``STOCK_YEARS`` (5) after them.
"""

from __future__ import annotations

import csv
from datetime import date
from functools import lru_cache

from wildtrace.errors import DataError
from wildtrace.trade.codes import DATA

#: the Convention entered into force on 1 July 1975: no CITES trade records before it
CONVENTION_YEAR = 1975
#: a re-exporter's stock from unreported years explains its re-exports only this many years on
STOCK_YEARS = 5


@lru_cache(maxsize=1)
def joined() -> dict[str, date]:
    """Party code -> the date it joined (countries without a date are left out)."""
    path = DATA / "parties.csv"
    out: dict[str, date] = {}
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            for n, row in enumerate(csv.DictReader(fh), start=2):
                text = (row.get("joined") or "").strip()
                if not text:
                    continue
                try:
                    out[row["code"]] = date.fromisoformat(text)
                except ValueError as exc:
                    raise DataError(f"{path} line {n}: joined {text!r} is not a date (YYYY-MM-DD)") from exc
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc}") from exc
    return out


def unreported_years(origin: str, via: str, first: int, last: int) -> tuple[int, int] | None:
    """The years before both ``origin`` and ``via`` joined (neither was a Party at any time in
    the year: trade between them reached the database from no one), from 1975, when they end
    at most ``STOCK_YEARS`` before ``first`` (a re-export's first year) and before ``last``;
    as ``(first, last)``, or None (none, too long before, or a date unknown)."""
    dates = joined()
    if origin not in dates or via not in dates:
        return None
    end = min(dates[origin].year - 1, dates[via].year - 1, last)
    if end < CONVENTION_YEAR or first - end > STOCK_YEARS:
        return None
    return CONVENTION_YEAR, end
