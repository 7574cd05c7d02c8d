"""What a trade file is, from its first bytes: empty, not a CSV, or a header with a separator;
then which format (CITES bulk, comparative tabulation, LEMIS) its names match best
(``data/trade/headers.yaml`` through ``schema.formats``), and the canonical column -> position
map the transform reads.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from wildtrace.trade import schema

SNIFF_BYTES = 65536
#: Field separators a trade file may use (the citesdb release is tab-separated; spreadsheets
#: in much of Europe save with semicolons)
DELIMITERS = (",", "\t", ";", "|")


def sniff(local: Path) -> tuple[str | None, list[str], str]:
    """Return (problem, header, delimiter). Problem is 'empty' or 'not a CSV: ...'."""
    with local.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if not head.strip():
        return "empty", [], ","
    if b"\x00" in head:
        return "not a CSV: binary content (NUL bytes)", [], ","
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:
            first = head[: exc.start].decode("utf-8-sig", "replace")
            if "\n" not in first:
                return "not a CSV: header is not UTF-8 text", [], ","
        text = head[: exc.start].decode("utf-8-sig")
    first_line = text.splitlines()[0] if text.splitlines() else ""
    # the separator that splits the header into the most names
    best: tuple[int, str, list[str]] = (0, ",", [])
    for delim in DELIMITERS:
        header = next(csv.reader(io.StringIO(first_line), delimiter=delim), [])
        if len(header) > best[0]:
            best = (len(header), delim, header)
    _, delim, header = best
    if len(header) < 2:
        return "not a CSV: the first line has no header of separated names", header, delim
    return None, [h.strip() for h in header], delim


@dataclass(frozen=True)
class Detected:
    """The format a header matches best and how: canonical column -> position, the required
    columns it lacks (their official names), the columns no format knows, how many matched."""

    format: str
    mapping: dict[str, int]
    missing: list[str]
    extra: list[str]
    matched: int


def detect(header: list[str]) -> Detected:
    """Pick the format whose names the header matches best (``headers.yaml``)."""
    fmts, _ = schema.formats()
    keys = [schema.header_key(h) for h in header]
    best: tuple[int, str] | None = None
    for name, fmt in fmts.items():
        score = len(set(fmt.keys()) & set(keys))
        if best is None or score > best[0]:
            best = (score, name)
    assert best is not None
    fmt = fmts[best[1]]
    known = fmt.keys()
    mapping: dict[str, int] = {}
    for i, k in enumerate(keys):
        canon = known.get(k)
        if canon is not None and canon not in mapping:
            mapping[canon] = i
    missing = [fmt.columns[c][0] for c in fmt.required if c not in mapping]
    extra = [header[i] for i in range(len(header)) if i not in mapping.values()]
    return Detected(fmt.name, mapping, missing, extra, best[0])
