"""Verdict: the two facets of a weighed listing (``specimen``: what the item is; ``intent``: is it
offered) and the verdict derived from them (``decide``), which never contradicts them.

``wildlife_offer`` at or above the threshold (``verdict_threshold`` in ``data/rules.yaml``) when
wildlife evidence counts, the specimen may be real (wildlife or unknown) and the intent is not
``other``; ``depiction_or_faux`` when the specimen is a depiction, faux material or a fossil; else
``not_wildlife``.
"""

from __future__ import annotations

from typing import Any

from wildtrace.scan.result import Match
from wildtrace.scan.weighting import Evidence, Weighed, term_key
from wildtrace.taxa.senses import WILDLIFE

#: What an item must be for an offer: real material (``wildlife``) or not yet decided (``unknown``).
OFFERABLE = frozenset({"wildlife", "unknown"})
#: Specimen values that make a listing a depiction or faux, not wildlife.
DEPICTED = frozenset({"replica_or_depiction", "faux_material", "fossil"})


def decide(score: float, threshold: float, specimen: dict[str, Any], intent: dict[str, Any],
           evidence: bool = True) -> str:
    """The verdict from the score and the two facets, never against them: ``wildlife_offer`` when the
    score reaches the threshold, wildlife evidence counts, the item may be real material (``specimen``
    wildlife or unknown) and the listing is not news or information (``intent`` not other);
    ``depiction_or_faux`` when the specimen is a depiction, faux material or a fossil; else
    ``not_wildlife``. The rules and a text model (``learn.combine``) both decide with it."""
    if evidence and score >= threshold and specimen["value"] in OFFERABLE and intent["value"] != "other":
        return "wildlife_offer"
    if specimen["value"] in DEPICTED:
        return "depiction_or_faux"
    return "not_wildlife"


def facet(value: str, score: float, decided: list[Match]) -> dict[str, Any]:
    return {"value": value, "score": round(score, 4), "matches": [f"{m.term} ({m.field})" for m in decided]}


def specimen(weighed: Weighed, ev: Evidence, cues: dict[str, frozenset[str]]) -> dict[str, Any]:
    """What the item is: wildlife, domestic_animal, fossil, replica_or_depiction, faux_material, none
    or unknown. A value is decided by cues, and lists them in ``matches``: real material by a product
    word, a code word, a part or preparation ("skull", "taxidermy", "pinned": ``material`` cues) or a
    live animal ("hand-reared", "chicks": ``live`` cues); a depiction, faux material or fossil by its
    cue; domestic material by its name. Wildlife named with nothing that says what the item is made
    of is ``unknown``. ``cues``: the ``specimen_cues`` of the rules, by kind, in match form."""
    evidence, wildlife = weighed.evidence, weighed.wildlife
    depiction = weighed.depiction or ev.depicted
    domestic = ev.cues.get("domestic", [])
    if domestic and not evidence and not depiction:
        return facet("domestic_animal", 1.0 - 0.5 ** len(domestic), domestic)
    if not (evidence or weighed.wildlife_words or ev.depicted):
        return facet("none", 1.0 - wildlife, [])
    if depiction:
        kinds = {m.matched: next((k for k, terms in cues.items() if term_key(m.matched) in terms),
                                 "replica_or_depiction") for m in depiction}
        if domestic and all(kinds[m.matched] == "pattern" for m in depiction):
            # "croc-embossed leather", "leopard print cowhide": real domestic material with a pattern
            return facet("domestic_animal", 1.0 - 0.5 ** len(domestic), domestic)
        # the most specific claim first; a pattern word ("print") says least
        for kind, value in (("fossil", "fossil"), ("replica_or_depiction", "replica_or_depiction"),
                            ("form", "replica_or_depiction"), ("faux_material", "faux_material"),
                            ("pattern", "replica_or_depiction")):
            decided = [m for m in depiction if kinds[m.matched] == kind]
            if decided:
                return facet(value, 1.0 - wildlife, decided)
    if not evidence:
        return facet("unknown", 0.0, [])
    material = [m for _, m in ev.implied.values()] + [ev.products[p] for p in weighed.products if p in ev.products]
    material += list(ev.codes.values()) + [ev.codes_ctx[c] for c in weighed.codes_ctx]
    material += ev.cues.get("material", []) + ev.cues.get("live", []) + weighed.material_names
    # a word the sense table read as the animal by its cues ("cobra" beside "snake wine")
    material += [m for m, sense, _ in ev.senses if sense.name == WILDLIFE and not sense.depicts]
    if material:
        unique = {(m.field, m.span): m for m in material}
        return facet("wildlife", wildlife, sorted(unique.values(), key=lambda m: (m.field, m.span)))
    return facet("unknown", wildlife, [])


def intent(weighed: Weighed, ev: Evidence) -> dict[str, Any]:
    """offer (offer evidence), wanted (a buyer asks), other (sold, news, seizure, court, information)
    or unknown, with the cues that decided it.

    A buyer's words first; then strong offer evidence (contact, ordering, shipping, a marketplace
    listing); then "not offered" wording (an auction result, "not for sale": it beats a price, a sale
    word, an auction preview and a marketplace's form); then report wording and information (prose,
    a news source, or a social post or web page without offer wording); a price or a generic sale word alone is an offer only outside prose. The score
    is the strength of the rule evidence, ``1 - 0.5 ** matches``: not a probability.
    """
    wanted, strong_sale, sale = weighed.wanted, weighed.strong_sale, weighed.sale
    report = ev.cues.get("report", [])
    if wanted:
        return facet("wanted", 1.0 - 0.5 ** len(wanted), wanted)
    if strong_sale:
        return facet("offer", 1.0 - 0.5 ** len(strong_sale), strong_sale)
    if weighed.not_offered:
        return facet("other", 1.0 - 0.5 ** len(weighed.not_offered), weighed.not_offered)
    if report:
        return facet("other", 1.0 - 0.5 ** len(report), report)
    if weighed.informative:
        source = ev.source
        return facet("other", 0.5, [] if source is None or source.value == "marketplace"
                     else [source.as_cue(_NO_OFFER[source.value], "report")])
    if sale:
        return facet("offer", 1.0 - 0.5 ** len(sale), sale)
    return facet("unknown", 0.0, [])


#: how an intent facet says a source without offer wording decided it
_NO_OFFER = {"news": "a news source", "social": "a social post with no offer wording",
             "web": "a web page with no offer wording"}
