"""Writing files whole: a file written whole or not at all, and an output written in whole lines.

``atomic_write(path)`` yields a binary file in the same folder under a hidden temporary name; when
the block ends without error the data is flushed, fsynced and renamed over ``path`` in one step, so a
reader (or a later scan) sees the old file or the new one, never half of one. On any error (a full
disk, Ctrl-C, a bad record that stops an export) the temporary file is removed and ``path`` is left
as it was. A full disk is said in one line (``DataError``), not a traceback.

``WholeLines(path)`` is a streaming output (``wildtrace scan -o``) written in whole lines: should the
disk fill up (or a file-size limit be reached) the file is cut back to its last whole line and the
job stops with one line saying so, never a torn last record.
"""

from __future__ import annotations

import errno
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from wildtrace.errors import ConfigError, DataError


@contextmanager
def atomic_write(path: Path | str) -> Iterator[IO[bytes]]:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DataError(f"cannot write {target}: the disk is full; nothing was written") from exc
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


#: Errors of a write that found no room: a full disk, a quota, a file-size limit
NO_ROOM = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


class WholeLines(io.BufferedIOBase):
    """A binary output file written in whole lines, buffered up to ``chunk`` bytes."""

    def __init__(self, path: str | Path, chunk: int = 1 << 16):
        self.path = str(path)
        self._fh = open_file(path, "wb")
        self._fd = self._fh.fileno()
        self._buffer = bytearray()
        self._chunk = chunk
        self._whole = 0  # bytes of the file that end in a whole line

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self._buffer += data
        if len(self._buffer) >= self._chunk:
            end = self._buffer.rfind(b"\n") + 1
            if end:
                self._out(end)
        return len(data)

    def flush(self) -> None:
        if self._buffer and not self._fh.closed:
            self._out(len(self._buffer))

    def _out(self, end: int) -> None:
        view = memoryview(self._buffer)[:end]
        written = 0
        try:
            while written < end:
                written += os.write(self._fd, view[written:])
        except OSError as exc:
            view.release()
            if exc.errno not in NO_ROOM:
                raise
            self._buffer.clear()
            try:
                os.ftruncate(self._fd, self._whole)
            except OSError:
                pass  # a device such as /dev/full cannot be cut back; it holds nothing
            raise DataError(f"cannot write {self.path}: no room left ({exc.strerror}); it ends at its last "
                            f"whole line ({self._whole:,} bytes)") from exc
        view.release()
        last = self._buffer.rfind(b"\n", 0, end) + 1
        del self._buffer[:end]
        if last:
            self._whole = os.lseek(self._fd, 0, os.SEEK_CUR) - (end - last)

    def close(self) -> None:
        if not self._fh.closed:
            try:
                self.flush()
            finally:
                self._buffer.clear()
                self._fh.close()
        super().close()


def _open(path: str | Path, mode: str) -> IO[bytes]:
    try:
        return open(path, mode)  # type: ignore[return-value]  # noqa: SIM115
    except OSError as exc:
        verb = "read" if mode == "rb" else "write"
        raise ConfigError(f"cannot {verb} {path}: {exc.strerror or exc}") from exc


def open_file(path: str | Path, mode: str = "rb") -> IO[bytes]:
    """A file opened for reading (``rb``) or writing (``wb``); one that cannot be is a ConfigError."""
    try:
        return open(path, mode)  # type: ignore[return-value]  # noqa: SIM115 - the caller closes it
    except OSError as exc:
        verb = "read" if "r" in mode else "write"
        raise ConfigError(f"cannot {verb} {path}: {exc.strerror or exc}") from exc
