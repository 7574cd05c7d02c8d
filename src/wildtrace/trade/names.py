"""Readable names beside trade codes: countries (``JP`` -> "Japan (JP)"), terms
(``SKI`` -> "skins (SKI)") and units, from the code tables in ``data/trade`` (``codes.py``);
LEMIS description and unit codes that the CITES tables lack come from
``data/trade/lemis_codes.csv``. An unknown code is shown as it is, never dropped."""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from wildtrace.errors import DataError
from wildtrace.trade.codes import DATA, load_codes


@lru_cache(maxsize=1)
def lemis_codes(path: Path = DATA / "lemis_codes.csv") -> dict[tuple[str, str], str]:
    """(field, code) -> name for LEMIS's own description (term) and unit codes."""
    out: dict[tuple[str, str], str] = {}
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            for n, row in enumerate(csv.DictReader(fh), start=2):
                if row.get("field") not in ("term", "unit") or not row.get("code") or not row.get("source"):
                    raise DataError(f"{path} line {n}: bad LEMIS code row {row!r}")
                out[(row["field"], row["code"])] = row["name"]
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc}") from exc
    return out


def country_name(code: str | None) -> str | None:
    """The party's name, or None when the tables do not know the code."""
    return load_codes().party.get(code) if code else None


def country(code: str | None) -> str:
    """``JP`` -> "Japan (JP)"; a blank code is "unknown"; an unknown code as it is."""
    if not code:
        return "unknown"
    name = country_name(code)
    return f"{name} ({code})" if name else code


def term_name(code: str | None) -> str | None:
    if not code:
        return None
    return load_codes().term.get(code) or lemis_codes().get(("term", code))


def term(code: str | None) -> str:
    """``SKI`` -> "skins (SKI)"; a blank term is "unknown term"; an unknown code as it is."""
    if not code:
        return "unknown term"
    name = term_name(code)
    return f"{name} ({code})" if name else code


def unit(code: str | None) -> str:
    """``None`` -> "number of specimens", ``KIL`` -> "kg"; LEMIS's ``NO`` and ``KG`` too."""
    if not code:
        return "number of specimens"
    return load_codes().unit.get(code) or lemis_codes().get(("unit", code)) or code

