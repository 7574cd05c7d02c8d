"""The storage contract, run on every backend (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from wildtrace import Scanner
from wildtrace.store import Store, open_store


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = open_store(db_url)
    yield s
    s.close()


def _scan(scanner: Scanner, **record: str):  # type: ignore[no-untyped-def]
    return list(scanner.scan([{"id": "L1", **record}]))


def test_rescan_does_not_duplicate_and_change_is_a_new_version(store: Store, scanner: Scanner) -> None:
    first = _scan(scanner, title="Rhino horn", price="100")
    store.save(first)
    store.save(_scan(scanner, title="Rhino horn", price="100"))  # same content again
    assert store.count_listings() == 1
    assert [v["version"] for v in store.versions("L1")] == [1]

    store.save(_scan(scanner, title="Rhino horn", price="80"))  # new price
    versions = store.versions("L1")
    assert [v["version"] for v in versions] == [1, 2]
    assert [v["record"]["price"] for v in versions] == ["100", "80"], "the old version is kept as it was"
    assert versions[0]["content_sha256"] == first[0].input_sha256
    latest = store.latest_result("L1")
    assert latest is not None and latest["listing"]["price"] == "80"
    assert latest["model"]["name"] == "wildtrace-rules"
    assert store.latest_result("missing") is None


def test_hostile_and_unicode_text_round_trips(store: Store, scanner: Scanner) -> None:
    record = {"title": "出售 犀角 '; DROP TABLE listings; -- <script>alert(1)</script>",
              "seller": "งาช้าง \"quoted\" \\ back"}
    store.save(list(scanner.scan([{"id": "x'; --", **record}])))
    (version,) = store.versions("x'; --")
    assert version["record"]["title"] == record["title"]
    assert version["record"]["seller"] == record["seller"]
    assert store.count_listings() == 1


def test_store_survives_reopen(db_url: str, scanner: Scanner) -> None:
    s = open_store(db_url)
    s.save(_scan(scanner, title="Pangolin scales"))
    s.close()
    target = db_url if "://" in db_url else f"sqlite:///{db_url}"
    s = open_store(target)
    assert s.count_listings() == 1
    s.close()


def test_scan_command_saves_to_either_backend(db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from wildtrace.cli import cli, load_commands

    load_commands()
    lines = '{"id": "s1", "title": "Rhino horn for sale"}\n{"id": "s2", "title": "Lamp"}\n'
    env = {"WILDTRACE_DATA_DIR": str(tmp_path)}
    for _ in range(2):  # a rescan adds nothing
        result = CliRunner().invoke(cli, ["scan", "--db", db_url, "-o", str(tmp_path / "o.jsonl")],
                                    input=lines, env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
    s = open_store(db_url)
    assert s.count_listings() == 2
    latest = s.latest_result("s1")
    assert latest is not None and latest["verdict"] == "wildlife_offer"
    s.close()
