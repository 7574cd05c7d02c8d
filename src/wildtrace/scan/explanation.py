"""Explanation: the taxa and product types a weighed listing is about, and the reasons for its verdict.

``explain`` lists the taxa named (or, for a depiction, what it depicts) and those inferred from
code words and product words, the product types, and one ``Reason`` (scan/reasons.py) per piece
of evidence: names first, then code words, products, intent, depiction, claims and senses.
``closing`` adds the review priority of an offer and the domestic-material note.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from wildtrace.scan.reasons import FIRST, Reason, quotes
from wildtrace.scan.weighting import Evidence, Weighed, Weighting
from wildtrace.taxa.refdata import CodeWord, Taxon
from wildtrace.taxa.senses import WILDLIFE


@dataclass(slots=True)
class Explanation:
    taxa: list[dict[str, Any]] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    _listed: set[str] = field(default_factory=set)

    def add_taxon(self, taxon: Taxon, inferred_from: str = "") -> None:
        out = taxon.to_output()
        if inferred_from:
            out["inferred_from"] = inferred_from
        self.taxa.append(out)
        self._listed.add(taxon.scientific_name)

    def add_product(self, product: str) -> bool:
        if product in self.products:
            return False
        self.products.append(product)
        return True


def taxon_args(taxon: Taxon) -> dict[str, Any]:
    """A taxon as reasons name it: scientific name, English name and CITES appendix."""
    return {"taxon": taxon.scientific_name, "common_name": taxon.common_name or "", "appendix": taxon.cites_appendix}


def explain(ev: Evidence, weighed: Weighed, verdict: str, weighting: Weighting,
            codewords: Mapping[str, CodeWord]) -> Explanation:
    out = Explanation()
    reasons = out.reasons
    named, ambiguous, evidence = weighed.named, weighed.ambiguous, weighed.evidence
    if verdict == "depiction_or_faux" and not (named or ambiguous):
        ambiguous = weighting.most_specific(ev.ambiguous)  # show what the item depicts
    # Taxa: named ones first, then those implied by code words and product words.
    for name in named + ambiguous:
        taxon = weighting.taxon(name)
        m = ev.taxa.get(name) or ev.ambiguous[name]
        out.add_taxon(taxon)
        # uncounted, a name is shown for what a depiction depicts: say so, so no two reasons disagree
        reasons.append(Reason("taxon.named" if evidence else "taxon.mentioned",
                              {**taxon_args(taxon), "term": m.term, "field": m.field}))
    inferring = not (named or ambiguous)

    def infer(name: str, code: str, term: str, why: str) -> None:
        taxon = weighting.ref.taxon(name)
        if inferring and taxon is not None and name not in out._listed:
            out.add_taxon(taxon, f"{why} “{term}”")
            reasons.append(Reason(code, {**taxon_args(taxon), "term": term}))

    for code in list(ev.codes) + weighed.codes_ctx:
        m = ev.codes.get(code) or ev.codes_ctx[code]
        cw = codewords[code]
        means = [x for x in (cw.means_product, cw.means_taxon) if x] or ["wildlife"]
        reasons.append(Reason("codeword.context" if cw.context_required else "codeword",
                              {"term": m.term, "field": m.field, "means": means, "source": cw.source}))
        if cw.means_product:
            out.add_product(cw.means_product)
        if cw.means_taxon:
            infer(cw.means_taxon, "taxon.from_codeword", m.term, "code word")
    for product, (taxon_name, m) in ev.implied.items():
        out.add_product(product)
        reasons.append(Reason("product.named", {"product": product, "term": m.term, "field": m.field}))
        infer(taxon_name, "taxon.from_product", m.term, "product word")
    for product in weighed.products:
        m = ev.products[product]
        if out.add_product(product):
            reasons.append(Reason("product.named", {"product": product, "term": m.term, "field": m.field}))
    reasons.extend(_context(ev, weighed, bool(out.taxa)))
    # What the listing is about first: named and inferred taxa, then the rest in order.
    reasons.sort(key=lambda r: r.code not in FIRST)
    return out


def _context(ev: Evidence, weighed: Weighed, taxa: bool) -> list[Reason]:
    """The reasons beside the names and products: intent, depiction, claims, senses (``taxa``: some
    taxon is shown, though none counts alone)."""
    evidence = weighed.evidence
    reasons: list[Reason] = []

    def cited(code: str, cues: list[Any], when: bool = True) -> None:
        if cues and when:
            reasons.append(Reason(code, {"cues": quotes(cues)}))

    if not evidence:
        reasons.append(Reason("evidence.uncounted" if taxa else "evidence.none"))
    cited("intent.offer", weighed.sale, evidence)
    cited("intent.wanted", weighed.wanted, evidence)
    cited("intent.report", weighed.report, evidence)
    if weighed.informative and evidence:
        reasons.append(Reason("intent.information", {"words": weighed.units, "sale": quotes(weighed.sale)}))
    for m in weighed.depiction:
        reasons.append(Reason("depiction", {"term": m.term, "field": m.field}))
    cited("authenticity", weighed.authenticity)
    cited("legality", weighed.legality)
    for m in ev.cues.get("innocent", []):
        reasons.append(Reason("sense.innocent", {"term": m.term, "field": m.field}))
    for m, sense, cues in ev.senses:
        reasons.append(Reason("sense.wildlife" if sense.name == WILDLIFE else "sense.other",
                              {"term": m.term, "field": m.field, "sense": sense.label, "cues": list(cues[:4])}))
    return reasons


def closing(verdict: str, risk: float, ev: Evidence, weighed: Weighed, taxa: list[dict[str, Any]],
            scale: Callable[[str], float]) -> list[Reason]:
    """The review priority of an offer (by the highest CITES protection among its taxa), and, when no
    wildlife evidence counts, the domestic material named."""
    out: list[Reason] = []
    if verdict == "wildlife_offer":
        top = max((t["cites_appendix"] for t in taxa), key=scale, default=None)
        if top:
            out.append(Reason("priority", {"risk": risk, "appendix": top}))
    domestic = ev.cues.get("domestic", [])
    if domestic and not weighed.evidence:
        out.append(Reason("domestic", {"cues": quotes(domestic)}))
    return out
