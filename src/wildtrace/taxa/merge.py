"""An imported Species+ checklist merged into the built-in taxa without corrupting a status, what
the merge changes (``plan``), and how far the built-in appendices agree with the export.

Matching: an imported taxon is a built-in one only by an exact name — its accepted name is the
built-in's name, or (when neither has an accepted-name match of its own) its accepted name is one
of the built-in's synonyms or the built-in's name is one of its synonyms — and only one to one.
Two taxa are never joined because they share a synonym, and a synonym gained in the merge never
matches another imported taxon (no chains). A synonym that two or more taxa claim names none of
them: it is dropped from the imported taxa and counted.

Status: a matched built-in taxon keeps its status, split and annotation unless the export gives
the taxon a listing of its own (not blank, not inherited) that differs, and the export is newer
than the built-in status (``cites_as_of``; the export's date is its file name's or ``--as-of``) —
or the user chose ``--prefer-export``. Every difference is in ``Plan.changes`` with its category
(``CATEGORIES``), whether it changed the status or not.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from wildtrace.taxa.refdata import Taxon

# an annotation that limits a listing to some members or populations ("only the populations of")
LIMITING = re.compile(r"\b(only|except|excluding|exclusively|populations? of|with the exception)\b", re.I)

CATEGORIES = {
    "changed_newer": "status changed: the export is newer than the built-in status and lists the taxon differently",
    "changed_preferred": "status changed: the export lists the taxon differently and --prefer-export was given",
    "kept_builtin_newer": "built-in status kept: it is as new as or newer than the export",
    "kept_date_unknown": "built-in status kept: the export's date is unknown (give --as-of DATE)",
    "kept_no_own_listing": "built-in status kept: the export gives the taxon no listing of its own "
                           "(blank or inherited), or NC where the built-in data lists it",
}
NO_OWN = ("not listed",)


@dataclass(frozen=True)
class Change:
    """One built-in taxon whose status the export states differently."""

    category: str
    name: str  # the built-in taxon
    export_name: str  # the export's accepted name for it
    builtin: str  # built-in appendix (and its date)
    export: str  # the export's appendix (and its date)


@dataclass
class Plan:
    """What merging one export into the built-in taxa does."""

    matches: dict[int, tuple[int, str]]  # imported position -> (built-in position, how)
    changes: list[Change] = field(default_factory=list)
    shared_synonyms: set[str] = field(default_factory=set)  # claimed by two or more taxa: dropped
    synonyms_of_builtin: int = 0  # an unmatched imported taxon's synonyms that name a built-in taxon
    prefer_export: bool = False

    def counts(self) -> dict[str, int]:
        got = Counter(c.category for c in self.changes)
        return {k: got.get(k, 0) for k in CATEGORIES}

    @property
    def changed(self) -> list[Change]:
        return [c for c in self.changes if c.category.startswith("changed")]


def _appendices(value: str) -> frozenset[str]:
    return frozenset(p for p in value.split("/") if p in ("I", "II", "III"))


def _own_listing(imported: Taxon) -> bool:
    """The export names this taxon's own listing: not blank ("not listed"), not inherited."""
    return imported.cites_appendix not in NO_OWN and not (imported.cites_annotation or "").startswith(
        ("inherited from", "no listing of its own"))


def _as_of(taxon: Taxon) -> str | None:
    return taxon.cites_as_of or None


