"""Readers turn a byte stream into Listings and Rejects, one per input record.

Readers register by name in ``wildtrace.plugins.readers``; ``read_listings`` picks one
from the file name or the first bytes. A bad record never stops the batch: it becomes a
``Reject`` with its line number and the reason, and reading goes on.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import orjson
import yaml

from wildtrace import manifest, plugins
from wildtrace.errors import ConfigError, DataError, InvalidRecord
from wildtrace.scan.listing import FIELDS, Listing, RecordLimits, listing_from_record
from wildtrace.scan.result import Reject
from wildtrace.settings import Settings


def _preview(raw: bytes | str, limit: int = 120) -> str:
    if isinstance(raw, bytes):
        raw = raw[: limit * 4].decode("utf-8", errors="backslashreplace")
    text = raw[:limit]
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def read_jsonl(stream: IO[bytes], *, max_field_chars: int, max_record_bytes: int,
               encoding: str = "utf-8", limits: RecordLimits | None = None,
               **_: Any) -> Iterator[Listing | Reject]:
    """One JSON object per line. Blank lines are not records and are skipped."""
    limits = limits or RecordLimits(max_field_chars=max_field_chars)
    for number, raw in enumerate(_lines(stream, max_record_bytes), start=1):
        if isinstance(raw, Reject):
            yield Reject(number, raw.reason, preview=raw.preview)
            continue
        if not raw.strip():
            continue
        if len(raw) > max_record_bytes:
            yield Reject(number, f"line is {len(raw):,} bytes long, over the limit of {max_record_bytes:,}",
                         preview=_preview(raw))
            continue
        if b"\x00" in raw:
            yield Reject(number, "line contains NUL bytes (binary data?)", preview=_preview(raw))
            continue
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            yield Reject(number, f"not valid {encoding} text (byte {exc.start}: {exc.reason})",
                         preview=_preview(raw))
            continue
        if number == 1:
            text = text.lstrip("\ufeff")
        try:
            record = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            yield Reject(number, f"malformed JSON: {exc}", preview=_preview(text))
            continue
        if not isinstance(record, dict):
            yield Reject(number, f"expected a JSON object, got {type(record).__name__}", preview=_preview(text))
            continue
        yield _build(record, number, limits, text)


def _lines(stream: IO[bytes], max_record_bytes: int) -> Iterator[bytes | Reject]:
    """Physical lines; a line longer than the limit is consumed and reported, not held."""
    while True:
        raw = stream.readline(max_record_bytes + 1)
        if not raw:
            return
        if len(raw) > max_record_bytes and not raw.endswith(b"\n"):
            size = len(raw)
            preview = _preview(raw)
            while raw and not raw.endswith(b"\n"):
                raw = stream.readline(1 << 20)
                size += len(raw)
            yield Reject(0, f"line is {size:,} bytes long, over the limit of {max_record_bytes:,}", preview=preview)
            continue
        yield raw


def _build(record: dict[str, Any], number: int, limits: RecordLimits, raw: str) -> Listing | Reject:
    try:
        listing = listing_from_record(record, limits=limits)
    except InvalidRecord as exc:
        return Reject(number, exc.reason, exc.record_id, _preview(raw))
    except Exception as exc:  # noqa: BLE001 - one hostile record must never stop the batch
        return Reject(number, f"record could not be read ({type(exc).__name__}: {exc})", None, _preview(raw))
    listing.source_line = number
    return listing


def parse_mapping(items: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``["title=Item Name", ...]`` -> ``{"title": "Item Name"}`` (field -> column)."""
    mapping: dict[str, str] = {}
    for item in items:
        name, sep, column = item.partition("=")
        name, column = name.strip(), column.strip().strip('"').strip("'")
        if not sep or not name or not column:
            raise ConfigError(f"--map expects FIELD=COLUMN, got {item!r}")
        if name not in FIELDS:
            raise ConfigError(f"--map: unknown field {name!r}; fields are {', '.join(FIELDS)}")
        mapping[name] = column
    return mapping


#: A CSV record may span this many physical lines (a quoted field with line breaks); a quote left
#: open past it is reported on its line and the lines after it are read again as rows of their own.
CSV_MAX_LINES_PER_RECORD = 200


