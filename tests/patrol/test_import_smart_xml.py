"""SMART patrol XML import: the real shape (1.2 and 1.3), its traps, and a round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from wildtrace.errors import DataError
from wildtrace.patrol.records import PatrolData
from wildtrace.patrol.smart_xml import read_smart_xml, write_smart_xml

FIX = Path(__file__).parent / "fixtures"
P13 = FIX / "smart_patrol_1_3.xml"


def canon(data: PatrolData) -> dict[str, pd.DataFrame]:
    """The tables without file positions and generated ids, in a stable order."""
    out = {}
    for name, keys in (("patrols", ["patrol_id", "leg_id"]),
                       ("waypoints", ["patrol_id", "leg_id", "time", "lon", "lat"]),
                       ("observations", ["patrol_id", "time", "category", "attributes"])):
        df = getattr(data, name).drop(columns=["source", "line", "obs_id"], errors="ignore")
        out[name] = df.sort_values(keys, na_position="last").reset_index(drop=True)
    return out


def test_legs_members_and_local_times_to_utc() -> None:
    d = read_smart_xml(P13, utc_offset="+03:00")
    legs = d.patrols.set_index("leg_id")
    assert list(d.patrols["patrol_id"].unique()) == ["SRG_000101"]
    assert legs.loc["1", "transport"] == "Foot"
    assert legs.loc["1", "members"] == "Neema Mollel;Juma Kisanga"
    assert legs.loc["1", "start"] == pd.Timestamp("2023-01-31 13:00", tz="UTC")
    assert legs.loc["1", "end"] == pd.Timestamp("2023-02-01 03:00", tz="UTC")
    assert any("local time UTC+03:00" in n for n in d.notes), d.notes


def test_patrol_crossing_months_is_kept_whole() -> None:
    d = read_smart_xml(P13, utc_offset="+03:00")
    leg1 = d.waypoints[d.waypoints["leg_id"] == "1"]
    assert set(leg1["time"].dt.strftime("%Y-%m")) == {"2023-01", "2023-02"}
    assert set(leg1["patrol_id"]) == {"SRG_000101"}


def test_bad_waypoints_rejected_with_line_and_why_rest_kept() -> None:
    d = read_smart_xml(P13, utc_offset="+03:00")
    assert all(r.reason.startswith("smart_") for r in d.rejects), "each reject names its file"
    got = {(r.line, r.reason.split(': ', 1)[1]) for r in d.rejects}
    assert (37, "waypoint: missing or unreadable coordinates") in got  # no x
    assert (42, "waypoint: missing or unreadable coordinates") in got  # x="34.22x"
    assert (43, "waypoint: coordinates out of range (looks like latitude/longitude swapped)") in got
    assert (48, "waypoint: duplicate waypoint id in this patrol (the first is kept)") in got
    carcass = [r for r in d.rejects if r.line == 39]
    assert carcass and carcass[0].reason.startswith("smart_patrol_1_3.xml: observation: its waypoint was rejected")
    assert len(d.rejects) == 5, d.rejects
    assert len(d.waypoints) == 8  # 5 good waypoints of leg 1, 3 track points of leg 2
    assert all(r.preview for r in d.rejects)


def test_track_points_spread_over_the_day() -> None:
    d = read_smart_xml(P13, utc_offset="+03:00")
    leg2 = d.waypoints[d.waypoints["leg_id"] == "2"].sort_values("time")
    assert list(leg2["time"].dt.strftime("%H:%M")) == ["05:00", "06:00", "07:00"]
    assert list(leg2["lon"]) == [34.24, 34.26, 34.28]
    assert any("spread evenly" in n for n in d.notes)


def test_observations_categories_and_typed_attributes() -> None:
    d = read_smart_xml(P13, utc_offset="+03:00")
    o = d.observations.set_index("obs_id")
    snare = o.loc["SRG_000101:2:1"]
    assert snare["category"] == (
        "threat/biologicalresourceuse/huntingcollectingterrestrialanimals/snare")
    assert json.loads(snare["attributes"]) == {
        "actiontaken": "removed", "numberofsnares": 3.0, "active": True,
        "comment": "wire snares & a trap line"}
    assert (snare["lon"], snare["lat"]) == (34.215, -2.153)
    assert snare["time"] == pd.Timestamp("2023-01-31 14:10", tz="UTC")
    assert set(o["category"]) >= {"animals/wildebeest", "humanactivity/camp",
                                  "threat/logging/charcoal"}


def test_version_1_2_observations_directly_under_waypoints() -> None:
    d = read_smart_xml(FIX / "smart_patrol_1_2.xml")
    assert len(d.waypoints) == 3 and not d.rejects
    (obs,) = d.observations.itertuples()
    assert obs.category.endswith("/peopleconfronted")
    assert json.loads(obs.attributes) == {"actiontaken": "arrested",
                                          "numberofpeopleconfronted": 2.0}
    assert any("read as UTC" in n for n in d.notes), d.notes


def test_independent_incident_has_no_patrol() -> None:
    d = read_smart_xml(FIX / "smart_incident.xml", utc_offset="+03:00")
    assert d.patrols.empty and d.waypoints.empty
    assert d.observations["patrol_id"].isna().all()
    assert d.observations["time"].iloc[0] == pd.Timestamp("2023-02-14 08:20", tz="UTC")


def test_entity_bomb_and_oversized_files_refused() -> None:
    with pytest.raises(DataError, match="DOCTYPE"):
        read_smart_xml(FIX / "smart_bomb.xml")
    with pytest.raises(DataError, match="limit"):
        read_smart_xml(P13, max_bytes=1000)


def test_truncated_file_keeps_what_came_before_the_error() -> None:
    d = read_smart_xml(FIX / "smart_truncated.xml")
    assert len(d.waypoints) == 2
    assert len(d.patrols) == 1
    assert d.rejects and d.rejects[-1].reason.startswith("smart_truncated.xml: XML is malformed")
    assert d.rejects[-1].line == 9


def test_round_trip(tmp_path: Path) -> None:
    files = [P13, FIX / "smart_patrol_1_2.xml", FIX / "smart_incident.xml"]
    first = PatrolData.concat([read_smart_xml(f, utc_offset="+03:00") for f in files])
    written = write_smart_xml(first, tmp_path, utc_offset="+03:00")
    assert {p.name for p in written} >= {"patrol-SRG_000101.xml", "incident-1.xml"}
    assert "xml/1.3/patrol" in written[0].read_text()
    second = PatrolData.concat([read_smart_xml(p, utc_offset="+03:00") for p in written])
    assert not second.rejects
    a, b = canon(first), canon(second)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=False, atol=1e-9,
                                      obj=name)


def test_hostile_ids_make_safe_file_names(tmp_path: Path) -> None:
    d = read_smart_xml(FIX / "smart_patrol_1_2.xml")
    d.patrols["patrol_id"] = "../../etc/<x>"
    d.waypoints["patrol_id"] = "../../etc/<x>"
    d.observations["patrol_id"] = "../../etc/<x>"
    (p,) = write_smart_xml(d, tmp_path)
    assert p.parent == tmp_path
    again = read_smart_xml(p)
    assert set(again.patrols["patrol_id"]) == {"../../etc/<x>"}


def test_a_file_that_cannot_be_read_at_all_is_one_reject_and_the_others_are_read(tmp_path: Path) -> None:
    """One hostile file among several never stops the batch: it is a reject naming the file."""
    from wildtrace.patrol.imports import read_patrols

    alone = read_patrols([FIX / "smart_patrol_1_2.xml"])
    both = read_patrols([FIX / "smart_bomb.xml", FIX / "smart_patrol_1_2.xml"])
    whole = [r for r in both.rejects if "the whole file was not read" in r.reason]
    assert len(whole) == 1 and whole[0].reason.startswith("smart_bomb.xml:") and "DOCTYPE" in whole[0].reason
    assert len(both.waypoints) == len(alone.waypoints) > 0
    assert len(both.rejects) == len(alone.rejects) + 1


def _one_patrol(pid: str = "P1", body: str = "") -> str:
    return (f'<ns2:patrol xmlns:ns2="http://www.smartconservationsoftware.org/xml/1.3/patrol" '
            f'id="{pid}"><ns2:legs id="L1"><ns2:days date="2021-01-01" startTime="08:00:00" '
            f'endTime="12:00:00"><ns2:waypoints id="1" x="30.1" y="0.2" time="08:00:00">{body}'
            "</ns2:waypoints></ns2:days></ns2:legs></ns2:patrol>")


def test_a_doctype_anywhere_is_refused_even_after_a_long_comment(tmp_path: Path) -> None:
    laughs = ('<!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>')
    late = tmp_path / "late.xml"
    late.write_text('<?xml version="1.0"?><!--' + "x" * 70_000 + "-->" + laughs
                    + _one_patrol("&b;"))
    with pytest.raises(DataError, match="DOCTYPE"):
        read_smart_xml(late)
    wide = tmp_path / "utf16.xml"  # no ASCII bytes to scan for: the parser's own doctype counts
    wide.write_bytes(('<?xml version="1.0" encoding="UTF-16"?>' + laughs
                      + _one_patrol("&b;")).encode("utf-16"))
    with pytest.raises(DataError, match="DOCTYPE"):
        read_smart_xml(wide)


def test_an_incident_waypoint_with_no_observation_is_a_reject(tmp_path: Path) -> None:
    f = tmp_path / "i.xml"
    f.write_text('<?xml version="1.0"?><Waypoint xmlns="http://www.smartconservationsoftware.org/'
                 'xml/1.0/independentincident" id="1" x="30.1" y="0.2" '
                 'dateTime="2021-01-01T10:00:00"/>')
    d = read_smart_xml(f)
    assert [(r.line, r.reason) for r in d.rejects] == [
        (1, "i.xml: waypoint outside any patrol with no observation: nothing to keep")]


def test_ids_that_clash_as_file_names_get_files_of_their_own(tmp_path: Path) -> None:
    """a/b and a_b, two long ids with one prefix, A and a: every patrol its own file, even
    patrols with no observation at all."""
    ids = ["a/b", "a_b", "A" * 100 + "1", "A" * 100 + "2", "Q", "q"]
    for i, pid in enumerate(ids):
        (tmp_path / f"in{i}.xml").write_text(_one_patrol(pid).replace('x="30.1"', f'x="3{i}.1"'))
    d = read_smart_xml(sorted(tmp_path.glob("in*.xml")))
    assert d.observations.empty
    written = write_smart_xml(d, tmp_path / "out")
    assert len({p.name.lower() for p in written}) == len(ids) == len(written)
    assert (tmp_path / "out" / "patrol-a_b.xml").is_file()
    back = read_smart_xml(written)
    assert sorted(back.patrols["patrol_id"]) == sorted(ids)
    assert not back.rejects


def test_one_patrol_in_two_files_is_one_leg_with_a_note_and_copies_are_rejects(
        tmp_path: Path) -> None:
    from wildtrace.patrol.imports import read_patrols

    obs = '<ns2:groups><ns2:observations categoryKey="threat.snare."/></ns2:groups>'
    (tmp_path / "a.xml").write_text(_one_patrol("P1", obs))
    (tmp_path / "b.xml").write_text(_one_patrol("P1", obs))
    (tmp_path / "c.xml").write_text(_one_patrol("P1").replace('x="30.1"', 'x="30.5"'))
    d = read_patrols(tmp_path)
    assert (len(d.patrols), len(d.waypoints), len(d.observations)) == (1, 2, 1)
    assert sorted(r.reason for r in d.rejects) == [
        "b.xml: observation: duplicate of a.xml line 1 (same observation id)",
        "b.xml: waypoint: duplicate of a.xml line 1"]
    assert any("patrol P1 leg L1 (a.xml, b.xml, c.xml)" in n for n in d.notes)


def test_two_identical_observations_in_one_file_are_two_finds_but_a_second_copy_of_the_file_is_not(
        tmp_path: Path) -> None:
    """Two snares logged at one waypoint with the same attributes are two observations (each with
    its own id); the same file exported again repeats them, and its copies are rejects."""
    from wildtrace.patrol.imports import read_patrols

    text = (FIX / "smart_patrol_1_2.xml").read_text(encoding="utf-8")
    start = text.index("<ns2:observations ")
    end = text.index("</ns2:observations>") + len("</ns2:observations>")
    twice = text[:end] + "\n" + text[start:end] + text[end:]
    (tmp_path / "a.xml").write_text(twice, encoding="utf-8")
    (tmp_path / "b.xml").write_text(twice, encoding="utf-8")
    once = read_patrols([FIX / "smart_patrol_1_2.xml"])
    one = read_patrols([tmp_path / "a.xml"])
    assert len(one.observations) == len(once.observations) + 1, "both observations of the waypoint kept"
    both = read_patrols([tmp_path / "a.xml", tmp_path / "b.xml"])
    assert len(both.observations) == len(one.observations)
    copies = [r for r in both.rejects if r.reason.startswith("b.xml:") and "duplicate of a.xml" in r.reason]
    assert len(copies) >= len(one.observations), both.rejects
