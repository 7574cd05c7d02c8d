"""Names -> taxa: the one resolution of a name a person types (accepted name, synonym, trinomial,
common or trade name in any shipped language) to one taxon of the reference data.

Exact only: no fuzzy guess is ever an answer. Zero or several matches are ``unresolved``, with
candidate names (close spellings) for the person to choose from. An accepted name beats a synonym,
which beats a common name. Used by the species card and the zoonotic profile
(``zoonotic/resolve.py`` adds the hosts known only to the VIRION/HP3 summary), and by the
workbench's search and trade analyses that need a taxon from a name.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from wildtrace.taxa.refdata import ReferenceData, Taxon

_SUBGENUS = re.compile(r"\s*\([A-Za-z]+\)\s*")
ACCEPTED = "accepted name"


def name_key(name: str) -> str:
    """One canonical form for a scientific or common name: case-folded, single spaces."""
    return " ".join(name.replace("_", " ").split()).casefold()


def keys(name: str) -> list[str]:
    """The name, and the name without a subgenus: ``Holothuria (Microthele) nobilis``."""
    key = name_key(name)
    bare = name_key(_SUBGENUS.sub(" ", name))
    return [key] if bare == key else [key, bare]


@dataclass(frozen=True)
class Match:
    """What a name resolves to: one taxon, or nothing with candidates."""

    query: str
    status: str  # "resolved" or "unresolved"
    taxon: Taxon | None = None
    via: str = ""
    candidates: tuple[str, ...] = ()


class NameIndex:
    """Every name of every taxon (accepted, synonyms, common and trade names), by ``name_key``."""

    def __init__(self, ref: ReferenceData):
        self.ref = ref
        self.by_key: dict[str, dict[str, str]] = {}  # key -> {scientific name: how}
        for t in ref.taxa:
            for k in keys(t.scientific_name):
                self._add(k, t.scientific_name, ACCEPTED)
            for syn in t.synonyms:
                for k in keys(syn):
                    self._add(k, t.scientific_name, f"synonym {syn}")
            for names in (*t.names.values(), *t.trade_names.values()):
                for n in names:
                    self._add(name_key(n), t.scientific_name, f"common name {n!r}")

    def _add(self, key: str, sci: str, how: str) -> None:
        found = self.by_key.setdefault(key, {})
        if sci not in found or how == ACCEPTED:
            found[sci] = how

    def hits(self, query: str) -> dict[str, str]:
        """{scientific name: how it matched}; an accepted-name match wins over the rest."""
        hits = self.by_key.get(name_key(query)) or {}
        if len(hits) > 1:
            accepted = [n for n, how in hits.items() if how == ACCEPTED]
            if len(accepted) == 1:
                return {accepted[0]: ACCEPTED}
        return dict(hits)

    def resolve(self, query: str) -> Match:
        """One taxon for ``query``, or ``unresolved`` (ambiguous, or no taxon has the name)."""
        if not name_key(query):
            return Match(query, "unresolved")
        hits = self.hits(query)
        if len(hits) == 1:
            (sci, how), = hits.items()
            return Match(query, "resolved", taxon=self.ref.taxon(sci), via=how)
        if hits:
            return Match(query, "unresolved", via="ambiguous: the name fits several taxa",
                         candidates=tuple(sorted(hits)))
        return Match(query, "unresolved", via="no taxon has this name",
                     candidates=self.candidates(name_key(query)))

    def candidates(self, key: str, n: int = 5, extra: tuple[str, ...] = ()) -> tuple[str, ...]:
        """Close spellings among the names (and ``extra`` names), as scientific names."""
        out: list[str] = []
        for k in difflib.get_close_matches(key, [*self.by_key, *extra], n=n * 2, cutoff=0.75):
            for sci in self.by_key.get(k) or {k.capitalize(): ""}:
                if sci not in out:
                    out.append(sci)
        return tuple(out[:n])
