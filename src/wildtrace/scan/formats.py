"""The files people have, turned into the byte streams and records the readers take.

``unwrap`` looks at the first bytes, not the name: a gzip stream (``.jsonl.gz``, ``.csv.gz``) is
decompressed as it is read; a zip holding one file is opened on that file, and a zip that is an
Excel workbook is read by ``read_xlsx``; UTF-16 text (Excel's "Unicode Text", with or without a
byte-order mark) is transcoded to UTF-8. Input that is not UTF-8 where UTF-8 was expected gets a
one-line hint naming ``--encoding cp1252`` (Excel's CSV in Western-European locales).

Two more readers register here: ``json`` (a JSON array of records, as most APIs return, or one
pretty-printed object; JSON Lines are handed to ``read_jsonl``) and ``xlsx`` (the first sheet, its
first row the header, through openpyxl). Every size limit of the record readers still applies.
"""

from __future__ import annotations

import codecs
import datetime as dt
import gzip
import io
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from typing import IO, Any

import orjson

from wildtrace.errors import ConfigError, DataError
from wildtrace.rejects import Reject
from wildtrace.scan.listing import Listing, RecordLimits

GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"
#: The largest JSON document (array or pretty object) read whole, and the largest zip spooled from stdin.
MAX_DOCUMENT_BYTES = 1 << 30


