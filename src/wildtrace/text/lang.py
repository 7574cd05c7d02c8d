"""Offline language identification.

Script decides first (Thai, Chinese, Japanese kana, Korean, Vietnamese letters).
For Latin-script text, frequent function words (``data/langs.yaml``) answer
when they are clear; otherwise py3langid, whose model ships inside its wheel,
decides. A ``lang`` given with the listing wins.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from wildtrace import manifest

_WORDS = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)?")
#: Languages py3langid may answer for Latin-script text.
LATIN_LANGS = ["en", "fr", "es", "pt", "id", "ms", "de", "it", "nl", "tl", "vi"]

#: Characters of Latin-script text given to the classifier (its cost grows with length).
SAMPLE_CHARS = 100

_THAI = re.compile("[\u0e00-\u0e7f]")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile("[\u3040-\u30ff]")
_HANGUL = re.compile("[\uac00-\ud7af]")
_LETTER = re.compile(r"[^\W\d_]")
_ASCII_LETTER = re.compile(r"[A-Za-z]")
# Letters found in Vietnamese and in no other target language.
_VIET = re.compile("[ăđơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹĩũ]", re.IGNORECASE)

_ALIASES = {"zh-cn": "zh", "zh-tw": "zh", "zh-hans": "zh", "zh-hant": "zh", "in": "id", "may": "ms",
            "vie": "vi", "tha": "th", "ind": "id", "zho": "zh", "chi": "zh", "eng": "en", "fra": "fr",
            "fre": "fr", "spa": "es", "por": "pt", "msa": "ms"}


@lru_cache(maxsize=1)
def _function_words() -> tuple[dict[str, tuple[str, ...]], frozenset[str]]:
    with open(manifest.path("langs"), encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    table: dict[str, list[str]] = {}
    for code, words in doc["words"].items():
        for word in words:
            table.setdefault(str(word), []).append(code)
    return {w: tuple(c) for w, c in table.items()}, frozenset(doc["malay_markers"])


def _by_function_words(sample: str) -> str | None:
    """A clear answer from function words, or None (ask the statistical model)."""
    table, malay = _function_words()
    counts: dict[str, int] = {}
    words = _WORDS.findall(sample.lower())
    for word in words:
        for code in table.get(word, ()):
            counts[code] = counts.get(code, 0) + 1
    if not counts:
        return None
    ranked = sorted(counts.items(), key=lambda kv: kv[1], reverse=True)
    best, hits = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    if hits < 2 or hits < 2 * runner_up:
        return None
    if best == "id" and malay.intersection(words):
        return "ms"
    return best


#: Where the unpacked classifier is kept between runs (``warm`` sets it; ``text/langmodel.py``)
_cache_dir: Path | None = None


@lru_cache(maxsize=1)
def _identifier() -> Any:
    # numpy and py3langid are imported only when a text needs the classifier
    from wildtrace.text import langmodel

    return langmodel.identifier(LATIN_LANGS, _cache_dir)


def warm(cache_dir: Path | None = None, *, model: bool = True) -> None:
    """Load the word lists (and, with ``model``, the classifier) now, at start-up, not on the first
    listing; with ``cache_dir``, the classifier from its unpacked copy there (written on first use).
    ``model=False`` leaves the classifier to the first text that script and function words leave
    unsure (about 0.02 CPU-s from the unpacked copy, plus importing numpy)."""
    global _cache_dir
    if cache_dir is not None:
        _cache_dir = cache_dir
    if model:
        _identifier()
    _function_words()


def clean_code(code: str) -> str:
    code = code.strip().lower().replace("_", "-")
    return _ALIASES.get(code, code.split("-")[0] if len(code) > 3 and "-" in code else code)


def detect(text: str, given: str | None = None) -> str:
    """An ISO 639-1 code, or ``und`` when the text is too short to tell."""
    if given and given.strip():
        return clean_code(given)
    sample = text[:240]
    if sample.isascii():
        return _latin(sample, len(_ASCII_LETTER.findall(sample)))
    letters = len(_LETTER.findall(sample))
    if letters < 3:
        return "und"
    thai = len(_THAI.findall(sample))
    han = len(_HAN.findall(sample))
    if thai * 3 >= letters:
        return "th"
    if _KANA.search(sample) and han + thai < letters:
        return "ja"
    if _HANGUL.search(sample) and len(_HANGUL.findall(sample)) * 3 >= letters:
        return "ko"
    if han * 3 >= letters:
        return "zh"
    if len(_VIET.findall(sample)) >= 2:
        return "vi"
    return _latin(sample, letters)


def _latin(sample: str, letters: int) -> str:
    if letters < 3:
        return "und"
    if letters < 8:
        return "und"
    quick = _by_function_words(sample)
    if quick:
        return quick
    return _classify(sample[:SAMPLE_CHARS])


@lru_cache(maxsize=8192)
def _classify(sample: str) -> str:
    """The statistical model's answer, kept for the text's repeats (reposts, copied titles)."""
    lang: str = _identifier().classify(sample)[0]
    return lang
