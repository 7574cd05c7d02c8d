"""Detection: species resolution, products, code words, faux and depiction, reasons."""

from __future__ import annotations

import pytest


def names(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [t["scientific_name"] for t in result.taxa]


@pytest.mark.parametrize(("title", "expected"), [
    # species by common name, in each language
    ("Sunda pangolin scales for sale", "Manis javanica"),
    ("Baby African grey parrot, hand fed, for sale", "Psittacus erithacus"),
    ("Jual anakan kakatua jambul kuning", "Cacatua sulphurea"),
    ("Trăn gấm con giống giá rẻ", "Malayopython reticulatus"),
    ("Ball python for sale, healthy", "Python regius"),
    ("Helmeted hornbill casque carving, DM for price", "Rhinoplax vigil"),
    # synonyms and renamed genera resolve to the accepted name
    ("Python reticulatus skin for sale", "Malayopython reticulatus"),
    ("Manis tricuspis scales, wholesale price", "Phataginus tricuspis"),
    ("Manis gigantea scales, wholesale price", "Smutsia gigantea"),
    # generic names resolve to the higher taxon
    ("Vảy tê tê giá tốt", "Manidae"),
    ("Sisik trenggiling asli untuk dijual", "Manidae"),
    ("出售 穿山甲片", "Manidae"),
    ("Vende-se escamas de pangolim", "Manidae"),
    # traditional Chinese resolves like simplified
    ("出售 犀角 杯 老貨 保真", "Rhinocerotidae"),
])
def test_species_resolution(scan_one, title: str, expected: str) -> None:
    result = scan_one(title=title)
    assert expected in names(result), (title, names(result), result.reasons)
    assert result.verdict == "wildlife_offer", (title, result.reasons)


def test_specific_name_replaces_generic(scan_one) -> None:
    result = scan_one(title="Sunda pangolin scales, pangolin for sale")
    assert names(result) == ["Manis javanica"], "Manidae is dropped when a species below it is named"


def test_split_listing_is_reported(scan_one) -> None:
    result = scan_one(title="African elephant ivory tusk for sale")
    taxon = next(t for t in result.taxa if t["scientific_name"] == "Loxodonta africana")
    assert taxon["cites_appendix"] == "I/II"
    assert taxon.get("cites_split"), "split listings carry their populations"


def test_products_and_cites_status(scan_one) -> None:
    result = scan_one(title="Rhino horn powder, genuine, WhatsApp +84 912 345 678")
    assert "Rhinocerotidae" in names(result)
    assert "animal parts (bone or bone-like)" in result.product_types
    assert result.taxa[0]["cites_appendix"] in ("I", "I/II")
    assert result.risk_score > 0.5


def test_ivory_alone_implies_elephants(scan_one) -> None:
    result = scan_one(title="Old ivory bangle, price 300 USD")
    assert result.verdict == "wildlife_offer"
    assert "ivory products" in result.product_types
    inferred = result.taxa[0]
    assert inferred["scientific_name"] == "Elephantidae" and "inferred_from" in inferred


@pytest.mark.parametrize("title", [
    "i.v.o.r.y bangle for sale",
    "1v0ry bangle for sale",
    "ｉｖｏｒｙ bangle for sale",
    "i\u200bv\u200bo\u200br\u200by bangle for sale",
    "іvоrу bangle for sale",  # Cyrillic look-alikes
    "象 牙 手镯 出售",
    "象牙手鐲 出售",
])
def test_obfuscated_ivory_is_found(scan_one, title: str) -> None:
    result = scan_one(title=title)
    assert "ivory products" in result.product_types, (title, result.matches)
    assert result.verdict == "wildlife_offer"


def test_code_word_needs_context(scan_one) -> None:
    alone = scan_one(title="White plastic storage box")
    assert alone.verdict == "not_wildlife"
    coded = scan_one(title="Bovine bone bangle, old, creamy white, antique", price="450")
    assert coded.verdict == "wildlife_offer", coded.reasons
    assert any("code word" in r for r in coded.reasons)
    assert "Elephantidae" in names(coded)


@pytest.mark.parametrize(("title", "verdict"), [
    ("Cute shark plush toy 40cm", "depiction_or_faux"),
    ("Fossil shark teeth, megalodon replica", "depiction_or_faux"),
    ("Faux crocodile leather handbag, vegan leather", "depiction_or_faux"),
    ("Elephant print cushion cover", "depiction_or_faux"),
    ("Đồ chơi thú bông con hổ", "depiction_or_faux"),
    ("Ivory colour lace wedding dress", "not_wildlife"),
    ("Learn Python programming course", "not_wildlife"),
    ("Second-hand iPhone 13, good condition", "not_wildlife"),
])
def test_faux_depiction_and_innocent(scan_one, title: str, verdict: str) -> None:
    result = scan_one(title=title)
    assert result.verdict == verdict, (title, result.verdict, result.reasons, result.matches)
    assert result.risk_score < 0.2


def test_negated_faux_counts_as_authenticity(scan_one) -> None:
    result = scan_one(title="Real ivory bangle, not resin, not plastic", price="900")
    assert result.verdict == "wildlife_offer", result.reasons


def test_vietnamese_diacritics_are_respected(scan_one) -> None:
    # "ngà" (ivory) typed without diacritics still matches ...
    assert "ivory products" in scan_one(title="Vong nga voi that, gia re").product_types
    # ... but a listing written with diacritics does not turn "Nga" (Russia) into ivory
    result = scan_one(title="Đồ lưu niệm từ Nga, búp bê gỗ")
    assert "ivory products" not in result.product_types


def test_every_flag_is_explained(scan_one) -> None:
    result = scan_one(title="Vảy tê tê giá tốt", text="Liên hệ Zalo 0987 654 321")
    assert result.reasons
    text = " ".join(result.reasons)
    assert "Manidae" in text and "CITES Appendix I" in text
    assert "sale intent" in text.lower()
    for m in result.matches:
        assert m.term, m


def test_score_ordering(scan_one) -> None:
    appendix_one = scan_one(title="Helmeted hornbill casque for sale")
    appendix_two = scan_one(title="Ball python for sale")
    nothing = scan_one(title="Mountain bike for sale")
    assert appendix_one.risk_score > appendix_two.risk_score > nothing.risk_score
