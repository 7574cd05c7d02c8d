"""Verdict: the rules' verdict on a weighed listing, and its two facets (``specimen``, ``intent``).

``wildlife_offer`` at or above the threshold (``verdict_threshold`` in ``data/rules.yaml``) when
wildlife evidence counts and the listing does not read as information; otherwise
``depiction_or_faux`` when wildlife words sit beside a depiction cue (or a word is read in a sense
that depicts wildlife), else ``not_wildlife``.
"""

from __future__ import annotations

from typing import Any

from wildtrace.scan.result import Match
from wildtrace.scan.weighting import Evidence, Weighed, term_key


def decide(weighed: Weighed, ev: Evidence, threshold: float) -> str:
    if weighed.wildlife >= threshold and weighed.evidence and not weighed.informative:
        return "wildlife_offer"
    if weighed.depiction or ev.depicted:
        return "depiction_or_faux"
    return "not_wildlife"


def facet(value: str, score: float, decided: list[Match]) -> dict[str, Any]:
    return {"value": value, "score": round(score, 4), "matches": [f"{m.term} ({m.field})" for m in decided]}


def specimen(weighed: Weighed, ev: Evidence, cues: dict[str, frozenset[str]]) -> dict[str, Any]:
    """What the item is: wildlife, domestic_animal, fossil, replica_or_depiction, faux_material, none
    or unknown (wildlife words that were not counted, such as a lone "python"). ``cues``: the
    ``specimen_cues`` of the rules, by kind, in match form."""
    evidence, wildlife = weighed.evidence, weighed.wildlife
    depiction = weighed.depiction or ev.depicted
    domestic = ev.cues.get("domestic", [])
    if domestic and not evidence and not depiction:
        return facet("domestic_animal", 1.0 - 0.5 ** len(domestic), domestic)
    if not (evidence or weighed.wildlife_words or ev.depicted):
        return facet("none", 1.0 - wildlife, [])
    if not depiction:
        return facet("wildlife", wildlife, []) if evidence else facet("unknown", 0.0, [])
    kinds = {m.matched: next((k for k, terms in cues.items() if term_key(m.matched) in terms),
                             "replica_or_depiction") for m in depiction}
    # the most specific claim first; a pattern word ("print") says least
    for kind, value in (("fossil", "fossil"), ("replica_or_depiction", "replica_or_depiction"),
                        ("form", "replica_or_depiction"), ("faux_material", "faux_material"),
                        ("pattern", "replica_or_depiction")):
        decided = [m for m in depiction if kinds[m.matched] == kind]
        if decided:
            return facet(value, 1.0 - wildlife, decided)
    return facet("unknown", 0.0, [])  # pragma: no cover - every depiction cue has a kind


def intent(weighed: Weighed, ev: Evidence) -> dict[str, Any]:
    """offer (sale evidence), wanted (a buyer asks), other (news, seizure, court, information) or unknown.

    Report wording beats weak sale evidence (prices, generic sale words); prose with weak sale
    evidence only is ``other`` (information). The score is the strength of the rule evidence,
    ``1 - 0.5 ** matches``: not a probability.
    """
    wanted, strong_sale, sale = weighed.wanted, weighed.strong_sale, weighed.sale
    report = ev.cues.get("report", [])
    if wanted:
        return facet("wanted", 1.0 - 0.5 ** len(wanted), wanted)
    if strong_sale:
        return facet("offer", 1.0 - 0.5 ** len(strong_sale), strong_sale)
    if report:
        return facet("other", 1.0 - 0.5 ** len(report), report)
    if weighed.informative:
        return facet("other", 0.5, [])
    if sale:
        return facet("offer", 1.0 - 0.5 ** len(sale), sale)
    return facet("unknown", 0.0, [])