def plan(builtin: list[Taxon], imported: list[Taxon], *, prefer_export: bool = False) -> Plan:
    """Match the imported taxa to the built-in ones and decide each built-in status (module doc)."""
    by_name = {t.scientific_name: i for i, t in enumerate(builtin)}
    by_synonym: dict[str, set[int]] = defaultdict(set)
    for i, t in enumerate(builtin):
        for s in t.synonyms:
            by_synonym[s].add(i)
    imported_names = {t.scientific_name for t in imported}
    claims = Counter(s for t in imported for s in set(t.synonyms))
    shared = {s for s, n in claims.items() if n > 1} | {s for s in claims if s in imported_names}
    matches: dict[int, tuple[int, str]] = {}
    taken: set[int] = set()
    for k, t in enumerate(imported):  # exact accepted names first: they win every other claim
        if (hit := by_name.get(t.scientific_name)) is not None:
            matches[k] = (hit, "name")
            taken.add(hit)
    candidates: dict[int, set[tuple[int, str]]] = {}
    for k, t in enumerate(imported):
        if k in matches:
            continue
        found = {(i, "built-in synonym") for i in by_synonym.get(t.scientific_name, ())}
        found |= {(by_name[s], "export synonym") for s in t.synonyms if s in by_name and s not in shared}
        found = {c for c in found if c[0] not in taken}
        if len({i for i, _ in found}) == 1:
            candidates[k] = found
    wanted = Counter(i for found in candidates.values() for i in {i for i, _ in found})
    for k, found in candidates.items():
        i, how = sorted(found)[0]
        if wanted[i] == 1:
            matches[k] = (i, how)
            taken.add(i)
    result = Plan(matches=matches, shared_synonyms=shared, prefer_export=prefer_export)
    for k, (i, _) in sorted(matches.items()):
        category = _decide(builtin[i], imported[k], prefer_export)
        if category is not None:
            known, theirs = builtin[i], imported[k]
            result.changes.append(Change(
                category, known.scientific_name, theirs.scientific_name,
                f"{known.cites_appendix} (as of {_as_of(known) or 'an unknown date'})",
                f"{theirs.cites_appendix} (as of {_as_of(theirs) or 'an unknown date'})"))
    owned = set(by_name) | set(by_synonym)
    result.synonyms_of_builtin = sum(1 for k, t in enumerate(imported) if k not in matches
                                     for s in t.synonyms if s in owned)
    result.changes.sort(key=lambda c: (c.category, c.name))
    return result


def _decide(known: Taxon, imported: Taxon, prefer_export: bool) -> str | None:
    """The ``CATEGORIES`` key for a matched pair whose statuses differ; None when they agree."""
    if imported.cites_appendix == known.cites_appendix or (
            _appendices(imported.cites_appendix) == _appendices(known.cites_appendix)
            and _appendices(known.cites_appendix)):
        return None
    theirs_set, ours_set = _appendices(imported.cites_appendix), _appendices(known.cites_appendix)
    partial = bool(LIMITING.search(imported.cites_annotation or "")) or "(NC)" in (imported.cites_annotation or "")
    if known.cites_appendix == "varies" and (len(theirs_set) > 1 or partial):
        return None  # members in different appendices (or some unlisted): "varies" says just that
    if known.cites_split and theirs_set and theirs_set <= ours_set and partial:
        return None  # "II, only the populations of ...": one part of the built-in split, said again
    if not _own_listing(imported) or imported.cites_appendix == "NC":
        # NC names domestic forms or unlisted populations as often as a delisting: never over a listing
        return None if known.cites_appendix in ("not listed", "NC") else "kept_no_own_listing"
    if prefer_export:
        return "changed_preferred"
    theirs, ours = _as_of(imported), _as_of(known) or known.verified_on
    if theirs is None:
        return "kept_date_unknown"
    return "changed_newer" if theirs > ours else "kept_builtin_newer"


def merge_taxa(builtin: list[Taxon], extra: list[Taxon], *, prefer_export: bool = False) -> list[Taxon]:
    """The built-in taxa with an imported checklist merged in (module doc): a matched built-in taxon
    gains the export's synonyms and names and, where ``plan`` says so, its status; every other
    imported taxon is added, without the synonyms that two taxa claim or that name a built-in one."""
    decided = plan(builtin, extra, prefer_export=prefer_export)
    changed = {c.name for c in decided.changed}
    owned = {n for t in builtin for n in (t.scientific_name, *t.synonyms)}
    merged = list(builtin)
    for k, taxon in enumerate(extra):
        synonyms = tuple(s for s in taxon.synonyms if s not in decided.shared_synonyms)
        if k in decided.matches:
            i = decided.matches[k][0]
            merged[i] = _absorb(merged[i], dataclasses.replace(taxon, synonyms=synonyms),
                                take_status=merged[i].scientific_name in changed)
        else:
            merged.append(dataclasses.replace(taxon, synonyms=tuple(s for s in synonyms if s not in owned)))
    return merged


