"""Progress of long jobs, always on stderr (stdout carries results only).

A terminal gets a live tqdm bar with the rate and the time left; anything else (a log file,
CI) gets one plain line every ``Settings.progress_every`` seconds; ``quiet`` turns both off.
tqdm was chosen because it is small, has no dependencies of its own and computes rates and
ETAs smoothed over time.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import IO, Any

from tqdm import tqdm


def input_size(path: str) -> int | None:
    """Bytes of the input file ``path`` (None for ``-``, stdin, or anything not a plain file)."""
    p = Path(path)
    return p.stat().st_size if path != "-" and p.is_file() else None


class Progress:
    """``tick(position)`` after each item; ``position`` is how far into ``total`` (bytes of the
    input, say) the job is, when that is known."""

    def __init__(self, desc: str, *, total: int | None = None, items: str = "items", unit: str = "B",
                 quiet: bool = False, every: float = 10.0, stream: IO[str] | None = None) -> None:
        self.stream: Any = stream if stream is not None else sys.stderr
        self.desc, self.total, self.items, self.every, self.quiet = desc, total, items, every, quiet
        self.count = 0
        self.start = self.last = time.monotonic()
        self.position = 0
        tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.bar = (tqdm(total=total, desc=desc, unit=unit, unit_scale=True, unit_divisor=1024, file=self.stream,
                         leave=False, dynamic_ncols=True, mininterval=0.5)
                    if tty and not quiet else None)

    def tick(self, position: int | None = None, n: int = 1) -> None:
        self.count += n
        if self.quiet:
            return
        if self.bar is not None:
            if position is not None:
                self.bar.update(max(0, position - self.bar.n))
            elif self.total is None:
                self.bar.update(n)
            self.bar.set_postfix_str(f"{self.count:,} {self.items}", refresh=False)
            return
        if position is not None:
            self.position = position
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self.stream.write(self.line(now) + "\n")
            self.stream.flush()

    def line(self, now: float | None = None) -> str:
        elapsed = (now or time.monotonic()) - self.start
        rate = self.count / elapsed if elapsed > 0 else 0.0
        text = f"wildtrace: {self.desc}: {self.count:,} {self.items} in {elapsed:,.0f} s ({rate:,.0f}/s)"
        if self.total and self.position:
            share = min(1.0, self.position / self.total)
            left = elapsed / share - elapsed if share > 0 else 0.0
            text += f", {share:.0%} of the input, about {left:,.0f} s left"
        return text

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
