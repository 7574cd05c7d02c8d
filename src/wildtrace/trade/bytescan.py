"""One pass over a trade file's bytes before it loads: its SHA-256, whether it may hold a line
too long to be a record, and whether any field may begin or end with a space.

Why: the load trims every text field (``trim``: DuckDB's, which removes the Unicode space
separators) and reads a blank as NULL. Trimming cost a sixth of a 3-million-row load, and
real downloads carry no padding. A file that provably has none is read without the trims,
which then change nothing (see ``transform.Columns.c``); a file that may have some is read
as before. The same pass hashes the file (``provenance.sha256_file`` gives the same digest)
and rules out long lines cheaply, so the load reads a file once before DuckDB does.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from wildtrace.trade.inputs import MAX_LINE_BYTES

#: read this much at a time (a multiple of every block below)
CHUNK = 16 << 20
#: bytes compared at once (small, so numpy's masks stay in cache)
SLICE = 1 << 18

# The characters DuckDB's trim() removes are the Unicode space separators (Zs): U+0020, U+00A0,
# U+1680, U+2000-U+200A, U+202F, U+205F, U+3000 (checked against DuckDB over every code point;
# tab, newline and U+200B are kept). In UTF-8 one of them begins with a byte of LEAD and ends
# with a byte of TRAIL.
LEAD = np.zeros(256, dtype=bool)
LEAD[[0x20, 0xC2, 0xE1, 0xE2, 0xE3]] = True
TRAIL = np.zeros(256, dtype=bool)
TRAIL[[0x20, 0x9F, 0xA0, 0xAF, *range(0x80, 0x8B)]] = True


@dataclass(frozen=True)
class ByteScan:
    """What one pass over a file found.

    ``maybe_long``: some line may be longer than the limit (False: none is; True: the exact
    search, ``inputs.long_lines``, must run). ``padded``: some field may begin or end with a
    space separator, or be blank but for them (False: none does)."""

    sha256: str
    maybe_long: bool
    padded: bool


def _edges(delim: str) -> np.ndarray:
    """The bytes a field's text can begin after or end before: the separator, a line end and
    the quote (a quoted field's text lies between its quotes)."""
    edge = np.zeros(256, dtype=bool)
    edge[[ord(delim), 0x0A, 0x0D, 0x22]] = True
    return edge


def _padded_slice(a: np.ndarray, before: int, after: int, edge: np.ndarray, ascii_only: bool,
                  mask: np.ndarray) -> bool:
    """Does a space-like byte of ``a`` sit at a field's edge? ``before``/``after``: the bytes
    around ``a`` in the file (a line end at its start and end)."""
    np.equal(a, 0x20, out=mask[:a.size])
    if not ascii_only:  # the first and last bytes of the other space separators
        mask[:a.size] |= a >= 0x80
    pos = np.flatnonzero(mask[:a.size])
    if not pos.size:
        return False
    prev = a[np.maximum(pos - 1, 0)]  # copies: the ends are set apart
    nxt = a[np.minimum(pos + 1, a.size - 1)]
    if pos[0] == 0:
        prev[0] = before
    if pos[-1] == a.size - 1:
        nxt[-1] = after
    c = a[pos]
    return bool((LEAD[c] & edge[prev]).any() or (TRAIL[c] & edge[nxt]).any())


def scan(path: Path, delim: str, *, limit: int = MAX_LINE_BYTES) -> ByteScan:
    """Hash ``path`` and check it, in one read. Long lines: every aligned block of ``limit // 2``
    bytes holding a newline leaves no line longer than ``limit`` (a longer one would span a whole
    block). Padding: a field's text begins after a separator, line end or quote and ends before
    one, so a space separator there sits next to one of those bytes; a file where none does has
    no field that trim() would change (a blank field DuckDB reads as NULL: ``""`` too)."""
    block = max(1, limit // 2)
    chunk = max(CHUNK // block, 1) * block
    digest = hashlib.sha256()
    edge = _edges(delim)
    mask = np.empty(SLICE, dtype=bool)
    maybe_long = padded = False
    held: bytes = b""  # the chunk read before, checked once the byte after it is known
    before = 0x0A
    with path.open("rb") as fh:
        while True:
            buf = fh.read(chunk)
            digest.update(buf)
            for s in range(0, len(buf) - block + 1, block):
                if not maybe_long and buf.find(b"\n", s, s + block) < 0:
                    maybe_long = True
            if held and not padded:
                padded = _padded_chunk(held, before, buf[0] if buf else 0x0A, edge, mask)
            if held:
                before = held[-1]
            held = buf
            if not buf:
                break
    return ByteScan(digest.hexdigest(), maybe_long, padded)


def _padded_chunk(buf: bytes, before: int, after: int, edge: np.ndarray, mask: np.ndarray) -> bool:
    a = np.frombuffer(buf, dtype=np.uint8)
    ascii_only = buf.isascii()
    for s in range(0, a.size, SLICE):
        part = a[s:s + SLICE]
        b = before if s == 0 else int(a[s - 1])
        e = after if s + SLICE >= a.size else int(a[s + SLICE])
        if _padded_slice(part, b, e, edge, ascii_only, mask):
            return True
    return False
