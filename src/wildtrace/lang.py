"""Offline language identification.

Script decides first (Thai, Chinese, Japanese kana, Korean, Vietnamese letters);
py3langid, whose model ships inside its wheel, decides between Latin-script
languages. A ``lang`` given with the listing wins.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

#: Languages py3langid may answer for Latin-script text.
LATIN_LANGS = ["en", "fr", "es", "pt", "id", "ms", "de", "it", "nl", "tl", "vi"]

_THAI = re.compile("[\u0e00-\u0e7f]")
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile("[\u3040-\u30ff]")
_HANGUL = re.compile("[\uac00-\ud7af]")
_LETTER = re.compile(r"[^\W\d_]")
# Letters found in Vietnamese and in no other target language.
_VIET = re.compile("[ăđơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹĩũ]", re.IGNORECASE)

_ALIASES = {"zh-cn": "zh", "zh-tw": "zh", "zh-hans": "zh", "zh-hant": "zh", "in": "id", "may": "ms",
            "vie": "vi", "tha": "th", "ind": "id", "zho": "zh", "chi": "zh", "eng": "en", "fra": "fr",
            "fre": "fr", "spa": "es", "por": "pt", "msa": "ms"}


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier  # type: ignore[import-untyped]

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)
    ident.set_languages(LATIN_LANGS)
    return ident


def clean_code(code: str) -> str:
    code = code.strip().lower().replace("_", "-")
    return _ALIASES.get(code, code.split("-")[0] if len(code) > 3 and "-" in code else code)


def detect(text: str, given: str | None = None) -> str:
    """An ISO 639-1 code, or ``und`` when the text is too short to tell."""
    if given and given.strip():
        return clean_code(given)
    sample = text[:400]
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
    if letters < 8:
        return "und"
    lang: str = _identifier().classify(sample[:200])[0]
    return lang
