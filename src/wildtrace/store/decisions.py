"""Analysts' decisions: append-only labels, the audit log, and cases.

Labels are never updated or deleted: a new label is a new row with its author and time, and
the queue shows the newest. Every label and every change to users, tokens or cases also
writes an audit entry (who, when, action, target, before and after as JSON).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import orjson
import sqlalchemy as sa

from wildtrace.errors import WildTraceError
from wildtrace.store import counts, db
from wildtrace.store.schema import audit_log, case_listings, cases, labels, queue

#: Labels an analyst can give; the first three are the scan verdicts.
LABELS = ("wildlife_offer", "depiction_or_faux", "not_wildlife", "unsure")
MAX_NOTE_CHARS = 10_000


class NotFound(WildTraceError):
    """The listing, case or user does not exist."""


class Invalid(WildTraceError):
    """A value the workbench cannot accept (unknown label, empty title, ...)."""


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def audit(conn: sa.Connection, actor: str, action: str, target: str, before: Any, after: Any) -> None:
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


def _check_label(label: str, note: str) -> None:
    if label not in LABELS:
        raise Invalid(f"unknown label {label!r}; use one of {', '.join(LABELS)}")
    if len(note) > MAX_NOTE_CHARS:
        raise Invalid(f"note is longer than {MAX_NOTE_CHARS:,} characters")


def add_labels(engine: sa.Engine, listing_ids: list[str], label: str, author: str,
               note: str = "") -> list[dict[str, Any]]:
    """Label listings, all or none (one transaction). Returns the new label records."""
    _check_label(label, note)
    out = []
    delta: Counter[counts.Key] = Counter()
    with db.write_lock(engine), engine.begin() as conn:
        for listing_id in listing_ids:
            # locked on PostgreSQL until commit, like SQLStore.save, so the counts stay exact
            row = conn.execute(sa.select(queue.c.content_sha256, *[queue.c[n] for n in counts.COLUMNS])
                               .where(queue.c.listing_id == listing_id).with_for_update()).first()
            if row is None:
                raise NotFound(f"no listing {listing_id!r}")
            before = dict(row._mapping)
            counts.change(delta, before, {**before, "label": label})
            record = {"listing_id": listing_id, "content_sha256": row.content_sha256, "label": label,
                      "note": note, "author": author, "created_at": now()}
            new_id = conn.execute(labels.insert().values(**record).returning(labels.c.id)).scalar_one()
            conn.execute(queue.update().where(queue.c.listing_id == listing_id).values(label=label))
            audit(conn, author, "label", listing_id, {"label": row.label or None},
                  {"label": label, "note": note, "content_sha256": row.content_sha256})
            out.append({"id": new_id, **record})
        counts.apply(conn, delta)
    return out


def labels_of(engine: sa.Engine, listing_id: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.select(labels).where(labels.c.listing_id == listing_id).order_by(labels.c.id))]


def create_case(engine: sa.Engine, title: str, author: str) -> dict[str, Any]:
    title = title.strip()
    if not title or len(title) > 500:
        raise Invalid("a case needs a title of 1 to 500 characters")
    with db.write_lock(engine), engine.begin() as conn:
        record = {"title": title, "status": "open", "created_by": author, "created_at": now()}
        case_id = conn.execute(cases.insert().values(**record).returning(cases.c.id)).scalar_one()
        audit(conn, author, "case.create", f"case:{case_id}", None, record)
    return {"id": case_id, **record, "listings": []}


def add_to_case(engine: sa.Engine, case_id: int, listing_id: str, author: str) -> dict[str, Any]:
    with db.write_lock(engine), engine.begin() as conn:
        if conn.execute(sa.select(cases.c.id).where(cases.c.id == case_id)).first() is None:
            raise NotFound(f"no case {case_id}")
        if conn.execute(sa.select(queue.c.id).where(queue.c.listing_id == listing_id)).first() is None:
            raise NotFound(f"no listing {listing_id!r}")
        exists = conn.execute(sa.select(case_listings.c.case_id).where(
            case_listings.c.case_id == case_id, case_listings.c.listing_id == listing_id)).first()
        if exists is None:
            conn.execute(case_listings.insert().values(case_id=case_id, listing_id=listing_id,
                                                       added_by=author, added_at=now()))
            audit(conn, author, "case.add_listing", f"case:{case_id}", None, {"listing_id": listing_id})
    return get_case(engine, case_id)


def get_case(engine: sa.Engine, case_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(sa.select(cases).where(cases.c.id == case_id)).first()
        if row is None:
            raise NotFound(f"no case {case_id}")
        members = conn.execute(sa.select(case_listings.c.listing_id, case_listings.c.added_by,
                                         case_listings.c.added_at)
                               .where(case_listings.c.case_id == case_id)
                               .order_by(case_listings.c.added_at)).all()
    return {**dict(row._mapping), "listings": [dict(m._mapping) for m in members]}


def list_cases(engine: sa.Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(cases).order_by(cases.c.id.desc()))]
