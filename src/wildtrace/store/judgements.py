"""The ``judgements`` table: analysts' same/different/unsure/retract records on pairs of seller
accounts, append-only, in the order they were made (``seq``).

Rows are plain dicts with the fields of ``wildtrace.sellers.judgements.Judgement``; the rules
(which judgement is in force, retracting by a prefix of an id) live there. Nothing here updates
or deletes a row. A ``judgements.jsonl`` file from before revision 0005 is imported once
(``import_legacy``; ids already stored are skipped) and left as it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from wildtrace.errors import DataError
from wildtrace.store import db, legacy
from wildtrace.store.schema import judgements
from wildtrace.store.sql import upsert

REQUIRED = ("id", "a", "b", "judgement", "author", "at")
FIELDS = (*REQUIRED, "note", "retracts")


def _row(record: dict[str, Any]) -> dict[str, Any]:
    return {**{k: record[k] for k in REQUIRED}, "note": record.get("note") or "",
            "retracts": record.get("retracts")}


def append(engine: sa.Engine, record: dict[str, Any]) -> None:
    """Store one judgement record (a new row; ids are unique)."""
    db.write(engine, lambda conn: conn.execute(judgements.insert().values(**_row(record))))


def history(engine: sa.Engine) -> list[dict[str, Any]]:
    """Every judgement record, oldest first."""
    columns = [judgements.c[name] for name in FIELDS]
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(*columns).order_by(judgements.c.seq))]


def _convert(path: Path) -> legacy.Convert:
    def convert(conn: sa.Connection, records: list[tuple[int, dict[str, Any]]]) -> int:
        added = 0
        for number, record in records:
            missing = [k for k in REQUIRED if not isinstance(record.get(k), str)]
            unknown = sorted(set(record) - set(FIELDS))
            if missing or unknown:
                raise DataError(f"{path}: line {number}: not a judgement record "
                                f"(missing {missing or '-'}, unknown {unknown or '-'})")
            stmt = upsert(conn, judgements).values(**_row(record)).on_conflict_do_nothing()
            if conn.execute(stmt.returning(judgements.c.seq)).first() is not None:
                added += 1
        return added
    return convert


def import_legacy(engine: sa.Engine, path: Path | None) -> int:
    """Copy a ``judgements.jsonl`` into the table once, in file order; returns rows added."""
    if path is None:
        return 0
    return legacy.import_once(engine, "judgements", path, _convert(Path(path)))
