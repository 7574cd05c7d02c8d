"""Offline language identification for the eight languages."""

from __future__ import annotations

import pytest

from wildtrace.scan.lang import detect


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
