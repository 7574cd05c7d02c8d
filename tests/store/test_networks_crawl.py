"""Stored seller networks and the monitor's crawl state, on every backend."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from wildtrace.errors import NotFound
from wildtrace.sellers.judgements import JudgementStore
from wildtrace.sellers.network import NetworkBuilder, latest_network, save_network
from wildtrace.store import crawl
from wildtrace.store import network as stored
from wildtrace.store.sql import SQLStore

RESULTS = [
    {"id": "1", "risk_score": 0.9, "listing": {"seller": "hornking", "platform": "fb", "text": "Zalo 0987 654 321"}},
    {"id": "2", "risk_score": 0.7, "listing": {"seller": "horn_vn", "platform": "zalo", "text": "call 0987654321"}},
    {"id": "3", "risk_score": 0.1, "listing": {"seller": "loner", "platform": "fb", "text": "nothing here"}},
]


@pytest.fixture
def store(db_url: str):  # type: ignore[no-untyped-def]
    s = SQLStore(db_url)
    yield s
    s.close()


def test_a_built_network_round_trips_with_its_provenance(store: SQLStore) -> None:
    assert latest_network(store.engine) is None
    with JudgementStore(store.engine) as judgements:
        judgements.judge("fb:hornking", "zalo:horn_vn", "same", author="ana")
        in_force = judgements.current()
    builder = NetworkBuilder()
    for r in RESULTS:
        builder.add_result(r)
    first = builder.build(in_force).to_dict()
    first_id = save_network(store.engine, first, in_force, source="results.jsonl")
    second_id = save_network(store.engine, first, {}, source="other.jsonl")
    assert second_id > first_id
    got = stored.get(store.engine, first_id)
    assert got.to_dict() == json.loads(json.dumps(first)), "the network as it was built"
    assert got.provenance["tool"] == "wildtrace.sellers.network"
    assert got.provenance["input_sha256"] == first["provenance"]["input_sha256"]
    assert got.provenance["params"] == first["provenance"]["params"]
    assert got.provenance["judgements"] == 1 and got.provenance["source"] == "results.jsonl"
    newest = latest_network(store.engine)
    assert newest is not None and newest.id == second_id and newest.provenance["judgements"] == 0
    assert [n["id"] for n in stored.list_networks(store.engine)] == [second_id, first_id]
    assert stored.list_networks(store.engine)[0]["accounts"] == 3
    with pytest.raises(NotFound):
        stored.get(store.engine, 999)


def test_network_build_stores_the_network_and_still_writes_the_file(db_url: str, tmp_path: Path) -> None:
    from wildtrace.cli import cli, load_commands

    load_commands()
    results = tmp_path / "results.jsonl"
    results.write_text("".join(json.dumps(r) + "\n" for r in RESULTS))
    env = {"WILDTRACE_DATA_DIR": str(tmp_path / "data")}
    out = tmp_path / "network.json"
    res = CliRunner().invoke(cli, ["network", "build", str(results), "-o", str(out), "-q", "--db", db_url], env=env)
    assert res.exit_code == 0, res.output
    written = json.loads(out.read_text())
    s = SQLStore(db_url)
    try:
        newest = latest_network(s.engine)
    finally:
        s.close()
    assert newest is not None and newest.to_dict() == written
    assert newest.provenance["source"] == str(results)


def test_crawl_state_new_unchanged_changed(store: SQLStore) -> None:
    e = store.engine
    assert crawl.record(e, "shop", "k1", canonical_url="https://m/1", content_sha256="h1", status=200,
                        etag='"v1"', at="2026-01-01T00:00:00Z") == crawl.NEW
    assert crawl.record(e, "shop", "k1", canonical_url="https://m/1", content_sha256="h1", status=200,
                        at="2026-01-02T00:00:00Z") == crawl.UNCHANGED
    assert crawl.record(e, "shop", "k1", canonical_url="https://m/1", status=304,
                        at="2026-01-03T00:00:00Z") == crawl.UNCHANGED, "no content: not a change"
    assert crawl.record(e, "shop", "k1", canonical_url="https://m/1?x", content_sha256="h2", status=200,
                        last_modified="Sat, 03 Jan 2026 00:00:00 GMT", at="2026-01-04T00:00:00Z") == crawl.CHANGED
    row = crawl.get(e, "shop", "k1")
    assert row is not None
    assert (row["first_seen"], row["last_seen"], row["last_changed"]) == (
        "2026-01-01T00:00:00Z", "2026-01-04T00:00:00Z", "2026-01-04T00:00:00Z")
    assert (row["content_sha256"], row["last_status"], row["canonical_url"]) == ("h2", 200, "https://m/1?x")
    assert crawl.validators(e, "shop", "k1") == {"If-None-Match": '"v1"',
                                                  "If-Modified-Since": "Sat, 03 Jan 2026 00:00:00 GMT"}
    assert crawl.get(e, "other", "k1") is None, "keyed by source and url key"
    crawl.record(e, "shop", "k2", canonical_url="https://m/2", at="2026-01-02T00:00:00Z")
    assert [r["url_key"] for r in crawl.due(e, "shop", "2026-01-03T00:00:00Z")] == ["k2"]


def test_monitor_passes_frontier_and_listings_on_every_backend(store: SQLStore) -> None:
    """A pass resumes when left open, queues a URL once, keeps a response until done, and the
    source's status, unseen, gone and duplicate listings read the same on SQLite and PostgreSQL."""
    e = store.engine
    run, resumed = crawl.start_run(e, "shop", "abc")
    assert not resumed and crawl.start_run(e, "shop", "abc") == (run, True)
    assert crawl.add_to_frontier(e, run, [("u1", "http://m.example/1", "listing", 1),
                                          ("u2", "http://m.example/2", "listing", 1)]) == ["u1", "u2"]
    assert crawl.add_to_frontier(e, run, [("u1", "http://m.example/1", "listing", 1)]) == []
    crawl.keep_response(e, run, "u1", b"\x00kept\xff")
    assert crawl.kept(e, run, "u1") == (b"\x00kept\xff", None)
    crawl.note_outcome(e, run, "u1", {"capture": True})
    assert [r["state"] for r in crawl.pending(e, run)] == ["fetched", "pending"]
    crawl.done(e, run, "u1", counts={"new": 1}, errors=[{"url": "x", "reason": "y"}])
    assert crawl.kept(e, run, "u1")[0] is None and crawl.run_counts(e, run) == {"new": 1}
    crawl.remember(e, run, "image:i1", "http://m.example/i.png", "image", {"sha256": "ab"})
    assert crawl.remembered(e, run, "image:i1") == {"sha256": "ab"}
    assert crawl.record(e, "shop", "u1", canonical_url="http://m.example/1", content_sha256="h1", status=200,
                        kind="listing", listing_id="shop:1", run_id=run) == crawl.NEW
    crawl.record(e, "shop", "u3", canonical_url="http://m.example/3", content_sha256="h3", status=200,
                 kind="listing", listing_id="shop:3", run_id="an older pass")
    assert crawl.duplicate_of(e, "h1", "grid:9") == "shop:1" and crawl.duplicate_of(e, "h1", "shop:1") is None
    assert [r["url_key"] for r in crawl.unseen_listings(e, "shop", run)] == ["u3"]
    crawl.mark_gone(e, "shop", "u3", status=404, run_id=run)
    crawl.captured(e, "shop", "u1", "20261206T000000000000Z-abcdef12")
    assert crawl.for_listing(e, "shop:1")[0]["last_capture"] == "20261206T000000000000Z-abcdef12"
    crawl.save_run(e, run, {"new": 1, "gone": 1}, [], state="finished", finished=True)
    (row,) = crawl.status(e)
    assert row["state"] == "finished" and row["counts"]["gone"] == 1
    assert (row["listings_live"], row["listings_gone"]) == (1, 1) and row["passes"] == 1
    second, resumed = crawl.start_run(e, "shop", "abc")
    assert not resumed and second != run  # a finished pass is not resumed
    assert crawl.frontier_size(e, run) == 3
    assert crawl.prune(e, "shop", keep=second) == 3 and crawl.frontier_size(e, run) == 0
    assert crawl.run_counts(e, run) == {"new": 1, "gone": 1}  # the pass's own record stays
