"""An offer needs offer evidence: weak vs strong sale cues, prose vs titles, the marketplace hint,
and Vietnamese words that differ only by their tone marks. Mechanics only: the texts are ours."""

from __future__ import annotations

from typing import Any

import pytest

from wildtrace.scan.result import ScanResult
from wildtrace.scan.scanner import Scanner

INFO_ID = ("Di pasar lokal, harga sisik trenggiling berkisar Rp 500 ribu sampai Rp 600 ribu, tetapi di pasar "
           "internasional harganya bisa mencapai Rp 50 juta per kilogram menurut para peneliti.")
INFO_EN = ("A kilo of rhino horn powder is said to fetch around 60,000 dollars, more than the price of gold, "
           "which is why the animals are hunted across the continent.")


def _one(scanner: Scanner, **fields: Any) -> ScanResult:
    (r,) = scanner.scan([{"id": "x", **fields}])
    assert isinstance(r, ScanResult)
    return r


@pytest.mark.parametrize("text", [INFO_ID, INFO_EN])
def test_prose_with_prices_but_no_offer_wording_reads_as_information(scanner: Scanner, text: str) -> None:
    r = _one(scanner, text=text)
    assert r.verdict == "not_wildlife", r.reasons
    assert r.intent["value"] == "other"
    assert r.specimen["value"] == "wildlife"  # the facts stay: it is about a real wildlife product
    assert any(x.startswith("Reads as information") for x in r.reasons), r.reasons


@pytest.mark.parametrize("text", [INFO_ID + " Minat hubungi WA 0812 3456 7890.",
                                  INFO_EN + " We ship worldwide, DM me."])
def test_the_same_prose_with_contact_or_shipping_is_an_offer(scanner: Scanner, text: str) -> None:
    r = _one(scanner, text=text)
    assert r.verdict == "wildlife_offer", r.reasons
    assert r.intent["value"] == "offer"


def test_a_title_is_an_offer_by_its_form(scanner: Scanner) -> None:
    r = _one(scanner, title="Sisik trenggiling asli Rp 500rb per kg")
    assert r.verdict == "wildlife_offer", r.reasons


def test_a_marketplace_platform_is_a_documented_hint(scanner: Scanner) -> None:
    assert _one(scanner, text=INFO_EN).verdict == "not_wildlife"
    r = _one(scanner, text=INFO_EN, platform="eBay")
    assert r.verdict == "wildlife_offer", r.reasons


def test_report_wording_beats_a_price_but_not_a_contact(scanner: Scanner) -> None:
    r = _one(scanner, title="Polisi amankan sisik trenggiling senilai Rp 1,8 miliar")
    assert r.verdict == "not_wildlife" and r.intent["value"] == "other", r.reasons
    r = _one(scanner, title="Police seized ivory bangles worth $5,000 at the airport")
    assert r.verdict == "not_wildlife" and r.intent["value"] == "other", r.reasons
    r = _one(scanner, title="Ivory bangles, not seized stock, $500, whatsapp +84 912 345 678")
    assert r.intent["value"] == "offer"


def test_price_only_title_keeps_offer_intent(scanner: Scanner) -> None:
    r = _one(scanner, title="Ngà voi tự nhiên 30 triệu/kg")
    assert r.verdict == "wildlife_offer" and r.intent["value"] == "offer", r.reasons


def test_vietnamese_tone_marks_tell_voi_from_voi(scanner: Scanner) -> None:
    r = _one(scanner, title="Bán đĩa mài sừng tê nhập khẩu với giá 3 triệu đồng")
    assert not any(t["scientific_name"] == "Elephantidae" for t in r.taxa), r.matches
    assert any(t["scientific_name"] == "Elephantidae" for t in _one(scanner, title="Bán vòng ngà voi thật").taxa)
    # typed without diacritics, the plain word still matches
    assert any(t["scientific_name"] == "Elephantidae" for t in _one(scanner, title="ban vong nga voi that").taxa)


def test_ho_lon_is_not_a_tiger(scanner: Scanner) -> None:
    r = _one(scanner, title="Bán lẩu hổ lốn giá rẻ, ship tận nơi")
    assert not any(t["scientific_name"].startswith("Panthera") for t in r.taxa), r.matches
