"""Pre-built answers of hot read endpoints (the queue's pages), thrown away on any write.

An answer is kept under its key (the endpoint, the asker's role and the request's parameters)
with the store's *generation* read before it was built; it is served again only while the
generation is the same. The generation changes with every committed write, from this process
or any other (``serve --workers``, a ``scan --db`` beside the workbench):

- SQLite: ``PRAGMA data_version`` on a connection of its own that never writes (SQLite changes
  it on that connection whenever another connection commits; a few microseconds);
- PostgreSQL: ``pg_current_wal_insert_lsn()``: every commit that wrote inserts a WAL record
  (other writes, e.g. autovacuum, move it too: they only cost a rebuild).

Reading the generation first means an answer is never newer-keyed than its data: a write that
lands while it is built moves the generation, and the next request builds it again.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
from fastapi import Depends, Request

#: Most answers kept per app (least recently used go first).
MAX_ANSWERS = 512
T = TypeVar("T")


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
                    cur.execute("SELECT pg_current_wal_insert_lsn()")
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


class Prebuilt:
    """Answers by key (response bytes, or what a page is rendered from: never changed by its
    users), each valid for the generation it was built at."""

    def __init__(self, engine: sa.Engine, size: int = MAX_ANSWERS):
        self.generation = Generation(engine)
        self.size = size
        self._answers: OrderedDict[Hashable, tuple[Hashable, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.builds = 0

    def kept(self, key: Hashable) -> Any | None:
        """The answer kept for ``key`` if no write came since it was built, else None (cheap:
        an async endpoint calls it in the event loop and builds in a thread only on a miss)."""
        gen = self.generation.now()
        with self._lock:
            kept = self._answers.get(key)
            if kept is not None and kept[0] == gen:
                self._answers.move_to_end(key)
                self.hits += 1
                return kept[1]
        return None

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        """The answer for ``key``: the kept one if no write came since it was built, else
        ``build()`` (kept for the next request)."""
        gen = self.generation.now()  # before building: see the module
        with self._lock:
            kept = self._answers.get(key)
            if kept is not None and kept[0] == gen:
                self._answers.move_to_end(key)
                self.hits += 1
                return kept[1]  # type: ignore[no-any-return]
        body = build()
        with self._lock:
            self.builds += 1
            self._answers[key] = (gen, body)
            self._answers.move_to_end(key)
            while len(self._answers) > self.size:
                self._answers.popitem(last=False)
        return body

    def close(self) -> None:
        self.generation.close()


async def prebuilt(request: Request) -> Prebuilt:
    """The app's pre-built answers (made on first use)."""
    state = request.app.state
    kept = getattr(state, "prebuilt", None)
    if kept is None:
        kept = state.prebuilt = Prebuilt(state.store.engine)
    return kept  # type: ignore[no-any-return]


PrebuiltDep = Annotated[Prebuilt, Depends(prebuilt)]
