"""Ctrl-C for long jobs: the first stops the job at the next record, with everything written so far
whole (the batch in hand stored and written, the output closed); a second one stops at once.

Without this, a SIGINT that lands while Python is finalising a generator or a buffer is printed as
"Exception ignored ... KeyboardInterrupt" and the job goes on (issue 29: once in 14 tries, exit 0).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

#: The exit status of a job stopped by Ctrl-C (128 + SIGINT), as shells report it
EXIT_INTERRUPTED = 130


class Stop:
    """``stop()`` is true once Ctrl-C was pressed."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self) -> bool:
        return self.requested


@contextmanager
def interruptible() -> Iterator[Stop]:
    """Within the block, Ctrl-C sets the flag (the job stops at the next record); a second one raises."""
    stop = Stop()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        if stop.requested:
            raise KeyboardInterrupt
        stop.requested = True

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield stop
    finally:
        signal.signal(signal.SIGINT, previous)
