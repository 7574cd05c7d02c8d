"""Word boundaries in Chinese and Thai text, which is written without spaces between words.

The lexicon matches Chinese and Thai terms anywhere in a run of those scripts; for *short*
terms (one Chinese character, up to three Thai characters) that finds words inside other words:
象 (elephant) inside 现象 (phenomenon), 犀 inside 犀利 (sharp), กระ (hawksbill) inside กระเบน
(stingray), นอ (rhino horn) inside นอน (sleep). A short term counts only when it starts and ends
on a word boundary of the segmented text. Segmenters: rjieba (jieba's dictionary in Rust; about
4 µs a sentence) for Chinese, pythainlp's ``newmm`` for Thai. pythainlp is imported on the first
Thai text that needs it (about 1 s of CPU to load its dictionary, which a scan without Thai
should not pay).
"""

from __future__ import annotations

import re
from functools import lru_cache

import rjieba  # type: ignore[import-not-found,import-untyped,unused-ignore]

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_THAI = "\u0e00-\u0e7f"
_RUNS = re.compile(f"[{_CJK}]+|[{_THAI}]+")
_IS_CJK = re.compile(f"[{_CJK}]")
_IS_THAI = re.compile(f"[{_THAI}]")
#: the longest term that must fall on word boundaries, per script
SHORT = {"cjk": 1, "thai": 3}


def is_short(term: str) -> bool:
    """A Chinese or Thai term short enough to be found inside longer words."""
    if _IS_CJK.match(term):
        return len(term) <= SHORT["cjk"]
    if _IS_THAI.match(term):
        return len(term) <= SHORT["thai"]
    return False


@lru_cache(maxsize=4096)
def boundaries(text: str) -> frozenset[int]:
    """Offsets in ``text`` where a Chinese or Thai word starts or ends (the ends of each run included)."""
    out: set[int] = set()
    for run in _RUNS.finditer(text):
        start = run.start()
        out.add(start)
        out.add(run.end())
        words = _thai_words(run.group()) if _IS_THAI.match(run.group()) else rjieba.cut(run.group())
        pos = start
        for word in words:
            pos += len(word)
            out.add(pos)
    return frozenset(out)


def aligned(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` starts and ends on word boundaries."""
    cuts = boundaries(text)
    return start in cuts and end in cuts


def _thai_words(run: str) -> list[str]:
    # imported here: pythainlp loads its dictionary (~1 s of CPU) on first use; only Thai text needs it
    from pythainlp.tokenize import word_tokenize  # type: ignore[import-not-found,import-untyped,unused-ignore]

    return list(word_tokenize(run, engine="newmm", keep_whitespace=False))
