"""Units of CITES quantities, and conversion to whole-organism equivalents (WOE).

A quantity means nothing without its unit: a blank unit (or "Number of specimens") is a
count of the term, ``KIL`` kilograms, ``CTM`` centimetres... Every analysis keeps the unit as
a dimension. Conversion to whole organisms is opt-in and only where ``data/trade/woe.csv``
holds a published or anatomical factor for that (term, unit, taxon): the most specific row
wins (species, genus, family, order, class, then any taxon). Converted figures always say so
(``converted: true``, the factor and its source); what has no factor stays in its own unit.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb

from wildtrace.errors import DataError
from wildtrace.trade.codes import DATA, load_codes
from wildtrace.trade.provenance import rows

#: the ranks a WOE row may name, most specific first (``any``: every taxon)
RANKS = ("species", "genus", "family", "order", "class", "any")


def unit_label(unit: str | None) -> str:
    """``None`` -> "number of specimens", ``KIL`` -> "kg", an unknown code as it is."""
    if not unit:
        return "number of specimens"
    return load_codes().unit.get(unit, unit)


def term_label(term: str | None) -> str:
    """``SKI`` -> "skins (SKI)"; an unknown term as it is."""
    if not term:
        return "unknown term"
    name = load_codes().term.get(term)
    return f"{name} ({term})" if name else term


@dataclass(frozen=True)
class Factor:
    term: str
    unit: str  # "" for a count
    taxon: str
    rank: str
    factor: float
    basis: str
    source: str


@lru_cache(maxsize=1)
def woe_factors(path: Path = DATA / "woe.csv") -> tuple[Factor, ...]:
    out = []
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            for n, row in enumerate(csv.DictReader(fh), start=2):
                try:
                    f = Factor(row["term"].strip(), row["unit"].strip(), row["taxon"].strip(), row["rank"].strip(),
                               float(row["factor"]), row["basis"].strip(), row["source"].strip())
                except (KeyError, ValueError, AttributeError) as exc:
                    raise DataError(f"{path} line {n}: bad WOE row {row!r}: {exc}") from exc
                if f.rank not in RANKS or not f.source or not 0 < f.factor < 1e6:
                    raise DataError(f"{path} line {n}: bad WOE row {row!r}")
                out.append(f)
    except OSError as exc:
        raise DataError(f"cannot read the WOE table {path}: {exc}") from exc
    return tuple(out)


def woe_table(con: duckdb.DuckDBPyConnection) -> None:
    """The factors as a temp table ``woe_factor`` for SQL joins."""
    con.execute("""CREATE OR REPLACE TEMP TABLE woe_factor (term VARCHAR, unit VARCHAR, taxon VARCHAR,
        rank VARCHAR, factor DOUBLE, basis VARCHAR, source VARCHAR, prio INTEGER)""")
    con.executemany("INSERT INTO woe_factor VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(f.term, f.unit, f.taxon, f.rank, f.factor, f.basis, f.source, RANKS.index(f.rank))
                     for f in woe_factors()])


def woe_sql(alias: str = "r") -> str:
    """A lateral subquery giving the most specific factor for record ``alias`` (or NULL)."""
    a = alias
    return f"""(SELECT w FROM (SELECT {{'factor': f.factor, 'basis': f.basis, 'source': f.source,
                                       'taxon': f.taxon, 'rank': f.rank}} AS w, f.prio
                FROM woe_factor f WHERE f.term = {a}.term AND f.unit = coalesce({a}.unit, '')
                  AND (f.rank = 'any'
                       OR (f.rank = 'species' AND f.taxon = {a}.taxon)
                       OR (f.rank = 'genus' AND f.taxon = {a}.genus)
                       OR (f.rank = 'family' AND f.taxon = {a}.family)
                       OR (f.rank = 'order' AND f.taxon = {a}."order")
                       OR (f.rank = 'class' AND f.taxon = {a}.class))
                ORDER BY f.prio LIMIT 1))"""


def woe_summary(con: duckdb.DuckDBPyConnection, dataset: str, reporter: str = "E",
                taxon: str | None = None) -> dict[str, Any]:
    """Whole-organism equivalents per taxon and year for the records a factor covers, and what
    share of records (per term and unit) stayed unconverted."""
    if reporter not in ("E", "I"):
        raise ValueError(f"reporter must be E or I, not {reporter!r}")
    woe_table(con)
    where = "r.dataset = ? AND r.reporter_type = ?" + (" AND lower(r.taxon) = lower(?)" if taxon else "")
    params: list[Any] = [dataset, reporter] + ([taxon] if taxon else [])
    con.execute(f"""CREATE OR REPLACE TEMP TABLE woe_rows AS
        SELECT r.taxon, r.year, r.term, coalesce(r.unit, '') AS unit, r.quantity, {woe_sql('r')} AS w
        FROM records r WHERE {where}""", params)
    by_year = rows(con, """SELECT taxon, year, sum(quantity * w.factor) AS woe, count(*) AS records
        FROM woe_rows WHERE w IS NOT NULL GROUP BY ALL ORDER BY taxon, year""")
    used = rows(con, """SELECT term, unit, w.taxon AS scope, w.rank AS rank, w.factor AS factor, w.basis AS basis,
        w.source AS source, count(*) AS records, sum(quantity) AS quantity, sum(quantity * w.factor) AS woe
        FROM woe_rows WHERE w IS NOT NULL GROUP BY ALL ORDER BY woe DESC""")
    left = rows(con, """SELECT term, unit, count(*) AS records, sum(quantity) AS quantity
        FROM woe_rows WHERE w IS NULL GROUP BY ALL ORDER BY records DESC LIMIT 50""")
    for r in used + left:
        r["unit_label"] = unit_label(r["unit"] or None)
    n_all = sum(r["records"] for r in used) + con.execute("SELECT count(*) FROM woe_rows WHERE w IS NULL"
                                                           ).fetchall()[0][0]
    con.execute("DROP TABLE IF EXISTS woe_rows")
    return {"converted": True, "by_taxon_year": by_year, "factors_used": used, "not_converted": left,
            "records": int(n_all), "records_converted": int(sum(r["records"] for r in used)),
            "note": "whole-organism equivalents only where data/trade/woe.csv has a factor for the term, "
                    "unit and taxon; every other record stays in its own unit and is listed as not converted"}
