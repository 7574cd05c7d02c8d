"""A selection of trade records: taxon, years, term, unit and country (plus, for the records
behind one flag, exporter and importer). One dataclass read by the charts' queries
(``where``), by the flag filter (``keeps``) and by the choices a filter form offers.

A country matches a record or flag whose exporter, importer or origin it is. ``unit`` is a
unit code, or ``COUNT`` for a count (a blank unit: number of specimens).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import duckdb

from wildtrace.trade import names
from wildtrace.trade.provenance import rows

#: the ``unit`` value that selects counts (records with no unit)
COUNT = "COUNT"


@dataclass(frozen=True)
class Selection:
    taxon: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    term: str | None = None
    unit: str | None = None
    country: str | None = None
    exporter: str | None = None
    importer: str | None = None
    limit: int = 1000

    def with_(self, **changes: Any) -> Selection:
        return replace(self, **changes)

    def where(self) -> tuple[str, list[Any]]:
        """SQL conditions on ``records`` (parameters, never text in the SQL) and their values."""
        conds: list[str] = ["true"]
        args: list[Any] = []
        if self.taxon:
            conds.append("lower(taxon) = lower(?)")
            args.append(self.taxon)
        if self.year_from is not None:
            conds.append("year >= ?")
            args.append(self.year_from)
        if self.year_to is not None:
            conds.append("year <= ?")
            args.append(self.year_to)
        if self.term:
            conds.append("term = ?")
            args.append(self.term.upper())
        if self.unit:
            conds.append("unit IS NULL" if self.unit.upper() == COUNT else "unit = ?")
            if self.unit.upper() != COUNT:
                args.append(self.unit.upper())
        if self.country:
            conds.append("(exporter = ? OR importer = ? OR origin = ?)")
            args.extend([self.country.upper()] * 3)
        for col in ("exporter", "importer"):
            value = getattr(self, col)
            if value:
                conds.append(f"{col} = ?")
                args.append(value.upper())
        return " AND ".join(conds), args

    def keeps(self, flag: dict[str, Any]) -> bool:
        """True when a flag falls in the selection (a field the flag lacks does not exclude it)."""
        if self.taxon and str(flag.get("taxon", "")).casefold() != self.taxon.casefold():
            return False
        span = years(flag)
        if span is not None and ((self.year_from is not None and span[1] < self.year_from)
                                 or (self.year_to is not None and span[0] > self.year_to)):
            return False
        if self.term and "term" in flag and str(flag["term"]).upper() != self.term.upper():
            return False
        if self.unit and "unit" in flag and (flag["unit"] or COUNT) != self.unit.upper():
            return False
        if self.country:
            parties = {str(flag.get(k) or "").upper() for k in ("exporter", "importer", "origin")}
            if not parties - {""} or self.country.upper() not in parties:
                return False
        return True


def years(flag: dict[str, Any]) -> tuple[int, int] | None:
    """The first and last year a flag is about, or None (e.g. a cumulative re-export total)."""
    for key in ("year", "year_e"):
        if isinstance(flag.get(key), int):
            return flag[key], flag[key]
    ys = flag.get("years")
    if isinstance(ys, list) and ys and all(isinstance(y, int) for y in ys):
        return min(ys), max(ys)
    return None


def narrow(result: dict[str, Any], sel: Selection, lists: tuple[str, ...] = ("flags",)) -> dict[str, Any]:
    """Keep the flags (and other lists) in the selection; ``flag_counts`` stay database totals."""
    out = dict(result)
    for name in lists:
        items = [i for i in result.get(name, []) if sel.keeps(i)]
        out[name] = items[:sel.limit]
        out[f"{name}_matching"] = len(items)
    return out


def choices(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """What a filter form offers: the terms, units and countries loaded (with names) and the years."""
    span = rows(con, "SELECT min(year) AS y0, max(year) AS y1 FROM records")[0]
    terms = [r["term"] for r in rows(con, "SELECT DISTINCT term FROM records WHERE term IS NOT NULL ORDER BY 1")]
    units = [r["unit"] for r in rows(con, "SELECT DISTINCT unit FROM records WHERE unit IS NOT NULL ORDER BY 1")]
    parties = [r["p"] for r in rows(con, """SELECT DISTINCT p FROM (SELECT exporter AS p FROM records
        UNION SELECT importer FROM records UNION SELECT origin FROM records) WHERE p IS NOT NULL""")]
    return {"years": (span["y0"], span["y1"]),
            "terms": [(t, names.term(t)) for t in terms],
            "units": [(COUNT, names.unit(None)), *((u, names.unit(u)) for u in units)],
            "countries": sorted(((c, names.country(c)) for c in parties), key=lambda p: p[1].casefold())}
