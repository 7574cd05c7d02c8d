"""Text normalisation: one canonical form for matching, with a map back to the source.

``normalize(text)`` returns the *match form* of a text and, for each of its
characters, the index of the source character it came from, so that a match
found in the match form can be shown in the listing as it was written.

The match form undoes the tricks sellers use to hide from keyword search:

- Unicode NFKC (full-width letters and digits, ligatures, compatibility forms);
- case folding;
- zero-width and other invisible characters removed;
- Cyrillic and Greek look-alike letters folded to Latin (UTS #39 confusables);
- traditional Chinese characters folded to simplified (OpenCC's character table);
- diacritics removed from Latin letters, so Vietnamese and French match with
  or without them (``ngà voi`` = ``nga voi``; ``đ`` -> ``d``);
- punctuation and symbols turned into spaces, runs of spaces collapsed;
- letters split by spaces, dots or dashes rejoined (``i.v.o.r.y``, ``象 牙``; Chinese words of two
  characters or more keep one space between them, a word boundary: ``鲨鱼翅 排翅``);
- leetspeak folded inside words that mix letters and digits (``1v0ry``, ``b0ne``);
- camel-case hashtags split into words (``#WalrusIvory`` -> ``walrus ivory``).

``fold(text)`` is the light form used by regular-expression cues (prices,
phone numbers): NFKC, case folding and diacritics removed, punctuation kept.

The tables live in ``data/normalize.yaml``; the per-character fold is cached.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import opencc  # type: ignore[import-untyped]
import yaml

from wildtrace import manifest

_COMBINING = re.compile("[\u0300-\u036f]+")
# Characters that take no space on screen, used to split words invisibly.
_INVISIBLE_EXTRA = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u034f", "\u180e"}
#: Character ranges of the scripts written without spaces between words: CJK, Thai, kana.
CJK_THAI = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0e7f\u3040-\u30ff"
_CJK_THAI = CJK_THAI
# Single letters split by spaces: "i v o r y" (at least three letters).
_SPLIT_LETTERS = re.compile(r"(?<![^\W_])(?:[^\W\d_] +){2,}[^\W\d_](?![^\W_])")
# Spaces inside CJK or Thai runs: "象 牙", "งา ช้าง".
_CJK_SPACES = re.compile(f"(?<=[{_CJK_THAI}]) +(?=[{_CJK_THAI}])")
# ASCII words that mix letters and digits: "1v0ry", "b0ne".
_LEET_WORD = re.compile(r"(?<![a-z0-9])(?=[a-z0-9]*[a-z])(?=[a-z0-9]*[0-9])[a-z0-9]+(?![a-z0-9])")
_MULTISPACE = re.compile(r"  +")
# All the fix-ups in one alternation, so the folded text is scanned once.
_FIXUP_GROUPS = {"multi": _MULTISPACE.pattern, "split": _SPLIT_LETTERS.pattern, "cjk": _CJK_SPACES.pattern,
                 "leet": _LEET_WORD.pattern}
# Cheap pre-checks: a fix-up cannot match in a text where its check finds nothing (a run of three
# letters or more split by spaces ends with a letter between spaces, then a last letter; a word
# that mixes letters and digits has a letter beside a digit; a space inside a CJK run follows a CJK
# character), so the alternation is run without it, with the same matches. The split and leet
# checks begin at a space or a digit, which the regex engine skips to fast.
_SPLIT_TAIL = re.compile(r" [^\W\d_] +[^\W\d_](?![^\W_])")
_CJK_BEFORE_SPACE = re.compile(f"[{_CJK_THAI}] ")
_LETTER_BY_DIGIT = re.compile(r"[0-9](?:(?<=[a-z][0-9])|[a-z])")
# Where neither split letters nor leetspeak can match, the fix-ups left drop spaces only, and this
# finds exactly the spans they drop, in one scan that starts at spaces: the repeated spaces of a run
# (the alternation's "multi" keeps the first), and a single space inside a CJK/Thai run ("cjk"),
# except between two Chinese words of two characters or more (``_between_han_words``). A run of
# two spaces or more between CJK characters is "multi"'s (the alternation tries it first there).
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SPACE_CUTS = re.compile(f" (?:(?<=  ) *"  # a space after a space: the rest of its run
                         f"|(?<=[{_CJK_THAI}] )(?=[{_CJK_THAI}])(?!(?<=[{_HAN}]{{2}} )[{_HAN}]{{2}}))")


@lru_cache(maxsize=16)
def _fixups(names: tuple[str, ...]) -> re.Pattern[str]:
    """The fix-up alternation of these groups, in ``_FIXUP_GROUPS``' order."""
    return re.compile("|".join(f"(?P<{name}>{_FIXUP_GROUPS[name]})" for name in names))


