"""The store's write generation: a value that changes with every committed write, from this process
or any other, cheap to read (the workbench's pre-built answers, ``web/prebuilt.py``, are valid for
one generation).

- SQLite: ``PRAGMA data_version`` on a connection of its own that never writes (SQLite changes it
  on that connection whenever another connection commits; a few microseconds);
- PostgreSQL: ``pg_current_snapshot()`` on an autocommit connection of its own: which write
  transactions are running and which have finished, as this moment's snapshot sees them. It changes
  when a write *becomes visible*, which is what a kept answer needs. (The WAL insert position, used
  before, moves when the commit record is written, a moment before other connections can see the
  commit: an answer built in that moment was kept under the new position with the old data, until
  some unrelated write came; a revoked API token stayed valid that long. Issue 27's review.)
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Hashable
from typing import Any

import sqlalchemy as sa


class Generation:
    """The store's write generation (see the module); ``now()`` is cheap."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        if engine.dialect.name == "sqlite":
            self._conn = sqlite3.connect(str(engine.url.database), check_same_thread=False,
                                         isolation_level=None)
            self._conn.execute("PRAGMA query_only=1")  # it only ever reads data_version

        self._pg: Any = None  # PostgreSQL: a connection of its own, in autocommit (one round trip)

    def now(self) -> Hashable:
        if self._conn is not None:
            with self._lock:
                return int(self._conn.execute("PRAGMA data_version").fetchone()[0])
        with self._lock:
            for attempt in (0, 1):
                try:
                    if self._pg is None:
                        self._pg = self.engine.raw_connection()
                        self._pg.driver_connection.autocommit = True  # no transaction held open
                    cur = self._pg.cursor()
                    cur.execute("SELECT pg_current_snapshot()::text")
                    return str(cur.fetchone()[0])
                except Exception:  # the server went away: a fresh connection once, then the error
                    self._drop_pg()
                    if attempt:
                        raise
        raise AssertionError("unreachable")

    def _drop_pg(self) -> None:
        if self._pg is not None:
            try:
                self._pg.invalidate()
            finally:
                self._pg = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        with self._lock:
            self._drop_pg()
