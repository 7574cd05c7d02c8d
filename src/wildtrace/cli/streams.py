"""The one "path or ``-``" helper of the command line: files or stdin/stdout, with clear errors."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from wildtrace.errors import ConfigError


@contextmanager
def open_input(path: str | Path) -> Iterator[IO[bytes]]:
    """A binary stream: stdin for ``-``, else the file (a missing or unreadable one is a ConfigError)."""
    if str(path) == "-":
        yield sys.stdin.buffer
        return
    try:
        fh = open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    with fh:
        yield fh


@contextmanager
def open_output(path: str | Path | None) -> Iterator[IO[bytes] | None]:
    """A binary stream: stdout for ``-``, None for None, else the file (unwritable: ConfigError)."""
    if path is None:
        yield None
        return
    if str(path) == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    try:
        fh = open(path, "wb")  # noqa: SIM115
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from exc
    with fh:
        yield fh
