"""The one "path or ``-``" helper of the command line: files or stdin/stdout, with clear errors.

An output file is written in whole lines (``wildtrace.atomic.WholeLines``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from wildtrace.atomic import WholeLines, open_file


@contextmanager
def open_input(path: str | Path) -> Iterator[IO[bytes]]:
    """A binary stream: stdin for ``-``, else the file (a missing or unreadable one is a ConfigError)."""
    if str(path) == "-":
        yield sys.stdin.buffer
        return
    with open_file(path, "rb") as fh:
        yield fh


@contextmanager
def open_output(path: str | Path | None) -> Iterator[IO[bytes] | None]:
    """A binary stream: stdout for ``-``, None for None, else the file (unwritable: ConfigError)."""
    if path is None or str(path) == "-":
        yield None if path is None else sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    out = WholeLines(path)
    try:
        yield out  # type: ignore[misc]
    finally:
        out.close()
