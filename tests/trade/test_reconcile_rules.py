"""Reconcile rules of issue 26 on hand-written rows in the exact shape of the citesdb-style
shipment export (the real pangolin extract's header): a permit booked again in a later year is
a duplicate report, never a "2,000 vs 1,000" mismatch; a quantity one side wrote twice in one
year is a duplicate only where counting it once makes both reports equal; a seizure (source I)
is never paired with declared trade; the permit-level coverage is printed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from wildtrace.cli import cli, load_commands
from wildtrace.trade.load import load_paths
from wildtrace.trade.reconcile import reconcile
from wildtrace.trade.schema import connect

HEAD = ("id,year,appendix,taxon,class,ord,family,genus,term,quantity,unit,importer,exporter,origin,purpose,"
        "source,reporter_type,import_permit_randomid,export_permit_randomid,origin_permit_randomid\n")
PANGOLIN = "Mammalia,Pholidota,Manidae,Manis"


def _row(rid: int, year: int, taxon: str, term: str, q: float, imp: str, exp: str, source: str, reporter: str,
         permit: str, unit: str = "", purpose: str = "T") -> str:
    return (f'{rid},{year},II,{taxon},{PANGOLIN},{term},{q:g},"{unit}",{imp},{exp},"",{purpose},"{source}",'
            f'{reporter},"","{permit}",""\n')


ROWS = [
    # Singapore's permit of 1,000 skins, 1987; Japan booked it in 1987 and again in 1988
    _row(3001, 1987, "Manis javanica", "skins", 1000, "JP", "SG", "", "E", "0dea8c4559"),
    _row(3002, 1987, "Manis javanica", "skins", 1000, "JP", "SG", "", "I", "0dea8c4559"),
    _row(3003, 1988, "Manis javanica", "skins", 1000, "JP", "SG", "", "I", "0dea8c4559"),
    # a permit only the importer names, booked in 1992 and 1993
    _row(3004, 1992, "Manis javanica", "skins", 220, "SG", "VN", "", "I", "e560d21510"),
    _row(3005, 1993, "Manis javanica", "skins", 220, "SG", "VN", "", "I", "e560d21510"),
    # 25 skins written twice by the exporter in one year; the importer's 25
    _row(3006, 2013, "Manis gigantea", "skins", 25, "US", "TG", "W", "E", "8d368120bc"),
    _row(3007, 2013, "Manis gigantea", "skins", 25, "US", "TG", "W", "E", "8d368120bc"),
    _row(3008, 2013, "Manis gigantea", "skins", 25, "US", "TG", "W", "I", "8d368120bc"),
    # three lines of 50 on the importer's side, 150 by the exporter: three lines, no flag
    _row(3009, 2013, "Manis gigantea", "skins", 150, "MX", "US", "W", "E", "61b03f6c0a"),
    _row(3010, 2013, "Manis gigantea", "skins", 50, "MX", "US", "W", "I", "61b03f6c0a"),
    _row(3011, 2013, "Manis gigantea", "skins", 50, "MX", "US", "W", "I", "61b03f6c0a"),
    _row(3012, 2013, "Manis gigantea", "skins", 50, "MX", "US", "W", "I", "61b03f6c0a"),
    # one permit with different lines in 1987 and 1988 (shoes): separate lines, not a repeat
    _row(3013, 1987, "Manis javanica", "shoes", 4, "US", "MX", "", "I", "3252303318"),
    _row(3014, 1987, "Manis javanica", "shoes", 1, "US", "MX", "", "I", "3252303318"),
    _row(3015, 1988, "Manis javanica", "shoes", 2, "US", "MX", "", "I", "3252303318"),
    _row(3016, 1988, "Manis javanica", "shoes", 1, "US", "MX", "", "I", "3252303318"),
    # a real mismatch beside them: 4,100 declared, 2,600 received
    _row(3017, 1999, "Manis javanica", "skins", 4100, "SG", "MY", "W", "E", "9265a5ee72"),
    _row(3018, 1999, "Manis javanica", "skins", 2600, "SG", "MY", "W", "I", "9265a5ee72"),
    # the aggregate trap: Mexico declared 300 wild skins to the US in 2000, without a permit id;
    # the US reported 4 skins seized (source I) that year: not one shipment, not a source flip
    _row(3019, 2000, "Manis javanica", "skins", 300, "US", "MX", "W", "E", ""),
    _row(3020, 2000, "Manis javanica", "skins", 4, "US", "MX", "I", "I", ""),
    # a permit the exporter declared and the importer reported seized: counted, not compared
    _row(3021, 2005, "Manis javanica", "skins", 10, "US", "ID", "W", "E", "d0dc76ce89"),
    _row(3022, 2005, "Manis javanica", "skins", 2, "US", "ID", "I", "I", "d0dc76ce89"),
    # a seizure reported by both sides under one permit: a seizure pairs with a seizure
    _row(3023, 2010, "Manis javanica", "scales", 100, "CN", "VN", "I", "E", "3347a9b481", unit="kg"),
    _row(3024, 2010, "Manis javanica", "scales", 900, "CN", "VN", "I", "I", "3347a9b481", unit="kg"),
]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("rc")
    (folder / "manidae.csv").write_text(HEAD + "".join(ROWS))
    path = folder / "t.duckdb"
    c = connect(path)
    [res] = load_paths(c, [folder / "manidae.csv"])
    assert res.format == "cites_bulk" and res.rows_rejected == 0 and res.rows_loaded == len(ROWS)
    c.close()
    return path


@pytest.fixture(scope="module")
def res(db: Path) -> dict[str, Any]:
    c = connect(db, read_only=True)
    out = reconcile(c)
    c.close()
    return out


def _of(flags: list[dict[str, Any]], **want: Any) -> list[dict[str, Any]]:
    return [f for f in flags if all(f.get(k) == v for k, v in want.items())]


def test_a_permit_booked_again_next_year_is_a_duplicate_not_a_mismatch(res: dict[str, Any]) -> None:
    [dup] = _of(res["flags"], export_permit="0dea8c4559")
    assert dup["kinds"] == ["duplicate_report"] and dup["rules"] == ["permit_duplicate_report"]
    assert (dup["reporter"], dup["years"], dup["q_e"], dup["q_i"]) == ("I", [1987, 1988], 1000, 1000)
    assert (dup["quantity_with_copies"], dup["copies"]) == (2000, 1)
    assert dup["record_ids_importer"] == ["3002", "3003"] and dup["record_ids_exporter"] == []
    assert "counted once, 1000, not 2000 (the exporter reported 1000" in dup["reasons"][0]
    # a permit only one side names is a duplicate all the same
    [one] = _of(res["flags"], export_permit="e560d21510")
    assert one["kinds"] == ["duplicate_report"] and (one["q_e"], one["q_i"]) == (None, 220)
    assert "the exporters' reports do not name the permit" in one["reasons"][0]


def test_a_quantity_written_twice_in_one_year_is_a_duplicate_only_where_it_explains(res: dict[str, Any]) -> None:
    [twice] = _of(res["flags"], export_permit="8d368120bc")
    assert twice["kinds"] == ["duplicate_report"] and twice["rules"] == ["permit_duplicate_report"]
    assert (twice["q_e"], twice["q_i"]) == (50, 25)
    assert "counted once (exporter 25, importer 25), the two reports are equal" in twice["reasons"][0]
    # three lines of 50 that add up to the exporter's 150; different lines in two years
    assert not _of(res["flags"], export_permit="61b03f6c0a")
    assert not _of(res["flags"], export_permit="3252303318")
    [qm] = _of(res["flags"], export_permit="9265a5ee72")
    assert qm["kinds"] == ["quantity_mismatch"] and (qm["q_e"], qm["q_i"]) == (4100, 2600)


def test_no_mismatch_flag_adds_a_repeated_report(res: dict[str, Any]) -> None:
    mismatches = [f for f in res["flags"] if "quantity_mismatch" in f["kinds"]]
    assert [f["export_permit"] for f in mismatches] == ["3347a9b481", "9265a5ee72"]  # 3347: a seizure pair
    assert res["flag_counts"] == {"quantity_mismatch": 2, "source_flip": 0, "purpose_flip": 0, "unit_differs": 0,
                                  "duplicate_report": 3, "comptab_quantity_mismatch": 0}
    assert res["coverage"]["duplicate_records_set_aside"] == 2


def test_a_seizure_is_never_paired_with_declared_trade(res: dict[str, Any]) -> None:
    assert not [f for f in res["flags"] if f["match"] == "aggregate"]
    assert not _of(res["flags"], export_permit="d0dc76ce89")
    cov = res["coverage"]
    assert (cov["exporter_seizure_records"], cov["importer_seizure_records"]) == (1, 3)
    assert cov["permits_declared_by_one_side_seized_by_other"] == 1
    assert cov["fallback_pairs"] == 0
    # the seizure both sides reported is matched with itself: 100 vs 900 kg
    [seized] = _of(res["flags"], export_permit="3347a9b481")
    assert seized["kinds"] == ["quantity_mismatch"] and (seized["source_e"], seized["source_i"]) == ("I", "I")
    assert any("matched only with seizures, never with declared trade" in n for n in res["notes"])


def test_permit_coverage_is_the_share_of_permits_both_sides_reported(res: dict[str, Any]) -> None:
    cov = res["coverage"]
    # 8 permits; both sides: 0dea, 8d36, 61b0, 9265, d0dc, 3347; importer only: e560, 3252
    assert (cov["permits"], cov["permits_exporter_reported"], cov["permits_importer_reported"],
            cov["permits_both_sides"]) == (8, 6, 8, 6)
    assert cov["share_permits_both_sides"] == 0.75
    assert cov["share_exporter_permits_in_importer_reports"] == 1.0
    assert cov["share_importer_permits_in_exporter_reports"] == 0.75
    assert any(n.startswith("permit coverage: 6 of 8 export permits (75.0%) are reported by both sides")
               for n in res["notes"])


def test_the_cli_prints_permit_coverage_and_duplicates(db: Path) -> None:
    load_commands()
    out = CliRunner().invoke(cli, ["trade", "reconcile", "--db", str(db)])
    assert out.exit_code == 0, out.output
    assert "note: permit coverage: 6 of 8 export permits (75.0%) are reported by both sides" in out.output
    assert "- duplicate_report: Manis javanica, skins (SKI) in number of specimens" in out.output


def test_a_fallback_group_with_a_blank_term_pairs_once(tmp_path: Path) -> None:
    """The importer's blank-term report of 2015 pairs with the exporter's of 2015; its report of
    2016 does not pair with the same exporter's group again (counted once: 100% matched, not 200%)."""
    rows = [_row(1, 2015, "Manis javanica", "", 10, "CN", "VN", "W", "E", ""),
            _row(2, 2015, "Manis javanica", "", 10, "CN", "VN", "W", "I", ""),
            _row(3, 2016, "Manis javanica", "", 40, "CN", "VN", "W", "I", "")]
    (tmp_path / "t.csv").write_text(HEAD + "".join(rows))
    c = connect(tmp_path / "t.duckdb")
    [loaded] = load_paths(c, [tmp_path / "t.csv"])
    assert loaded.rows_loaded == 3
    assert c.execute("SELECT count(*) FROM records WHERE term IS NULL").fetchall()[0][0] == 3
    cov = reconcile(c)["coverage"]
    assert (cov["fallback_pairs"], cov["fallback_pairs_year_shifted"]) == (1, 0)
    assert (cov["exporter_records_fallback_matched"], cov["importer_records_fallback_matched"]) == (1, 1)
    assert (cov["exporter_records_one_sided"], cov["importer_records_one_sided"]) == (0, 1)
    assert cov["exporter_share_matched"] == 1.0


def test_a_unit_difference_without_a_quantity_is_said_not_a_crash(tmp_path: Path) -> None:
    rows = [_row(1, 2015, "Manis javanica", "scales", 10, "CN", "VN", "W", "E", "77aa", unit="kg"),
            _row(2, 2015, "Manis javanica", "scales", 3, "CN", "VN", "W", "I", "77aa")]
    (tmp_path / "t.csv").write_text(HEAD + "".join(rows))
    c = connect(tmp_path / "t.duckdb")
    load_paths(c, [tmp_path / "t.csv"])
    c.execute("UPDATE records_cites SET quantity = NULL WHERE record_id = '2'")  # a blank quantity, as stored
    [flag] = reconcile(c)["flags"]
    assert flag["kinds"] == ["unit_differs"] and (flag["q_e"], flag["q_i"]) == (10, None)
    assert "exporter reported 10 SCA (KIL), importer no quantity (number of specimens)" in flag["reasons"][0]
