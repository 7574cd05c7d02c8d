"""Offline language identification for the eight languages."""

from __future__ import annotations

import pytest

from wildtrace.text.lang import detect


@pytest.mark.parametrize(("text", "lang"), [
    ("Raw rhino horn pieces for sale, genuine, ship worldwide", "en"),
    ("Vends défense d'éléphant en ivoire, pièce ancienne, prix à débattre", "fr"),
    ("Vendo colmillo de marfil auténtico, envío a todo el país", "es"),
    ("Vende-se escamas de pangolim, entrega rápida, preço por kg", "pt"),
    ("出售 犀角 杯 老货 保真 私聊", "zh"),
    ("象牙手鐲 天然 正品 包郵", "zh"),
    ("Vảy tê tê loại 1 giá tốt, liên hệ Zalo", "vi"),
    ("ขาย นอแรด แท้ ราคาถูก ส่งฟรี", "th"),
    ("Sisik trenggiling asli untuk obat, harga murah, dijual per kg", "id"),
    ("Gelang gading untuk dijual, boleh pos ke seluruh Malaysia", "ms"),
    ("Mesa de comedor de roble macizo, muy buen estado", "es"),
    ("ok", "und"),
])
def test_detect(text: str, lang: str) -> None:
    assert detect(text) == lang, text


def test_given_language_wins_and_is_normalised() -> None:
    assert detect("anything at all here", "VIE") == "vi"
    assert detect("anything at all here", "zh-TW") == "zh"
    assert detect("anything at all here", "in") == "id"


@pytest.mark.parametrize("text, lang", [
    ("Vendo escamas de pangolim, entrega rápida", "pt"),
    ("Marfim verdadeiro à venda, preço bom", "pt"),
    ("Tenho papagaio filhote para vender", "pt"),
    ("Vendo escamas de pangolín, envío rápido", "es"),
    ("Bán vảy tê tê giá tốt", "vi"),
    ("Jual sisik trenggiling asli", "id"),
])
def test_the_same_short_listing_under_50_suffixes_gets_one_language(text: str, lang: str) -> None:
    """Issue 14: a Portuguese listing repeated with a " #N" suffix was tagged es in about half the copies."""
    assert {detect(f"{text} #{n}") for n in range(50)} == {lang}
