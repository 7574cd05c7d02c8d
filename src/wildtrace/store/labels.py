"""The one labels table: append-only labels from the workbench, the API and ``label import``.

Labels are never updated or deleted: a new decision is a new row with its reviewer, time and
source (``workbench``, ``api`` or the imported file's path and SHA-256). A row is unique by
listing, reviewer, time and label, so importing a file twice adds nothing. The queue shows each
listing's newest label, kept in the same transaction as the insert, and every label is written
to the audit log. The conflict rule that turns labels into training targets is
``wildtrace.learn.labels.resolve``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from wildtrace.errors import Invalid, NotFound
from wildtrace.store import counts, db
from wildtrace.store.audit import audit, now
from wildtrace.store.schema import labels, queue
from wildtrace.store.sql import upsert

#: Labels an analyst can give; the first three are the scan verdicts.
LABELS = ("wildlife_offer", "depiction_or_faux", "not_wildlife", "unsure")
MAX_NOTE_CHARS = 10_000


@dataclass(frozen=True, slots=True)
class LabelRow:
    """One label to store (from a file or a person)."""

    listing_id: str
    label: str
    reviewer: str
    labelled_at: str
    note: str = ""


def check_label(label: str, note: str) -> None:
    if label not in LABELS:
        raise Invalid(f"unknown label {label!r}; use one of {', '.join(LABELS)}")
    if len(note) > MAX_NOTE_CHARS:
        raise Invalid(f"note is longer than {MAX_NOTE_CHARS:,} characters")


def _set_queue_label(conn: sa.Connection, listing_id: str, label: str, delta: Counter[counts.DayKey]) -> str | None:
    """Show ``label`` as the listing's newest in the queue; returns the old one (None: not queued)."""
    # locked on PostgreSQL until commit, like SQLStore.save, so the counts stay exact
    row = conn.execute(sa.select(queue.c.content_sha256, *[queue.c[n] for n in counts.COLUMNS])
                       .where(queue.c.listing_id == listing_id).with_for_update()).first()
    if row is None:
        return None
    before = dict(row._mapping)
    counts.change(delta, before, {**before, "label": label})
    conn.execute(queue.update().where(queue.c.listing_id == listing_id).values(label=label))
    return str(row.label)


def add_labels(engine: sa.Engine, listing_ids: list[str], label: str, author: str,
               note: str = "", *, source: str = "workbench") -> list[dict[str, Any]]:
    """Label listings in the queue, all or none (one transaction). Returns the new label records."""
    check_label(label, note)

    def work(conn: sa.Connection) -> list[dict[str, Any]]:
        out = []
        delta: Counter[counts.DayKey] = Counter()
        for listing_id in listing_ids:
            sha = conn.execute(sa.select(queue.c.content_sha256).where(queue.c.listing_id == listing_id)).scalar()
            if sha is None:
                raise NotFound(f"no listing {listing_id!r}")
            old = _set_queue_label(conn, listing_id, label, delta)
            stamp = now()
            record = {"listing_id": listing_id, "content_sha256": sha, "label": label, "note": note,
                      "reviewer": author, "labelled_at": stamp, "source": source, "source_sha256": "",
                      "imported_at": stamp}
            new_id = conn.execute(labels.insert().values(**record).returning(labels.c.id)).scalar_one()
            audit(conn, author, "label", listing_id, {"label": old or None},
                  {"label": label, "note": note, "content_sha256": sha})
            out.append(_public({"id": new_id, **record}))
        counts.apply(conn, delta)
        return out

    return db.write(engine, work)


def import_labels(engine: sa.Engine, rows: Iterable[LabelRow], *, source: str, source_sha256: str,
                  actor: str = "cli") -> int:
    """Append labels read from a file (repeats are skipped); returns how many were added.

    Listings already in the queue show their newest label there, as after a workbench label.
    """
    stamp = now()
    rows = list(rows)  # read once: a retried transaction starts again from the first row
    for r in rows:
        check_label(r.label, r.note)

    def work(conn: sa.Connection) -> int:
        added = 0
        delta: Counter[counts.DayKey] = Counter()
        touched: set[str] = set()
        for r in rows:
            stmt = upsert(conn, labels).values(
                listing_id=r.listing_id, content_sha256="", label=r.label, note=r.note, reviewer=r.reviewer,
                labelled_at=r.labelled_at, source=source, source_sha256=source_sha256, imported_at=stamp)
            # RETURNING, not rowcount: psycopg reports -1 for a skipped ON CONFLICT DO NOTHING
            if conn.execute(stmt.on_conflict_do_nothing().returning(labels.c.id)).first() is not None:
                added += 1
                touched.add(r.listing_id)
        for listing_id in sorted(touched):  # the newest label of each, whoever gave it
            label = conn.execute(sa.select(labels.c.label).where(labels.c.listing_id == listing_id)
                                 .order_by(labels.c.labelled_at.desc(), labels.c.id.desc()).limit(1)).scalar_one()
            _set_queue_label(conn, listing_id, label, delta)
        counts.apply(conn, delta)
        if added:
            audit(conn, actor, "label.import", source, None, {"added": added, "source_sha256": source_sha256})
        return added

    return db.write(engine, work)


def _public(record: dict[str, Any]) -> dict[str, Any]:
    """A label as the API shows it: ``author`` and ``created_at`` are the names it had before 0004."""
    return {**record, "author": record["reviewer"], "created_at": record["labelled_at"]}


def labels_of(engine: sa.Engine, listing_id: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [_public(dict(r._mapping)) for r in conn.execute(
            sa.select(labels).where(labels.c.listing_id == listing_id).order_by(labels.c.id))]


def all_labels(engine: sa.Engine) -> list[LabelRow]:
    """Every label ever stored, in the order they were stored."""
    with engine.connect() as conn:
        return [LabelRow(r.listing_id, r.label, r.reviewer, r.labelled_at, r.note) for r in conn.execute(
            sa.select(labels.c.listing_id, labels.c.label, labels.c.reviewer, labels.c.labelled_at,
                      labels.c.note).order_by(labels.c.id))]
