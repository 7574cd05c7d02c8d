"""SMART query CSV import: SMART's columns, mixed UTM zones, encodings, traps, a round trip;
and ``read_patrols``, the one entry point over every format."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from wildtrace.errors import ConfigError, DataError
from wildtrace.patrol.imports import read_patrols, sniff
from wildtrace.patrol.records import PatrolData
from wildtrace.patrol.smart_csv import read_smart_csv, write_smart_csv
from wildtrace.patrol.smart_xml import read_smart_xml

FIX = Path(__file__).parent / "fixtures"
UTM = FIX / "smart_query_utm.csv"
CP = FIX / "smart_query_cp1252.csv"


def canon(data: PatrolData) -> dict[str, pd.DataFrame]:
    """The tables without file positions and generated ids, in a stable order."""
    out = {}
    for name, keys in (("patrols", ["patrol_id", "leg_id"]),
                       ("waypoints", ["patrol_id", "leg_id", "time", "lon", "lat"]),
                       ("observations", ["patrol_id", "time", "category", "attributes"])):
        df = getattr(data, name).drop(columns=["source", "line", "obs_id"], errors="ignore")
        out[name] = df.sort_values(keys, na_position="last").reset_index(drop=True)
    return out


def test_utm_zones_per_row_are_reprojected_each_in_its_own_zone() -> None:
    d = read_smart_csv(UTM, utc_offset="+03:00")
    w = d.waypoints.sort_values("time").reset_index(drop=True)
    assert w.loc[0, "lon"] == pytest.approx(34.2101, abs=1e-4)
    assert w.loc[0, "lat"] == pytest.approx(-2.1496, abs=1e-4)
    # the row in zone 35S lands beside its zone-36S neighbours, not 10 degrees west
    assert w.loc[2, "lon"] == pytest.approx(34.2230, abs=1e-5)
    assert w.loc[2, "lat"] == pytest.approx(-2.1560, abs=1e-5)
    assert any("2 coordinate systems" in n for n in d.notes), d.notes


def test_locale_dates_local_time_and_patrol_across_months() -> None:
    d = read_smart_csv(UTM, utc_offset="+03:00")
    (leg,) = d.patrols.itertuples()
    assert leg.start == pd.Timestamp("2023-03-31 15:00", tz="UTC")
    assert leg.end == pd.Timestamp("2023-04-01 02:00", tz="UTC")
    assert set(d.waypoints["time"].dt.strftime("%Y-%m")) == {"2023-03", "2023-04"}
    assert (leg.members, leg.transport) == ("Neema Mollel", "Foot")


def test_rejects_name_line_and_why_and_the_rest_is_kept() -> None:
    d = read_smart_csv(UTM, utc_offset="+03:00")
    got = {r.line: r.reason for r in d.rejects}
    assert got == {
        5: "observation: missing or unreadable coordinates",
        7: "waypoint: waypoint id seen before in this patrol with another place or time",
        8: "row has 23 fields, the header 22",
        9: "waypoint: unreadable UTM zone '99Q'",
        10: "waypoint: missing or unreadable waypoint date/time",
    }
    assert len(d.waypoints) == 3


def test_observation_rows_categories_attributes_and_no_patrol() -> None:
    d = read_smart_csv(UTM, utc_offset="+03:00")
    o = d.observations.sort_values("time").reset_index(drop=True)
    assert list(o["category"]) == ["Threat/Hunting/Snare", "Animals/Wildebeest",
                                   "Threat/Hunting/Snare"]
    assert json.loads(o.loc[2, "attributes"])["Comment"] == "Reported by herder"
    assert json.loads(o.loc[0, "attributes"]) == {"Number of snares": "4",
                                                  "Action taken": "Removed"}
    assert o.loc[0, "patrol_id"] == "SRG_000201"
    assert pd.isna(o.loc[2, "patrol_id"])  # the herder's report belongs to no patrol
    # two observations on one waypoint make one waypoint, not two
    assert (d.waypoints["time"] == o.loc[0, "time"]).sum() == 1


def test_windows_1252_semicolons_decimal_commas_and_swapped_values() -> None:
    d = read_smart_csv(CP)
    assert any("Windows-1252" in n for n in d.notes)
    assert d.patrols["members"].iloc[0] == "René Mbaye"
    assert d.observations["category"].iloc[0] == "Activité humaine/Piège"
    assert json.loads(d.observations["attributes"].iloc[0])["Espèce"] == "Antilope"
    assert d.waypoints["lon"].iloc[0] == pytest.approx(13.4012)
    got = {r.line: r.reason for r in d.rejects}
    assert got[4].endswith("(looks like latitude/longitude swapped)")
    assert got[5] == "row has 14 fields, the header 13"
    assert got[7] == "waypoint: missing or unreadable coordinates"  # X = "13,44x"
    assert len(d.waypoints) == 3
    assert any("read as UTC" in n for n in d.notes)


def test_projected_xy_needs_the_stated_crs(tmp_path: Path) -> None:
    f = tmp_path / "q.csv"
    f.write_text("Patrol ID,Waypoint Id,Waypoint Date,Waypoint Time,X,Y\n"
                 "P1,1,2023-01-01,08:00:00,634567.0,9762345.0\n", encoding="utf-8")
    assert read_smart_csv(f).rejects[0].reason.startswith("waypoint: coordinates out of range")
    assert read_smart_csv(f).rejects[0].reason.endswith(
        "these look like projected coordinates: pass the file's CRS (--crs EPSG:...)")
    d = read_smart_csv(f, crs="EPSG:32736")
    assert d.waypoints["lon"].iloc[0] == pytest.approx(34.2101, abs=1e-4)
    with pytest.raises(ConfigError):
        read_smart_csv(f, crs="EPSG:999999")


def test_round_trip(tmp_path: Path) -> None:
    first = read_smart_csv(UTM, utc_offset="+03:00")
    out = write_smart_csv(first, tmp_path / "export.csv", utc_offset="+03:00")
    header = out.read_text(encoding="utf-8").split("\n", 1)[0]
    assert header.startswith("Patrol ID,Patrol Start Date,Patrol End Date,Patrol Leg Id,Leader")
    assert "Waypoint Date,Waypoint Time,X,Y,Observation Category 0" in header
    second = read_smart_csv(out, utc_offset="+03:00")
    assert not second.rejects
    a, b = canon(first), canon(second)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=False, atol=1e-9, obj=name)


def test_xml_patrol_written_as_csv_keeps_everything_but_value_types(tmp_path: Path) -> None:
    first = read_smart_xml(FIX / "smart_patrol_1_3.xml", utc_offset="+03:00")
    second = read_smart_csv(write_smart_csv(first, tmp_path / "x.csv", utc_offset="+03:00"),
                            utc_offset="+03:00")
    a, b = canon(first), canon(second)
    for name in ("patrols", "waypoints"):
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=False, atol=1e-9, obj=name)
    pd.testing.assert_frame_equal(a["observations"].drop(columns="attributes"),
                                  b["observations"].drop(columns="attributes"))
    for x, y in zip(a["observations"]["attributes"], b["observations"]["attributes"], strict=True):
        assert {k: str(v) for k, v in json.loads(x).items()} == json.loads(y)


def test_not_a_smart_export(tmp_path: Path) -> None:
    f = tmp_path / "other.csv"
    f.write_text("name,price\nivory,100\n", encoding="utf-8")
    with pytest.raises(DataError, match="X/Y"):
        read_smart_csv(f)
    with pytest.raises(DataError, match="limit"):
        read_smart_csv(UTM, max_bytes=100)


def test_read_patrols_picks_each_reader_and_concatenates(tmp_path: Path) -> None:
    files = [FIX / "smart_patrol_1_3.xml", UTM, FIX / "earthranger_patrols.json",
             FIX / "earthranger_tracks.geojson"]
    d = read_patrols(files, utc_offset="+03:00")
    assert set(d.waypoints["source"]) == {"smart_patrol_1_3.xml", "smart_query_utm.csv",
                                          "earthranger_tracks.geojson", "earthranger_patrols.json"}
    assert [sniff(f) for f in files] == ["smart_xml", "smart_csv", "earthranger", "earthranger"]
    odd = tmp_path / "notes.bin"
    odd.write_bytes(b"\x00\x01 something else")
    with pytest.raises(ConfigError, match="not a patrol export"):
        read_patrols([odd])
    with pytest.raises(ConfigError, match="no such file"):
        read_patrols([tmp_path / "missing.xml"])
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.xml").write_bytes((FIX / "smart_patrol_1_2.xml").read_bytes())
    assert len(read_patrols(tmp_path / "in").waypoints) == 3


def test_the_same_records_given_twice_are_rejects_naming_the_first_copy(tmp_path: Path) -> None:
    """Overlapping monthly exports: each record counts once; the repeat is a reject saying
    which file and line it repeats; a leg in both files is one leg spanning both."""
    march = tmp_path / "march.csv"
    april = tmp_path / "april.csv"
    head = "Patrol ID,Patrol Leg Id,Waypoint Id,Waypoint Date,Waypoint Time,X,Y," \
           "Observation Category 0,Observation Category 1\n"
    march.write_text(head + "P1,1,1,2021-03-31,10:00:00,30.1,0.2,,\n"
                     "P1,1,2,2021-03-31,11:00:00,30.2,0.2,threat,snare\n"
                     ",,9,2021-03-31,12:00:00,30.3,0.2,animals,elephant\n")
    april.write_text(head + "P1,1,2,2021-03-31,11:00:00,30.2,0.2,threat,snare\n"
                     ",,9,2021-03-31,12:00:00,30.3,0.2,animals,elephant\n"
                     "P1,1,3,2021-04-01,09:00:00,30.4,0.2,,\n")
    one = read_patrols([march])
    both = read_patrols([march, april])
    assert len(both.waypoints) == 3 and len(both.observations) == 2
    leg = both.patrols.set_index("patrol_id").loc["P1"]
    assert (str(leg["start"]), str(leg["end"])) == ("2021-03-31 10:00:00+00:00",
                                                    "2021-04-01 09:00:00+00:00")
    dups = [r for r in both.rejects if "duplicate" in r.reason]
    assert {(r.line, r.reason.split(": ")[0]) for r in dups} == {(2, "april.csv"), (3, "april.csv")}
    assert any("duplicate of march.csv line 3" in r.reason and "waypoint" in r.reason
               for r in dups)
    assert any("observation: duplicate of march.csv line 4" in r.reason for r in dups)
    assert any("merged" in n and "P1" in n for n in both.notes)
    twice = read_patrols([march, march])
    assert (len(twice.waypoints), len(twice.observations)) == (len(one.waypoints),
                                                               len(one.observations))
    assert len([r for r in twice.rejects if "duplicate of march.csv" in r.reason]) == 4


def test_written_tables_guard_formula_cells_and_keep_numbers(tmp_path: Path) -> None:
    from wildtrace.patrol.imports import write_tables

    src = tmp_path / "f.csv"
    src.write_text("Patrol ID,Waypoint Id,Waypoint Date,Waypoint Time,X,Y,"
                   "Observation Category 0,Comment\n"
                   '"=HYPERLINK(""http://x"")",1,2021-01-01,10:00:00,-30.5,-0.2,@SUM(A1),+1\n')
    paths = write_tables(read_patrols(src), tmp_path / "out")
    for path in paths.values():
        text = path.read_text()
        for bad in ("\n=", ",=", "\n@", ",@", ",+", "\n+"):
            assert bad not in text, (path.name, text)
    wp = pd.read_csv(paths["waypoints"])
    assert wp["patrol_id"][0] == "'=HYPERLINK(\"http://x\")"
    assert wp["lon"][0] == -30.5 and wp["lat"][0] == -0.2
    ob = pd.read_csv(paths["observations"])
    assert ob["category"][0] == "'@SUM(A1)"
    assert json.loads(ob["attributes"][0]) == {"Comment": "+1"}


def test_a_row_with_nothing_to_keep_is_a_reject_and_crs_notes_count_kept_rows(
        tmp_path: Path) -> None:
    f = tmp_path / "q.csv"
    f.write_text("Patrol ID,Waypoint Id,Waypoint Date,Waypoint Time,X,Y,CRS,"
                 "Observation Category 0\n"
                 "P1,1,2021-01-01,10:00:00,500000,100000,32636,\n"
                 ",7,2021-01-01,10:05:00,30.1,0.2,,\n"
                 "P1,2,2021-01-01,10:10:00,30.1,0.2,EPSG:4326,\n"
                 "P1,3,2021-01-01,10:20:00,30.1,0.2,EPSG:99999,\n"
                 "P1,4,2021-01-01,10:30:00,300.1,0.2,EPSG:4326,\n")
    d = read_smart_csv(f)
    assert (d.rejects[0].line, d.rejects[0].reason) == (
        3, "row: no patrol and no observation category: nothing to keep")
    assert [r.line for r in d.rejects] == [3, 5, 6]
    assert "EPSG:32636 (1 rows), EPSG:4326 (1 rows)" in " ".join(d.notes)


def test_crs_for_xml_or_earthranger_files_is_noted(tmp_path: Path) -> None:
    d = read_patrols([FIX / "smart_patrol_1_3.xml"], crs="EPSG:32736")
    assert any("--crs EPSG:32736 applies to SMART CSV X/Y only" in n for n in d.notes)


def test_the_sites_utc_offset_reaches_the_records_for_local_months(tmp_path: Path) -> None:
    """read_patrols(utc_offset=...) records the offset it read the times with, so effort and the
    panel cut months at the site's midnight, not UTC's."""
    from wildtrace.patrol.imports import read_patrols

    assert read_patrols([FIX / "smart_query_utm.csv"], utc_offset="+03:00").utc_offset_minutes == 180
    assert read_patrols([FIX / "smart_query_utm.csv"]).utc_offset_minutes is None
