"""The one ingest pipeline: listings in; scan, store, output and rejects out.

``ingest(items, scanner, sinks)`` is the loop every entry point runs (``wildtrace scan``, the
demo, the workbench's scan API and demo loader, ``case add --results``, ``scan --jobs`` and the
Dask engine; next, the marketplace monitor): each listing is scanned, each result stored in batches
(the output never runs ahead of the store), written, and summarised; each record that cannot be
used is a ``Reject`` sent to ``sinks.reject``. Without a scanner, the items are ScanResults already
made (a results file), which go straight to the store and the output.

With ``jobs`` above 1 and a ``ScannerSpec`` (how to build the scanner) instead of a scanner, the
scan runs in worker processes (``wildtrace.parallel``); the store is still written here, by one writer,
and the output keeps the input's order.

The pipeline imports the scanner but not the store: the caller passes ``store.save`` as
``sinks.save`` (and, later, a capture step as ``sinks.after_save``).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wildtrace.rejects import Reject
from wildtrace.scan.listing import Listing
from wildtrace.scan.result import ScanResult
from wildtrace.scan.summary import Summary

if TYPE_CHECKING:
    from wildtrace.parallel import RawJsonl, ScannerSpec
    from wildtrace.scan.scanner import Scanner

Item = Listing | Reject | ScanResult | dict[str, Any]


def _ignore(_: Any) -> None:
    return None


@dataclass
class Sinks:
    """Where an ingest sends what it makes; each is optional.

    ``save`` stores a batch of results (``store.save``); ``write`` outputs one result after its
    batch is stored; ``reject`` reports a record that could not be used; ``after_save`` sees each
    stored batch (a capture step above a risk, a network update).

    ``rendered`` (``scan --jobs`` without a store): the output writer's name (``jsonl``, ``csv``) and
    where its bytes go; worker processes then write the results themselves, and each chunk's bytes
    (with its number of results) arrive here, in input order, instead of ``write`` per result.
    """

    write: Callable[[ScanResult], None] = _ignore
    reject: Callable[[Reject], None] = _ignore
    save: Callable[[list[ScanResult]], None] | None = None
    after_save: Callable[[list[ScanResult]], None] | None = None
    rendered: tuple[str, Callable[[bytes, int], None]] | None = None


@dataclass
class Collected:
    """Sinks that keep everything in memory (an API batch, a test)."""

    results: list[ScanResult] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)

    def sinks(self, save: Callable[[list[ScanResult]], None] | None = None,
              after_save: Callable[[list[ScanResult]], None] | None = None) -> Sinks:
        return Sinks(write=self.results.append, reject=self.rejects.append, save=save, after_save=after_save)


def ingest(items: Iterable[Item] | RawJsonl, scanner: Scanner | ScannerSpec | None, sinks: Sinks, *, batch: int = 500,
           top_n: int = 10, stop: Callable[[], bool] | None = None, jobs: int = 1) -> Summary:
    """Scan a stream into its sinks: report each reject, save results in batches, write each, summarise.

    With ``sinks.save`` (the store), a batch is written only after it is saved. A batch the store
    refuses is saved one result at a time; a result it still refuses becomes a reject (the rest are
    kept), and only when it refuses every one (the store itself is down) does the error stop the
    ingest. Memory stays flat: nothing but the current batch and the summary counters is held.
    ``scanner`` may be None when every item is a ScanResult or a Reject already. ``stop`` is asked
    between records (Ctrl-C in the CLI): when it says so, the batch in hand is stored and written and
    the ingest ends with ``summary.interrupted`` set; nothing half-done is left.

    ``jobs`` > 1 with a ``ScannerSpec``: the scan runs in that many worker processes, each building
    the scanner once (``parallel.ingest_parallel``); the same results, in the same order. ``items``
    may then be ``parallel.RawJsonl`` (``parallel.read_input``): JSON Lines the workers parse.
    """
    from wildtrace.parallel import RawJsonl, ScannerSpec

    if isinstance(scanner, ScannerSpec):
        if jobs > 1:
            from wildtrace.parallel import ingest_parallel

            return ingest_parallel(items, scanner, sinks, jobs=jobs, batch=batch, top_n=top_n, stop=stop)
        scanner = scanner.build()
    if isinstance(items, RawJsonl):  # JSON Lines left for workers to parse: read here after all
        items = items.records()
    summary = Summary(top_n=top_n)
    pending: list[ScanResult] = []

    def emit(result: ScanResult) -> None:
        summary.add(result)
        sinks.write(result)

    def refuse(rej: Reject) -> None:
        summary.add(rej)
        sinks.reject(rej)

    def flush() -> None:
        assert sinks.save is not None
        kept, refused = _save_each(sinks.save, pending)
        if kept and sinks.after_save is not None:
            sinks.after_save(kept)
        for r in kept:
            emit(r)
        for rej in refused:
            refuse(rej)
        pending.clear()

    with _settled():
        for item in _scanned(items, scanner):
            if stop is not None and stop():
                summary.interrupted = True
                break
            if isinstance(item, Reject):
                refuse(item)
            elif sinks.save is None:
                emit(item)
            else:
                pending.append(item)
                if len(pending) >= batch:
                    flush()
        if sinks.save is not None and pending:
            flush()
    return summary


@contextmanager
def _settled() -> Iterator[None]:
    """Leave what exists before the loop (the scanner's lexicons and automata, the store's
    engine) out of the garbage collector's passes while it runs (``gc.freeze``), and hand it back
    after (``gc.unfreeze``; both are constant-time list moves). A batch of results held for the
    store survives the young collections, so the old generation grows and its full passes came
    often, each walking the whole scanner again: 0.07 ms a listing of ``scan --db`` (issue 27's
    ``bench_store.py``), about 0.03 with the freeze. Objects are still freed by their reference
    counts meanwhile; only cycles among the frozen wait until the loop ends.

    A process that keeps a heap frozen already (the workbench: ``web.deps.settle_heap``), or an
    ingest inside another, is left as it is: ``gc.unfreeze`` hands back every frozen object, not
    only this loop's."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _scanned(items: Iterable[Item], scanner: Scanner | None) -> Iterator[ScanResult | Reject]:
    """Listings through the scanner; without one, the items must be results (or rejects) already."""
    if scanner is not None:
        yield from scanner.scan(_listings(items))
        return
    for number, item in enumerate(items, start=1):
        if isinstance(item, ScanResult | Reject):
            yield item
        else:
            yield Reject(number, "not a scan result (no scanner given)", getattr(item, "id", None))


def _listings(items: Iterable[Item]) -> Iterator[Listing | Reject | dict[str, Any]]:
    """What a scanner takes: a result already made is a reject (ingest it without a scanner)."""
    for number, item in enumerate(items, start=1):
        yield (Reject(number, "already a scan result; ingest results without a scanner", item.id)
               if isinstance(item, ScanResult) else item)


def _save_each(save: Callable[[list[ScanResult]], None],
               results: list[ScanResult]) -> tuple[list[ScanResult], list[Reject]]:
    """Save a batch; on failure, one by one. Returns the results the store has and a reject
    for each it refused."""
    try:
        save(results)
        return results, []
    except Exception as first:  # noqa: BLE001 - find the results the store refuses, keep the rest
        kept: list[ScanResult] = []
        refused: list[Reject] = []
        for r in results:
            try:
                save([r])
                kept.append(r)
            except Exception as why:  # noqa: BLE001
                refused.append(Reject(0, f"the store refused this result ({type(why).__name__}: "
                                      f"{str(why)[:200]})", r.id))
        if not kept and len(results) > 1:
            raise first  # every result refused: the store is down, not a record
        return kept, refused
