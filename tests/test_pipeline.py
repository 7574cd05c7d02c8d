"""The one ingest pipeline: listings through a scanner, results without one; nothing is lost."""

from __future__ import annotations

import gc

import pytest

from wildtrace import Scanner, Settings
from wildtrace.pipeline import Collected, ingest
from wildtrace.rejects import Reject
from wildtrace.scan.result import ScanResult


def test_a_result_given_to_a_scanner_is_a_reject_and_the_rest_are_scanned() -> None:
    scanner = Scanner(Settings(), scorer=None)
    (made,) = scanner.scan([{"id": "a", "title": "ivory bangle"}])
    got = Collected()
    summary = ingest([made, {"id": "b", "title": "rhino horn"}], scanner, got.sinks())
    assert [r.id for r in got.results] == ["b"] and [r.record_id for r in got.rejects] == ["a"]
    assert (summary.scanned, summary.rejected) == (1, 1)


def test_results_without_a_scanner_go_to_the_store_and_the_output() -> None:
    (made,) = Scanner(Settings(), scorer=None).scan([{"id": "a", "title": "ivory bangle"}])
    assert isinstance(made, ScanResult)
    saved: list[str] = []
    got = Collected()
    ingest([made, {"id": "x"}], None, got.sinks(save=lambda batch: saved.extend(r.id for r in batch)))
    assert saved == ["a"] and [r.id for r in got.results] == ["a"]
    assert len(got.rejects) == 1 and isinstance(got.rejects[0], Reject) and got.rejects[0].line == 2


def test_what_exists_before_the_loop_is_frozen_during_it_and_handed_back_after() -> None:
    """The loop leaves the scanner out of the garbage collector's passes (``gc.freeze``) and hands
    it back when it ends, also when the store stops it with an error."""
    scanner = Scanner(Settings(), scorer=None)
    gc.unfreeze()  # what an earlier test in this process left frozen (a workbench's heap) goes back
    frozen: list[int] = []

    def save(batch: list[ScanResult]) -> None:
        frozen.append(gc.get_freeze_count())

    ingest([{"id": "a", "title": "ivory bangle"}], scanner, Collected().sinks(save=save))
    assert frozen and frozen[0] > 0 and gc.get_freeze_count() == 0

    def down(batch: list[ScanResult]) -> None:
        raise OSError("the store is down")

    with pytest.raises(OSError):  # every result of a batch refused: the store is down
        ingest([{"id": "a", "title": "ivory bangle"}, {"id": "b", "title": "rhino horn"}], scanner,
               Collected().sinks(save=down))
    assert gc.get_freeze_count() == 0


def test_a_heap_frozen_already_stays_frozen() -> None:
    """The workbench keeps its heap frozen while it serves (``web.deps.settle_heap``); an ingest
    in it leaves that freeze as it is instead of handing the whole heap back."""
    def visible(obj: object) -> bool:  # in a collected generation, not frozen
        return any(o is obj for generation in range(3) for o in gc.get_objects(generation=generation))

    scanner = Scanner(Settings(), scorer=None)
    sentinel: list[object] = [object()]
    gc.freeze()
    try:
        ingest([{"id": "a", "title": "ivory bangle"}], scanner, Collected().sinks(save=lambda batch: None))
        assert not visible(sentinel), "the heap frozen before the ingest was handed back"
    finally:
        gc.unfreeze()
    assert visible(sentinel)  # the check sees an object that is not frozen
