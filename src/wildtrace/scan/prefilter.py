"""Cheap pre-checks for the regex cues: which cues cannot match a text, found without the regex.

A regex cue (``data/patterns.yaml``) often cannot match without one of a few strings: a messenger
handle needs its ``:``, ``=`` or ``@``, a Chinese per-unit price its 斤, 克 or 只, a Thai one its
ละ, a per-unit price in Latin script its ``per`` or ``/``, a chat link its ``wa.me/`` or
``t.me/``. ``required_strings`` reads that set from the pattern's parse tree (runs of literal
characters, and neighbouring items that each match one of a few exact strings joined into one
set: ``x(?:a|b)y`` needs ``xay`` or ``xby``);
``CueAlternation`` runs, over a text, the alternation of only those cues one of whose strings the
text holds. A cue left out could not have matched anywhere in the text, so the matches are the ones
the whole alternation finds: same spans, same cue (``lastgroup``).
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
_MAX_STRINGS = 24

#: (the strings, whether the item matches exactly one of them and nothing else)
_Found = tuple[frozenset[str], bool]


def _weight(strings: frozenset[str]) -> float:
    """How often a text holds one of these strings, roughly: a letter, digit or space is
    everywhere, punctuation and other scripts' characters are rarer, and each character more
    makes a string rarer still."""
    return sum((8 if (s[0].isascii() and s[0].isalnum()) or s[0].isspace() else 1) / len(s) ** 2 for s in strings)


def required_strings(pattern: str) -> frozenset[str] | None:
    """A set of strings one of which every match of ``pattern`` holds, or None if none is found (a
    pattern that ignores case, or whose every part may match nothing or anything) or the set
    found has more than ``_MAX_STRINGS`` strings (checking it would cost more than it saves)."""
    try:
        parsed = _sre.parse(pattern)
    except re.error:
        return None
    if parsed.state.flags & (re.IGNORECASE | re.VERBOSE):
        return None
    found = _sequence(list(parsed))
    return found[0] if found is not None and len(found[0]) <= _MAX_STRINGS else None


def _sequence(items: list[tuple[Any, Any]]) -> _Found | None:
    """Every item of a sequence must match: the most selective of its items' sets will do, where
    neighbouring items that match exact strings count as one (``per`` + ``kg``: ``perkg``)."""
    candidates: list[frozenset[str]] = []
    run: frozenset[str] | None = None  # the exact strings of the items since the last inexact one
    exact = True  # every item so far matches exactly one of ``run``'s strings
    for op, av in items:
        found = _item(op, av)
        if found is not None and found[1]:
            joined = frozenset(a + b for a in run for b in found[0]) if run is not None else found[0]
            if len(joined) > _MAX_STRINGS:
                joined, exact = found[0], False
            run = joined
            candidates.append(run)
            continue
        exact = False
        run = None
        if found is not None:
            candidates.append(found[0])
    if exact and run is not None:  # the whole sequence is one of these strings
        return run, True
    usable = [c for c in candidates if len(c) <= _MAX_STRINGS]  # a larger set is never checked
    return (min(usable, key=_weight), False) if usable else None


def _item(op: Any, av: Any) -> _Found | None:
    c = _sre
    if op is c.LITERAL:
        return frozenset(chr(av)), True
    if op is c.IN:
        chars: set[str] = set()
        for sub_op, sub_av in av:
            if sub_op is c.LITERAL:
                chars.add(chr(sub_av))
            elif sub_op is c.RANGE and sub_av[1] - sub_av[0] < _MAX_STRINGS:
                chars.update(chr(x) for x in range(sub_av[0], sub_av[1] + 1))
            else:  # NEGATE, CATEGORY (\d, \s, \w), wide ranges
                return None
        return (frozenset(chars), True) if chars else None
    if op is c.SUBPATTERN:
        _group, add_flags, _del_flags, sub = av
        if add_flags & re.IGNORECASE:
            return None
        return _sequence(list(sub))
    if op is c.BRANCH:
        union: set[str] = set()
        exact = True
        for branch in av[1]:
            found = _sequence(list(branch))
            if found is None:
                return None
            union |= found[0]
            exact = exact and found[1]
        return frozenset(union), exact
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
        low, high, sub = av
        if low < 1:
            return None
        found = _sequence(list(sub))
        return None if found is None else (found[0], found[1] and low == high == 1)
    return None  # AT (\b, ^), lookarounds, ANY, CATEGORY, group references: no string required


class _HoldsOne:
    """A test that a text holds one of some strings, at C speed, stopping at the first hit: one
    character-class search when they are all single characters, else ``in`` for each (shortest
    first). A class, not a closure: a lexicon pickles (spawned workers, Dask)."""

    __slots__ = ("_chars", "_strings")

    def __init__(self, strings: frozenset[str]) -> None:
        single = all(len(s) == 1 for s in strings)
        self._chars = re.compile(f"[{''.join(map(re.escape, sorted(strings)))}]") if single else None
        self._strings = tuple(sorted(strings, key=lambda s: (len(s), s)))

    def __call__(self, text: str) -> bool:
        if self._chars is not None:
            return self._chars.search(text) is not None
        return any(s in text for s in self._strings)


class CueAlternation:
    """The regex cues as one alternation (group ``p{i}`` for cue ``i``), run over a text with only
    the cues that can match there."""

    def __init__(self, patterns: dict[int, str], whole: re.Pattern[str] | None):
        self.patterns = patterns
        self.whole = whole
        self.required = {i: required_strings(p) for i, p in patterns.items()}
        # None: no set, the cue always runs
        self._checks = {i: None if strings is None else _HoldsOne(strings) for i, strings in self.required.items()}

    def for_text(self, text: str) -> re.Pattern[str] | None:
        """The alternation to run over ``text`` (None: no cue can match it)."""
        if self.whole is None:
            return None
        active = tuple(i for i, check in self._checks.items() if check is None or check(text))
        if len(active) == len(self.patterns):
            return self.whole
        if not active:
            return None
        return self._compiled(active)

    @lru_cache(maxsize=64)  # noqa: B019 - one per lexicon, which lives as long as the process
    def _compiled(self, active: tuple[int, ...]) -> re.Pattern[str]:
        return re.compile("|".join(f"(?P<p{i}>{self.patterns[i]})" for i in active))
