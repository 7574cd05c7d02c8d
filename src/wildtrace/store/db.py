"""Engines and migrations: one place that knows SQLite from PostgreSQL.

- SQLite (the embedded default): WAL journal, foreign keys on, a busy timeout, and one
  writer at a time per process (``write_lock``).
- PostgreSQL: any ``postgresql://`` URL, driven by psycopg 3.

``migrate`` brings any database to the newest schema with Alembic. A database made by
WildTrace 0.1 (sqlite3, before Alembic: a ``meta`` table and no ``alembic_version``) is
stamped at revision 0001 first, then upgraded, so its listings are kept. The ``labels`` table
that ``wildtrace label import`` made before revision 0004 is renamed out of the way first;
0004 merges its rows into the one labels table.
"""

from __future__ import annotations

import fcntl
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from wildtrace.errors import ConfigError, DataError
from wildtrace.store import grams

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: The PostgreSQL advisory lock migrations take (any constant; "wildtrace" in ASCII, folded to 63 bits)
MIGRATION_LOCK_KEY = 0x77696C6474726163
_write_locks: dict[str, threading.Lock] = {}
#: How long SQLite waits for another process's write lock before "database is locked"
BUSY_TIMEOUT_MS = 30_000
#: Then a batch is retried this many times, with exponential back-off and jitter
WRITE_RETRIES = 8


#: PostgreSQL's deadlock_detected and serialization_failure: the transaction may simply be rerun
RETRY_SQLSTATES = frozenset({"40P01", "40001"})


def is_locked(exc: BaseException) -> bool:
    """Another writer was in the way: SQLite's "database is locked" / "database is busy", or a
    PostgreSQL deadlock or serialization failure. Rerunning the transaction is the cure."""
    orig = getattr(exc, "orig", exc)
    if getattr(orig, "sqlstate", None) in RETRY_SQLSTATES:
        return True
    text = str(orig).lower()
    return "database is locked" in text or "database is busy" in text or "database table is locked" in text


def backoff(attempt: int) -> None:
    """Sleep 0.05 s, 0.1 s, 0.2 s … (at most 5 s), with jitter so two writers do not collide again."""
    time.sleep(min(5.0, 0.05 * 2 ** attempt) * (0.5 + random.random()))


T = TypeVar("T")


def write(engine: sa.Engine, work: Callable[[sa.Connection], T]) -> T:
    """Run ``work(conn)`` in one write transaction and return what it returns.

    Every write of the store goes through here. When another process holds SQLite's write lock
    past the busy timeout (or a read snapshot went stale before the write), the whole
    transaction is rolled back and ``work`` runs again, up to ``WRITE_RETRIES`` times with
    back-off; so ``work`` must start from nothing each call (counters, lists) and every write in
    it must be safe to repeat.
    """
    for attempt in range(WRITE_RETRIES + 1):
        try:
            with write_lock(engine), engine.begin() as conn:
                return work(conn)
        except sa.exc.DBAPIError as exc:
            if not is_locked(exc) or attempt == WRITE_RETRIES:
                raise
            backoff(attempt)
    raise AssertionError("unreachable")


def normalise_url(target: str | Path) -> str:
    """A path, ``sqlite:///PATH`` or ``postgresql://...`` -> a SQLAlchemy URL."""
    text = str(target)
    if text.startswith(("postgres://", "postgresql://")):
        return "postgresql+psycopg://" + text.split("://", 1)[1]
    if text.startswith("postgresql+"):
        return text
    if text.startswith("sqlite:///"):
        path = Path(text.removeprefix("sqlite:///"))
    elif "://" in text:
        raise ConfigError(f"unsupported database URL {text!r}; use a file path, sqlite:///PATH "
                          "or postgresql://USER@HOST:PORT/DB")
    else:
        path = Path(text)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create the folder for database {path}: {exc}") from exc
    return f"sqlite:///{path}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()
    grams.register(dbapi_connection)  # the queue_grams triggers call it (revision 0014)


def make_engine(target: str | Path) -> sa.Engine:
    url = normalise_url(target)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, pool_size=8, max_overflow=8)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = sa.create_engine(url, pool_size=8, max_overflow=8, pool_pre_ping=True)
    return engine


def write_lock(engine: sa.Engine) -> threading.Lock:
    """SQLite allows one writer: writers in this process queue here instead of on SQLITE_BUSY."""
    key = str(engine.url)
    return _write_locks.setdefault(key, threading.Lock())


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _config(conn: sa.Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


@contextmanager
def _migration_lock(engine: sa.Engine) -> Iterator[None]:
    """One migration at a time across processes: a file lock beside a SQLite database (the
    transaction alone lets two processes both see an empty file and both create the schema);
    PostgreSQL takes a transaction-scoped advisory lock inside ``migrate`` instead."""
    if engine.dialect.name != "sqlite" or not engine.url.database:
        yield
        return
    lock_path = Path(f"{engine.url.database}.migrate.lock")
    with open(lock_path, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def migrate(engine: sa.Engine, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` (default: the newest); a no-op when it is there.

    Safe when several processes open a new database at once: they take turns (a file lock on
    SQLite, an advisory lock on PostgreSQL), and each finds the schema as the one before left it.
    A file that is not a database, or a URL that does not work, is one ``ConfigError``.
    """
    try:
        with _migration_lock(engine), write_lock(engine), engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            cfg = _config(conn)
            current = MigrationContext.configure(conn).get_current_revision()
            names = set(sa.inspect(conn).get_table_names())
            if "labels" in names and "seq" in {c["name"] for c in sa.inspect(conn).get_columns("labels")}:
                # ``wildtrace label import`` before 0004 kept its own ``labels`` table here:
                # migration 0004 merges it into the one labels table
                conn.execute(sa.text("ALTER TABLE labels RENAME TO labels_learn_v01"))
                conn.execute(sa.text("DROP INDEX IF EXISTS labels_listing"))  # its name is taken by 0002
            if current is None and "meta" in names:
                version = conn.execute(sa.text("SELECT value FROM meta WHERE key='schema_version'")).scalar()
                if version != "1":
                    raise DataError(f"database {engine.url!r} has an unknown schema version {version!r}")
                command.stamp(cfg, "0001")
            elif current is not None and current not in _known_revisions():
                raise DataError(f"database {engine.url!r} is at schema revision {current}, newer than "
                                "this WildTrace; upgrade WildTrace")
            command.upgrade(cfg, revision)
    except sa.exc.DatabaseError as exc:  # a path or URL the user gave that does not work, or not a database
        why = " ".join(str(exc.orig).split())  # one line: drivers' messages carry newlines and tabs
        hint = "; is it a WildTrace database (SQLite or PostgreSQL)?" if "not a database" in why else ""
        raise ConfigError(f"cannot open database {engine.url.render_as_string(hide_password=True)}: "
                          f"{why}{hint}") from exc


def _known_revisions() -> set[str]:
    return {s.revision for s in ScriptDirectory.from_config(_config()).walk_revisions()}