class _TooLong(Exception):
    """A CSV record ran past ``CSV_MAX_LINES_PER_RECORD`` lines or the record size limit."""


class _LineSource:
    """The physical lines of a text stream for ``csv.reader``, counting what each record takes,
    with lines pushed back to be read again."""

    def __init__(self, stream: IO[str], max_lines: int, max_bytes: int):
        self.stream = stream
        self.pushed: list[str] = []  # read again before the stream, last first
        self.taken: list[str] = []  # lines the current record has taken
        self.line = 0  # number of the last line handed out
        self.max_lines, self.max_bytes = max_lines, max_bytes
        self.size = 0
        self.eof = False  # the stream ended while a record was being read

    def __iter__(self) -> _LineSource:
        return self

    def __next__(self) -> str:
        line = self.pushed.pop() if self.pushed else self.stream.readline()
        if not line:
            self.eof = True
            raise StopIteration
        self.line += 1
        self.taken.append(line)
        self.size += len(line)
        if len(self.taken) > self.max_lines or self.size > self.max_bytes:
            raise _TooLong
        return line

    def start_record(self) -> None:
        self.taken, self.size, self.eof = [], 0, False

    def reread_after_first(self) -> int:
        """Push back every line of the current record but its first; return that first line's number."""
        first = self.line - len(self.taken) + 1
        self.pushed.extend(reversed(self.taken[1:]))
        self.line = first
        self.start_record()
        return first


def _header_text(cells: list[str], encoding: str) -> tuple[list[str], list[str]]:
    """Header cells with undecodable bytes replaced (U+FFFD), and a note for each such cell."""
    out, notes = [], []
    for i, cell in enumerate(cells, start=1):
        if any("\udc80" <= c <= "\udcff" for c in cell):
            fixed = cell.encode(encoding, "surrogateescape").decode(encoding, "replace")
            notes.append(f"column {i} {fixed!r}")
            cell = fixed
        out.append(cell.lstrip("\ufeff").strip())
    return out, notes


#: Field separators a CSV export may use; the one that splits the header into most names wins
CSV_DELIMITERS = (",", ";", "\t", "|")


def _header_key(name: str) -> str:
    return re.sub(r"[\W_]+", "", name.casefold())


@lru_cache(maxsize=1)
def header_synonyms() -> dict[str, str]:
    """Header key -> listing field, from ``data/csv_headers.yaml`` (the fields' own names too)."""
    doc = yaml.safe_load(manifest.path("csv_headers").read_text(encoding="utf-8")) or {}
    out = {_header_key(f): f for f in FIELDS}
    for field, names in doc.items():
        if field not in FIELDS:
            raise ConfigError(f"csv_headers.yaml: unknown listing field {field!r}")
        for n in names:
            out.setdefault(_header_key(str(n)), field)
    return out


def _sniff_delimiter(stream: IO[bytes], encoding: str) -> str:
    """The separator of the header line (``,`` ``;`` tab ``|``): the one giving most cells."""
    head = stream.peek(65536)[:65536] if hasattr(stream, "peek") else b""  # type: ignore[union-attr]
    first = head.split(b"\n", 1)[0].decode(encoding, "replace")
    best, most = ",", 1
    for delim in CSV_DELIMITERS:
        n = len(next(csv.reader([first], delimiter=delim), []))
        if n > most:
            best, most = delim, n
    return best


def column_fields(header: list[str], mapping: dict[str, str] | None) -> tuple[list[str], list[str]]:
    """Each header cell -> the listing field it fills (``--map`` first, then the field's own name
    or a synonym, ignoring case and punctuation), else the cell as it is; and the cells left
    unmapped (kept in ``listing_extra``)."""
    rename = {column: name for name, column in (mapping or {}).items()}
    synonyms = header_synonyms()
    taken = set(rename.values())
    keys, unmapped = [], []
    for h in header:
        if h in rename:
            keys.append(rename[h])
            continue
        field = synonyms.get(_header_key(h))
        if field is not None and field not in taken:
            keys.append(field)
            taken.add(field)
        else:
            keys.append(h)
            if h:
                unmapped.append(h)
    return keys, unmapped


