"""Reading a term list: the CSV that platforms and NGOs exchange, rows as written.

Columns ``term, language, taxon, product, note`` (UTF-8 with or without a byte-order mark, or
UTF-16 with one; separated by ``,``, ``;`` or tab, sniffed from the header line; header names in
any case; ``lang``, ``means_taxon`` and ``means_product``, the names ``lexicon export --format
csv`` writes, are read as ``language``, ``taxon`` and ``product``), and WildTrace's own ``kind``,
``context_required`` and ``source`` (the last ignored on reading). Other columns are ignored and
named in ``TermList.extra_columns``. A record the CSV cannot give, one that is not UTF-8 text, or
one with more cells than the header is a ``Reject`` with its line; a quote left open rejects the
line that opened it alone. A file that is no term list is ``Invalid``. What a row means is checked
by ``scan.termlist``; nothing here interprets a cell, except to take off the quote the export's
formula guard put before it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from wildtrace.csvcell import safe_cell
from wildtrace.errors import Invalid, NotFound
from wildtrace.rejects import Reject

#: The shared term list's columns, in the order WildTrace writes them
COLUMNS = ("term", "language", "taxon", "product", "note")
#: WildTrace's own columns after them: what makes an export re-import to the same lexicon
OWN_COLUMNS = ("kind", "context_required", "source")
#: Header names read as a column of the shared list (``lexicon export --format csv`` writes them)
ALIASES = {"lang": "language", "means_taxon": "taxon", "means_product": "product"}
#: Columns WildTrace writes and a reading ignores without a notice
QUIET = frozenset({"source", "verified_on"})
DELIMITERS = (",", ";", "\t")
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
#: A quoted cell may run over this many lines (a note with line breaks); past it the quote is open
MAX_RECORD_LINES = 20
_HEADER_KEY = re.compile(r"[\s\-]+")


@dataclass(frozen=True)
class TermRow:
    """One row of a term list as read: cells stripped, the export's formula guard taken off."""

    line: int
    term: str
    language: str = ""
    taxon: str = ""
    product: str = ""
    note: str = ""
    kind: str = ""
    context_required: str = ""


