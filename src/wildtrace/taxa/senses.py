"""Senses, not words: a wildlife word that also names a brand, a car part, a colour or a toy.

``data/senses.yaml`` gives each ambiguous surface form its senses, one of them usually
``wildlife``, each with cue words in the listing's languages. When such a form is matched, the
sense whose cues appear most often anywhere in the listing wins (the ``wildlife`` sense wins a
tie, and no cue at all means no decision):

- another sense wins: the match is not counted, and the reason names the sense and its cues
  ("Jaguar" read as the car maker: "XF", "diesel"); a sense marked ``depicts`` (a toy or
  hoodie of the animal) makes the listing a depiction;
- the wildlife sense wins: a name that is innocent alone ("python") counts as a real name
  ("python" beside "skull", "morph").

An entry may name a ``default`` sense, read when no cue of any sense appears: a generic word whose
everyday reading is the usual one (Vietnamese *giải*, a prize or a solution, is a turtle only
beside turtle words; "tortoiseshell" alone is a colour or pattern) names no species without more
evidence.

Every sense row carries examples (listings where it must win) that ``tests/scan/test_senses.py``
runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import ahocorasick
import yaml

from wildtrace.errors import DataError
from wildtrace.text.normalize import normalize_term

WILDLIFE = "wildlife"


@dataclass(frozen=True)
class Sense:
    name: str  # wildlife, brand, car_part, colour, toy, clothing, software, ...
    label: str  # for the reason: "the Jaguar car maker"
    cues: tuple[str, ...]  # in match form
    examples: tuple[str, ...]
    depicts: bool = False  # a toy, figure or motif of the animal: a depiction, not another thing

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """The cues as one regex (longest first, Latin-script ones on word boundaries), compiled on
        first use: ``decide`` rarely needs it (``_hits``), and compiling every sense's at start-up
        was a tenth of a one-listing scan."""
        return _cue_regex(self.cues)


@dataclass(frozen=True)
class SenseEntry:
    terms: tuple[str, ...]  # surface forms (match form) this entry decides
    senses: tuple[Sense, ...]
    source: str
    default: Sense | None = None  # the sense read when no cue appears


def _cue_regex(cues: tuple[str, ...]) -> re.Pattern[str]:
    # Latin-script cues need word boundaries; others (Chinese, Thai) match as substrings
    parts = [rf"(?<![a-z0-9]){re.escape(c)}(?![a-z0-9])" if c.isascii() else re.escape(c)
             for c in sorted(set(cues), key=len, reverse=True)]
    return re.compile("|".join(parts))


def load(path: Path) -> list[SenseEntry]:
    try:
        rows = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    except (OSError, yaml.YAMLError) as exc:
        raise DataError(f"cannot read {path}: {exc}") from exc
    out = []
    for n, row in enumerate(rows, start=1):
        where = f"{path.name} entry {n}"
        if not isinstance(row, dict) or not row.get("terms") or not row.get("senses") or not row.get("source"):
            raise DataError(f"{where}: needs terms, senses and source")
        senses = []
        for s in row["senses"]:
            cues = tuple(normalize_term(c) for words in (s.get("cues") or {}).values() for c in words)
            if not s.get("sense") or not cues:
                raise DataError(f"{where}: each sense needs a name and cues")
            senses.append(Sense(str(s["sense"]), str(s.get("label") or s["sense"]), cues,
                                tuple(str(e) for e in s.get("examples") or ()), bool(s.get("depicts", False))))
        default = None
        if row.get("default") is not None:
            default = next((s for s in senses if s.name == str(row["default"])), None)
            if default is None:
                raise DataError(f"{where}: default {row['default']!r} is not one of its senses")
        out.append(SenseEntry(tuple(normalize_term(t) for t in row["terms"]), tuple(senses), str(row["source"]),
                              default))
    return out


class SenseTable:
    """Built once from the entries; ``decide`` is called only for ambiguous matches.

    A decision depends on the term and the text only, so the caller passes one ``memo`` per listing
    and every further occurrence of an ambiguous word in that text reuses it (a listing holding the
    word a thousand times cost a thousand passes of every cue over the whole text). The table keeps
    no per-listing state: one scanner serves the workbench's threads.

    A sense's cue regex runs only where it can match: one automaton pass over the text (once per
    listing, kept in the memo) finds where any cue occurs as a substring; a sense none of whose
    cues occurs is skipped, and the others' regexes start at their first cue. The regex still
    decides (word boundaries, longest cue first), so the decision is the same as a full pass.
    """

    def __init__(self, entries: list[SenseEntry]):
        self.by_term: dict[str, SenseEntry] = {}
        for e in entries:
            for t in e.terms:
                self.by_term.setdefault(t, e)
        cues = sorted({c for e in entries for s in e.senses for c in s.cues})
        self._automaton: Any = None
        if cues:
            automaton = ahocorasick.Automaton()
            for c in cues:
                automaton.add_word(c, c)
            automaton.make_automaton()
            self._automaton = automaton

    def decide(self, term_key: str, text: str,
               memo: dict[str, Any] | None = None) -> tuple[Sense, list[str]] | None:
        """The winning sense of ``term_key`` in ``text`` (match form) and the cues found, or None."""
        entry = self.by_term.get(term_key)
        if entry is None:
            return None
        if memo is None:
            return _decide(entry, text, self._occurrences(text))
        if term_key not in memo:
            found = memo.get(_FOUND)
            if found is None:
                found = memo[_FOUND] = self._occurrences(text)
            memo[term_key] = _decide(entry, text, found)
        decided: tuple[Sense, list[str]] | None = memo[term_key]
        return decided

    def _occurrences(self, text: str) -> dict[str, list[int]]:
        """Where each cue occurs in ``text`` as a substring (word boundaries aside), in order."""
        found: dict[str, list[int]] = {}
        if self._automaton is not None and text:
            for end, cue in self._automaton.iter(text):
                found.setdefault(cue, []).append(end - len(cue) + 1)
        return found


#: The memo key of a listing's cue occurrences (no surface form holds a NUL).
_FOUND = "\x00cues"
_WORD = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def _decide(entry: SenseEntry, text: str, found: dict[str, list[int]]) -> tuple[Sense, list[str]] | None:
    best: tuple[int, bool, Sense, list[str]] | None = None
    for sense in entry.senses:
        hits = _hits(sense, text, found)
        if not hits:
            continue
        key = (len(hits), sense.name == WILDLIFE, sense, hits)
        if best is None or key[:2] > best[:2]:
            best = key
    if best is None:
        return (entry.default, []) if entry.default is not None else None
    return best[2], best[3]


def _hits(sense: Sense, text: str, found: dict[str, list[int]]) -> list[str]:
    """The distinct cues of ``sense`` in ``text``, in order: what ``sense.pattern.finditer`` finds.

    The automaton's occurrences stand in for the regex's scan: left to right, the longest cue at
    a position that keeps its word boundaries (a Latin-script cue: no letter or digit either side)
    wins, and the scan goes on after it. A sense none of whose cues occurs costs nothing.
    """
    at = [(start, cue) for cue in sense.cues if cue in found for start in found[cue]]
    if not at:
        return []
    if "" in sense.cues:  # an empty cue matches everywhere: leave it to the regex
        return list(dict.fromkeys(m.group(0) for m in sense.pattern.finditer(text)))
    at.sort(key=lambda sc: (sc[0], -len(sc[1])))
    n = len(text)
    hits: dict[str, None] = {}
    pos = 0
    for start, cue in at:
        if start < pos:
            continue
        end = start + len(cue)
        if cue.isascii() and ((start > 0 and text[start - 1] in _WORD) or (end < n and text[end] in _WORD)):
            continue
        hits[cue] = None
        pos = end
    return list(hits)
