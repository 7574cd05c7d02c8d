"""Reconcile matches records on hashed keys (``trade/pairs.py``), yet no output may depend on
two keys never sharing a hash. Here the hash is made weak (``pairs.HASH``: every key alike, or
one of 7, or one of 4,093 values), so different keys share hashes on every kind of key: the
collisions are found and the keys of their kind numbered exactly, and the whole result is the
former exact SQL's (``reconcile_before.py``), as ``test_reconcile_same.py`` compares them."""

from __future__ import annotations

from pathlib import Path

import pytest

from wildtrace.trade import pairs
from wildtrace.trade.synth import SynthResult

from .test_reconcile_rules import HEAD, ROWS, _row
from .test_reconcile_same import DATA, _db, _same

WEAK = ["hash({}) % 1", "hash({}) % 7", "hash({}) % 4093"]


@pytest.mark.parametrize("weak", WEAK)
def test_synthetic_files_with_a_weak_hash(synth_dir: SynthResult, tmp_path: Path, weak: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pairs, "HASH", weak)
    con = _db(tmp_path, [*synth_dir.bulk_files, synth_dir.comptab], changed=True)
    res = _same(con)
    assert res["coverage"]["permit_pairs"] > 1000 and res["flag_counts"]["duplicate_report"] > 5
    _same(con, ratio=1.2, group_ratio=3.0, limit=300)


@pytest.mark.parametrize("weak", WEAK[:2])
def test_fixtures_and_rule_rows_with_a_weak_hash(tmp_path: Path, weak: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pairs, "HASH", weak)
    (tmp_path / "manidae.csv").write_text(HEAD + "".join(ROWS))
    for changed in (False, True):
        (tmp_path / "t.duckdb").unlink(missing_ok=True)
        _same(_db(tmp_path, [DATA / "trade_db_1.csv", DATA / "citesdb_shipments.tsv", tmp_path / "manidae.csv"],
                  changed))


def test_collisions_are_found_and_only_then(synth_dir: SynthResult, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    con = _db(tmp_path, synth_dir.bulk_files, changed=True)
    for weak, found in ((pairs.HASH, []), ("hash({}) % 7", ["h3", "ht", "hr"])):
        monkeypatch.setattr(pairs, "HASH", weak)
        for f in pairs.FAMILIES:
            pairs._macro(con, f)
        pairs._table_k(con)
        assert pairs._collisions_k(con) == found
        # numbered exactly, no two keys share a number: none found again
        for f in found:
            pairs._macro(con, f, exact=True)
        pairs._table_k(con)
        assert pairs._collisions_k(con) == []
        # the fallback keys: two in one hash are found; numbered, none is
        pairs.keys(con, 1.5, 10)
        pairs.pairs(con)
        pairs._macro(con, "hg")
        pairs._table_g(con, "")
        assert pairs._shared(con, "rc_g", "hg", f"{pairs.TEXT_G}, seized") == bool(found)
        pairs._macro(con, "hg", exact=True)
        pairs._table_g(con, "")
        assert not pairs._shared(con, "rc_g", "hg", f"{pairs.TEXT_G}, seized")


def test_permit_keys_whose_text_runs_together_stay_apart(tmp_path: Path) -> None:
    # permit "P|Manis javanica" of taxon "x" and permit "P" of taxon "Manis javanica|x": the same
    # text once joined with "|" (a permit id is the reporter's text); each booked in two years,
    # 10 in the first: the second key's 10 is no copy of the first key's
    rows = [_row(1, 2000, "x", "skins", 10, "JP", "SG", "", "I", "P|Manis javanica"),
            _row(2, 2005, "x", "skins", 7, "JP", "SG", "", "I", "P|Manis javanica"),
            _row(3, 2001, "Manis javanica|x", "skins", 10, "JP", "SG", "", "I", "P"),
            _row(4, 2006, "Manis javanica|x", "skins", 8, "JP", "SG", "", "I", "P")]
    (tmp_path / "bar.csv").write_text(HEAD + "".join(rows))
    con = _db(tmp_path, [tmp_path / "bar.csv"], changed=False)
    res = _same(con)
    assert res["flag_counts"]["duplicate_report"] == 0
    assert res["coverage"]["duplicate_records_set_aside"] == 0