@dataclass(frozen=True)
class TermList:
    """The rows of a term list, the columns it ignored, and the separator it used."""

    rows: tuple[TermRow, ...]
    extra_columns: tuple[str, ...] = ()
    delimiter: str = ","

    def __iter__(self) -> Iterator[TermRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def read_term_list(path: Path) -> tuple[TermList, list[Reject]]:
    """The rows of the term list at ``path`` and the rows it could not read. A file that is no
    term list (no ``term`` column, a workbook, too big) is ``Invalid``; a missing one
    ``NotFound``."""
    if not path.exists():
        raise NotFound(f"{path}: no such file")
    if path.is_dir():
        raise Invalid(f"{path} is a folder, not a term list")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise Invalid(f"{path} is over {MAX_FILE_BYTES // (1024 * 1024)} MiB; split the term list")
    return parse_term_list(path.read_bytes(), str(path))


def parse_term_list(data: bytes, name: str = "term list") -> tuple[TermList, list[Reject]]:
    """``read_term_list`` on bytes already in hand (an upload); ``name`` is said in errors."""
    if len(data) > MAX_FILE_BYTES:
        raise Invalid(f"{name} is over {MAX_FILE_BYTES // (1024 * 1024)} MiB; split the term list")
    lines = io.StringIO(_decode(data, name), newline="").readlines()
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    if start is None:
        raise Invalid(f"{name} is empty: a term list needs a header line "
                      "(term, language, taxon, product, note)")
    delim, header = _sniff(lines[start], name)
    columns, extra = _columns(header, name)
    rows: list[TermRow] = []
    rejects: list[Reject] = []
    for line, cells, problem in _records(lines, start + 1, delim):
        if problem:
            rejects.append(Reject(line, problem, preview=preview(delim.join(cells))))
            continue
        if not any(c.strip() for c in cells):
            continue  # a blank line is no row
        if len(rows) + len(rejects) >= MAX_ROWS:
            raise Invalid(f"{name} has over {MAX_ROWS:,} rows; split the term list")
        if any("\udc80" <= c <= "\udcff" for cell in cells for c in cell):
            rejects.append(Reject(line, "not valid UTF-8 text", preview=preview(
                delim.join(cells).encode("utf-8", "surrogateescape").decode("utf-8", "replace"))))
            continue
        spill = [c for c in cells[len(header):] if c.strip()]
        if spill:
            rejects.append(Reject(line, f"{len(header) + len(spill)} cells where the header has "
                                  f"{len(header)} (a separator inside an unquoted cell?)",
                                  preview=preview(delim.join(cells))))
            continue
        values = {col: _unguard(cells[i].strip()) if i < len(cells) else ""
                  for i, col in columns.items()}
        rows.append(TermRow(line, **values))
    return TermList(tuple(rows), extra, delim), rejects


def _decode(data: bytes, name: str) -> str:
    if data.startswith(b"PK\x03\x04"):
        raise Invalid(f"{name} is a zip file or a spreadsheet workbook; "
                      "save the sheet as CSV (UTF-8)")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise Invalid(f"{name} starts as UTF-16 but is not: {exc.reason} "
                          f"at byte {exc.start}") from exc
    return data.decode("utf-8-sig", "surrogateescape")


def _sniff(first: str, name: str) -> tuple[str, list[str]]:
    """The separator that makes the first line a header with a ``term`` column (the most known
    columns wins)."""
    best: tuple[int, str, list[str]] | None = None
    for delim in DELIMITERS:
        cells = next(csv.reader([first], delimiter=delim), [])
        keys = [_header_key(c) for c in cells]
        if "term" in keys:
            known = sum(k in COLUMNS or k in OWN_COLUMNS for k in keys)
            if best is None or known > best[0]:
                best = (known, delim, cells)
    if best is None:
        shown = preview(first.strip(), 120)
        raise Invalid(f"{name}: the first line is no term-list header (it needs a 'term' column; "
                      f"columns: term, language, taxon, product, note): {shown}")
    if any("\udc80" <= c <= "\udcff" for c in first):
        raise Invalid(f"{name}: the header line is not UTF-8 text")
    return best[1], best[2]


def _header_key(cell: str) -> str:
    key = _HEADER_KEY.sub("_", cell.strip().casefold())
    return ALIASES.get(key, key)


def _columns(header: list[str], name: str) -> tuple[dict[int, str], tuple[str, ...]]:
    """Header position -> the column it fills; and the columns ignored (named as in the file)."""
    known = {*COLUMNS, *OWN_COLUMNS} - {"source"}
    columns: dict[int, str] = {}
    extra: list[str] = []
    for i, cell in enumerate(header):
        key = _header_key(cell)
        if key in known:
            if key in columns.values():
                raise Invalid(f"{name}: the header names the column {key!r} twice")
            columns[i] = key
        elif key not in QUIET and (cell.strip() or i < len(header) - 1):
            extra.append(preview(cell.strip(), 40) or f"(column {i + 1}, unnamed)")
    return columns, tuple(extra)


class _Feed:
    """Lines ``start`` to ``end`` for one csv record; ``exhausted`` once it asked past them."""

    def __init__(self, lines: list[str], start: int, end: int):
        self.lines, self.pos, self.end, self.exhausted = lines, start, end, False

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        if self.pos >= self.end:
            self.exhausted = True
            raise StopIteration
        self.pos += 1
        return self.lines[self.pos - 1]


def _records(lines: list[str], start: int, delim: str) -> Iterator[tuple[int, list[str], str]]:
    """(line number, cells, problem) per record from ``lines[start]`` on. A quote left open (past
    ``MAX_RECORD_LINES`` lines or the end of the file) rejects the line that opened it alone; the
    lines after it are read again as rows of their own."""
    i = start
    while i < len(lines):
        feed = _Feed(lines, i, min(len(lines), i + MAX_RECORD_LINES))
        try:
            cells = next(csv.reader(feed, delimiter=delim), None)
        except csv.Error as exc:
            yield i + 1, [lines[i].rstrip("\r\n")], f"malformed CSV: {exc}"
            i += 1
            continue
        if cells is None:
            return
        if feed.exhausted:
            yield i + 1, [lines[i].rstrip("\r\n")], (
                f"a quote opened on line {i + 1} is not closed within {MAX_RECORD_LINES} lines or "
                "before the end of the file; the lines after it are read as rows of their own")
            i += 1
            continue
        yield i + 1, cells, ""
        i = feed.pos


def guard(cell: str) -> str:
    """A term-list cell as written: the formula guard (``csvcell.safe_cell``), and a quote before a
    cell that starts with a quote itself, so ``_unguard`` gives back exactly what was exported."""
    return "'" + cell if cell.startswith("'") else safe_cell(cell)


def _unguard(cell: str) -> str:
    """A cell without the quote the guard put before it (``'=x`` -> ``=x``, ``''x`` -> ``'x``)."""
    return cell[1:] if cell.startswith("'") and guard(cell[1:]) == cell else cell


def preview(text: str, n: int = 80) -> str:
    """The first characters of hostile text, each control character shown as an escape."""
    cut = text[:n]
    shown = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in cut)
    return shown + ("…" if len(text) > n else "")
