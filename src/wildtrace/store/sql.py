"""The Store on SQLAlchemy 2 Core: the same code on SQLite and PostgreSQL."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Self

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from wildtrace.scan.result import ScanResult
from wildtrace.store import batch, counts, db
from wildtrace.store.batch import model_key
from wildtrace.store.derive import identifier_rows, queue_row
from wildtrace.store.schema import listing_identifiers, listings, queue, scan_results


def upsert(engine_or_conn: sa.Engine | sa.Connection, table: sa.Table) -> Any:
    """``INSERT ... ON CONFLICT`` for the connection's dialect (same API on both)."""
    name = engine_or_conn.dialect.name
    return (postgresql.insert(table) if name == "postgresql" else sqlite.insert(table))


class SQLStore:
    """Listings versioned by content hash, their scan results, and the derived queue."""

    def __init__(self, target: str | Path, *, migrate: bool = True):
        self.engine = db.make_engine(target)
        self.dialect = self.engine.dialect.name
        if migrate:
            db.migrate(self.engine)

    def save(self, results: list[ScanResult]) -> None:
        """Store a batch in one transaction, a few plain statements in all (``store/batch.py``).
        Another process writing the same SQLite file makes this wait (busy timeout) and, past it,
        retry the whole batch with back-off: every write is an idempotent upsert, so a retried
        batch stores each result once."""
        if results:
            db.write(self.engine, lambda conn: batch.save(conn, results))

    def save_one_by_one(self, results: list[ScanResult]) -> None:
        """``save`` as it was: about six SQLAlchemy statements a listing. Kept as the reference
        that tests/store/test_batched_writes.py compares the stored rows of ``save`` with."""
        if not results:
            return

        def work(conn: sa.Connection) -> None:
            delta: Counter[counts.DayKey] = Counter()
            for r in results:
                self._save_one(conn, r, delta)
            counts.apply(conn, delta)  # the dashboard counts, in the same transaction

        db.write(self.engine, work)

    def _save_one(self, conn: sa.Connection, r: ScanResult, delta: Counter[counts.DayKey]) -> None:
        seen = r.scanned_at
        if self.dialect == "postgresql":  # concurrent writers: one at a time per listing id
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:id))"), {"id": r.id})
        key = (listings.c.listing_id == r.id) & (listings.c.content_sha256 == r.input_sha256)
        version = conn.execute(sa.select(listings.c.version).where(key)).scalar()
        if version is None:
            version = conn.execute(sa.select(sa.func.coalesce(sa.func.max(listings.c.version), 0) + 1)
                                   .where(listings.c.listing_id == r.id)).scalar_one()
            conn.execute(listings.insert().values(
                listing_id=r.id, content_sha256=r.input_sha256, version=version, first_seen=seen,
                last_seen=seen, record=orjson.dumps(r.listing).decode()))
            found = identifier_rows(r.id, r.input_sha256, r.listing, r.lang or None)
            if found:
                conn.execute(upsert(conn, listing_identifiers).values(found).on_conflict_do_nothing())
        else:
            conn.execute(listings.update().where(key).values(last_seen=seen))
        public = r.to_dict()
        row = {"listing_id": r.id, "content_sha256": r.input_sha256, "model": model_key(r.model),
               "scanned_at": seen, "verdict": r.verdict, "wildlife_score": r.wildlife_score,
               "risk_score": r.risk_score, "result": orjson.dumps(public).decode()}
        stmt = upsert(conn, scan_results).values(**row)
        conn.execute(stmt.on_conflict_do_update(
            index_elements=["listing_id", "content_sha256", "model"],
            set_={k: stmt.excluded[k] for k in ("scanned_at", "verdict", "wildlife_score",
                                                "risk_score", "result")}))
        # the listing's first sighting (revision 0018): its versions' smallest first_seen, the one
        # just stored included (a capture older than the first lowers it)
        first = conn.execute(sa.select(sa.func.min(listings.c.first_seen))
                             .where(listings.c.listing_id == r.id)).scalar_one()
        qrow = queue_row(version, public, first)
        # the row as it is (locked on PostgreSQL until commit, so labels cannot slip in between)
        old = conn.execute(sa.select(queue.c.version, *[queue.c[n] for n in counts.COLUMNS])
                           .where(queue.c.listing_id == r.id).with_for_update()).first()
        if old is None:
            counts.change(delta, None, {**qrow, "label": ""})
        elif old.version <= version:
            before = dict(old._mapping)
            counts.change(delta, before, {**qrow, "label": before["label"]})
        q = upsert(conn, queue).values(**qrow)
        conn.execute(q.on_conflict_do_update(
            index_elements=["listing_id"],
            set_={k: q.excluded[k] for k in qrow if k != "listing_id"},
            where=queue.c.version <= q.excluded.version))

    def versions(self, listing_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(listings.c.version, listings.c.content_sha256, listings.c.first_seen,
                          listings.c.last_seen, listings.c.record)
                .where(listings.c.listing_id == listing_id).order_by(listings.c.version)).all()
        return [{"version": v, "content_sha256": h, "first_seen": f, "last_seen": last,
                 "record": orjson.loads(rec)} for v, h, f, last, rec in rows]

    def latest_result(self, listing_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            found = conn.execute(
                sa.select(scan_results.c.result)
                .join(listings, (listings.c.listing_id == scan_results.c.listing_id)
                      & (listings.c.content_sha256 == scan_results.c.content_sha256))
                .where(scan_results.c.listing_id == listing_id)
                .order_by(listings.c.version.desc(), scan_results.c.scanned_at.desc()).limit(1)
            ).scalar()
        return orjson.loads(found) if found is not None else None

    def latest_records(self) -> list[dict[str, Any]]:
        """The input record of every listing's newest version (what ``train`` learns from)."""
        newest = (sa.select(listings.c.listing_id, sa.func.max(listings.c.version).label("v"))
                  .group_by(listings.c.listing_id).subquery())
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(listings.c.record).join(
                newest, (newest.c.listing_id == listings.c.listing_id) & (newest.c.v == listings.c.version))
                .order_by(listings.c.listing_id)).scalars().all()
        return [orjson.loads(r) for r in rows]

    def listing_ids(self) -> set[str]:
        with self.engine.connect() as conn:
            return set(conn.execute(sa.select(listings.c.listing_id).distinct()).scalars())

    def count_listings(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(
                sa.select(sa.func.count(sa.distinct(listings.c.listing_id)))).scalar_one())

    def close(self) -> None:
        self.engine.dispose()


class InDatabase:
    """Something kept in the database ``db``: an engine (borrowed), or a SQLite path or URL (opened
    here, and disposed of by ``close`` or the end of a ``with`` block)."""

    def __init__(self, db: sa.Engine | str | Path):
        self._owned = not isinstance(db, sa.Engine)
        self.engine: sa.Engine = SQLStore(db).engine if not isinstance(db, sa.Engine) else db

    def close(self) -> None:
        if self._owned:
            self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
