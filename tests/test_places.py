"""Places: free-text locations to ISO 3166-1 alpha-2 codes, and listings counted per country."""

from __future__ import annotations

import json
from typing import Any

import pytest

from wildtrace import manifest
from wildtrace.places import country_of, fold, name_of, tally

#: Every location of the demo listings, placed by hand.
DEMO = {
    "Jakarta": "ID", "Manila": "PH", "Hanoi, VN": "VN", "Hà Nội": "VN", "广州": "CN", "香港": "HK",
    "London": "GB", "Antwerp": "BE", "Leeds": "GB", "Surabaya": "ID", "กรุงเทพ": "TH", "Paris": "FR",
    "Madrid": "ES", "São Paulo": "BR", "Medan": "ID", "延边": "CN", "Nghệ An": "VN", "Vientiane": "LA",
    "Seattle": "US", "Bristol": "GB", "Austin": "US", "Online": None, "Berlin": "DE", "Florida": "US",
    "TP HCM": "VN", "Lạng Sơn": "VN", "Dubai": "AE", "Cebu": "PH", "Sydney": "AU", "Tijuana": "MX",
    "Lagos": "NG", "Moscow": "RU", "Kampala": "UG",
}


def test_every_demo_location_is_placed_as_by_hand() -> None:
    with open(manifest.path("demo_listings"), encoding="utf-8") as fh:
        seen = {json.loads(line).get("location") for line in fh}
    assert seen - {None} <= set(DEMO), f"a demo location the table above does not name: {seen - set(DEMO)}"
    wrong = {loc: country_of(loc) for loc, code in DEMO.items() if country_of(loc) != code}
    assert not wrong, wrong


@pytest.mark.parametrize(("text", "code"), [
    ("Hanoi, VN", "VN"), ("ha noi", "VN"), ("HÀ NỘI", "VN"), ("Jakarta Selatan, Indonesia", "ID"),
    ("广州市天河区", "CN"), ("กรุงเทพฯ", "TH"), ("Tokyo, Japan", "JP"), ("VNM", "VN"), ("Viet Nam", "VN"),
    ("Mombasa (Kenya)", "KE"), ("somewhere, TZ", "TZ"), ("", None), ("in", None), ("online shop", None),
    ("vn", None),  # lower-case two letters are a word, not a code
])
def test_country_of(text: str, code: str | None) -> None:
    assert country_of(text) == code, text


def test_fold_keeps_thai_marks_and_drops_latin_accents() -> None:
    assert fold("Lạng  Sơn") == "lang son"
    assert fold("Đà Nẵng") == "da nang"
    assert fold("กรุงเทพ") == "กรุงเทพ"


def test_name_of() -> None:
    assert name_of("VN") == "Vietnam" and name_of("XK") == "Kosovo" and name_of("ZZ") == "ZZ"


def test_tally_counts_places_and_keeps_what_it_could_not_place() -> None:
    records: list[dict[str, Any]] = [
        {"id": "a", "risk_score": 0.9, "listing": {"title": "t1", "location": "Hanoi"}},
        {"id": "b", "risk_score": 0.5, "listing": {"title": "t2", "location": "Hà Nội"}},
        {"id": "c", "listing": {"title": "t3", "location": "Lyon", "country": "BE"}},  # country wins
        {"id": "d", "listing": {"title": "t4", "location": "Atlantis"}},
        {"id": "e", "listing": {"title": "t5"}},
    ]
    t = tally(records)
    assert t.counts == {"VN": 2, "BE": 1}
    assert [r["id"] for r in t.examples["VN"]] == ["a", "b"]
    assert t.unplaced == {"Atlantis": 1} and t.missing == 1 and t.placed == 3
