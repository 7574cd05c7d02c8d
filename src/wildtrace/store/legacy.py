"""Legacy imports: JSON Lines files whose decisions moved into the store, copied in once each.

Judgements (``DATA_DIR/judgements.jsonl``) and the local lexicon (``DATA_DIR/local_lexicon.jsonl``)
were append-only files on one machine before revision 0005. The first time the store is used
for them, the file's records are copied in, and ``legacy_imports`` keeps the file's SHA-256, so
the same content is never imported twice (on any machine sharing the database). The file is
read, never changed, moved or deleted.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from wildtrace import clock
from wildtrace.errors import DataError
from wildtrace.store import db
from wildtrace.store.schema import legacy_imports

#: ``(conn, [(line number, record)]) -> records added``, in the import's transaction
Convert = Callable[[sa.Connection, list[tuple[int, dict[str, Any]]]], int]


def read(path: Path, what: str) -> tuple[str, list[tuple[int, dict[str, Any]]]]:
    """The file's SHA-256 and its records with their line numbers; a line that is not a JSON
    object stops with ``DataError`` naming it. A symlink in the file's place is refused."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc}") from exc
    with os.fdopen(fd, "rb") as fh:
        data = fh.read()
    out = []
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            record = None
        if not isinstance(record, dict):
            raise DataError(f"{path}: line {number} is not a {what} (not a JSON object)")
        out.append((number, record))
    return hashlib.sha256(data).hexdigest(), out


def imported(engine: sa.Engine, what: str, sha256: str) -> bool:
    with engine.connect() as conn:
        return conn.execute(sa.select(legacy_imports.c.sha256).where(
            legacy_imports.c.what == what, legacy_imports.c.sha256 == sha256)).first() is not None


def import_once(engine: sa.Engine, what: str, path: Path | None, convert: Convert) -> int:
    """Copy the records of ``path`` into the store with ``convert`` unless this content was
    imported before; returns how many records were added (0 when there is no file)."""
    if path is None or not Path(path).is_file():
        return 0
    sha, records = read(Path(path), what)
    if imported(engine, what, sha):
        return 0

    def work(conn: sa.Connection) -> int:
        done = conn.execute(sa.select(legacy_imports.c.sha256).where(
            legacy_imports.c.what == what, legacy_imports.c.sha256 == sha)).first()
        if done is not None:  # another process imported it meanwhile
            return 0
        added = convert(conn, records)
        conn.execute(legacy_imports.insert().values(what=what, sha256=sha, path=str(path), records=added,
                                                    imported_at=clock.stamp("milliseconds")))
        return added

    try:
        return db.write(engine, work)
    except sa.exc.IntegrityError:  # PostgreSQL: two processes imported the same file at once
        if imported(engine, what, sha):
            return 0
        raise
