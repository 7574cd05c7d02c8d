"""Pre-built answers of hot read endpoints (the queue's pages), thrown away on any write.

An answer is kept under its key (the endpoint, the asker's role and the request's parameters)
with the store's *generation* read before it was built; it is served again only while the
generation is the same. The generation changes with every committed write, from this process
or any other (``serve --workers``, a ``scan --db`` beside the workbench):

- SQLite: ``PRAGMA data_version`` on a connection of its own that never writes (SQLite changes
  it on that connection whenever another connection commits; a few microseconds);
- PostgreSQL: ``pg_current_snapshot()``: it changes when a write transaction's commit becomes
  visible to other connections (not when its WAL record is written, a moment earlier: see
  ``store/generation.py``); a transaction that only read leaves it alone.

The generation itself is read in ``store/generation.py`` (the store owns its SQL). Reading the
generation first means an answer is never newer-keyed than its data: a write that
lands while it is built moves the generation, and the next request builds it again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
from fastapi import Depends, Request

from wildtrace.store.generation import Generation

#: Most answers kept per app (least recently used go first).
MAX_ANSWERS = 512
T = TypeVar("T")


class Prebuilt:
    """Answers by key (response bytes, or what a page is rendered from: never changed by its
    users), each valid for the generation it was built at."""

    def __init__(self, engine: sa.Engine, size: int = MAX_ANSWERS, generation: Generation | None = None):
        self.generation = generation or Generation(engine)
        self._owns_generation = generation is None
        self.size = size
        self._answers: OrderedDict[Hashable, tuple[Hashable, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.builds = 0

    def kept(self, key: Hashable, gen: Hashable | None = None) -> Any | None:
        """The answer kept for ``key`` if no write came since it was built, else None (cheap:
        an async endpoint calls it in the event loop and builds in a thread only on a miss).
        ``gen``: the generation this request already read (``request_generation``)."""
        gen = self.generation.now() if gen is None else gen
        with self._lock:
            kept = self._answers.get(key)
            if kept is not None and kept[0] == gen:
                self._answers.move_to_end(key)
                self.hits += 1
                return kept[1]
        return None

    def get(self, key: Hashable, build: Callable[[], T], gen: Hashable | None = None) -> T:
        """The answer for ``key``: the kept one if no write came since it was built, else
        ``build()`` (kept for the next request). ``gen``: as for ``kept``."""
        gen = self.generation.now() if gen is None else gen  # before building: see the module
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
        if self._owns_generation:
            self.generation.close()


async def prebuilt(request: Request) -> Prebuilt:
    """The app's pre-built answers (made on first use)."""
    state = request.app.state
    kept = getattr(state, "prebuilt", None)
    if kept is None:
        kept = state.prebuilt = Prebuilt(state.store.engine)
    return kept  # type: ignore[no-any-return]


def request_generation(request: Request, kept: Prebuilt) -> Hashable:
    """The store's generation, read once per request (the credential's lookup and the answer's
    share it: one round trip on PostgreSQL instead of two). Read before anything the request
    builds, so a key is never newer than its data (see the module)."""
    gen = getattr(request.state, "generation", None)
    if gen is None:
        gen = request.state.generation = kept.generation.now()
    return gen


async def beside(request: Request, name: str, size: int) -> Prebuilt:
    """The app's store of answers called ``name`` (made on first use): kept like the answers and
    on their generation, but its own, so that one kind of answer cannot push another out."""
    state = request.app.state
    kept = getattr(state, name, None)
    if kept is None:
        answers = await prebuilt(request)
        kept = Prebuilt(state.store.engine, size=size, generation=answers.generation)
        setattr(state, name, kept)
    return kept  # type: ignore[no-any-return]


async def principals(request: Request) -> Prebuilt:
    """Who each credential (by its hash) belongs to, kept like the answers and on the same
    generation: a logout, revocation or role change is a write (``web/deps.py``)."""
    return await beside(request, "principals", 4096)


PrebuiltDep = Annotated[Prebuilt, Depends(prebuilt)]
