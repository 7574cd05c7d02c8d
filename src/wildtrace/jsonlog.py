"""One append-only JSON Lines log: the custody log uses it (judgements and the local lexicon did,
before they moved into the database; their old files are read through it once).

- ``append`` writes whole lines under an exclusive ``flock`` and fsyncs them, so concurrent
  writers (two processes, two threads) never interleave or lose a line;
- ``locked()`` holds the lock across a read-then-append (the custody chain and lexicon
  versions read the last entry before writing the next);
- ``read`` gives ``(line number, record)`` as stored, ``None`` for a line that is not a JSON
  object; ``records`` is the strict form that names the first bad line;
- the log file is opened with ``O_NOFOLLOW``: a symlink put in its place is refused.

Nothing here rewrites or truncates a line: history is only ever appended to.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from wildtrace.errors import DataError


class JsonLog:
    def __init__(self, path: Path, *, lock_path: Path | None = None):
        self.path = Path(path)
        self.lock_path = lock_path or self.path.with_name(f".{self.path.name}.lock")
        self._held = False

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the log's exclusive lock (re-entrant within this object)."""
        if self._held:
            yield
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.lock_path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        except OSError as exc:
            raise DataError(f"cannot lock {self.path}: {exc}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            self._held = True
            yield
        finally:
            self._held = False
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def append(self, records: Iterable[dict[str, Any]], *, sort_keys: bool = False) -> int:
        """Append records as lines, fsync'd; returns how many."""
        option = orjson.OPT_SORT_KEYS if sort_keys else 0
        data = b"".join(orjson.dumps(r, option=option) + b"\n" for r in records)
        if not data:
            return 0
        with self.locked():
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o644)
            except OSError as exc:
                raise DataError(f"cannot append to {self.path}: {exc}") from exc
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
        return data.count(b"\n")

    def read(self) -> Iterator[tuple[int, dict[str, Any] | None]]:
        """(line number, record) as stored; ``None`` for a line that is not a JSON object."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            return
        except OSError as exc:
            raise DataError(f"cannot read {self.path}: {exc}") from exc
        with os.fdopen(fd, "rb") as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    record = orjson.loads(line)
                except orjson.JSONDecodeError:
                    yield number, None
                    continue
                yield number, record if isinstance(record, dict) else None

    def records(self, what: str = "record") -> list[dict[str, Any]]:
        """Every record; a line that is not one stops with ``DataError`` naming it."""
        out = []
        for number, record in self.read():
            if record is None:
                raise DataError(f"{self.path}: line {number} is not a {what} (not a JSON object)")
            out.append(record)
        return out

    def exists(self) -> bool:
        return self.path.is_file()
