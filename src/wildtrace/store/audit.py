"""The audit log: who did what, when, to which target, with before and after as JSON."""

from __future__ import annotations

from typing import Any

import orjson
import sqlalchemy as sa

from wildtrace import clock
from wildtrace.store.schema import audit_log


def now() -> str:
    """UTC now, to the millisecond, as the store writes every time stamp."""
    return clock.stamp("milliseconds")


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def audit(conn: sa.Connection, actor: str, action: str, target: str, before: Any, after: Any) -> None:
    """Write one entry in the caller's transaction (so it commits or rolls back with the change)."""
    conn.execute(audit_log.insert().values(at=now(), actor=actor, action=action, target=target,
                                           before=_json(before), after=_json(after)))


def audit_entries(engine: sa.Engine, *, limit: int = 200, target: str | None = None) -> list[dict[str, Any]]:
    stmt = sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if target is not None:
        stmt = stmt.where(audit_log.c.target == target)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(stmt)]
    for row in rows:
        row["before"] = orjson.loads(row["before"]) if row["before"] else None
        row["after"] = orjson.loads(row["after"]) if row["after"] else None
    return rows
