"""EarthRanger JSON import: patrols, events and tracks as the API returns them, matched."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from wildtrace.errors import DataError
from wildtrace.patrol.earthranger import read_earthranger, write_earthranger_json
from wildtrace.patrol.records import PatrolData
from wildtrace.patrol.smart_xml import read_smart_xml

FIX = Path(__file__).parent / "fixtures"
FILES = [FIX / f"earthranger_{n}" for n in
         ("patrols.json", "events.json", "tracks.geojson", "observations.json")]
P1, P2, P3 = (f"0b6a2c1e-6f0e-4b7a-9d1e-5a0c9e3f120{i}" for i in (1, 2, 3))


def canon(data: PatrolData) -> dict[str, pd.DataFrame]:
    """The tables without file positions, in a stable order."""
    out = {}
    for name, keys in (("patrols", ["patrol_id", "leg_id"]),
                       ("waypoints", ["patrol_id", "leg_id", "time", "lon", "lat"]),
                       ("observations", ["obs_id"])):
        df = getattr(data, name).drop(columns=["source", "line"])
        out[name] = df.sort_values(keys).reset_index(drop=True)
    return out


@pytest.fixture(scope="module")
def data() -> PatrolData:
    return read_earthranger(FILES, utc_offset="+03:00")


def test_segments_become_legs(data: PatrolData) -> None:
    legs = data.patrols.set_index("patrol_id")
    assert legs.loc[P1, "transport"] == "routine_patrol"
    assert legs.loc[P1, "members"] == "Neema Mollel"
    assert legs.loc[P1, "start"] == pd.Timestamp("2023-01-31 15:00", tz="UTC")
    assert legs.loc[P1, "end"] == pd.Timestamp("2023-02-01 03:00", tz="UTC")
    # an active patrol has no end_time: its last track point ends it
    assert legs.loc[P2, "end"] == pd.Timestamp("2023-02-10 08:00", tz="UTC")


def test_tracks_matched_to_their_leaders_segment_across_months(data: PatrolData) -> None:
    w = data.waypoints
    p1 = w[w["patrol_id"] == P1]
    assert len(p1) == 5 and set(p1["source"]) == {"earthranger_tracks.geojson"}
    assert set(p1["time"].dt.strftime("%Y-%m")) == {"2023-01", "2023-02"}
    p2 = w[w["patrol_id"] == P2].sort_values("time")
    assert list(p2["time"].dt.strftime("%H:%M")) == ["04:00", "06:00", "08:00"]  # 09:00 local


def test_segment_without_track_uses_its_start_and_end(data: PatrolData) -> None:
    p3 = data.waypoints[data.waypoints["patrol_id"] == P3]
    assert list(zip(p3["lon"], p3["lat"], strict=True)) == [(34.9, -2.3), (34.94, -2.33)]
    assert any("no track points" in n for n in data.notes)


def test_events_linked_by_patrols_or_segment_or_none(data: PatrolData) -> None:
    o = data.observations.set_index("obs_id")
    e1, e2, e3 = (f"e1000000-0000-4000-8000-00000000000{i}" for i in (1, 2, 3))
    assert o.loc[e1, "patrol_id"] == P1
    assert json.loads(o.loc[e1, "attributes"]) == {"snare_count": 3, "action_taken": "removed",
                                                   "snare_type": "wire"}
    assert o.loc[e2, "patrol_id"] == P2  # only patrol_segments names it
    assert pd.isna(o.loc[e3, "patrol_id"])
    assert o.loc[e3, "time"] == pd.Timestamp("2023-02-14 08:20", tz="UTC")  # zone-less
    assert o.loc[e1, "category"] == "snare_rep"
    assert len(o) == 3  # the embedded copy of e1 is not counted twice


def test_rejects_and_notes(data: PatrolData) -> None:
    assert all(r.reason.startswith("earthranger_") for r in data.rejects), "each reject names its file"
    got = {(r.line, r.reason.split(': ', 1)[1]) for r in data.rejects}
    assert got == {
        (3, "track point: missing or unreadable coordinates"),
        (1, "track point: outside every patrol segment of its subject"),
        (4, "event: missing or unreadable coordinates"),
        (5, "event: coordinates out of range (looks like latitude/longitude swapped)"),
    }
    assert any("next page" in n for n in data.notes)
    assert any("local time UTC+03:00" in n for n in data.notes)


def test_round_trip(tmp_path: Path, data: PatrolData) -> None:
    written = write_earthranger_json(data, tmp_path / "er.json")
    assert [p.name for p in written] == ["er.json", "er.events.json", "er.tracks.geojson"]
    doc = json.loads(written[0].read_text())
    assert set(doc["data"]) == {"count", "next", "previous", "results"}
    assert "time_range" in doc["data"]["results"][0]["patrol_segments"][0]
    again = read_earthranger(written)
    assert not again.rejects
    a, b = canon(data), canon(again)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=False, atol=1e-9, obj=name)


def test_smart_patrol_written_as_earthranger(tmp_path: Path) -> None:
    first = read_smart_xml(FIX / "smart_patrol_1_3.xml", utc_offset="+03:00")
    second = read_earthranger(write_earthranger_json(first, tmp_path / "er.json"))
    assert len(second.waypoints) == len(first.waypoints)
    assert len(second.observations) == len(first.observations)
    assert not second.rejects


def test_not_json_is_a_data_error(tmp_path: Path) -> None:
    f = tmp_path / "bad.json"
    f.write_text("{not json", encoding="utf-8")
    with pytest.raises(DataError, match="not JSON"):
        read_earthranger(f)


def _event(eid: str, **kw: object) -> dict[str, object]:
    return {"id": eid, "event_type": "snare_rep", "time": "2021-03-01T10:00:00+03:00",
            "location": {"latitude": 0.2, "longitude": 30.1}, **kw}


def test_a_repeated_event_id_is_a_reject_never_an_overwrite(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps([_event("e1"), _event("e2")]))
    b.write_text(json.dumps([_event("e1", event_type="carcass"), _event("e2")]))
    d = read_earthranger([a, b])
    assert dict(zip(d.observations["obs_id"], d.observations["category"], strict=True)) == {
        "e1": "snare_rep", "e2": "snare_rep"}
    reasons = {r.record_id: (r.line, r.reason) for r in d.rejects}
    assert reasons["e1"] == (1, "b.json: duplicate event id e1 (with other content; the first "
                                "is kept: first in a.json element 1)")
    assert reasons["e2"][1].startswith("b.json: duplicate event id e2 (an identical copy")


def test_malformed_records_are_rejects_and_the_rest_is_read(tmp_path: Path) -> None:
    from wildtrace.patrol.imports import read_patrols

    good = _event("ok")
    cases = {
        "feature.geojson": {"type": "FeatureCollection", "features": ["x", {
            "type": "Feature", "properties": [1], "geometry": None}]},
        "patrols.json": [
            {"id": "p1", "patrol_segments": [{"id": "s1", "time_range": "2021"}]},
            {"id": "p2", "patrol_segments": [
                {"id": "s2", "time_range": {"start_time": "2021-03-01T00:00:00Z"},
                 "start_location": {"latitude": 0.1, "longitude": 30.0},
                 "events": [{"id": "x", "geojson": [1, 2]}, "y"]}, 7]},
            {"id": "p3", "patrol_segments": []}],
        "events.json": [_event("e9", patrols="p1"), good],
        "deep.json": "[" * 100_000 + "]" * 100_000,
    }
    for name, doc in cases.items():
        (tmp_path / name).write_text(doc if isinstance(doc, str) else json.dumps(doc))
    d = read_patrols(tmp_path)
    assert list(d.observations["obs_id"]) == ["ok"]
    assert list(d.patrols["patrol_id"]) == ["p2"]
    got = sorted((r.reason.split(":")[0], r.line, r.reason.split(": ", 1)[1]) for r in d.rejects)
    assert got == [
        ("deep.json", 0, "the whole file was not read: deep.json: JSON nested too deeply to "
                         "read (not an EarthRanger response)"),
        ("events.json", 1, "event e9: patrols is a str, not a list"),
        ("feature.geojson", 1, "track feature: str where an object belongs"),
        ("feature.geojson", 2, "track feature: list where an object belongs"),
        ("patrols.json", 1, "patrol p1 segment 1: str where an object belongs"),
        ("patrols.json", 2, "patrol p2 segment 1 event 1: geojson: list where an object belongs"),
        ("patrols.json", 2, "patrol p2 segment 1 event 2: not a JSON object"),
        ("patrols.json", 2, "patrol p2 segment 2: not a JSON object"),
        ("patrols.json", 3, "patrol p3 has no patrol segments: nothing to keep"),
    ]
    with pytest.raises(DataError, match="nested too deeply"):
        read_earthranger(tmp_path / "deep.json")


def test_an_empty_json_file_is_one_reject_and_the_others_are_read(tmp_path: Path) -> None:
    from wildtrace.patrol.imports import read_patrols

    (tmp_path / "empty.json").write_text("")
    (tmp_path / "events.json").write_text(json.dumps([_event("e1")]))
    d = read_patrols(tmp_path)
    assert list(d.observations["obs_id"]) == ["e1"]
    assert [r.reason.split(":")[0:2] for r in d.rejects] == [["empty.json", " the whole file was "
                                                              "not read"]]
