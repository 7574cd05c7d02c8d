"""Hostile records (issue 12, finding 1): each one is a reject with its line and reason, and the
batch goes on; limits are settings."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from wildtrace import Scanner, Settings
from wildtrace.cli import cli, load_commands
from wildtrace.errors import InvalidRecord
from wildtrace.scan.listing import RecordLimits, listing_from_record
from wildtrace.scan.result import Reject, ScanResult

DEEP = "[" * 255 + "]" * 255


def _lines(*records: str) -> bytes:
    return ("\n".join(records) + "\n").encode()


@pytest.mark.parametrize(("record", "reason"), [
    ({"id": "d", "x": json.loads(DEEP)}, "nested deeper than 20 levels"),
    ({"id": "i", "x": 2**64}, "more than 18 digits"),
    ({"id": 2**64, "title": "x"}, "id is an integer of more than 18 digits"),
    ({"id": "f", **{f"k{i}": i for i in range(501)}}, "fields, over the limit of 500"),
    ({"id": "n", "x": float("nan")}, "NaN"),
])
def test_a_hostile_record_is_an_invalid_record_with_a_reason(record: dict, reason: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(InvalidRecord, match=reason):
        listing_from_record(record, limits=RecordLimits())


def test_limits_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WILDTRACE_MAX_DEPTH", "3")
    monkeypatch.setenv("WILDTRACE_MAX_FIELDS", "4")
    monkeypatch.setenv("WILDTRACE_MAX_INT_DIGITS", "5")
    limits = Settings.from_env().record_limits
    assert (limits.max_depth, limits.max_fields, limits.max_int_digits) == (3, 4, 5)
    with pytest.raises(InvalidRecord, match="deeper than 3"):
        listing_from_record({"id": "a", "x": [[[1]]]}, limits=limits)
    with pytest.raises(InvalidRecord, match="more than 5 digits"):
        listing_from_record({"id": "a", "x": 123456}, limits=limits)
    assert listing_from_record({"id": "a", "x": [[1]], "y": 12345}, limits=limits).id == "a"


def test_scan_rejects_the_hostile_records_and_keeps_every_other_one(tmp_path: Path) -> None:
    """Before: a record nested 255 levels deep raised "Recursion limit reached" while hashing,
    the scan exited 1, and later records were lost; results written were never stored."""
    src = tmp_path / "in.jsonl"
    good = [json.dumps({"id": f"g{i}", "title": f"tiger skin {i} for sale"}) for i in range(300)]
    src.write_bytes(_lines(*good[:200], '{"id":"deep","x":' + DEEP + "}", '{"id":"big","n":' + str(2**70) + "}",
                           '{"id":' + str(2**70) + ',"title":"x"}', *good[200:]))
    out, rejects, db = tmp_path / "out.jsonl", tmp_path / "rejects.jsonl", tmp_path / "w.sqlite"
    load_commands()
    res = CliRunner().invoke(cli, ["scan", "--rules-only", str(src), "-o", str(out), "--rejects", str(rejects),
                                   "--db", str(db)], env={"WILDTRACE_DATA_DIR": str(tmp_path)})
    assert res.exit_code == 3, res.output
    assert "Traceback" not in res.output
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    # the JSON reader reads 2**70 as a float, which is kept; as an id it is refused
    assert ids == [f"g{i}" for i in range(200)] + ["big"] + [f"g{i}" for i in range(200, 300)]
    rej = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [r["line"] for r in rej] == [201, 203]
    assert "nested deeper" in rej[0]["reason"] and "id must be text or an integer" in rej[1]["reason"]
    from wildtrace.store import open_store
    store = open_store(db)
    try:
        assert all(store.latest_result(f"g{i}") is not None for i in (0, 199, 200, 299))
    finally:
        store.close()


def test_a_failure_inside_the_scan_of_one_listing_rejects_that_listing_only() -> None:
    scanner = Scanner(Settings())

    def broken(result: ScanResult) -> None:
        if result.id == "boom":
            raise RuntimeError("enricher broke")

    scanner.enrichers.append(broken)
    out = list(scanner.scan([{"id": "a", "title": "ivory"}, {"id": "boom", "title": "ivory"},
                             {"id": "c", "title": "ivory"}]))
    assert [type(o).__name__ for o in out] == ["ScanResult", "Reject", "ScanResult"]
    assert isinstance(out[1], Reject) and "enricher broke" in out[1].reason and out[1].record_id == "boom"


def test_a_result_the_store_refuses_is_a_reject_and_the_rest_are_saved() -> None:
    from wildtrace.pipeline import Sinks, ingest

    saved: list[str] = []
    written: list[str] = []
    refused: list[Reject] = []

    def save(batch: list[ScanResult]) -> None:
        if any(r.id == "bad" for r in batch):
            raise ValueError("constraint failed")
        saved.extend(r.id for r in batch)

    items = [listing_from_record({"id": i, "title": "ivory"}) for i in ("a", "bad", "c")]
    summary = ingest(items, Scanner(Settings(), scorer=None),
                     Sinks(write=lambda r: written.append(r.id), reject=refused.append, save=save), batch=10)
    assert saved == ["a", "c"] and written == ["a", "c"]
    assert [r.record_id for r in refused] == ["bad"] and "constraint failed" in refused[0].reason
    assert (summary.scanned, summary.rejected) == (2, 1)


def test_the_store_being_down_still_stops_the_scan() -> None:
    from wildtrace.pipeline import Sinks, ingest

    def save(batch: list[ScanResult]) -> None:
        raise ConnectionError("database is gone")

    items = [listing_from_record({"id": i, "title": "ivory"}) for i in ("a", "b")]
    with pytest.raises(ConnectionError):
        ingest(items, Scanner(Settings(), scorer=None), Sinks(save=save))


def test_orjson_parses_what_the_limits_then_reject() -> None:
    """The JSON reader hands orjson's output to the same checks (a big integer becomes a float
    there, which is kept)."""
    assert isinstance(orjson.loads(str(2**70)), float)


@pytest.mark.parametrize("record", [
    {"id": "a\u0000b", "title": "ivory"},
    {"id": "a", "title": "ivory", "shop": {"note": "x\u0000y"}},
    {"id": "a", "title": "ivory", "k\u0000": 1},
])
def test_nul_anywhere_rejects_the_record(record: dict) -> None:  # type: ignore[type-arg]
    """Issue 29, item 8: a NUL in the id sent to the API gave HTTP 500 on PostgreSQL and lost the batch."""
    (out,) = Scanner(Settings(), scorer=None).scan([record])
    assert isinstance(out, Reject) and "NUL" in out.reason
