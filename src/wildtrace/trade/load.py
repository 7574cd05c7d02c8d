"""Load CITES bulk CSVs (either header style, a folder or a zip of them), CITES comparative
tabulations and LEMIS CSVs into the canonical DuckDB schema (``schema.py``).

Each file (or zip member) is one load: its SHA-256, row counts, rejected rows with reasons,
per-file warning counts and a citation string go in ``loads``/``rejects``/``warnings``.
A file whose hash was loaded before is a no-op. Parsing and validation run inside DuckDB
(``read_csv`` then SQL), so memory stays bounded by DuckDB's ``memory_limit``. A CITES bulk
file is read once, typed and checked straight into ``records``; the duplicate-Id checks,
rejects and warnings then work on the inserted rows, never on the file again (but for the
raw text of rejected rows, when there are any). Before DuckDB reads a file, one pass over its
bytes (``bytescan``) hashes it and tells whether it may hold lines too long to be records
(only then are they searched for) or fields padded with spaces (only then are fields trimmed).
A file DuckDB's reader refuses whole for its line ends (CRLF and LF mixed) is read again from
a copy with LF line ends (``_reread``): its rows load, a line it still cannot read is a reject.

This module runs a load; its parts are nouns of their own: ``inputs`` (files, folders,
archives), ``bytescan`` (the pass over a file's bytes), ``detect`` (what a file is), ``stage``
(the file in DuckDB), ``checks`` (the checks table, ``data/trade/checks.yaml``), ``transform``
(each format -> records) and ``ledger`` (loads, rejects, warnings).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from wildtrace.trade import bytescan, ledger, origin, schema
from wildtrace.trade.detect import detect, sniff
from wildtrace.trade.inputs import (
    MAX_UNZIPPED_BYTES,
    expand_globs,
    files,
    iter_inputs,
    long_lines,
    unify_line_ends,
)
from wildtrace.trade.ledger import TOOL, FileLoad
from wildtrace.trade.stage import drop, ensure_known_codes, stage
from wildtrace.trade.transform import READS_FILE, Columns, insert_bulk, insert_records, transform

__all__ = ["MAX_UNZIPPED_BYTES", "TOOL", "FileLoad", "ProgressHook", "expand_globs", "load_file",
           "load_paths"]

#: DuckDB's error for a file its reader refuses whole (line ends mixed: CRLF and LF, or a lone CR)
UNREADABLE = "CSV Parser state machine reached an invalid state"
#: the reason of a line holding a carriage return that ends no line
LONE_CR = "line holds a carriage return (CR) that ends no line: mixed line ends, the line cannot be read"

#: progress(files done, files known, bytes done, bytes in all, the FileLoad, its seconds, seconds so far)
ProgressHook = Callable[[int, int, int, int, "FileLoad", float, float], None]


def load_paths(con: duckdb.DuckDBPyConnection, paths: list[Path], *,
               progress: ProgressHook | None = None) -> list[FileLoad]:
    """Load every file; return one FileLoad per file or zip member, in order. ``progress`` is
    called after each one (the CLI prints rows/s and the time left from it)."""
    ensure_known_codes(con)
    sizes = {str(p): (p.stat().st_size if p.exists() else 0) for p in files(paths)}
    total, done_bytes, current = sum(sizes.values()), 0, None
    results: list[FileLoad] = []
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="wildtrace-trade-") as tmp:
        for path, member, local in iter_inputs(paths, Path(tmp), cap=MAX_UNZIPPED_BYTES):
            t0 = time.perf_counter()
            if isinstance(local, str):  # refused before loading: the reason
                res = FileLoad(path=path, member=member, sha256="", status="rejected", reason=local)
            else:
                res = load_file(con, local, display_path=path, member=member)
            results.append(res)
            if path != current:
                done_bytes += sizes.get(path, 0)
                current = path
            if progress is not None:
                now = time.perf_counter()
                progress(len(results), max(len(results), len(sizes)), done_bytes, total, res, now - t0, now - start)
    return results


def _prior(con: duckdb.DuckDBPyConnection, res: FileLoad) -> bool:
    """Mark ``res`` unchanged when a file of the same hash was loaded before."""
    found = con.execute("SELECT load_id, format, citation, origin FROM loads WHERE sha256 = ? AND status = 'loaded' "
                        "ORDER BY load_id LIMIT 1", [res.sha256]).fetchall()
    if not found:
        return False
    prior = found[0]
    res.status, res.load_id, res.format, res.citation = "unchanged", prior[0], prior[1], prior[2]
    res.origin = prior[3]
    res.reason = f"same content as load {prior[0]}; nothing to do"
    return True


def _columns(res: FileLoad, sniffed: tuple[str | None, list[str], str],
             padded: bool) -> tuple[Columns | None, str | None, str]:
    """What the file is: its columns to transform, or the problem and the status it gives."""
    problem, header, delim = sniffed
    res.delimiter = delim
    if problem is not None:
        return None, problem, "skipped" if problem.startswith("not a CSV") else "rejected"
    found = detect(header)
    res.header_style = schema.header_style(header)
    aggregate = schema.records_free(header)
    if aggregate:
        return None, aggregate, "skipped"
    if found.matched < schema.formats()[1]:
        return None, (f"not trade data: {found.matched} of its {len(header)} column names are known "
                      "(CITES bulk, comparative tabulation or LEMIS)"), "skipped"
    if found.missing:
        return None, f"not a complete {found.format} file: missing column(s) " + ", ".join(found.missing), "rejected"
    res.format = found.format
    for col in found.extra:
        res.warnings["extra column (kept with each record, in 'extra'): " + col] = 1
    if res.header_style == "mixed":
        res.warnings["mixed header styles (read by name)"] = 1
    return Columns(found.format, found.mapping, header, found.extra, delim, padded), None, "loaded"


def load_file(con: duckdb.DuckDBPyConnection, local: Path, *, display_path: str | None = None,
              member: str | None = None) -> FileLoad:
    """Load one CSV file. A file with an already-loaded hash is a no-op ('unchanged'). The file
    is read once before DuckDB reads it (``bytescan``: its hash, and whether it may hold long
    lines or padded fields)."""
    ensure_known_codes(con)
    sniffed = sniff(local)
    scanned = bytescan.scan(local, sniffed[2])
    res = FileLoad(path=display_path or str(local), member=member, sha256=scanned.sha256, status="loaded")
    if _prior(con, res):
        return res
    row = con.execute("SELECT nextval('load_ids')").fetchall()[0]
    assert row is not None
    load_id = int(row[0])
    res.load_id = load_id
    cols, problem, status = _columns(res, sniffed, scanned.padded)
    if cols is None:
        res.status = "empty" if problem == "empty" else status
        res.reason = problem
        ledger.log(con, res)
        return res
    res.cite(cols.fmt, origin.synthetic(res.path, member, res.sha256))
    lines = ledger.long_lines(long_lines(local)) if scanned.maybe_long else []
    try:
        _settle(con, res, cols, local, load_id, lines)
    except duckdb.InvalidInputException as exc:
        if UNREADABLE not in str(exc):
            raise
        _reread(con, res, cols, local, load_id, lines)
    return res


def _settle(con: duckdb.DuckDBPyConnection, res: FileLoad, cols: Columns, local: Path, load_id: int,
            lines: list[tuple[int, str, bytes]]) -> None:
    """The file read, checked and written, its rejects, warnings and counts, in one transaction
    (rolled back whole if a step fails). ``lines``: those rejected by number before it is read."""
    con.execute("BEGIN TRANSACTION")
    try:
        ledger.line_rejects(con, load_id, lines)
        moved: int | None = None
        if cols.fmt in READS_FILE:  # one typed pass straight into records, then settled there
            insert_bulk(con, cols, local, load_id)
            moved = ledger.bulk_rejects(con, load_id, cols.header, local, cols.delim)
        else:
            stage(con, local, cols.header, cols.delim)
            transform(con, cols, local)
            insert_records(con, cols.fmt, load_id)
            ledger.format_warnings(con, cols.fmt, load_id)
            ledger.rejects(con, cols.fmt, load_id, cols.header, local, cols.delim)
        schema.views(con)  # over the table this file's rows went to
        ledger.code_warnings(con, cols.fmt, load_id)
        ledger.count(con, res, load_id, moved)
        ledger.log(con, res)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        drop(con)


def _reread(con: duckdb.DuckDBPyConnection, res: FileLoad, cols: Columns, local: Path, load_id: int,
            lines: list[tuple[int, str, bytes]]) -> None:
    """A file DuckDB refused whole for its line ends (CRLF and LF mixed, or a carriage return
    ending no line) is read again from a copy whose lines all end in LF (``unify_line_ends``):
    every line ending is read as one, said in a warning when both kinds are there, and a line
    holding a lone CR is a reject with its number. A file DuckDB cannot read even so is rejected
    whole, with DuckDB's reason (the files after it still load)."""
    with tempfile.TemporaryDirectory(prefix="wildtrace-lines-") as tmp:
        copy = Path(tmp) / "lines.csv"
        ends = unify_line_ends(local, copy)
        if ends.crlf and ends.lf:
            res.warnings[f"mixed line ends ({ends.crlf:,} lines end in CRLF, {ends.lf:,} in LF alone): "
                         "both read as line ends"] = 1
        known = {n for n, _, _ in lines}
        lines = sorted([*lines, *((n, LONE_CR, head) for n, head in ends.bare_cr if n not in known)])
        try:
            _settle(con, res, cols, copy, load_id, lines)
        except duckdb.InvalidInputException as exc:
            if UNREADABLE not in str(exc):
                raise
            res.status = "rejected"
            res.reason = "DuckDB cannot read the file: " + str(exc).splitlines()[0]
            ledger.log(con, res)
