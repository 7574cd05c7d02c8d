from __future__ import annotations

import pytest

from wildtrace.sellers.identifiers import (
    base58check_ok,
    country_hint,
    deobfuscate,
    extract,
    from_listing,
)


def _values(text: str, country: str | None = None) -> set[str]:
    return {f"{i.kind}:{i.value}" for i in extract(text, country=country)}


@pytest.mark.parametrize("text,country,expected", [
    ("DM me on WhatsApp +84 912 345 678", None, {"whatsapp:+84912345678", "phone:+84912345678"}),
    ("Liên hệ Zalo 0987 654 321", "VN", {"zalo:+84987654321", "phone:+84987654321"}),
    ("hubungi WA 0812-3456-7890", "ID", {"whatsapp:+6281234567890", "phone:+6281234567890"}),
    ("call zero nine one two three four five six seven eight", "VN", {"phone:+84912345678"}),
    ("gọi không chín một hai ba bốn năm sáu bảy tám nhé", "VN", {"phone:+84912345678"}),
    ("电话 幺三八一二三四五六七八", "CN", {"phone:+8613812345678"}),
    ("tel ０９１２３４５６７８", "VN", {"phone:+84912345678"}),
    ("số 0 9 1 2 3 4 5 6 7 8", "VN", {"phone:+84912345678"}),
    ("zero nine 1 2 three 4 5 6 7 8", "VN", {"phone:+84912345678"}),
])
def test_phones_are_e164_after_deobfuscation(text: str, country: str | None, expected: set[str]) -> None:
    assert _values(text, country) == expected, deobfuscate(text)


@pytest.mark.parametrize("text,expected", [
    ("mail hornking at gmail dot com", "email:hornking@gmail.com"),
    ("ivory[at]proton[dot]me", "email:ivory@proton.me"),
    ("Ivory (at) Proton (dot) Me", "email:ivory@proton.me"),
    ("write to Sales@Example.co.uk", "email:sales@example.co.uk"),
])
def test_emails(text: str, expected: str) -> None:
    assert expected in _values(text), (text, _values(text))


@pytest.mark.parametrize("text,expected", [
    ("收藏级，私聊，加微信 wx: hk_horn_88", {"wechat:hk_horn_88"}),
    ("加V信：Horn_King2024", {"wechat:horn_king2024"}),
    ("telegram @ivory_seller", {"telegram:ivory_seller"}),
    ("join t.me/horn_dealer", {"telegram:horn_dealer", "url:http://t.me/horn_dealer", "domain:t.me"}),
    ("line id: thai.horn99", {"line:thai.horn99"}),
    ("QQ 123456789", {"qq:123456789"}),
    ("wa.me/84912345678", {"whatsapp:+84912345678", "url:http://wa.me/84912345678", "domain:wa.me"}),
])
def test_messenger_handles(text: str, expected: set[str]) -> None:
    assert _values(text) == expected


def test_urls_and_domains_are_canonical() -> None:
    got = _values("see https://www.Shop-Example.com/item/5/ now")
    assert got == {"url:https://shop-example.com/item/5", "domain:shop-example.com"}


def test_wallets_with_checksums() -> None:
    good_btc = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"
    bad_btc = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3"
    eth = "0x52908400098527886E0F7030069857D2E4169EE7"
    assert base58check_ok(good_btc) and not base58check_ok(bad_btc)
    got = _values(f"pay {good_btc} or {bad_btc} or {eth}")
    assert got == {f"wallet:BTC:{good_btc}", f"wallet:ETH:{eth.lower()}"}


@pytest.mark.parametrize("text", [
    "line drawing of an elephant, ivory colour",
    "firmware version 2.0.1 and room 250",
    "two or three pieces, one big",
    "Năm nay hai ba người mua",
])
def test_innocent_text_yields_nothing(text: str) -> None:
    assert _values(text, "VN") == set()


def test_hostile_text_does_not_break_extraction() -> None:
    text = "<script>alert(1)</script>'; DROP TABLE x;-- $(rm -rf /) ../../etc/passwd " + "9" * 5000
    assert isinstance(extract(text), list)


def test_listing_country_hint_and_fields() -> None:
    listing = {"id": "d01", "title": "Rhino horn", "text": "Zalo 0987 654 321", "seller": "hornking88",
               "location": "Hanoi, VN"}
    assert country_hint(listing) == "VN"
    assert country_hint({"lang": "th"}) == "TH"
    idents = from_listing(listing, extra_text={"ocr": "wx: hk_horn_88"})
    assert {(i.kind, i.value, i.field) for i in idents} == {
        ("zalo", "+84987654321", "text"), ("phone", "+84987654321", "text"), ("wechat", "hk_horn_88", "ocr")}
