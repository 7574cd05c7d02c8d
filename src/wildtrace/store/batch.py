"""Storing a batch of scan results in a few plain SQL statements (``SQLStore.save``).

The rows are those of the statement-per-listing path (``SQLStore.save_one_by_one``, kept as the
reference the tests compare with): listings versioned by content hash, ``last_seen`` moved for
content seen before, identifiers of each new version, one result per (listing, content, model),
the queue row of each listing's newest version and the dashboard counts. What changed is how:

1. read what the batch needs in one query per table (the stored versions of its listing ids with
   their ``first_seen``, their queue rows; on PostgreSQL after taking the per-listing advisory
   locks in sorted order, and the queue rows ``FOR UPDATE``);
2. work out every row in Python, in input order, exactly as one statement at a time would have
   (a listing twice in a batch, a changed listing, an older version arriving after a newer one);
   a queue row carries its listing's first sighting (revision 0018): the smallest ``first_seen``
   of the versions read in 1. and of those the batch adds (a capture older than the first lowers it);
3. write each table with one ``executemany`` of a plain statement (``COPY`` for the new listing
   versions on PostgreSQL, psycopg 3's ``copy``), then the counts. On SQLite the queue rows go in
   one multi-row ``INSERT ... VALUES (...), (...)`` instead: the search indexes' row triggers
   (``queue_fts``, ``queue_tags``: FTS5) flush FTS5's pending terms at every statement's
   savepoint, so one statement a row wrote a tiny index segment a row and merged them again
   (0.19 ms a row against 0.05 for the same triggers in one statement). Same rows, same ids, the
   same triggers: only the number of statements changes.

SQLAlchemy's statement building cost more than the database's own work (about six statements a
listing, the upserts' ``excluded`` columns built anew each time); here SQLAlchemy only hands the
statements to the driver.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from typing import Any

import orjson
import sqlalchemy as sa

from wildtrace.scan.result import ScanResult
from wildtrace.store import counts
from wildtrace.store.derive import identifier_rows, queue_row

#: Listing ids per ``IN (...)`` list (SQLite's bound-parameter limit is far above it)
CHUNK = 500
#: Most rows in one multi-row SQLite ``INSERT`` (the variable limit may allow fewer)
MULTI_ROWS = 1000
RESULT_COLUMNS = ("listing_id", "content_sha256", "model", "scanned_at", "verdict", "wildlife_score",
                  "risk_score", "result")
IDENTIFIER_COLUMNS = ("listing_id", "content_sha256", "kind", "value", "key", "raw")
LISTING_COLUMNS = ("listing_id", "content_sha256", "version", "first_seen", "last_seen", "record")


def model_key(model: dict[str, str]) -> str:
    return f"{model['name']} {model['version']} {model.get('data_sha256', '')}".strip()


def _chunks(ids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def _select(conn: sa.Connection, sql: str, ids: list[str], tail: str = "") -> list[Any]:
    """Rows of ``sql + ' WHERE listing_id IN (ids)'``, chunked; ``= ANY(%s)`` on PostgreSQL."""
    out: list[Any] = []
    for part in _chunks(ids):
        if conn.dialect.name == "postgresql":
            out += conn.exec_driver_sql(f"{sql} WHERE listing_id = ANY(%s){tail}", (part,)).all()
        else:
            marks = ",".join("?" * len(part))
            out += conn.exec_driver_sql(f"{sql} WHERE listing_id IN ({marks}){tail}", tuple(part)).all()
    return out


def _insert(table: str, columns: tuple[str, ...], mark: str) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"


def _variables(conn: sa.Connection) -> int:
    """How many ``?`` one SQLite statement may hold (32,766 by default since SQLite 3.32)."""
    raw = conn.connection.driver_connection
    assert isinstance(raw, sqlite3.Connection), type(raw)
    return raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)


def _insert_rows(conn: sa.Connection, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]],
                 tail: str = "") -> None:
    """SQLite: ``INSERT INTO table (columns) VALUES (?, ...), (?, ...) ... tail``, as few
    statements as the variable limit allows, rows in order (ids are given in that order, as one
    statement a row would give them)."""
    per = max(1, min(MULTI_ROWS, _variables(conn) // len(columns)))
    one = "(" + ", ".join("?" * len(columns)) + ")"
    for start in range(0, len(rows), per):
        part = rows[start:start + per]
        conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                             f"{', '.join([one] * len(part))}{tail}", tuple(v for row in part for v in row))


def save(conn: sa.Connection, results: list[ScanResult]) -> None:
    """Store ``results`` inside the caller's transaction (``db.write`` reruns it on a lock)."""
    if not results:
        return
    pg = conn.dialect.name == "postgresql"
    mark = "%s" if pg else "?"
    ids = sorted({r.id for r in results})
    if pg:  # concurrent writers: one at a time per listing id, locks taken in one order (no deadlock)
        conn.exec_driver_sql("SELECT count(pg_advisory_xact_lock(hashtext(i))) FROM "
                             "(SELECT unnest(%s::text[]) AS i ORDER BY 1) AS s", (ids,))
    versions: dict[str, dict[str, int]] = {}
    first: dict[str, str] = {}  # each listing's first sighting: the smallest first_seen of its versions
    for listing_id, sha, version, seen in _select(
            conn, "SELECT listing_id, content_sha256, version, first_seen FROM listings", ids):
        versions.setdefault(listing_id, {})[sha] = version
        first[listing_id] = min(first.get(listing_id, seen), seen)
    qcols = ("version", *counts.COLUMNS)
    state: dict[str, dict[str, Any]] = {
        row[0]: dict(zip(qcols, row[1:], strict=True))
        for row in _select(conn, f"SELECT listing_id, {', '.join(qcols)} FROM queue", ids, " FOR UPDATE" if pg else "")}

    new: dict[tuple[str, str], list[Any]] = {}
    touched: dict[tuple[str, str], str] = {}
    found: list[dict[str, str]] = []
    stored: dict[tuple[str, str, str], tuple[Any, ...]] = {}
    queued: dict[str, dict[str, Any]] = {}
    delta: Counter[counts.DayKey] = Counter()
    for r in results:
        seen, key = r.scanned_at, (r.id, r.input_sha256)
        known = versions.setdefault(r.id, {})
        version = known.get(r.input_sha256)
        if version is None:
            version = max(known.values(), default=0) + 1
            known[r.input_sha256] = version
            new[key] = [r.id, r.input_sha256, version, seen, seen, orjson.dumps(r.listing).decode()]
            first[r.id] = min(first.get(r.id, seen), seen)  # a capture older than the first lowers it
            found += identifier_rows(r.id, r.input_sha256, r.listing, r.lang or None)
        elif key in new:  # stored earlier in this batch: its row is not written yet
            new[key][4] = seen
        else:
            touched[key] = seen
        public = r.to_dict()
        model = model_key(r.model)
        stored[(r.id, r.input_sha256, model)] = (r.id, r.input_sha256, model, seen, r.verdict, r.wildlife_score,
                                                 r.risk_score, orjson.dumps(public).decode())
        qrow = queue_row(version, public, first[r.id])
        old = state.get(r.id)
        if old is None or old["version"] <= version:
            label = old["label"] if old is not None else ""
            counts.change(delta, old, {**qrow, "label": label})
            state[r.id] = {**qrow, "label": label}
            queued[r.id] = qrow

    if new:
        rows = list(new.values())
        if pg:
            raw = conn.connection.driver_connection  # psycopg 3, inside this transaction
            assert raw is not None
            with raw.cursor() as cur, \
                    cur.copy(f"COPY listings ({', '.join(LISTING_COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            conn.exec_driver_sql(_insert("listings", LISTING_COLUMNS, mark), [tuple(row) for row in rows])
    if touched:
        conn.exec_driver_sql(f"UPDATE listings SET last_seen = {mark} WHERE listing_id = {mark} "
                             f"AND content_sha256 = {mark}", [(s, i, h) for (i, h), s in touched.items()])
    if found:
        conn.exec_driver_sql(_insert("listing_identifiers", IDENTIFIER_COLUMNS, mark) + " ON CONFLICT DO NOTHING",
                             [tuple(row[c] for c in IDENTIFIER_COLUMNS) for row in found])
    update = ", ".join(f"{c} = excluded.{c}" for c in RESULT_COLUMNS[3:])
    conn.exec_driver_sql(_insert("scan_results", RESULT_COLUMNS, mark) + " ON CONFLICT (listing_id, "
                         f"content_sha256, model) DO UPDATE SET {update}", list(stored.values()))
    if queued:
        columns = tuple(next(iter(queued.values())))
        update = ", ".join(f"{c} = excluded.{c}" for c in columns if c != "listing_id")
        tail = f" ON CONFLICT (listing_id) DO UPDATE SET {update} WHERE queue.version <= excluded.version"
        qrows = [tuple(q[c] for c in columns) for q in queued.values()]
        if pg:
            conn.exec_driver_sql(_insert("queue", columns, mark) + tail, qrows)
        else:  # one statement: the search indexes' triggers flush once, not once a row
            _insert_rows(conn, "queue", columns, qrows, tail)
    counts.apply(conn, delta)  # the dashboard counts, in the same transaction
