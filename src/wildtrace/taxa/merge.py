"""An imported Species+ checklist merged into the built-in taxa, and the built-in appendices
compared with it (``wildtrace data import-cites``)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from wildtrace.taxa.refdata import Taxon


def merge_taxa(builtin: list[Taxon], extra: list[Taxon]) -> list[Taxon]:
    """Merge an imported checklist into the built-in taxa; one taxon is never there twice.

    An imported taxon is a built-in one when its name is the built-in's name or one of its
    synonyms, or the built-in's name is among its synonyms ("Aonyx cinerea" / "Aonyx cinereus").
    Then the built-in keeps its names, notes and trade names and gains the imported synonyms and
    names; its CITES status becomes the export's own listing (the export the user downloaded is
    the current authority; an inherited or ``NC`` value does not replace a built-in status), and
    the annotation says so when they differ. Other imported taxa are added as they are.
    """
    merged = list(builtin)
    index = _name_index(builtin)
    for taxon in extra:
        hit = _find(index, taxon)
        if hit is None:
            index[taxon.scientific_name] = len(merged)
            for name in taxon.synonyms:
                index.setdefault(name, len(merged))
            merged.append(taxon)
            continue
        merged[hit] = _absorb(merged[hit], taxon)
        for name in (taxon.scientific_name, *taxon.synonyms):
            index.setdefault(name, hit)
    return merged


def _name_index(taxa: list[Taxon]) -> dict[str, int]:
    """Each taxon's name and synonyms → its position (the first taxon wins a shared name)."""
    index: dict[str, int] = {}
    for i, t in enumerate(taxa):
        for name in (t.scientific_name, *t.synonyms):
            index.setdefault(name, i)
    return index


def _find(index: dict[str, int], taxon: Taxon) -> int | None:
    return next((index[n] for n in (taxon.scientific_name, *taxon.synonyms) if n in index), None)


def _own_listing(imported: Taxon) -> bool:
    """The export names this taxon's own listing (not inherited from a higher taxon, not NC)."""
    return imported.cites_appendix not in ("NC", "not listed") and not (
        imported.cites_annotation or "").startswith("inherited from")


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
    """How far the built-in appendices agree with an export, matched by name or synonym as in ``merge_taxa``."""
    counts = dict.fromkeys(AGREEMENT, 0)
    details: list[tuple[str, str, str, str]] = []
    index = _name_index(builtin)
    matched: set[int] = set()
    for taxon in imported:
        hit = _find(index, taxon)
        if hit is None or hit in matched:
            continue
        matched.add(hit)
        known = builtin[hit]
        category = _category(known, taxon)
        counts[category] += 1
        if category != "agree":
            details.append((category, known.scientific_name, known.cites_appendix, taxon.cites_appendix))
    return Agreement(counts=counts, compared=len(matched), not_in_export=len(builtin) - len(matched),
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


def _appendices(value: str) -> frozenset[str]:
    return frozenset(p for p in value.split("/") if p in ("I", "II", "III"))


def _absorb(known: Taxon, imported: Taxon) -> Taxon:
    """``known`` with the imported taxon's synonyms, names and (own) CITES status."""
    synonyms = tuple(dict.fromkeys([*known.synonyms, *(
        n for n in (imported.scientific_name, *imported.synonyms) if n != known.scientific_name)]))
    names = {lang: tuple(dict.fromkeys([*known.names.get(lang, ()), *imported.names.get(lang, ())]))
             for lang in dict.fromkeys([*known.names, *imported.names])}
    own = _own_listing(imported)
    appendix, annotation = known.cites_appendix, known.cites_annotation
    if own and imported.cites_appendix != known.cites_appendix:
        appendix = imported.cites_appendix
        annotation = "; ".join(x for x in (
            f"status from the imported Species+ export (built-in data: {known.cites_appendix})",
            imported.cites_annotation) if x)
    return dataclasses.replace(known, synonyms=synonyms, names=names, cites_appendix=appendix,
                               cites_annotation=annotation)
