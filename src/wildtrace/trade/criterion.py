"""A criterion of the captive-breeding screen (``Criterion``: one row of the table in
``criteria.py``), the state of one screen run (``Run``), the helpers criteria share (each
reporter's total, never added; who said what) and the runner that turns each criterion's SQL
rows into flags with their reasons.

SQL placeholders (``Run.sql``): {dataset}, {captive} (the captive source codes), {ids} (record
ids per flag), {sides} / {sides_c} (each reporter's total, never added), {match_c} (a record of
``c`` matches a hard-to-breed row of ``h``), {win} / {win5} (the previous ``window`` / five
years), {window}, {min_quantity}, {rise}, {fall}; literal braces are doubled.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import duckdb

from wildtrace.trade.codes import CAPTIVE_SOURCES
from wildtrace.trade.provenance import IDS_PER_FLAG, rows, year_span
from wildtrace.trade.units import unit_label

CAPTIVE = "(" + ", ".join(f"'{s}'" for s in sorted(CAPTIVE_SOURCES)) + ")"
TAXON_MATCH = """((h.rank = 'species' AND h.taxon = {a}.taxon) OR (h.rank = 'genus' AND h.taxon = {a}.genus)
    OR (h.rank = 'family' AND h.taxon = {a}.family) OR (h.rank = 'order' AND h.taxon = {a}."order"))"""
#: Each side's total of a group of records: the two reports of one shipment are never added.
SIDES = ("sum({a}quantity) FILTER (WHERE {a}reporter_type = 'E') AS q_e, "
         "sum({a}quantity) FILTER (WHERE {a}reporter_type = 'I') AS q_i")
_WINDOW = "OVER (PARTITION BY taxon, exporter, term, unit ORDER BY year ROWS BETWEEN {n} PRECEDING AND 1 PRECEDING)"

Flag = dict[str, Any]
#: What a criterion makes of one result row: (reason template's name, the flag's fields, the
#: values its reason template is filled with)
Emitted = Iterator[tuple[str, Flag, dict[str, Any]]]


@dataclass
class Run:
    """One screen run: its parameters, the SQL placeholders, the notes so far and what criteria
    keep between their steps."""

    con: duckdb.DuckDBPyConnection
    dataset: str
    ranges: dict[str, set[str]] | None
    register: dict[str, set[str]] | None
    rise: float
    fall: float
    min_quantity: float
    window: int
    ranges_from: str | None = None  # where the range states come from (a user's CSV, the imported checklist)
    notes: list[str] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def sql(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "captive": CAPTIVE, "ids": IDS_PER_FLAG,
                "sides": SIDES.format(a=""), "sides_c": SIDES.format(a="c."), "match_c": TAXON_MATCH.format(a="c"),
                "win": _WINDOW.format(n=int(self.window)), "win5": _WINDOW.format(n=5), "window": int(self.window),
                "min_quantity": float(self.min_quantity), "rise": float(self.rise), "fall": float(self.fall),
                **self.state.get("sql", {})}

    def one(self, sql: str) -> Any:
        return self.con.execute(sql.format(**self.sql)).fetchall()[0][0]


@dataclass(frozen=True)
class Criterion:
    """One row of the criteria table."""

    name: str
    description: str
    params: tuple[str, ...]  # the screen() parameters it reads
    sql: str
    emit: Callable[[dict[str, Any], Run], Emitted]
    reasons: dict[str, str]  # template name -> reason template (str.format over the emitted values)
    prepare: Callable[[Run], bool] | None = None  # tables it needs; False: not run (a note says why)
    finish: Callable[[Run], None] | None = None  # notes after its flags


def sides(r: dict[str, Any]) -> dict[str, Any]:
    """``quantity`` (the larger side's total, never the sum) and each side's total."""
    return {"quantity": max(q for q in (r["q_e"], r["q_i"], 0) if q is not None),
            "quantity_exporter_report": r["q_e"], "quantity_importer_report": r["q_i"]}


def _said(r: dict[str, Any]) -> str:
    """'3' from the exporter's report alone, else who said what: '5 (exporter's report) and 500
    (importer's report; never added)'."""
    if r["q_i"] is None:
        return f"{r['q_e']:g}"
    if r["q_e"] is None:
        return f"{r['q_i']:g} (importer's report only)"
    return f"{r['q_e']:g} (exporter's report) and {r['q_i']:g} (importer's report; never added)"


def base(r: dict[str, Any]) -> dict[str, Any]:
    return {"taxon": r["taxon"], "exporter": r["exporter"], "term": r.get("term"), "unit": r.get("unit") or None,
            "unit_label": unit_label(r.get("unit") or None)}


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "new (mean 0)"


def told(r: dict[str, Any], **more: Any) -> dict[str, Any]:
    """The values of a reason template: the row, its unit's label, its year span, who said what."""
    span = year_span(r) if "y0" in r and "y1" in r else None
    said = _said(r) if "q_e" in r else None
    return {**r, "unit": unit_label(r.get("unit")), "span": span, "said": said, **more}


def run_criteria(run: Run, criteria: tuple[Criterion, ...]) -> list[Flag]:
    """Every criterion's flags, in table order, each with its reason."""
    flags: list[Flag] = []
    for crit in criteria:
        if crit.prepare is not None and not crit.prepare(run):
            continue
        for r in rows(run.con, crit.sql.format(**run.sql)):
            for template, fields, values in crit.emit(r, run):
                flags.append({**fields, "reasons": [crit.reasons[template].format(**values)]})
        if crit.finish is not None:
            crit.finish(run)
    return flags
