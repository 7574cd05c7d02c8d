"""Places: a listing's free-text location ("Hanoi, VN", "Hà Nội", "香港", "Jakarta Selatan") to an
ISO 3166-1 alpha-2 country code, and listings counted per country (the dashboard's world map).

Declared as data (``data/world``): ``countries.csv`` (every ISO 3166-1 code with its English and
official names, from Debian's iso-codes) and ``places.csv`` (cities, regions and country names
in the scripts the scanner reads, one row each). Matching is on a folded form (case, accents,
width and ``đ`` folded; punctuation as spaces), tried on the whole text, then on its
comma-separated parts from the last, then as a contained word (Latin) or substring (CJK, Thai).

``tally`` counts records as they come (about 60 µs a record through ``store.queue.export``); a
queue column filled with ``country_of`` at save time would let the store count countries as it
counts species.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

from wildtrace import manifest

#: Listings kept per country to show beside its count (the map's country view).
EXAMPLES = 50
#: Location texts kept among those no row could place (the most frequent first).
UNPLACED = 20
_SPLIT = re.compile(r"[,;/|()\[\]\n]+")
_PUNCT = re.compile(r"[\s.\-_'’]+")
_CODE = re.compile(r"^[A-Z]{2,3}$")


def fold(text: str) -> str:
    """The form names are matched in: NFKC, case-folded, Latin accents and ``đ`` removed,
    punctuation runs as one space."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("đ", "d")
    # only the Latin accents (U+0300-U+036F): a Thai vowel sign is a combining mark too
    text = "".join(ch for ch in unicodedata.normalize("NFD", text) if not "\u0300" <= ch <= "\u036f")
    return _PUNCT.sub(" ", unicodedata.normalize("NFC", text)).strip()


@dataclass(frozen=True)
class Gazetteer:
    """Folded name -> code; ISO alpha-2/alpha-3 codes; each code's English name; the names
    looked for inside a longer text, longest first (Latin ones of 4+ letters: "Lima" yes, "UK" no)."""

    names: Mapping[str, str]
    codes: Mapping[str, str]
    country_names: Mapping[str, str]
    contained: tuple[tuple[str, str], ...]


@cache
def gazetteer() -> Gazetteer:
    names: dict[str, str] = {}
    codes: dict[str, str] = {}
    country_names: dict[str, str] = {}
    with open(manifest.path("world_countries"), encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            code = row["code"]
            country_names[code] = row["name"]
            codes[code] = code
            codes[row["alpha3"]] = code
            for name in (row["name"], row["official_name"]):
                if name:
                    names.setdefault(fold(name), code)
    with open(manifest.path("world_places"), encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            names[fold(row["name"])] = row["code"]
    contained = sorted(((n, c) for n, c in names.items() if len(n) >= (4 if n.isascii() else 2)),
                       key=lambda nc: -len(nc[0]))
    return Gazetteer(names, codes, country_names, tuple(contained))


def _inside(folded: str, g: Gazetteer) -> str | None:
    words = f" {folded} "
    for name, code in g.contained:
        if (name in folded) if not name.isascii() else (f" {name} " in words):
            return code
    return None


@lru_cache(maxsize=65_536)
def country_of(location: str) -> str | None:
    """The ISO 3166-1 alpha-2 code of a free-text location, or None when no row places it."""
    text = (location or "").strip()
    if not text:
        return None
    g = gazetteer()
    parts = [p.strip() for p in _SPLIT.split(text) if p.strip()]
    for part in [text, *reversed(parts)]:
        if _CODE.match(part) and part in g.codes:
            return g.codes[part]
        code = g.names.get(fold(part))
        if code:
            return code
    for part in reversed(parts):
        code = _inside(fold(part), g)
        if code:
            return code
    return None


def name_of(code: str) -> str:
    """A code's English name (``VN`` -> ``Viet Nam``); the code itself when unknown."""
    return gazetteer().country_names.get(code, code)


@dataclass
class Tally:
    """Listings per country: counts, a few listings of each, and what could not be placed."""

    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    unplaced: Counter[str] = field(default_factory=Counter)
    missing: int = 0

    @property
    def placed(self) -> int:
        return sum(self.counts.values())

    def top_unplaced(self, n: int = UNPLACED) -> list[tuple[str, int]]:
        return self.unplaced.most_common(n)


def tally(records: Iterable[Mapping[str, Any]]) -> Tally:
    """Count scan results (``{"id", "listing": {"location", "country", "title"}, ...}``) per
    country. A ``country`` field, where a reader gives one, wins over ``location``."""
    out = Tally()
    for record in records:
        listing = record.get("listing") or {}
        given = str(listing.get("country") or "").strip()
        location = str(listing.get("location") or "").strip()
        code = country_of(given) if given else None
        code = code or (country_of(location) if location else None)
        if code is None:
            if location or given:
                out.unplaced[(location or given)[:200]] += 1
            else:
                out.missing += 1
            continue
        out.counts[code] += 1
        shown = out.examples.setdefault(code, [])
        if len(shown) < EXAMPLES:
            shown.append({"id": str(record.get("id", "")), "title": str(listing.get("title") or "")[:300],
                          "location": location[:200], "risk_score": record.get("risk_score")})
    return out
