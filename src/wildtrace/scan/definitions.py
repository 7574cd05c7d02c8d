"""Use-case definitions: which facets make a listing "positive" (the ``verdict``).

Real labelled sets disagree on what counts: a shark-product monitor excludes fossil teeth, an
animal-products monitor includes fossils and cowhide, a social-media monitor counts only posts
that promote a sale. The scan states facts (``specimen``, ``intent``) and a named definition maps
them to the verdict; ``wildtrace scan --definition NAME`` picks one (the model stamp then names it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from wildtrace.errors import ConfigError
from wildtrace.scan import reasons
from wildtrace.scan.reasons import Reason
from wildtrace.scan.result import ScanResult

DEFAULT = "wildlife-offer"
_LISTED = frozenset({"I", "II", "III", "I/II", "I/III", "II/III", "I/II/III"})


@dataclass(frozen=True)
class Definition:
    name: str
    doc: str
    positive: Callable[[ScanResult], bool]


def _offer(r: ScanResult) -> bool:
    return r.verdict == "wildlife_offer"


def _animal_derived(r: ScanResult) -> bool:
    # real material of an animal (wild or domestic, fossils included), in a listing that is not news
    return r.intent["value"] != "other" and (
        r.verdict == "wildlife_offer" or r.specimen["value"] in ("wildlife", "fossil", "domestic_animal"))


def _cites_listed(r: ScanResult) -> bool:
    return _offer(r) and any(t.get("cites_appendix") in _LISTED for t in r.taxa)


def _sale_intent(r: ScanResult) -> bool:
    return _offer(r) and r.intent["value"] == "offer"


DEFINITIONS: dict[str, Definition] = {d.name: d for d in (
    Definition(DEFAULT, "a real specimen or part of a wild animal or plant, offered or wanted (the default)", _offer),
    Definition("animal-derived", "real animal material, wild or domestic, fossils included, in any listing that "
               "is not news or a report", _animal_derived),
    Definition("cites-listed", "a wildlife offer that names a taxon in CITES Appendix I, II or III", _cites_listed),
    Definition("sale-intent", "a wildlife offer with sale evidence: price, contact, sale or auction wording "
               "(not a 'wanted' post)", _sale_intent),
)}


def get(name: str) -> Definition:
    if name not in DEFINITIONS:
        raise ConfigError(f"unknown definition {name!r}; known: {', '.join(DEFINITIONS)}")
    return DEFINITIONS[name]


def apply(definition: Definition, result: ScanResult) -> None:
    """Set the verdict by the definition (the default leaves it as the rules or the model gave it)."""
    if definition.name == DEFAULT:
        return
    positive = definition.positive(result)
    if positive:
        result.verdict = "wildlife_offer"
    elif result.verdict == "wildlife_offer":
        result.verdict = "depiction_or_faux" if result.specimen["value"] in (
            "replica_or_depiction", "faux_material", "fossil") else "not_wildlife"
    result.model = {**result.model, "definition": definition.name}
    reasons.add(result, Reason("definition.verdict", {"definition": definition.name, "verdict": result.verdict}))
