"""Search terms for a source's ``{term}`` start URLs, from the project's own reference data.

``search_terms(languages, limit)``: for each language, the product trade names (``rhino horn``,
``犀角``), those of taxa with trade names in the most languages first (a proxy for how widely a
product is traded), then the common names of species and genera, Appendix I first, then II;
names the reference data marks as ambiguous are skipped (they need context that a search box
does not give); each language gives up to ``limit`` terms, in that order."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cache

from wildtrace.taxa import refdata

_ORDER = {"I": 0, "I/II": 0, "II": 1, "III": 2}
#: the languages listings are scanned in (the mission's eight, Malay with Indonesian)
SUPPORTED = ("en", "fr", "es", "pt", "zh", "vi", "th", "id", "ms")


@cache
def _reference() -> refdata.ReferenceData:
    return refdata.load()


#: a search language -> the reference data's name keys
_KEYS = {"zh": ("zh_hans", "zh_hant")}


def _names(table: dict[str, tuple[str, ...]], lang: str) -> Iterator[str]:
    for key in _KEYS.get(lang, (lang,)):
        yield from table.get(key, ())


def _candidates(lang: str) -> Iterator[str]:
    # the most widely translated trade names first (a proxy for how much a product is traded)
    taxa = sorted(_reference().taxa, key=lambda t: (-len(t.trade_names), _ORDER.get(t.cites_appendix, 3),
                                                    t.scientific_name))
    for t in taxa:
        yield from (n for n in _names(t.trade_names, lang) if n not in t.ambiguous_names)
    for t in sorted(taxa, key=lambda t: (_ORDER.get(t.cites_appendix, 3), t.scientific_name)):
        if t.is_specific:
            yield from (n for n in _names(t.names, lang) if n not in t.ambiguous_names)


def search_terms(languages: Iterable[str], limit: int) -> list[str]:
    """Up to ``limit`` terms per language (see the module); an unknown language is a ValueError."""
    out: list[str] = []
    for lang in languages:
        if lang not in SUPPORTED:
            raise ValueError(f"unknown language {lang!r} (known: {', '.join(sorted(SUPPORTED))})")
        picked: list[str] = []
        for name in _candidates(lang):
            if name.casefold() not in {p.casefold() for p in picked}:
                picked.append(name)
            if len(picked) >= limit:
                break
        out += picked
    return list(dict.fromkeys(out))