def _swallowed_record(lines: list[str], delim: str, width: int, id_at: int | None) -> int:
    """The position (1-based, after the opening line) of a line inside a quoted field that reads as a
    record of its own: a whole row of the header's width and, where the file has an id column, a
    one-word id; the line that closes the quote is read with its quote taken literally, and counts
    only when that quote sits inside a cell (a genuine field's closing quote ends its cell). 0 when
    none does (a description with line breaks)."""
    for k, line in enumerate(lines, start=1):
        last = k == len(lines)
        if '"' in line and not last:
            continue
        reader = csv.reader([line.rstrip("\r\n")], delimiter=delim, quoting=csv.QUOTE_NONE if last else csv.QUOTE_MINIMAL)
        cells = next(reader, [])
        if len(cells) != width or width < 2:
            continue
        if last and any(c.rstrip().endswith('"') for c in cells if '"' in c):
            continue  # the quote ends a cell: the close of a genuine multi-line field, as csv writers write it
        key = cells[id_at].strip() if id_at is not None else ""
        if id_at is None and not last or (key and '"' not in key and not any(c.isspace() for c in key)):
            return k
    return 0


def read_csv(stream: IO[bytes], *, max_field_chars: int, max_record_bytes: int,
             encoding: str = "utf-8", mapping: dict[str, str] | None = None,
             limits: RecordLimits | None = None, on_notice: Callable[[str], None] | None = None,
             **_: Any) -> Iterator[Listing | Reject]:
    """CSV with a header row. Columns become listing fields by ``mapping`` (``--map``), then by
    name or synonym (``column_fields``); the separator is sniffed from the header line.
    ``on_notice`` hears what is worth a warning (columns left unmapped, the separator used).

    Undecodable bytes are carried as surrogates and the row holding them is rejected, so one bad
    row does not cost the rest of the file; an undecodable header is read with replacement
    characters and reported (line 1). A quote left open (a record running past
    ``CSV_MAX_LINES_PER_RECORD`` lines or the record size limit, or one whose field swallows a
    line that reads as a whole record: ``_swallowed_record``) rejects the line that opened it, and
    the lines after it are read again as rows of their own instead of being merged into it.
    """
    limits = limits or RecordLimits(max_field_chars=max_field_chars)
    text = io.TextIOWrapper(stream, encoding=encoding, errors="surrogateescape", newline="")
    # csv's limit is process-wide: raise it when needed, never lower it (our own limits hold
    # per record: the line source counts bytes and lines, listing_from_record checks fields)
    csv.field_size_limit(max(csv.field_size_limit(), max_record_bytes, max_field_chars * 4))
    delim = _sniff_delimiter(stream, encoding)
    lines = _LineSource(text, CSV_MAX_LINES_PER_RECORD, max_record_bytes)
    rows = csv.reader(lines, delimiter=delim)
    try:
        raw_header = next(rows)
    except StopIteration:
        return
    except (csv.Error, _TooLong) as exc:
        yield Reject(1, f"unreadable CSV header: {exc or 'a quote in the header is never closed'}")
        return
    header, notes = _header_text(raw_header, encoding)
    if notes:
        yield Reject(1, f"CSV header is not valid {encoding} text; read with replacement characters: "
                     + ", ".join(notes), preview=_preview(",".join(header)))
    missing = [c for c in (mapping or {}).values() if c not in header]
    if missing:
        raise ConfigError(f"--map names columns that are not in the CSV header: {', '.join(missing)}")
    keys, unmapped = column_fields(header, mapping)
    id_at = keys.index("id") if "id" in keys else None
    if on_notice is not None:
        if delim != ",":
            on_notice(f"CSV separator {delim!r} (sniffed from the header)")
        if unmapped:
            on_notice("CSV columns not mapped to a listing field (kept in listing_extra; use --map FIELD=COLUMN): "
                      + ", ".join(unmapped[:20]) + (" ..." if len(unmapped) > 20 else ""))
    while True:
        lines.start_record()
        start = lines.line + 1
        try:
            row = next(rows)
        except StopIteration:
            return
        except _TooLong:
            one_line = len(lines.taken) == 1
            first = lines.reread_after_first()
            if one_line:
                yield Reject(first, f"line is over the limit of {max_record_bytes:,} bytes")
            else:
                yield Reject(first, f"a quote opened on line {first} is not closed within "
                             f"{CSV_MAX_LINES_PER_RECORD} lines or {max_record_bytes:,} bytes; the lines after "
                             "it are read as rows of their own")
            rows = csv.reader(lines, delimiter=delim)
            continue
        except csv.Error as exc:
            yield Reject(start, f"malformed CSV: {exc}")
            rows = csv.reader(lines, delimiter=delim)
            continue
        if lines.eof:  # csv asked for a line past the end: the file ended inside a quote
            first = lines.reread_after_first()
            yield Reject(first, f"a quote opened on line {first} is never closed; the lines after it "
                         "are read as rows of their own")
            rows = csv.reader(lines, delimiter=delim)
            continue
        swallowed = _swallowed_record(lines.taken[1:], delim, len(keys), id_at) if len(lines.taken) > 1 else 0
        if swallowed:
            first = lines.reread_after_first()
            yield Reject(first, f"a quote opened on line {first} runs on to line {first + swallowed}, which reads "
                         "as a record of its own; the lines after it are read as rows of their own",
                         preview=_preview(",".join(row)))
            rows = csv.reader(lines, delimiter=delim)
            continue
        if not any(cell.strip() for cell in row):
            continue
        joined = ",".join(row)
        if any("\udc80" <= c <= "\udcff" for c in joined):
            yield Reject(start, f"not valid {encoding} text", preview=_preview(joined.encode("utf-8", "backslashreplace")))
            continue
        if len(row) > len(keys):
            yield Reject(start, f"row has {len(row)} cells but the header has {len(keys)}", preview=_preview(joined))
            continue
        record = {k: v for k, v in zip(keys, row, strict=False) if v != ""}
        yield _build(record, start, limits, joined)


