"""``scan --jobs N``: the scanner in worker processes, the output in input order.

The parent reads the input (any reader: JSON Lines, CSV, Excel, compressed) and sends chunks of
``CHUNK`` records to ``jobs`` worker processes, which scan them. On Linux, from a process running
one thread (the CLI), the parent builds the scanner once and the workers are forked from it, so
they start with it built (copy-on-write; a spawned worker's start cost a third of a second of
every worker's time). Elsewhere each worker is spawned and builds the scanner once from a
``ScannerSpec`` (the recipe a process can rebuild it from). At most
``2 × jobs`` chunks are in flight, so memory stays flat however long the input is. The parent
takes the chunks back in input order and runs them through ``pipeline.ingest``: the store, when
there is one, is written by the parent alone (one writer), in the same batches as a one-process
scan.

Without a store, the parent need not see each result: a worker renders its chunk with the output
writer (``Sinks.rendered``: JSON Lines or CSV) and summarises it with ``pipeline.ingest`` itself,
and the parent writes the bytes, reports the chunk's rejects and merges its summary
(``merge_summary``: the same counts, top risks and rejects as one process). That keeps the
parent's share of the work small, so two workers come close to twice one process.

The chunk size is a multiple of the text model's chunk (256), so the model scores exactly the
same groups of listings as in one process: the output is identical to ``--jobs 1``.
"""

from __future__ import annotations

import dataclasses
import heapq
import io
import os
import pickle
import signal
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from wildtrace import plugins
from wildtrace.errors import ConfigError, DataError, InvalidRecord, WildTraceError
from wildtrace.rejects import Reject
from wildtrace.scan import definitions
from wildtrace.scan.listing import Listing, RecordLimits, listing_from_record
from wildtrace.scan.result import ScanResult
from wildtrace.scan.summary import MAX_REJECTS_KEPT, Summary
from wildtrace.settings import Settings

if TYPE_CHECKING:
    from concurrent.futures import Future

    from wildtrace.pipeline import Item, Sinks
    from wildtrace.scan.scanner import Scanner

#: Records a worker scans at a time: a multiple of the text model's chunk (``learn.combine.CHUNK``)
CHUNK = 512
#: Inputs of at least this many bytes use every core by default (``default_jobs``); below it, the
#: workers' start (each builds its own scanner) costs more than the scan saves
AUTO_BYTES = 4 << 20
#: Output formats a worker can render (line-based: a chunk's bytes follow the previous chunk's)
RENDERABLE = ("jsonl", "csv")


