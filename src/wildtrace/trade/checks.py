"""The checks a trade row must pass to load: one table (``data/trade/checks.yaml``) for every
format, turned into SQL that runs inside DuckDB.

Row checks become one ``CASE`` per format (the first check that fires gives the reason);
set checks (duplicate Ids) are UPDATEs over the file's rows as inserted into ``records``
(a rejected row's reason in ``dataset`` until the load settles: ``transform.insert_bulk``). Adding a check, or a
format to a check, is a change of the table, not of the transform.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb
import yaml

from wildtrace import clock, manifest
from wildtrace.errors import DataError
from wildtrace.trade import schema

CHECKS = manifest.folder("trade") / "checks.yaml"


@dataclass(frozen=True)
class Check:
    """One row of the checks table: a check of some formats, its SQL condition or statement
    and its reason template (placeholders: the table's ``limits`` and ``max_year``)."""

    check: str
    formats: tuple[str, ...]
    reason: str
    when: str = ""  # a row check's condition
    sql: str = ""  # a set check's UPDATE statement
    needs: str | None = None
    id_range: bool = False
    repeats: bool = False  # a set check that can fire only when a record id repeats in the load


@dataclass(frozen=True)
class Checks:
    """The row checks, in order, the set checks and the limits they refer to."""

    rows: tuple[Check, ...]
    sets: tuple[Check, ...]
    limits: dict[str, Any]

    def params(self) -> dict[str, Any]:
        """The placeholders of conditions and reasons: the limits and next year (the clock's)."""
        return {**self.limits, "max_year": clock.now().year + 1}


def _check(row: dict[str, Any], key: str, fmts: set[str], path: Path) -> Check:
    formats = tuple(row.get("formats") or ())
    unknown = set(formats) - fmts
    if not row.get("check") or not row.get("reason") or not row.get(key) or not formats or unknown:
        raise DataError(f"{path}: check {row.get('check')!r} needs check, formats (of {sorted(fmts)}), "
                        f"{key} and reason; has {sorted(row)} (unknown formats: {sorted(unknown)})")
    return Check(str(row["check"]), formats, str(row["reason"]), when=str(row.get("when") or ""),
                 sql=str(row.get("sql") or ""), needs=row.get("needs"), id_range=bool(row.get("id_range")),
                 repeats=bool(row.get("repeats")))


@lru_cache(maxsize=4)
def load_checks(path: Path = CHECKS) -> Checks:
    """The checks table; a check named twice for one format is an error (which would win?)."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        fmts = set(schema.formats()[0])
        rows = tuple(_check(r, "when", fmts, path) for r in doc["checks"])
        sets = tuple(_check(r, "sql", fmts, path) for r in doc.get("set_checks") or ())
        limits = {str(k): v for k, v in doc["limits"].items()}
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise DataError(f"cannot read the trade checks {path}: {exc}") from exc
    seen: set[tuple[str, str]] = set()
    for c in rows + sets:
        for f in c.formats:
            if (c.check, f) in seen:
                raise DataError(f"{path}: check {c.check!r} is listed twice for {f}")
            seen.add((c.check, f))
    return Checks(rows, sets, limits)


def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _applies(c: Check, fmt: str, mapping: dict[str, int]) -> bool:
    return fmt in c.formats and (c.needs is None or c.needs in mapping)


def reason_sql(fmt: str, mapping: dict[str, int], checks: Checks | None = None) -> str:
    """``CASE WHEN <condition> THEN '<reason>' ... END``: the reject reason of a transformed row
    of this format (NULL when it passes), the first check that fires winning."""
    checks = checks or load_checks()
    params = checks.params()
    whens = [f"WHEN {c.when.format(**params)} THEN {_q(c.reason.format(**params))}"
             for c in checks.rows if _applies(c, fmt, mapping)]
    return "CASE\n  " + "\n  ".join(whens) + "\nEND"


def run_set_checks(con: duckdb.DuckDBPyConnection, fmt: str, mapping: dict[str, int], load_id: int,
                   checks: Checks | None = None) -> None:
    """Mark the inserted rows of load ``load_id`` that the set checks reject (a row passes while
    its ``dataset`` is the format's name; a check that fires sets it to its reason). An
    ``id_range`` check binds the load's lowest and highest ``record_id`` (none: skipped); a
    ``repeats`` check runs only when some ``record_id`` repeats in the load (one scan counts
    both, before any check runs: the grouping it would do costs more than the count)."""
    checks = checks or load_checks()
    params = checks.params()
    table = schema.records_table(fmt)
    stats: list[tuple[Any, ...]] = []

    def ids() -> tuple[Any, ...]:
        if not stats:
            stats.extend(con.execute(f"""SELECT min(record_id), max(record_id),
                count(record_id) - count(DISTINCT record_id) FROM {table} WHERE load_id = {int(load_id)}""").fetchall())
        return stats[0]

    todo = [c for c in checks.sets if _applies(c, fmt, mapping)]
    if any(c.id_range or c.repeats for c in todo):
        ids()  # counted over the rows as inserted, before a check marks any
    for c in todo:
        sql = c.sql.format(reason=_q(c.reason.format(**params)), load_id=int(load_id), ok=_q(fmt), table=table)
        if c.repeats and not ids()[2]:
            continue
        if c.id_range:
            lo, hi = ids()[:2]
            if lo is None:
                continue
            con.execute(sql, [lo, hi])
        else:
            con.execute(sql)
