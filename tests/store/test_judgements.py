"""Seller judgements in the store, on every backend: append-only, retractable, imported once
from the JSON Lines file they were kept in before, and shared by everyone on one database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from wildtrace.errors import ConfigError, DataError
from wildtrace.sellers.judgements import JudgementStore


def test_judge_retract_history_and_current(db_url: str) -> None:
    with JudgementStore(db_url) as store:
        diff = store.judge("zalo:b", "wechat:a", "different", author="ana", note="checked")
        same = store.judge("fb:x", "ig:y", "same", author="bob")
        assert (diff.a, diff.b) == ("wechat:a", "zalo:b"), "pairs are stored in one order"
        retract = store.retract(diff.id[:8], author="ana", note="mistake")
        assert retract.retracts == diff.id and retract.judgement == "retract"
        with pytest.raises(ConfigError, match="no judgement"):
            store.retract("abc", author="ana")  # under 6 characters: never a prefix
        with pytest.raises(ConfigError):
            store.judge("a", "a", "same", author="ana")
    with JudgementStore(db_url) as again:  # another process, or another analyst on PostgreSQL
        history = again.history()
        assert history == [diff, same, retract], history
        assert again.current() == {("fb:x", "ig:y"): same}


def _legacy(path: Path, records: list[dict[str, object]]) -> bytes:
    data = "".join(json.dumps(r) + "\n" for r in records).encode()
    path.write_bytes(data)
    return data


OLD = [{"id": "a1" * 16, "a": "fb:x", "b": "ig:y", "judgement": "same", "author": "ana",
        "at": "2026-01-02T03:04:05Z", "note": "same phone", "retracts": None},
       {"id": "b2" * 16, "a": "fb:x", "b": "ig:y", "judgement": "retract", "author": "ana",
        "at": "2026-01-03T03:04:05Z", "note": "", "retracts": "a1" * 16},
       {"id": "c3" * 16, "a": "fb:p", "b": "fb:q", "judgement": "different", "author": "bob",
        "at": "2026-01-04T03:04:05Z", "note": "", "retracts": None}]


def test_a_legacy_file_is_imported_once_and_left_untouched(db_url: str, tmp_path: Path) -> None:
    old = tmp_path / "judgements.jsonl"
    data = _legacy(old, OLD)
    with JudgementStore(db_url, legacy=old) as store:
        assert [j.to_dict() for j in store.history()] == OLD
        new = store.judge("fb:x", "ig:y", "unsure", author="cy")
    with JudgementStore(db_url, legacy=old) as store:  # opened again: nothing imported twice
        assert [j.id for j in store.history()] == [r["id"] for r in OLD] + [new.id]
        assert set(store.current()) == {("fb:p", "fb:q"), ("fb:x", "ig:y")}
    assert old.read_bytes() == data, "the legacy file is never changed"


def test_a_second_machine_s_file_adds_only_what_is_new(db_url: str, tmp_path: Path) -> None:
    mine, theirs = tmp_path / "mine.jsonl", tmp_path / "theirs.jsonl"
    _legacy(mine, OLD[:2])
    _legacy(theirs, OLD)  # the same first two records, and one more
    JudgementStore(db_url, legacy=mine).close()
    with JudgementStore(db_url, legacy=theirs) as store:
        assert [j.to_dict() for j in store.history()] == OLD


def test_a_bad_legacy_line_is_named_and_nothing_is_imported(db_url: str, tmp_path: Path) -> None:
    old = tmp_path / "judgements.jsonl"
    old.write_text(json.dumps(OLD[0]) + "\n" + '{"id": "x", "a": "b"}\n')
    with pytest.raises(DataError, match="line 2"):
        JudgementStore(db_url, legacy=old)
    with JudgementStore(db_url) as store:
        assert store.history() == []


def test_an_ambiguous_prefix_is_refused(db_url: str, tmp_path: Path) -> None:
    old = tmp_path / "judgements.jsonl"
    _legacy(old, [{**OLD[0], "id": "abcdef01" * 4}, {**OLD[2], "id": "abcdef02" * 4}])
    with JudgementStore(db_url, legacy=old) as store:
        with pytest.raises(ConfigError, match="matches 2"):
            store.retract("abcdef", author="a")
        assert store.retract("abcdef02", author="a").retracts == "abcdef02" * 4


def test_network_judge_retract_and_list_on_either_backend(db_url: str, tmp_path: Path) -> None:
    from wildtrace.cli import cli, load_commands

    load_commands()
    env = {"WILDTRACE_DATA_DIR": str(tmp_path / "data")}
    run = CliRunner().invoke
    res = run(cli, ["network", "judge", "shop:a", "shop:b", "same", "--author", "ana", "--db", db_url], env=env)
    assert res.exit_code == 0, res.output
    made = json.loads(res.stdout)
    res = run(cli, ["network", "retract", made["id"][:8], "--author", "ana", "--db", db_url], env=env)
    assert res.exit_code == 0 and json.loads(res.stdout)["retracts"] == made["id"], res.output
    res = run(cli, ["network", "judgements", "--db", db_url], env=env)
    assert [json.loads(line)["judgement"] for line in res.stdout.splitlines()] == ["same", "retract"], res.output
    assert not (tmp_path / "data" / "judgements.jsonl").exists(), "nothing is written to the old file"
