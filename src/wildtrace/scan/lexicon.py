"""The lexicon: every surface form WildTrace looks for, in one Aho-Corasick automaton.

Each reference-data word (taxon names and synonyms, product words, code words,
context cues) is put in its match form (``normalize.normalize_term``) and
stored with what it means (an ``Entry``). ``Lexicon.find`` runs the automaton
once over a normalised text and returns the longest, word-bounded matches.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import astuple, dataclass, replace
from typing import Any

import ahocorasick  # type: ignore[import-untyped]
import orjson

from wildtrace.scan.prefilter import CueAlternation
from wildtrace.taxa import cache as refcache
from wildtrace.taxa.refdata import ReferenceData
from wildtrace.text import segment
from wildtrace.text.normalize import accent_key, has_diacritics, normalize_term

_WORD = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")
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
    #: the term's accent key (``accent_ok``); None for a term with no Latin letter (Chinese, Thai)
    accented: str | None = None
    source: str = ""
    #: the accent keys a span must show, in a listing typed with diacritics, to match this entry:
    #: those of its spellings that carry diacritics (and of every Vietnamese spelling); set by
    #: ``Lexicon`` from all the spellings that share the entry's match form
    spellings: tuple[str, ...] = ()
    #: one of its spellings has no diacritics (and is not Vietnamese): it matches a span that
    #: carries none, whatever the listing
    plain: bool = False


@dataclass(frozen=True, slots=True)
class Hit:
    """One match in a normalised text (positions in the match form)."""

    start: int
    end: int
    entries: tuple[Entry, ...]
    #: a Chinese or Thai term: it counts only on word boundaries (``segment.is_wide``)
    short_wide: bool = False


class Lexicon:
    def __init__(self, ref: ReferenceData, extra_terms: list[Entry] | None = None):
        self.ref = ref
        # the term table is built once per reference data and local terms, then read back from
        # the cache folder (``taxa/cache.py``): building it was a third of a one-listing scan
        table, self.implied = _terms(ref, list(extra_terms or ()))
        self.codewords = {cw.term: cw for cw in ref.codewords}
        self.products = {p.product_type: p for p in ref.products}
        self.patterns = list(ref.patterns)
        self.pattern_by_group = {f"p{i}": p for i, p in enumerate(self.patterns)}
        # Regex cues in two alternations, so each runs in one pass (``lastgroup`` names the
        # cue): those that need a digit run only in windows around digits.
        gated = [i for i, p in enumerate(self.patterns) if needs_digit(p.pattern)]
        self.digit_regex = _alternation({i: self.patterns[i] for i in gated})
        self.other_regex = _alternation({i: p for i, p in enumerate(self.patterns) if i not in gated})
        # the other cues, each run only over a text that holds a character it needs (``prefilter``)
        self._other = CueAlternation({i: p.pattern for i, p in enumerate(self.patterns) if i not in gated},
                                     self.other_regex)
        self.size = len(table)
        automaton = ahocorasick.Automaton()
        for i, key in enumerate(table.keys):
            automaton.add_word(key, (key, i))
        automaton.make_automaton()
        self._automaton = automaton
        self._terms = table
        self._short_keys = table.wide

    def other_regex_for(self, text: str) -> re.Pattern[str] | None:
        """The alternation of the cues not gated on digits that can match ``text`` (its light
        fold); ``other_regex`` itself when all of them can."""
        if self._other.whole is not self.other_regex:  # set from outside (a test's recorder)
            self._other = CueAlternation(self._other.patterns, self.other_regex)
        return self._other.for_text(text)

    def find(self, text: str) -> Iterator[Hit]:
        """Longest non-overlapping matches in a match-form text, on word boundaries.

        A Latin-script term must start and end at a word boundary; a plural
        ``s``/``es`` may follow it, except after an abbreviation written in capitals. A Chinese
        or Thai term (``segment.is_wide``) must start and end on a word boundary of the segmented
        text; when the longest match there does not (非洲象 across 非洲|象牙), the longest ones
        inside its span that do are taken instead (象牙). ``Hit.short_wide`` marks those hits.
        """
        if not text:
            return
        hits = list(self._longest(text))
        for i, (start, end, key, entries) in enumerate(hits):
            wide = key in self._short_keys
            if wide and not segment.aligned(text, start, end):
                stop = hits[i + 1][0] if i + 1 < len(hits) else len(text)
                yield from self._aligned_within(text, start, end, stop)
                continue
            yield Hit(start, end, entries, wide)

    def _longest(self, text: str) -> Iterator[tuple[int, int, str, tuple[Entry, ...]]]:
        """The automaton's longest non-overlapping matches, Latin-script ones on word boundaries."""
        n = len(text)
        entries_of = self._terms.entries
        for end_idx, (key, i) in self._automaton.iter_long(text):
            start = end_idx - len(key) + 1
            end = end_idx + 1
            if key[0] in _WORD and start > 0 and text[start - 1] in _WORD:
                continue
            entries = entries_of(i)
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
            yield start, end, key, entries

    def _aligned_within(self, text: str, start: int, end: int, stop: int) -> Iterator[Hit]:
        """Chinese or Thai matches on word boundaries that start in ``[start, end)`` and end by
        ``stop`` (the next match), longest first, left to right, not overlapping."""
        found = []
        for end_idx, (key, i) in self._automaton.iter(text, start, stop):
            s = end_idx - len(key) + 1
            if s < end and key in self._short_keys and segment.aligned(text, s, end_idx + 1):
                found.append((s, end_idx + 1, self._terms.entries(i)))
        last = start
        for s, e, entries in sorted(found, key=lambda f: (f[0], f[0] - f[1])):
            if s >= last:
                last = e
                yield Hit(s, e, entries, True)