def _absorb(known: Taxon, imported: Taxon, *, take_status: bool) -> Taxon:
    """``known`` with the imported taxon's synonyms and names, and its status if ``take_status``."""
    synonyms = tuple(dict.fromkeys([*known.synonyms, *(
        n for n in (imported.scientific_name, *imported.synonyms) if n != known.scientific_name)]))
    names = {lang: tuple(dict.fromkeys([*known.names.get(lang, ()), *imported.names.get(lang, ())]))
             for lang in dict.fromkeys([*known.names, *imported.names])}
    if not take_status:
        return dataclasses.replace(known, synonyms=synonyms, names=names)
    annotation = "; ".join(x for x in (
        f"status from the imported Species+ export of {imported.cites_as_of or 'an unknown date'} (built-in "
        f"data: {known.cites_appendix} as of {known.cites_as_of or 'an unknown date'})",
        imported.cites_annotation) if x)
    new = _appendices(imported.cites_appendix)
    split = tuple(s for s in known.cites_split if s.get("appendix") in new) if new else ()
    return dataclasses.replace(known, synonyms=synonyms, names=names, cites_appendix=imported.cites_appendix,
                               cites_annotation=annotation, cites_source=imported.cites_source,
                               cites_as_of=imported.cites_as_of,
                               cites_split=split if len({s.get("appendix") for s in split}) > 1 else ())


AGREEMENT = {
    "agree": "same appendices",
    "export_split": "the export lists more appendices (a split listing); built-in data names one of them",
    "builtin_split": "built-in data lists more appendices than the export",
    "differ": "different appendices",
    "builtin_varies": "built-in data says 'varies' (its members differ); the export names the appendices",
    "export_not_listed": "built-in data lists the taxon; the export says NC or gives no listing",
    "export_inherited": "the export gives the taxon no listing of its own (inherited from a higher taxon)",
}


@dataclass
class Agreement:
    """Built-in CITES appendices checked against an imported export, by category (``AGREEMENT``)."""

    counts: dict[str, int]
    compared: int
    not_in_export: int
    details: list[tuple[str, str, str, str]]  # (category, built-in name, built-in appendix, export appendix)


def compare_taxa(builtin: list[Taxon], imported: list[Taxon]) -> Agreement:
    """How far the built-in appendices agree with an export, matched as ``plan`` matches them."""
    counts = dict.fromkeys(AGREEMENT, 0)
    details: list[tuple[str, str, str, str]] = []
    matches = plan(builtin, imported).matches
    for k, (i, _) in sorted(matches.items(), key=lambda m: m[1][0]):
        known, taxon = builtin[i], imported[k]
        category = _category(known, taxon)
        counts[category] += 1
        if category != "agree":
            details.append((category, known.scientific_name, known.cites_appendix, taxon.cites_appendix))
    return Agreement(counts=counts, compared=len(matches), not_in_export=len(builtin) - len(matches),
                     details=sorted(details))


def _category(known: Taxon, imported: Taxon) -> str:
    """The ``AGREEMENT`` category of a built-in taxon's appendices against the export's."""
    if imported.cites_appendix in ("NC", "not listed"):
        return "agree" if known.cites_appendix in ("NC", "not listed") else "export_not_listed"
    if not _own_listing(imported):
        return "export_inherited"
    if known.cites_appendix == "varies":
        return "builtin_varies"
    ours, theirs = _appendices(known.cites_appendix), _appendices(imported.cites_appendix)
    if ours == theirs:
        return "agree"
    if ours < theirs:
        return "export_split"
    return "builtin_split" if theirs < ours else "differ"
