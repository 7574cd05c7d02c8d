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

#: read and check this much at a time (small: each block is hashed and checked while it sits
#: in the processor's cache; 16 MB reads made the hash alone twice as slow)
BLOCK = 1 << 18

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


def _edge_space(buf: bytes, before: int, edge: np.ndarray, mask: np.ndarray) -> tuple[bool, bool]:
    """Does a space-like byte of ``buf`` sit at a field's edge? ``before``: the byte before it in
    the file (a line end at its start). Returns (found, whether ``buf``'s last byte ends a space
    separator: found if the byte after it, not read yet, is an edge)."""
    a = np.frombuffer(buf, dtype=np.uint8)
    m = mask[:a.size]
    np.equal(a, 0x20, out=m)
    spaces_only = buf.isascii()
    if not spaces_only:  # the first and last bytes of the other space separators
        m |= a >= 0x80
    pos = np.flatnonzero(m)
    if not pos.size:
        return False, False
    prev = a[pos - 1]  # a copy; the byte before the first is ``before``
    if pos[0] == 0:
        prev[0] = before
    last = bool(pos[-1] == a.size - 1)
    after = pos + 1
    if last:
        after[-1] = pos[-1]  # the byte after the last is not read yet: the caller checks it
    nxt = edge[a[after]]
    if last:
        nxt[-1] = False
    if spaces_only:  # every candidate is a space: both a leading and a trailing one
        return bool(edge[prev].any() or nxt.any()), last
    c = a[pos]
    return bool((LEAD[c] & edge[prev]).any() or (TRAIL[c] & nxt).any()), bool(last and TRAIL[c[-1]])


def scan(path: Path, delim: str, *, limit: int = MAX_LINE_BYTES) -> ByteScan:
    """Hash ``path`` and check it, in one read. Long lines: every aligned block of at most
    ``limit // 2`` bytes holding a newline leaves no line longer than ``limit`` (a longer one
    would span a whole block). Padding: a field's text begins after a separator, line end or
    quote and ends before one, so a space separator there sits next to one of those bytes; a
    file where none does has no field that trim() would change (and DuckDB reads a blank field,
    ``""`` too, as NULL)."""
    block = max(1, min(BLOCK, limit // 2))
    digest = hashlib.sha256()
    edge = _edges(delim)
    mask = np.empty(block, dtype=bool)
    maybe_long = padded = pending = False
    before = 0x0A
    with path.open("rb") as fh:
        while buf := fh.read(block):
            digest.update(buf)
            if not maybe_long and len(buf) == block and buf.find(b"\n") < 0:
                maybe_long = True
            if padded:
                continue
            if pending and edge[buf[0]]:
                padded = True
                continue
            padded, pending = _edge_space(buf, before, edge, mask)
            before = buf[-1]
    return ByteScan(digest.hexdigest(), maybe_long, padded or pending)