class _Utf8(io.RawIOBase):
    """A UTF-8 byte stream over text decoded from another encoding."""

    def __init__(self, raw: IO[bytes], encoding: str):
        self._text = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="")
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = self._text.read(1 << 16)
            if not chunk:
                return 0
            self._pending = chunk.encode("utf-8")
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def _utf16(head: bytes) -> str | None:
    """``utf-16`` when the stream starts with its byte-order mark or looks like UTF-16 text."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[:512]
    if len(sample) >= 8:
        if sample[1::2].count(0) > len(sample) // 4 and sample[0::2].count(0) == 0:
            return "utf-16-le"
        if sample[0::2].count(0) > len(sample) // 4 and sample[1::2].count(0) == 0:
            return "utf-16-be"
    return None


def _seekable(stream: IO[bytes]) -> IO[bytes]:
    """The stream itself when it can seek, else a spooled copy (at most ``MAX_DOCUMENT_BYTES``)."""
    try:
        if stream.seekable():
            return stream
    except (AttributeError, ValueError):
        pass
    spool = tempfile.SpooledTemporaryFile(max_size=64 << 20)  # noqa: SIM115 - returned to the caller
    copied = 0
    while chunk := stream.read(1 << 20):
        copied += len(chunk)
        if copied > MAX_DOCUMENT_BYTES:
            raise DataError(f"the zip input is over {MAX_DOCUMENT_BYTES:,} bytes; unpack it first")
        spool.write(chunk)
    spool.seek(0)
    return spool  # type: ignore[return-value]


def unwrap(stream: IO[bytes], name: str | None, encoding: str,
           on_notice: Callable[[str], None] | None = None) -> tuple[IO[bytes], str | None, str]:
    """(a buffered UTF-8-or-``encoding`` stream, the inner file's name, its encoding); for an Excel
    workbook the name ends in ``.xlsx`` and the stream is the workbook itself."""
    buffered = _buffered(stream)
    head = buffered.peek(4)[:4]  # type: ignore[attr-defined]
    if head.startswith(GZIP_MAGIC):
        inner = name[:-3] if name and name.lower().endswith(".gz") else name
        return unwrap(gzip.GzipFile(fileobj=buffered, mode="rb"), inner, encoding, on_notice)  # type: ignore[arg-type]
    if head.startswith(ZIP_MAGIC):
        return _unzip(buffered, name, encoding, on_notice)
    head = buffered.peek(4096)[:4096]  # type: ignore[attr-defined]
    if encoding.replace("_", "-").lower() in ("utf-8", "utf8"):
        wide = _utf16(head)
        if wide is not None:
            if on_notice is not None:
                on_notice("input is UTF-16 text (Excel's 'Unicode Text'); read as such")
            return _buffered(_Utf8(buffered, wide)), name, "utf-8"  # type: ignore[arg-type]
        if on_notice is not None and not _is_utf8(head):
            on_notice("input is not valid UTF-8; if it was saved by Excel in a Western-European locale, "
                      "try --encoding cp1252")
    return buffered, name, encoding


def _is_utf8(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3  # a character cut at the end of the sample
    return True


def _buffered(stream: IO[bytes]) -> IO[bytes]:
    return stream if hasattr(stream, "peek") else io.BufferedReader(stream)  # type: ignore[arg-type,type-var]


def _unzip(stream: IO[bytes], name: str | None, encoding: str,
           on_notice: Callable[[str], None] | None) -> tuple[IO[bytes], str | None, str]:
    archive = zipfile.ZipFile(_seekable(stream))
    members = [m for m in archive.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX/")]
    if any(m.filename == "xl/workbook.xml" for m in members):
        base = (name or "input")
        return archive.fp, base if base.lower().endswith(".xlsx") else base + ".xlsx", encoding  # type: ignore[return-value]
    if len(members) != 1:
        raise ConfigError(f"{name or 'the input'} is a zip of {len(members)} files; unzip it and give one file")
    inner = archive.open(members[0])
    return unwrap(inner, members[0].filename, encoding, on_notice)  # type: ignore[arg-type]


def read_json(stream: IO[bytes], *, max_field_chars: int, max_record_bytes: int, encoding: str = "utf-8",
              limits: RecordLimits | None = None, **options: Any) -> Iterator[Listing | Reject]:
    """A JSON array of records, or one (pretty-printed) object; JSON Lines go to ``read_jsonl``.

    Element ``n`` of an array is "record n" in rejects. An object holding one array of objects
    (``{"data": [...]}``, as many APIs wrap results) is read as that array.
    """
    from wildtrace.scan.readers import _build, _preview, read_jsonl

    buffered = _buffered(stream)
    head = buffered.peek(4096)[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")  # type: ignore[attr-defined]
    first_line = head.split(b"\n", 1)[0].strip()
    if not head.startswith(b"[") and first_line != b"{":
        yield from read_jsonl(buffered, max_field_chars=max_field_chars, max_record_bytes=max_record_bytes,
                              encoding=encoding, limits=limits)
        return
    limits = limits or RecordLimits(max_field_chars=max_field_chars)
    data = buffered.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        yield Reject(1, f"JSON document over {MAX_DOCUMENT_BYTES:,} bytes; write it as JSON Lines")
        return
    try:
        doc = orjson.loads(data.decode(encoding).lstrip("\ufeff"))
    except (orjson.JSONDecodeError, UnicodeDecodeError) as exc:
        yield Reject(1, f"malformed JSON document ({exc}); WildTrace reads JSON Lines (one object per line), "
                     "a JSON array of objects, or one object", preview=_preview(data))
        return
    if isinstance(doc, dict):
        arrays = [v for v in doc.values() if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)]
        doc = arrays[0] if "id" not in doc and len(arrays) == 1 else [doc]
    if not isinstance(doc, list):
        yield Reject(1, f"expected a JSON array of objects, got {type(doc).__name__}")
        return
    for number, record in enumerate(doc, start=1):
        raw = orjson.dumps(record)
        if len(raw) > max_record_bytes:
            yield Reject(number, f"record is {len(raw):,} bytes long, over the limit of {max_record_bytes:,}")
        elif not isinstance(record, dict):
            yield Reject(number, f"expected a JSON object, got {type(record).__name__}", preview=_preview(raw))
        else:
            yield _build(record, number, limits, raw.decode())


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def read_xlsx(stream: IO[bytes], *, max_field_chars: int, max_record_bytes: int,
              mapping: dict[str, str] | None = None, limits: RecordLimits | None = None,
              on_notice: Callable[[str], None] | None = None, **_: Any) -> Iterator[Listing | Reject]:
    """The first sheet of an Excel workbook; its first row is the header, matched as CSV headers are.
    Row numbers in rejects are the sheet's own."""
    import openpyxl

    from wildtrace.scan.readers import _build, _preview, column_fields

    limits = limits or RecordLimits(max_field_chars=max_field_chars)
    try:
        book = openpyxl.load_workbook(_seekable(stream), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - a broken workbook is one clear error
        raise DataError(f"not a readable Excel workbook ({type(exc).__name__}: {exc})") from exc
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [_cell(c).strip() for c in next(rows, ())]
    if not any(header):
        return
    missing = [c for c in (mapping or {}).values() if c not in header]
    if missing:
        raise ConfigError(f"--map names columns that are not in the sheet's header: {', '.join(missing)}")
    keys, unmapped = column_fields(header, mapping)
    if unmapped and on_notice is not None:
        on_notice("sheet columns not mapped to a listing field (kept in listing_extra; use --map FIELD=COLUMN): "
                  + ", ".join(unmapped[:20]))
    if len(book.worksheets) > 1 and on_notice is not None:
        on_notice(f"workbook has {len(book.worksheets)} sheets; read the first, {sheet.title!r}")
    for number, row in enumerate(rows, start=2):
        cells = [_cell(c) for c in row]
        if not any(c.strip() for c in cells):
            continue
        joined = ",".join(cells)
        if len(joined) > max_record_bytes:
            yield Reject(number, f"row is {len(joined):,} characters long, over the limit of {max_record_bytes:,}")
            continue
        if any(c for c in cells[len(keys):]):
            yield Reject(number, f"row has {len(cells)} cells but the header has {len(keys)}", preview=_preview(joined))
            continue
        record = {k: v for k, v in zip(keys, cells, strict=False) if v != ""}
        yield _build(record, number, limits, joined)
    book.close()


__all__ = ["read_json", "read_xlsx", "unwrap"]