class Terms:
    """Each match form with what it means, in the order first added (``keys[i]``,
    ``entries(i)``). A table read back from the cache makes each form's entries on first use: a
    scan looks at a few of its 9,000 forms, and making them all was a third of reading it."""

    def __init__(self, keys: list[str], entries: list[tuple[Entry, ...] | None],
                 make: Callable[[int], tuple[Entry, ...]] | None = None, wide: frozenset[str] | None = None):
        self.keys = keys
        self._entries = entries
        self._make = make
        #: the Chinese and Thai forms (``segment.is_wide``): they count only on word boundaries
        self.wide = frozenset(k for k in keys if segment.is_wide(k)) if wide is None else wide

    def entries(self, i: int) -> tuple[Entry, ...]:
        found = self._entries[i]
        if found is None:
            assert self._make is not None
            found = self._entries[i] = self._make(i)  # two threads make equal tuples: either will do
        return found

    def items(self) -> Iterator[tuple[str, tuple[Entry, ...]]]:
        return ((k, self.entries(i)) for i, k in enumerate(self.keys))

    def __len__(self) -> int:
        return len(self.keys)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Terms) and self.keys == other.keys and self.wide == other.wide
                and all(a == b for a, b in zip(self.items(), other.items(), strict=True)))

    __hash__ = None  # type: ignore[assignment]


Table = Terms
#: match form of a product word -> (product type, the taxon it implies)
Implied = dict[str, tuple[str, str]]
#: The code whose change changes the table: with the reference data's key, the cache's key.
CODE_FILES = ("scan/lexicon.py", "text/normalize.py", "text/segment.py")


def _terms(ref: ReferenceData, extra: list[Entry]) -> tuple[Table, Implied]:
    """``_build(ref, extra)``, through the cache folder when ``ref`` came from ``taxa.cache``."""
    key = refcache.key_of(ref)
    if key is None:
        return _build(ref, extra)
    parts = [key, refcache.code_sha256(*CODE_FILES), orjson.dumps([astuple(e) for e in extra]).decode()]
    return refcache.compiled("lexicon", parts, lambda: _build(ref, extra), _encode, _decode)


def _build(ref: ReferenceData, extra: list[Entry]) -> tuple[Table, Implied]:
    """Every surface form of the reference data (and ``extra``) in its match form, with what it
    means; and the product words that imply a taxon."""
    table: dict[str, dict[tuple[str, str], Entry]] = {}
    # every spelling of an entry at one match form: "tiburón" and "tiburon" share "tiburon"
    spelled: dict[tuple[str, str, str], set[tuple[str, bool]]] = {}

    def add(surface: str, entry: Entry) -> None:
        key = normalize_term(surface)
        if len(key) < 2:
            return
        table.setdefault(key, {}).setdefault((entry.kind, entry.ref), entry)
        if _LATIN.search(entry.term):
            exact = has_diacritics(entry.term) or entry.lang == "vi"
            spelled.setdefault((key, entry.kind, entry.ref), set()).add((accent_key(entry.term), exact))

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
    for entry in extra:
        add(entry.term, entry)
    terms = Terms(list(table), [tuple(_spelled(e, spelled.get((key, e.kind, e.ref))) for e in entries.values())
                                for key, entries in table.items()])

    implied = {normalize_term(w): (p.product_type, taxon) for p in ref.products for w, taxon in p.implies.items()}
    # a product phrase that contains such a word implies the same ("ivory carving", like "ivory")
    for p in ref.products:
        for words in p.words.values():
            for w in words:
                key = normalize_term(w)
                if key not in implied and " " in key:
                    inner = next((implied[k] for k in key.split() if k in implied), None)
                    if inner is not None:
                        implied[key] = (p.product_type, inner[1])
    return terms, implied


