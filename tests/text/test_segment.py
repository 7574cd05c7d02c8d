"""Short Chinese and Thai terms count only on word boundaries (text/segment.py). Mechanics."""

from __future__ import annotations

import pytest

from wildtrace.scan.result import ScanResult
from wildtrace.scan.scanner import Scanner
from wildtrace.text import segment


def _taxa(scanner: Scanner, title: str) -> set[str]:
    (r,) = scanner.scan([{"id": "x", "title": title}])
    assert isinstance(r, ScanResult)
    return {t["scientific_name"] for t in r.taxa}


def test_short_terms_are_the_ones_segmented() -> None:
    assert segment.is_short("象") and segment.is_short("กระ") and segment.is_short("นอ")
    assert not segment.is_short("象牙") and not segment.is_short("กวาง") and not segment.is_short("ivory")


def test_boundaries_of_a_chinese_run() -> None:
    text = "大象的象牙"
    assert segment.aligned(text, 0, 2) and segment.aligned(text, 3, 5)
    assert not segment.aligned(text, 1, 2), "象 inside 大象"


@pytest.mark.parametrize("title", ["这是一种现象，形象很好，价格便宜", "犀利的评论，价格便宜"])
def test_a_chinese_character_inside_a_word_is_not_a_taxon(scanner: Scanner, title: str) -> None:
    assert not _taxa(scanner, title)


def test_a_thai_short_term_inside_a_word_is_not_counted(scanner: Scanner) -> None:
    (r,) = scanner.scan([{"id": "x", "title": "นอนหลับสบาย ราคา 500 บาท"}])  # นอน (sleep) holds นอ (horn)
    assert isinstance(r, ScanResult) and r.verdict == "not_wildlife" and not r.product_types
    assert "Eretmochelys imbricata" not in _taxa(scanner, "กระเบนราหู ว่ายน้ำ")  # stingray, not hawksbill (กระ)


def test_whole_words_still_count(scanner: Scanner) -> None:
    assert "Elephantidae" in _taxa(scanner, "大象 象牙 出售 微信")
    assert "Eretmochelys imbricata" in _taxa(scanner, "กระดองกระ แท้ ขาย")


def test_aligned_segments_only_the_runs_it_needs_with_the_same_answers() -> None:
    """``aligned`` segments only the runs around a span (cached per run); its answers are those of
    the whole text's ``boundaries``, on runs of Chinese and Thai side by side, spaces and Latin."""
    import random

    def reference(text: str, start: int, end: int) -> bool:
        cuts = segment.boundaries(text)
        if start not in cuts:
            return False
        if end in cuts:
            return True
        if end - start < 2 or not segment._IS_CJK.match(text[start]):
            return False
        after = min((c for c in cuts if c > end), default=len(text))
        return text[end:after] in segment.MATERIAL_SUFFIXES

    rng = random.Random(11)
    alphabet = list("象牙大象现象犀角犀利珊瑚红色酸枝木片ขายงาช้างนอแรดกระเบนลิ่นกลิ่น ab")
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30))) for _ in range(400)]
    texts += ["黄酸枝木饰面", "现象 象牙ขายงาช้าง", "กลิ่นลิ่น象牙色"]
    checked = 0
    for text in texts:
        for start in range(len(text)):
            for end in range(start + 1, min(len(text), start + 6) + 1):
                assert segment.aligned(text, start, end) == reference(text, start, end), (text, start, end)
                checked += 1
    assert checked > 10_000
