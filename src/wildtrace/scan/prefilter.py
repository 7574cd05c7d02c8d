"""Cheap pre-checks for the regex cues: which cues cannot match a text, found without the regex.

A regex cue (``data/patterns.yaml``) often cannot match without one of a few characters: a
messenger handle needs its ``:``, ``=`` or ``@``, a Chinese per-unit price its 斤, 克 or 只, a Thai
one its ละ. ``required_chars`` reads that set from the pattern's parse tree; ``CueAlternation``
runs, over a text, the alternation of only those cues whose characters the text holds. A cue left
out could not have matched anywhere in the text, so the matches are the ones the whole alternation
finds: same spans, same cue (``lastgroup``).
"""

from __future__ import annotations

import importlib
import re
from functools import lru_cache
from typing import Any

try:  # the parser behind ``re`` (``sre_parse`` before Python 3.11)
    _sre: Any = importlib.import_module("re._parser")
except ImportError:  # pragma: no cover - Python 3.10
    _sre = importlib.import_module("sre_parse")

#: A pattern whose required set is larger than this is not worth checking: it is always run.
_MAX_CHARS = 24


def _weight(chars: frozenset[str]) -> int:
    """How often a text holds one of these characters, roughly: letters, digits and spaces are
    everywhere; punctuation and other scripts' characters are rarer."""
    return sum(8 if (c.isascii() and c.isalnum()) or c.isspace() else 1 for c in chars)


def required_chars(pattern: str) -> frozenset[str] | None:
    """A set of characters one of which every match of ``pattern`` holds, or None if none is
    found (a pattern that ignores case, or whose every part may match nothing or anything)."""
    try:
        parsed = _sre.parse(pattern)
    except re.error:
        return None
    if parsed.state.flags & (re.IGNORECASE | re.VERBOSE):
        return None
    found = _sequence(list(parsed))
    return found if found is not None and len(found) <= _MAX_CHARS else None


def _sequence(items: list[tuple[Any, Any]]) -> frozenset[str] | None:
    """Every item of a sequence must match: the most selective item's set will do."""
    best: frozenset[str] | None = None
    for op, av in items:
        chars = _item(op, av)
        if chars is not None and (best is None or _weight(chars) < _weight(best)):
            best = chars
    return best


def _item(op: Any, av: Any) -> frozenset[str] | None:
    c = _sre
    if op is c.LITERAL:
        return frozenset(chr(av))
    if op is c.IN:
        chars: set[str] = set()
        for sub_op, sub_av in av:
            if sub_op is c.LITERAL:
                chars.add(chr(sub_av))
            elif sub_op is c.RANGE and sub_av[1] - sub_av[0] < _MAX_CHARS:
                chars.update(chr(x) for x in range(sub_av[0], sub_av[1] + 1))
            else:  # NEGATE, CATEGORY (\d, \s, \w), wide ranges
                return None
        return frozenset(chars) if chars else None
    if op is c.SUBPATTERN:
        _group, add_flags, _del_flags, sub = av
        if add_flags & re.IGNORECASE:
            return None
        return _sequence(list(sub))
    if op is c.BRANCH:
        union: set[str] = set()
        for branch in av[1]:
            chars_b = _sequence(list(branch))
            if chars_b is None:
                return None
            union |= chars_b
        return frozenset(union)
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
        low, _high, sub = av
        return _sequence(list(sub)) if low >= 1 else None
    return None  # AT (\b, ^), lookarounds, ANY, CATEGORY, group references: no character required


class CueAlternation:
    """The regex cues as one alternation (group ``p{i}`` for cue ``i``), run over a text with only
    the cues that can match there."""

    def __init__(self, patterns: dict[int, str], whole: re.Pattern[str] | None):
        self.patterns = patterns
        self.whole = whole
        self.required = {i: required_chars(p) for i, p in patterns.items()}
        # one character-class search per cue (C speed, stops at the first hit); None: always run
        self._checks = {i: None if chars is None else re.compile(f"[{''.join(map(re.escape, sorted(chars)))}]")
                        for i, chars in self.required.items()}

    def for_text(self, text: str) -> re.Pattern[str] | None:
        """The alternation to run over ``text`` (None: no cue can match it)."""
        if self.whole is None:
            return None
        active = tuple(i for i, check in self._checks.items() if check is None or check.search(text))
        if len(active) == len(self.patterns):
            return self.whole
        if not active:
            return None
        return self._compiled(active)

    @lru_cache(maxsize=64)  # noqa: B019 - one per lexicon, which lives as long as the process
    def _compiled(self, active: tuple[int, ...]) -> re.Pattern[str]:
        return re.compile("|".join(f"(?P<p{i}>{self.patterns[i]})" for i in active))