def _encode(built: tuple[Table, Implied]) -> dict[str, Any]:
    """The table as JSON-ready values: each distinct string and entry once, referred to by index
    (an entry: its string fields' indexes, its flags, then its spellings' indexes)."""
    table, implied = built
    strings: dict[str, int] = {}
    rows: list[list[Any]] = []
    seen: dict[Entry, int] = {}

    def s(x: str) -> int:
        return strings.setdefault(x, len(strings))

    def e(entry: Entry) -> int:
        i = seen.get(entry)
        if i is None:
            i = seen[entry] = len(rows)
            rows.append([s(entry.kind), s(entry.ref), s(entry.term), s(entry.lang), entry.ambiguous,
                         entry.context_required, -1 if entry.accented is None else s(entry.accented),
                         s(entry.source), entry.plain, *map(s, entry.spellings)])
        return i

    keys = [[key, *map(e, entries)] for key, entries in table.items()]
    return {"strings": list(strings), "entries": rows, "keys": keys,
            "wide": [i for i, key in enumerate(table.keys) if key in table.wide],
            "implied": [[k, p, t] for k, (p, t) in implied.items()]}


class _Rows:
    """A cached form's entries, made on first use (a class, not a closure: a Scanner whose table
    came from the cache still pickles, for users who send one to another process)."""

    def __init__(self, strings: list[str], rows: list[list[Any]], keys: list[list[Any]]):
        self.strings, self.rows, self.keys = strings, rows, keys
        self.made: list[Entry | None] = [None] * len(rows)

    def entry(self, j: int) -> Entry:
        found = self.made[j]
        if found is None:
            S = self.strings  # noqa: N806
            kind, ref, term, lang, ambiguous, context, accented, source, plain, *spellings = self.rows[j]
            found = self.made[j] = Entry(S[kind], S[ref], S[term], S[lang], ambiguous is True, context is True,
                                         None if accented == -1 else S[accented], S[source],
                                         tuple([S[i] for i in spellings]), plain is True)
        return found

    def __call__(self, i: int) -> tuple[Entry, ...]:
        return tuple([self.entry(j) for j in self.keys[i][1:]])


def _decode(d: dict[str, Any]) -> tuple[Table, Implied]:
    """The inverse of ``_encode``; raises on a file of another shape (rebuilt, never used). Each
    form's entries are made on first use (``Terms``), from rows whose shape is checked here."""
    strings: list[str] = d["strings"]
    keys: list[list[Any]] = d["keys"]
    rows: list[list[Any]] = d["entries"]
    implied_rows: list[list[Any]] = d["implied"]
    n_rows = len(rows)
    if not (all(type(x) is str for x in strings) and all(type(k[0]) is str for k in keys)
            and all(type(x) is str for row in implied_rows for x in row)
            and all(type(r) is list and len(r) >= 9 for r in rows)
            and all(type(i) is int and 0 <= i < n_rows for k in keys for i in k[1:])):
        raise ValueError("a lexicon cache of another shape")
    forms = [k[0] for k in keys]
    table = Terms(forms, [None] * len(forms), _Rows(strings, rows, keys), frozenset(forms[i] for i in d["wide"]))
    implied = {k: (p, t) for k, p, t in implied_rows}
    return table, implied

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
    """The accent key of a term with Latin letters (``accent_ok`` checks its span against it)."""
    return accent_key(term) if _LATIN.search(term) else None


def _spelled(entry: Entry, spellings: set[tuple[str, bool]] | None) -> Entry:
    """The entry with the accent keys of all its spellings at one match form (``accent_ok``)."""
    if not spellings:
        return replace(entry, accented=None) if entry.accented and not _LATIN.search(entry.term) else entry
    exact = tuple(sorted(k for k, must in spellings if must))
    return replace(entry, accented=entry.accented or accent_key(entry.term), spellings=exact,
                   plain=any(not must for _, must in spellings))


def accent_ok(entry: Entry, span_text: str, text_has_diacritics: bool) -> bool:
    """Diacritic-insensitive matching only for a listing typed without diacritics.

    In a listing typed with diacritics, a span must show the diacritics of one of the term's
    spellings: ``ngà`` (ivory) matches ``ngà`` there but not ``Nga`` (Russia) or ``ngã``. A term
    spelled without diacritics matches only a span without them: English ``bat`` does not match
    Vietnamese ``bật``/``bắt``/``bất``, Spanish ``tiburon`` matches ``tiburón`` only because the
    term list also spells it so. Vietnamese terms keep their (absent) tone marks: ``voi``
    (elephant) is not ``với`` (with). In a listing typed without diacritics any spelling matches
    (``nga voi`` is ``ngà voi``), except a French, Spanish or Portuguese term of two letters whose
    diacritics are all that tell it from a common word (Portuguese ``lã``, wool, is not ``la``).
    """
    if entry.accented is None:
        return True
    if not text_has_diacritics:
        return entry.plain or entry.lang == "vi" or not entry.spellings or max(map(len, entry.spellings)) > 2
    if entry.plain and not has_diacritics(span_text):
        return True
    found = accent_key(span_text)
    exact = entry.spellings or (() if entry.plain else (entry.accented,))
    return any(found == k or found[: len(k)] == k for k in exact)
