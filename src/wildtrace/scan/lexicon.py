"""The lexicon: every surface form WildTrace looks for, in one Aho-Corasick automaton.

Each reference-data word (taxon names and synonyms, product words, code words,
context cues) is put in its match form (``normalize.normalize_term``) and
stored with what it means (an ``Entry``). ``Lexicon.find`` runs the automaton
once over a normalised text and returns the longest, word-bounded matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import ahocorasick  # type: ignore[import-untyped]

from wildtrace.taxa.refdata import ReferenceData
from wildtrace.text import segment
from wildtrace.text.normalize import accent_key, has_diacritics, normalize_term

_WORD = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_PLURALS = ("s", "es")


@dataclass(frozen=True, slots=True)
class Entry:
    """What a surface form means."""

    kind: str  # taxon | product | code_word | sale_cue | depiction_cue | innocent | legality_cue | authenticity_cue
    ref: str  # scientific name, product type, or the cue's own term
    term: str  # the reference-data spelling
    lang: str
    ambiguous: bool = False
    context_required: bool = False
    accented: str | None = None  # accent_key(term) when the term carries diacritics
    source: str = ""


@dataclass(frozen=True, slots=True)
class Hit:
    """One match in a normalised text (positions in the match form)."""

    start: int
    end: int
    entries: tuple[Entry, ...]
    #: a short Chinese or Thai term: it counts only on word boundaries (text/segment.py)
    short_wide: bool = False


class Lexicon:
    def __init__(self, ref: ReferenceData, extra_terms: list[Entry] | None = None):
        self.ref = ref
        table: dict[str, dict[tuple[str, str], Entry]] = {}

        def add(surface: str, entry: Entry) -> None:
            key = normalize_term(surface)
            if len(key) < 2:
                return
            table.setdefault(key, {}).setdefault((entry.kind, entry.ref), entry)

        for taxon in ref.taxa:
            innocent = {normalize_term(a) for a in taxon.ambiguous_names}
            names = [(lang, n) for lang, ns in taxon.names.items() for n in ns]
            names += [(lang, n) for lang, ns in taxon.trade_names.items() for n in ns]
            names += [("la", taxon.scientific_name)] + [("la", s) for s in taxon.synonyms]
            for lang, name in names:
                add(name, Entry("taxon", taxon.scientific_name, name, lang,
                                ambiguous=normalize_term(name) in innocent,
                                accented=_accented(name, lang), source=taxon.source))
        for product in ref.products:
            for lang, words in product.words.items():
                for word in words:
                    add(word, Entry("product", product.product_type, word, lang,
                                    accented=_accented(word, lang), source=product.source))
        for cw in ref.codewords:
            add(cw.term, Entry("code_word", cw.term, cw.term, cw.lang,
                               context_required=cw.context_required,
                               accented=_accented(cw.term, cw.lang), source=cw.source))
        for cue in ref.cues:
            kind = "innocent" if cue.cue == "innocent" else f"{cue.cue}_cue"
            add(cue.term, Entry(kind, cue.term, cue.term, cue.lang,
                                accented=_accented(cue.term, cue.lang), source=cue.source))
        for entry in extra_terms or ():
            add(entry.term, entry)

        self.codewords = {cw.term: cw for cw in ref.codewords}
        self.products = {p.product_type: p for p in ref.products}
        self.implied = {normalize_term(w): (p.product_type, taxon)
                        for p in ref.products for w, taxon in p.implies.items()}
        # a product phrase that contains such a word implies the same ("ivory carving", like "ivory")
        for p in ref.products:
            for words in p.words.values():
                for w in words:
                    key = normalize_term(w)
                    if key not in self.implied and " " in key:
                        inner = next((self.implied[k] for k in key.split() if k in self.implied), None)
                        if inner is not None:
                            self.implied[key] = (p.product_type, inner[1])
        self.patterns = list(ref.patterns)
        self.pattern_by_group = {f"p{i}": p for i, p in enumerate(self.patterns)}
        # Regex cues in two alternations, so each runs in one pass (``lastgroup`` names the
        # cue): those that need a digit run only in windows around digits.
        gated = [i for i, p in enumerate(self.patterns) if needs_digit(p.pattern)]
        self.digit_regex = _alternation({i: self.patterns[i] for i in gated})
        self.other_regex = _alternation({i: p for i, p in enumerate(self.patterns) if i not in gated})
        self.size = len(table)
        automaton = ahocorasick.Automaton()
        for key, entries in table.items():
            automaton.add_word(key, (key, tuple(entries.values())))
        automaton.make_automaton()
        self._automaton = automaton
        self._short_keys = frozenset(k for k in table if segment.is_short(k))

    def find(self, text: str) -> Iterator[Hit]:
        """Longest non-overlapping matches in a match-form text, on word boundaries.

        A Latin-script term must start and end at a word boundary; a plural
        ``s``/``es`` may follow it, except after an abbreviation written in capitals. CJK and
        Thai terms match anywhere.
        """
        if not text:
            return
        n = len(text)
        for end_idx, (key, entries) in self._automaton.iter_long(text):
            start = end_idx - len(key) + 1
            end = end_idx + 1
            if key[0] in _WORD and start > 0 and text[start - 1] in _WORD:
                continue
            if key[-1] in _WORD and end < n and text[end] in _WORD:
                if all(e.term.isupper() for e in entries):
                    continue  # an abbreviation ("TAG", "CAG") takes no plural: "tags" is not one
                for suffix in _PLURALS:
                    stop = end + len(suffix)
                    if text.startswith(suffix, end) and (stop >= n or text[stop] not in _WORD):
                        end = stop
                        break
                else:
                    continue
            yield Hit(start, end, entries, key in self._short_keys)


def needs_digit(pattern: str) -> bool:
    """A regex cue that cannot match without a digit (prices, phone numbers).

    Judged from the pattern: a ``\\d`` at its top level (outside groups and
    classes, not optional) and no top-level alternation.
    ``tests/test_refdata.py`` checks the judgement against each cue's examples.
    """
    marked = re.sub(r"\\.", lambda m: "D" if m.group(0) == "\\d" else "x", pattern)
    top = _top_level(marked)
    return "|" not in top and re.search(r"D(?![?*]|\{0,)", top) is not None


def _top_level(pattern: str) -> str:
    """A pattern with each class and group replaced by ``x``."""
    depth = 0
    out = []
    in_class = False
    for c in pattern:
        if in_class:
            if c == "]":
                in_class = False
                if depth == 0:
                    out.append("x")
        elif c == "[":
            in_class = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                out.append("x")
        elif depth == 0:
            out.append(c)
    return "".join(out)


def _alternation(patterns: dict[int, Any]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?P<p{i}>{p.pattern})" for i, p in patterns.items()))


def _accented(term: str, lang: str = "") -> str | None:
    """The diacritics a term must show in a listing typed with diacritics.

    Vietnamese terms keep theirs even when they have none: in Vietnamese the tone marks make
    the word, so ``voi`` (elephant) must not match ``với`` (with) in a listing typed with them.
    """
    return accent_key(term) if has_diacritics(term) or lang == "vi" else None


def accent_ok(entry: Entry, span_text: str, text_has_diacritics: bool) -> bool:
    """A term written with diacritics must match them when the listing uses diacritics.

    ``ngà`` (ivory) matches ``nga`` in a listing typed without diacritics, and
    ``ngà`` in one typed with them, but not ``Nga`` (Russia) or ``ngã`` there.
    """
    if entry.accented is None or not text_has_diacritics:
        return True
    found = accent_key(span_text)
    return found == entry.accented or found[: len(entry.accented)] == entry.accented