#: File name endings -> reader (the name of a gzip or zip member counts, without ``.gz``)
EXTENSIONS = ((".jsonl", "jsonl"), (".ndjson", "jsonl"), (".json", "json"), (".csv", "csv"), (".tsv", "csv"),
              (".txt", "csv"), (".xlsx", "xlsx"))


def detect_format(name: str | None, head: bytes) -> str:
    """The reader for a file: from its name, else from its first bytes."""
    if name:
        lower = name.lower()
        for ext, fmt in EXTENSIONS:
            if lower.endswith(ext):
                return fmt
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"["):
        return "json"
    if text.startswith(b"{"):
        return "json" if text.split(b"\n", 1)[0].strip() == b"{" else "jsonl"
    return "csv"


def read_listings(stream: IO[bytes], *, fmt: str | None = None, name: str | None = None,
                  max_field_chars: int, max_record_bytes: int, encoding: str = "utf-8",
                  mapping: dict[str, str] | None = None, limits: RecordLimits | None = None,
                  on_notice: Callable[[str], None] | None = None) -> Iterator[Listing | Reject]:
    """Listings and Rejects from a binary stream, in input order. Compressed, zipped, UTF-16 and
    Excel inputs are recognised by their first bytes (``scan.formats``)."""
    from wildtrace.scan.formats import unwrap

    buffered, name, encoding = unwrap(stream, name, encoding, on_notice)
    if fmt is None or (name or "").lower().endswith(".xlsx"):
        fmt = detect_format(name, buffered.peek(4096)[:4096])  # type: ignore[attr-defined]
    read = plugins.readers.get(fmt)
    if mapping and fmt not in ("csv", "xlsx"):
        raise ConfigError("--map applies to CSV and Excel input only")
    return read(buffered, max_field_chars=max_field_chars, max_record_bytes=max_record_bytes,
                encoding=encoding, mapping=mapping, limits=limits, on_notice=on_notice)


def read_listing_file(path: Path, settings: Settings) -> tuple[list[Listing], list[Reject]]:
    """Every listing of a JSONL or CSV file, and the rejected records."""
    listings: list[Listing] = []
    rejects: list[Reject] = []
    try:
        with open(path, "rb") as fh:
            for item in read_listings(fh, name=str(path), max_field_chars=settings.max_field_chars,
                                      max_record_bytes=settings.max_record_bytes,
                                      limits=settings.record_limits):
                if isinstance(item, Reject):
                    rejects.append(item)
                else:
                    listings.append(item)
    except OSError as exc:
        raise DataError(f"cannot read listings {path}: {exc}") from exc
    return listings, rejects