def _fixups_for(text: str) -> re.Pattern[str] | None:
    names = ["multi"] if "  " in text else []
    if _SPLIT_TAIL.search(text):
        names.append("split")
    if _CJK_BEFORE_SPACE.search(text):
        names.append("cjk")
    if _LETTER_BY_DIGIT.search(text):
        names.append("leet")
    return _fixups(tuple(names)) if names else None


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, str], dict[str, str], dict[int, str]]:
    """(homoglyph+letter map, traditional->simplified map, leet translate table)."""
    with open(manifest.path("normalize"), encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    letters: dict[str, str] = {**doc["homoglyphs"], **doc["letters"], **doc["homoglyphs_upper"]}
    t2s = _opencc_t2s()
    leet = {ord(k): v for k, v in doc["leet"].items() if k.isdigit()}
    return letters, t2s, leet


def _opencc_t2s() -> dict[str, str]:
    """Traditional -> simplified characters from OpenCC's TSCharacters table."""
    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    table: dict[str, str] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 2 and len(parts[0]) == 1:
                simplified = parts[1].split(" ")[0]
                if len(simplified) == 1:
                    table[parts[0]] = simplified
    return table


class _FoldCache(dict[str, str]):
    """Cache: one character -> its folded string; ``irregular`` holds the characters whose fold
    is not exactly one character (so their text needs an index map)."""

    def __init__(self, func: Callable[[str], str]):
        super().__init__()
        self.func = func
        self.irregular: set[str] = set()

    def __missing__(self, char: str) -> str:
        value = self.func(char)
        if len(value) != 1:  # before the value is seen: a thread that reads it finds the mark too
            self.irregular.add(char)
        self[char] = value
        return value


def _fold_char(char: str) -> str:
    cat = unicodedata.category(char)
    if cat == "Cf" or char in _INVISIBLE_EXTRA or "\ufe00" <= char <= "\ufe0f":
        return ""
    if cat[0] in "PSZ" or cat == "Cc":
        return " "
    letters, t2s, _ = _tables()
    out = []
    char = letters.get(char, char)  # capitals first: Greek "Υ" looks like "Y", its lower case does not
    for c in unicodedata.normalize("NFKC", char).casefold():
        c = letters.get(c, c)
        c = t2s.get(c, c)
        out.append(c)
    folded = _COMBINING.sub("", unicodedata.normalize("NFD", "".join(out)))
    # NFKC can turn a symbol into punctuation ("①" -> "1", "＄" -> "$").
    return "".join(" " if unicodedata.category(c)[0] in "PSZ" else c for c in folded)


# Characters whose match form is not exactly one character (dropped or expanded).
_FOLD = _FoldCache(_fold_char)  # match form: one source character -> its match-form string ('' drops it)
_IRREGULAR = _FOLD.irregular


class _TranslateTable(dict[int, str]):
    """A fold cache keyed by code point, for ``str.translate`` (one C loop over the text)."""

    def __init__(self, fold: _FoldCache):
        super().__init__()
        self.fold = fold

    def __missing__(self, code: int) -> str:
        value = self[code] = self.fold[chr(code)]
        return value


_FOLD_TABLE = _TranslateTable(_FOLD)


def normalize(text: str, *, with_index: bool = True) -> tuple[str, list[int] | None]:
    """Return ``(match_form, index)``; ``index[j]`` is the source position of character ``j``.

    With ``with_index=False`` the index is not built (used for lexicon terms).
    """
    if "#" not in text:
        out = text.translate(_FOLD_TABLE)  # the same as joining _FOLD's parts, in one C loop
        if len(out) == len(text) and _regular(text):
            # the usual text: every character folds to one, so the map back is the identity
            return _fix_up(out, range(len(text)) if with_index else None, text)
        return _fix_up(out, _irregular_index(text) if with_index else None, text)
    parts = list(map(_FOLD.__getitem__, text))
    for i in _hashtag_breaks(text):
        parts[i] = " " + parts[i]
    out = "".join(parts)
    index: list[int] | range | None = None
    if with_index:
        if len(out) == len(text) and _regular(text):
            index = range(len(text))
        else:
            index = [i for i, p in enumerate(parts) for _ in p]
    return _fix_up(out, index, text)


# The identity map, made once and sliced: copying a slice of it is four times faster than
# ``list(range(n))``, which makes each int anew. Texts longer than its cap get their own.
_IDENTITY_CAP = 1 << 16
_IDENTITY: list[list[int]] = [list(range(4096))]
# The irregular characters as a regex class, remade when the set grows: a search scans the text
# in C, where ``_IRREGULAR.isdisjoint(text)`` takes each character out as a string and hashes it.
_IRREGULAR_CLASS: list[tuple[int, re.Pattern[str] | None]] = [(0, None)]


def _identity(n: int) -> list[int]:
    """A list whose first ``n`` items are ``0 .. n-1``; shared, so only ever sliced."""
    ident = _IDENTITY[0]
    if len(ident) < n:
        if n > _IDENTITY_CAP:
            return list(range(n))
        ident = _IDENTITY[0] = list(range(min(max(n, 2 * len(ident)), _IDENTITY_CAP)))
    return ident


def _irregular_class() -> re.Pattern[str] | None:
    """The irregular characters as a class, all of them known when called. Threads may make one
    each; a smaller one never replaces a larger (the set only grows), and each caller uses the
    one it was given, never the shared one read again."""
    size, pattern = _IRREGULAR_CLASS[0]
    if size != len(_IRREGULAR):
        chars = sorted(_IRREGULAR)
        pattern = re.compile("[" + "".join(map(re.escape, chars)) + "]")
        if len(chars) > _IRREGULAR_CLASS[0][0]:
            _IRREGULAR_CLASS[0] = (len(chars), pattern)
    return pattern


def _regular(text: str) -> bool:
    """Whether no character of ``text`` (already folded once, so in the cache) is irregular."""
    pattern = _irregular_class()
    return pattern is None or pattern.search(text) is None


def _irregular_index(text: str) -> list[int]:
    """The map back for a text without hashtags, by the irregular characters' positions alone:
    ``[i for i, c in enumerate(text) for _ in _FOLD[c]]`` (a Thai ``ำ`` folds to two)."""
    pattern = _irregular_class()
    assert pattern is not None
    ident = _identity(len(text))
    index: list[int] = []
    last = 0
    for m in pattern.finditer(text):
        i = m.start()
        index += ident[last:i]
        index += [i] * len(_FOLD[m.group()])
        last = i + 1
    index += ident[last:len(text)]
    return index


_HASHTAG = re.compile(r"#(\w+)")


def _hashtag_breaks(text: str) -> list[int]:
    """Where a camel-case hashtag changes word: ``#WalrusIvory`` -> ``walrus ivory``,
    ``#SharkFinSoup`` -> ``shark fin soup`` (a lower-case letter followed by an upper-case one)."""
    breaks: list[int] = []
    for m in _HASHTAG.finditer(text):
        word = m.group(1)
        base = m.start(1)
        breaks.extend(base + j for j in range(1, len(word)) if word[j].isupper() and word[j - 1].islower())
    return breaks


def _split_drops(text: str, start: int, end: int, index: Sequence[int] | None, source: str) -> list[int]:
    """Spaces to drop in a run of single letters: only where the same separator repeats.

    "i.v.o.r.y" and "i v o r y" are rejoined; in "a i-v-o-r-y" the article "a"
    stays a word, because its separator differs from the rest.
    """
    letters = [i for i in range(start, end) if text[i] != " "]
    seps = [source[index[p] + 1: index[q]] if index is not None else " "
            for p, q in zip(letters, letters[1:], strict=False)]
    drops: list[int] = []
    run = 0  # first gap of the current run of equal separators
    for g in range(1, len(seps) + 1):
        if g == len(seps) or seps[g] != seps[run]:
            if g - run >= 2:  # two equal gaps or more: three letters or more
                drops.extend(i for i in range(letters[run], letters[g]) if text[i] == " ")
            run = g
    return drops


def _fix_up(text: str, index: list[int] | range | None, source: str = "") -> tuple[str, list[int] | None]:
    """One pass over the folded text: rejoin split letters and CJK/Thai runs, collapse
    repeated spaces, fold leetspeak. Drops characters (and their index entries).

    ``index`` is the map so far: a list, ``range(len(text))`` for the identity (a list is made
    of it here, from slices of ``_identity``), or None when no map is wanted.
    """
    if _LETTER_BY_DIGIT.search(text) is None and _SPLIT_TAIL.search(text) is None:
        # the usual text: only spaces are dropped, and _SPACE_CUTS finds the alternation's spans
        # (it needs a repeated space or a CJK character before a space)
        if "  " not in text and _CJK_BEFORE_SPACE.search(text) is None:
            return _cut(text, index, [])
        if index is None:
            return _SPACE_CUTS.sub("", text), None
        return _cut(text, index, list(map(re.Match.span, _SPACE_CUTS.finditer(text))))
    cuts: list[tuple[int, int]] = []  # spans to drop: in text order, never overlapping
    leet_spans: list[tuple[int, int]] = []
    fixups = _fixups_for(text)
    for m in fixups.finditer(text) if fixups is not None else ():
        kind = m.lastgroup
        a, b = m.span()
        if kind == "multi":
            cuts.append((a + 1, b))
        elif kind == "leet":
            leet_spans.append((a, b))
        elif kind == "split":
            cuts.extend((i, i + 1) for i in _split_drops(text, a, b, index, source))
        elif _between_han_words(text, a, b):
            # "鲨鱼翅 排翅": the writer's space between two Chinese words is a word boundary
            # (text/segment.py); only a single character beside it is rejoined ("象 牙")
            cuts.append((a + 1, b))
        else:  # cjk
            cuts.append((a, b))
    if leet_spans:
        leet = _tables()[2]
        pieces = []
        last = 0
        for a, b in leet_spans:
            pieces.append(text[last:a])
            pieces.append(text[a:b].translate(leet))
            last = b
        pieces.append(text[last:])
        text = "".join(pieces)
    return _cut(text, index, cuts)


def _cut(text: str, index: list[int] | range | None, cuts: list[tuple[int, int]]) -> tuple[str, list[int] | None]:
    """``text`` and its map without the spans ``cuts`` (in text order, never overlapping): the kept
    pieces between them, joined (slices: C speed, however long the text)."""
    if not cuts:
        return text, _identity(len(index))[:len(index)] if isinstance(index, range) else index
    source_of = _identity(len(index)) if isinstance(index, range) else index
    pieces = []
    last = 0
    if source_of is None:
        for a, b in cuts:
            pieces.append(text[last:a])
            last = b
        pieces.append(text[last:])
        return "".join(pieces), None
    new_index: list[int] = []
    for a, b in cuts:
        pieces.append(text[last:a])
        new_index += source_of[last:a]
        last = b
    pieces.append(text[last:])
    new_index += source_of[last:len(text)]
    return "".join(pieces), new_index


def _is_han(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf" or "\uf900" <= char <= "\ufaff"


def _between_han_words(text: str, start: int, end: int) -> bool:
    """Whether the spaces ``text[start:end]`` stand between two Chinese words of two characters or
    more: spacing out single characters ("象 牙", "犀 牛 角") hides a word, keyword lists do not."""
    return (start >= 2 and end + 1 < len(text)
            and _is_han(text[start - 2]) and _is_han(text[start - 1]) and _is_han(text[end])
            and _is_han(text[end + 1]))


def normalize_term(term: str) -> str:
    """The match form of a lexicon term (no index, outer spaces stripped)."""
    return normalize(term, with_index=False)[0].strip()


def fold(text: str) -> str:
    """Light form for regular-expression cues: NFKC, casefold, no diacritics."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _COMBINING.sub("", unicodedata.normalize("NFD", text))
    return text.replace("đ", "d")


def accent_key(text: str) -> str:
    """Case-folded, NFC, letters only, diacritics kept: tells ``ngà`` from ``Nga``."""
    text = unicodedata.normalize("NFC", unicodedata.normalize("NFKC", text).casefold())
    return "".join(c for c in text if c.isalnum())


def has_diacritics(text: str) -> bool:
    """True when any Latin letter carries a diacritic (or is ``đ``)."""
    return bool(_COMBINING.search(unicodedata.normalize("NFD", text))) or "đ" in text.casefold()


_LIGHT = _FoldCache(fold)  # light fold: NFKC, casefold, no diacritics
_LIGHT_IRREGULAR = _LIGHT.irregular
_LIGHT_TABLE = _TranslateTable(_LIGHT)


def fold_with_index(text: str) -> tuple[str, Callable[[], Sequence[int]]]:
    """``fold(text)`` per character, with a lazily built map back to source positions."""
    out = text.translate(_LIGHT_TABLE)
    cache: list[Sequence[int]] = []

    def index() -> Sequence[int]:
        if not cache:
            if len(out) == len(text) and _LIGHT_IRREGULAR.isdisjoint(text):
                cache.append(range(len(text)))
            else:
                cache.append([i for i, c in enumerate(text) for _ in _LIGHT[c]])
        return cache[0]

    return out, index
