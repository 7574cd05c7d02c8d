"""Normalisation undoes the tricks sellers use, in every language, and maps back to the source."""

from __future__ import annotations

import pytest

from wildtrace.text.normalize import fold, normalize, normalize_term

CASES = [
    # (written, match form) — one row per trick
    ("IVORY", "ivory"),  # case
    ("ｉｖｏｒｙ ＢＯＮＥ", "ivory bone"),  # full-width letters
    ("象牙１２３", "象牙123"),  # full-width digits
    ("i\u200bvo\u200dry", "ivory"),  # zero-width characters
    ("i\u00adv\u2060ory", "ivory"),  # soft hyphen, word joiner
    ("іvоrу", "ivory"),  # Cyrillic look-alikes
    ("ΙVΟRΥ", "ivory"),  # Greek capitals look-alikes
    ("i.v.o.r.y", "ivory"),  # dots
    ("i v o r y bangle", "ivory bangle"),  # spaces
    ("r-h-i-n-o horn", "rhino horn"),  # dashes
    ("1v0ry b0ne", "ivory bone"),  # leetspeak
    ("象 牙", "象牙"),  # spaced Chinese
    ("象牙手鐲", "象牙手镯"),  # traditional -> simplified
    ("犀牛角 穿山甲鱗片", "犀牛角 穿山甲鳞片"),  # traditional; one space kept between two Chinese words
    ("Vảy tê tê", "vay te te"),  # Vietnamese with diacritics
    ("Vay te te", "vay te te"),  # Vietnamese without
    ("Sừng tê giác", "sung te giac"),
    ("Mật gấu", "mat gau"),
    ("Đồ cổ", "do co"),  # đ has no decomposition
    ("Écailles de pangolin", "ecailles de pangolin"),  # French
    ("défense d'éléphant", "defense d elephant"),
    ("colmillo de marfil auténtico", "colmillo de marfil autentico"),  # Spanish
    ("escamas de pangolim à venda", "escamas de pangolim a venda"),  # Portuguese
    ("งา ช้าง แท้", "งาช้างแท้"),  # Thai, spaced
    ("นอแรด", "นอแรด"),  # Thai kept (its marks are not Latin diacritics)
    ("sisik   trenggiling", "sisik trenggiling"),  # Indonesian, repeated spaces
    ("Gading-gajah", "gading gajah"),  # Malay, hyphen
    ("rhino—horn!!!", "rhino horn "),  # punctuation to spaces
    ("#WalrusIvory carving", " walrus ivory carving"),  # camel-case hashtag split
    ("#SharkFinSoup #ivory", " shark fin soup ivory"),
    ("McDonald iPhone", "mcdonald iphone"),  # camel case outside a hashtag is left alone
]


@pytest.mark.parametrize(("written", "expected"), CASES)
def test_match_form(written: str, expected: str) -> None:
    norm, _ = normalize(written)
    assert norm == expected, (written, norm)


@pytest.mark.parametrize(("written", "expected"), CASES)
def test_index_points_back_to_source(written: str, expected: str) -> None:
    norm, index = normalize(written)
    assert index is not None and len(index) == len(norm)
    assert index == sorted(index), "positions stay in order"
    for j, i in enumerate(index):
        if norm[j] != " ":
            # the source character folds to the match-form character
            assert norm[j] in normalize(written[i])[0] or written[i].isdigit(), (written, j, i)


def test_span_maps_to_original_text() -> None:
    text = "Bán  v.ả.y   TÊ TÊ giá tốt"
    norm, index = normalize(text)
    start = norm.index("vay te te")
    end = start + len("vay te te")
    assert index is not None
    assert text[index[start]: index[end - 1] + 1] == "v.ả.y   TÊ TÊ"


def test_words_are_not_glued_wrongly() -> None:
    # ordinary words are untouched; only runs of three or more single letters are rejoined
    assert normalize("a lot of ivory")[0] == "a lot of ivory"
    assert normalize("u s a")[0] == "usa"
    assert normalize("a i-v-o-r-y carving")[0] == "a ivory carving", "the article keeps its own separator"
    assert normalize("i. v. o. r. y")[0] == "ivory"


def test_leetspeak_leaves_plain_numbers() -> None:
    assert normalize("500 usd 2024")[0] == "500 usd 2024"


def test_term_and_fold() -> None:
    assert normalize_term("  Bird's nest ") == "bird s nest"
    assert fold("Giá: 2.500.000₫") == "gia: 2.500.000₫"
    assert fold("ＵＳＤ５００") == "usd500"