def cores() -> int:
    """The CPU cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def default_jobs(size: int | None) -> int:
    """``scan --jobs`` left out: every core for a file of at least ``AUTO_BYTES``, else one process
    (stdin and small files: the workers' start would cost more than they save)."""
    return cores() if size is not None and size >= AUTO_BYTES else 1


def check_jobs(jobs: int) -> int:
    if jobs < 1:
        raise ConfigError(f"--jobs must be 1 or more, got {jobs}")
    return jobs


@dataclass(frozen=True)
class ScannerSpec:
    """How to build a ``Scanner`` (the arguments of its constructor): what a worker process
    receives instead of the scanner itself, which is far too large to send."""

    settings: Settings = field(default_factory=Settings)
    ocr_root: Path | None = None
    definition: str = definitions.DEFAULT
    source_kind: str | None = None

    def build(self) -> Scanner:
        from wildtrace.scan.scanner import Scanner

        return Scanner(self.settings, ocr_root=self.ocr_root, definition=self.definition,
                       source_kind=self.source_kind)


@dataclass
class Part:
    """What a worker sends back for one chunk: the results and rejects in order (``items``), or,
    when it rendered them, the output bytes, the rejects and the chunk's summary."""

    items: list[ScanResult | Reject] | None = None
    rendered: bytes = b""
    rejects: list[Reject] = field(default_factory=list)
    summary: Summary | None = None


@dataclass
class RawJsonl:
    """A JSON Lines stream the workers parse (``read_input``): the parent only splits it into lines,
    so reading costs the parent almost nothing."""

    stream: IO[bytes]
    encoding: str
    max_field_chars: int
    max_record_bytes: int
    limits: RecordLimits | None = None

    def records(self) -> Iterator[Listing | Reject]:
        """Its records read in this process (a one-process scan)."""
        from wildtrace.scan.readers import read_jsonl

        return read_jsonl(self.stream, max_field_chars=self.max_field_chars, max_record_bytes=self.max_record_bytes,
                          encoding=self.encoding, limits=self.limits)


#: A chunk of raw JSON Lines: runs of lines (the number of the first, the bytes) and the rejects of
#: over-long lines between them, in input order
Segments = list[tuple[int, bytes] | Reject]


def read_input(stream: IO[bytes], *, fmt: str | None = None, name: str | None = None, max_field_chars: int,
               max_record_bytes: int, encoding: str = "utf-8", mapping: dict[str, str] | None = None,
               limits: RecordLimits | None = None,
               on_notice: Callable[[str], None] | None = None) -> Iterable[Listing | Reject] | RawJsonl:
    """``readers.read_listings`` for a parallel scan: JSON Lines come back raw (``RawJsonl``), for
    the workers to parse; every other format is read here as usual."""
    from wildtrace.scan.formats import unwrap
    from wildtrace.scan.readers import detect_format

    buffered, inner, enc = unwrap(stream, name, encoding, on_notice)
    if fmt is None or (inner or "").lower().endswith(".xlsx"):
        fmt = detect_format(inner, buffered.peek(4096)[:4096])  # type: ignore[attr-defined]
    if mapping and fmt not in ("csv", "xlsx"):
        raise ConfigError("--map applies to CSV and Excel input only")
    if fmt == "jsonl":
        return RawJsonl(buffered, enc, max_field_chars, max_record_bytes, limits)
    read = plugins.readers.get(fmt)
    return read(buffered, max_field_chars=max_field_chars, max_record_bytes=max_record_bytes,  # type: ignore[no-any-return]
                encoding=enc, mapping=mapping, limits=limits, on_notice=on_notice)


def _raw_chunks(raw: RawJsonl, size: int) -> Iterator[Segments]:
    """Chunks of ``size`` records (blank lines are no record), split as ``readers.read_jsonl``
    numbers and splits them; an over-long line is its reject already (never held)."""
    from wildtrace.scan.readers import _lines

    chunk: Segments = []
    run: list[bytes] = []
    first = count = 0
    for number, line in enumerate(_lines(raw.stream, raw.max_record_bytes), start=1):
        if isinstance(line, Reject):
            if run:
                chunk.append((first, b"".join(run)))
                run = []
            chunk.append(Reject(number, line.reason, preview=line.preview))
        else:
            if not run:
                first = number
            run.append(line)
            if not line.strip():
                continue
        count += 1
        if count >= size:
            if run:
                chunk.append((first, b"".join(run)))
                run = []
            yield chunk
            chunk, count = [], 0
    if run:
        chunk.append((first, b"".join(run)))
    if chunk:
        yield chunk


def _parse(segments: Segments, raw: RawJsonl) -> Iterator[Listing | Reject]:
    """A worker: the records of a raw chunk, numbered by their lines in the whole input."""
    from dataclasses import replace

    from wildtrace.scan.readers import read_jsonl

    for segment in segments:
        if isinstance(segment, Reject):
            yield segment
            continue
        first, data = segment
        # a blank line first keeps the numbers right and the byte-order mark stripped from line 1 only
        offset, data = (0, data) if first == 1 else (first - 2, b"\n" + data)
        for item in read_jsonl(io.BytesIO(data), max_field_chars=raw.max_field_chars,
                               max_record_bytes=raw.max_record_bytes, encoding=raw.encoding, limits=raw.limits):
            if isinstance(item, Reject):
                yield replace(item, line=item.line + offset)
            else:
                item.source_line += offset
                yield item


# --- the worker side -------------------------------------------------------------------------

_SCANNER: list[Scanner] = []
_FAILED: list[BaseException] = []


def _start(spec: ScannerSpec) -> None:
    """Each worker: build the scanner once. Ctrl-C is the parent's to handle (it stops between
    chunks and ends the pool); a failure is kept and raised with the first chunk, where the
    parent sees it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _SCANNER.append(spec.build())
    except Exception as exc:  # noqa: BLE001 - raised again, to the parent, with the first chunk
        _FAILED.append(_sendable(exc))


def _can_fork() -> bool:
    """Whether the workers may be forked from this process: on Linux, from a process running one
    thread (a thread holding a lock at the fork would leave it held in the copy). Elsewhere, and
    from a threaded process (the workbench), they are spawned and each builds its own scanner."""
    import multiprocessing
    import sys
    import threading

    return (sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods()
            and threading.active_count() == 1)


def _forked() -> None:
    """Each forked worker: the scanner came with the copy; Ctrl-C is the parent's to handle."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _sendable(exc: BaseException) -> BaseException:
    """The error itself when it survives pickling; else the same message in the error family."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 - an exception whose constructor takes other arguments
        kind = ConfigError if isinstance(exc, ConfigError) else DataError
        return kind(str(exc)) if isinstance(exc, WildTraceError) else DataError(f"{type(exc).__name__}: {exc}")


def _scan_chunk(items: list[Listing | Reject] | Segments, raw: RawJsonl | None, render: str | None,
                top_n: int) -> Part:
    """Scan one chunk in a worker (parsing it first when it is raw JSON Lines); with ``render``,
    write and summarise it here too."""
    if _FAILED:
        raise _FAILED[0]
    from wildtrace.pipeline import Sinks, ingest

    records: Iterable[Listing | Reject] = _parse(items, raw) if raw is not None else items  # type: ignore[arg-type,assignment]
    scanned = _SCANNER[0].scan(records)
    if render is None:
        return Part(items=list(scanned))
    # rendered as they come, as one process writes them: a chunk's results are never all alive at
    # once (holding 512 made every garbage collection longer: 10 % more CPU a listing)
    buffer = io.BytesIO()
    writer = plugins.writers.get(render)(buffer)
    head = len(buffer.getvalue())  # a header the writer writes first (CSV): the parent's writer has it
    rejects: list[Reject] = []
    summary = ingest(scanned, None, Sinks(write=writer.write, reject=rejects.append), top_n=top_n)
    writer.close()
    return Part(rendered=buffer.getvalue()[head:], rejects=rejects, summary=summary)


# --- the parent side -------------------------------------------------------------------------

def merge_summary(into: Summary, part: Summary) -> None:
    """Add the summary of the next chunk (or partition) to ``into``, as if its results had been
    added one by one after those already in it: counts add up (first seen first), the top risks
    keep their input order on ties, the rejects kept stay the first ``MAX_REJECTS_KEPT``."""
    offset = into.scanned
    into.scanned += part.scanned
    for mine, theirs in ((into.verdicts, part.verdicts), (into.species, part.species),
                         (into.products, part.products), (into.languages, part.languages),
                         (into.appendices, part.appendices)):
        mine.update(theirs)
    into.rejected += part.rejected
    into.rejects.extend(part.rejects[:max(0, MAX_REJECTS_KEPT - len(into.rejects))])
    into.interrupted = into.interrupted or part.interrupted
    for risk, order, entry in part._top:  # order is minus the result's number within the part
        key = (risk, order - offset, entry)
        if len(into._top) < into.top_n:
            heapq.heappush(into._top, key)
        elif key[:2] > into._top[0][:2]:
            heapq.heapreplace(into._top, key)


def _records(items: Iterable[Item], limits: RecordLimits) -> Iterator[Listing | Reject]:
    """What a worker takes: listings and rejects, numbered as ``Scanner.scan`` numbers them (a
    plain dict is checked here, so a reject names its place in the whole input)."""
    from wildtrace.pipeline import _listings

    for number, item in enumerate(_listings(items), start=1):
        if isinstance(item, dict):
            try:
                item = listing_from_record(item, limits=limits)
                item.source_line = item.source_line or number
            except InvalidRecord as exc:
                item = Reject(number, exc.reason, exc.record_id)
            except Exception as exc:  # noqa: BLE001 - one hostile record never stops the batch
                item = Reject(number, f"record could not be read ({type(exc).__name__}: {exc})")
        elif isinstance(item, Listing) and not item.source_line:
            item.source_line = number
        yield item


def _chunks(records: Iterator[Listing | Reject], size: int) -> Iterator[list[Listing | Reject]]:
    chunk: list[Listing | Reject] = []
    for record in records:
        chunk.append(record)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def scan_parts(items: Iterable[Item] | RawJsonl, spec: ScannerSpec, jobs: int, *, render: str | None = None,
               top_n: int = 10, chunk: int = CHUNK) -> Generator[Part, None, None]:
    """The input's chunks scanned by ``jobs`` worker processes, in input order, at most
    ``2 × jobs`` in flight. Closing the generator ends the pool (the chunks not started are
    dropped, those running finish)."""
    from concurrent.futures import ProcessPoolExecutor  # only a parallel scan pays for the import
    from concurrent.futures.process import BrokenProcessPool
    from multiprocessing import get_context

    check_jobs(jobs)
    if isinstance(items, RawJsonl):
        raw: RawJsonl | None = dataclasses.replace(items, stream=None)  # type: ignore[arg-type]
        chunks: Iterator[Any] = _raw_chunks(items, chunk)
    else:
        raw, chunks = None, _chunks(_records(items, spec.settings.record_limits), chunk)
    forked = _can_fork()
    if forked:  # the workers start as copies of this process, the scanner built and warm
        _SCANNER[:] = [spec.build()]
        _SCANNER[0].warm()
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork"), initializer=_forked)
    else:
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn"), initializer=_start,
                                   initargs=(spec,))
    pending: deque[Future[Part]] = deque()
    try:
        for records in chunks:
            pending.append(pool.submit(_scan_chunk, records, raw, render, top_n))
            if len(pending) >= 2 * jobs:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    except BrokenProcessPool as exc:  # a worker killed (out of memory, a signal): say so in one line
        raise DataError(f"a scan worker process died ({exc}); what was written before it is whole. "
                        "Run with --jobs 1 to see the record it was on") from exc
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if forked:
            _SCANNER.clear()


def ingest_parallel(items: Iterable[Item] | RawJsonl, spec: ScannerSpec, sinks: Sinks, *, jobs: int, batch: int = 500,
                    top_n: int = 10, stop: Callable[[], bool] | None = None, chunk: int = CHUNK) -> Summary:
    """``pipeline.ingest`` with the scan in ``jobs`` worker processes (see the module's docstring)."""
    from wildtrace.pipeline import ingest

    render = sinks.rendered[0] if sinks.rendered is not None and sinks.save is None else None
    if render is not None and render not in RENDERABLE:
        render = None
    parts = scan_parts(items, spec, jobs, render=render, top_n=top_n, chunk=chunk)
    if render is None:  # the parent sees every result: the store, or a writer of its own
        def results() -> Iterator[ScanResult | Reject]:
            for part in parts:
                yield from part.items or ()

        try:
            return ingest(results(), None, sinks, batch=batch, top_n=top_n, stop=stop)
        finally:
            parts.close()
    assert sinks.rendered is not None
    write_rendered = sinks.rendered[1]
    summary = Summary(top_n=top_n)
    try:
        for part in parts:
            assert part.summary is not None
            write_rendered(part.rendered, part.summary.scanned)
            for rej in part.rejects:
                sinks.reject(rej)
            merge_summary(summary, part.summary)
            if stop is not None and stop():
                summary.interrupted = True
                break
    finally:
        parts.close()
    return summary


__all__ = ["AUTO_BYTES", "CHUNK", "Part", "RawJsonl", "ScannerSpec", "read_input", "cores", "default_jobs", "ingest_parallel",
           "merge_summary", "scan_parts"]
