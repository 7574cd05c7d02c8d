"""Weighting: which of a listing's evidence counts, and the scores the weights of ``data/rules.yaml`` give it.

1. ``Evidence`` (filled by the detector): taxa named (specific or generic), code words, product
   words, and the cues for sale intent, depiction or faux, legality and authenticity.
2. ``Weighting.weigh`` decides what counts: names and code words that are innocent alone count
   only beside other wildlife evidence; product words only beside a taxon or a code word, except
   words that name a material of one group ("ivory"). A depiction cue ("plush", "resin") pulls the
   score down; preceded by a negation ("not resin") it counts as a claim of authenticity instead.
   ``wildlife_score = sigmoid(bias + sum of weights)`` (``Weighed.wildlife``).
3. ``Weighting.risk``: the review order. ``priority = min(1, base + protection + product + sale +
   code word + legality terms)`` moves the wildlife score by at most ``priority_share`` of itself:
   ``risk_score = wildlife_score * (1 - share + share * priority)``, so the priority orders offers
   of like likelihood and never lifts an innocent post above a likely offer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from wildtrace.scan.lexicon import Lexicon
from wildtrace.scan.listing import Listing
from wildtrace.scan.result import Match
from wildtrace.scan.sourcekind import Kind
from wildtrace.taxa.refdata import Taxon
from wildtrace.taxa.senses import WILDLIFE, Sense
from wildtrace.text.normalize import CJK_THAI, normalize, normalize_term

_WIDE = re.compile(f"[{CJK_THAI}]")


@lru_cache(maxsize=65536)
def term_key(term: str) -> str:
    return normalize_term(term)


def _adjacent(m: Match, cues: list[Match], listing: Listing, words: int = 1) -> bool:
    """A cue right before or after the match in its field, at most ``words`` words between them."""
    for c in cues:
        if c.field != m.field:
            continue
        lo, hi = (c.span[1], m.span[0]) if c.span[1] <= m.span[0] else (m.span[1], c.span[0])
        if hi < lo:  # overlapping spans
            return True
        gap = (getattr(listing, m.field, None) or "")[lo:hi]
        if len(gap) <= 40 and len(gap.split()) <= words and not any(p in gap for p in ",.;:|!?\n"):
            return True
    return False


@dataclass
class Evidence:
    """A listing's matches sorted by what they are evidence of (each first match kept)."""

    taxa: dict[str, Match] = field(default_factory=dict)  # non-ambiguous taxon -> first match
    ambiguous: dict[str, Match] = field(default_factory=dict)
    products: dict[str, Match] = field(default_factory=dict)
    implied: dict[str, tuple[str, Match]] = field(default_factory=dict)  # product -> (taxon, match)
    codes: dict[str, Match] = field(default_factory=dict)
    codes_ctx: dict[str, Match] = field(default_factory=dict)
    cues: dict[str, list[Match]] = field(default_factory=dict)
    negated: list[Match] = field(default_factory=list)
    #: matches decided by the sense table: (match, sense, cues found)
    senses: list[tuple[Match, Sense, list[str]]] = field(default_factory=list)
    #: where the listing was posted, and what said so (``scan.sourcekind``); None: unknown
    source: Kind | None = None

    @property
    def depicted(self) -> list[Match]:
        """Words read in a sense that depicts wildlife."""
        return [m for m, sense, _ in self.senses if sense.depicts]


@dataclass(slots=True)
class Weighed:
    """What counts of the evidence, and the wildlife score (unrounded)."""

    named: list[str]  # taxa named, the most specific of each line
    ambiguous: list[str]  # names innocent alone, counted beside other evidence
    codes_ctx: list[str]  # code words innocent alone, counted
    products: list[str]  # product words counted
    sale: list[Match]
    wanted: list[Match]
    strong_sale: list[Match]  # sale cues that are not weak (a price, a generic sale word)
    report: list[Match]  # news, seizure or court wording, when nothing offers the item
    not_offered: list[Match]  # "sold for", "hammer price", "not for sale": the item is not (or no longer) offered
    informative: bool  # prose with no offer wording: an article or an information page
    units: float  # words of prose (set when informative)
    depiction: list[Match]
    authenticity: list[Match]
    legality: list[Match]
    material_names: list[Match]  # taxa named with their material ("crocodile leather")
    evidence: bool  # wildlife evidence that counts
    wildlife_words: bool  # words that name wildlife at all, counted or not
    wildlife: float


class Weighting:
    """The weights and context rules of ``data/rules.yaml`` over a lexicon's reference data."""

    def __init__(self, lexicon: Lexicon):
        ref = lexicon.ref
        self.ref = ref
        rules = ref.rules
        self.w: dict[str, float] = {k: float(v) for k, v in rules["wildlife"].items()}
        self.risk_terms: dict[str, Any] = rules["risk"]
        self.product_risk = {name: p.risk for name, p in lexicon.products.items()}
        self.material_products = frozenset(rules.get("material_products", ()))
        self.material_words = frozenset(normalize_term(w) for w in rules.get("material_words", ()))
        weak = rules.get("weak_sale_cues", {})
        self.weak_sale = frozenset(normalize_term(t) for t in weak.get("terms", ())) | frozenset(weak.get("patterns", ()))
        #: auction-preview cues (lot, estimate, viewing): strong, unless an auction result stands beside them
        self.preview = frozenset(normalize_term(str(t)) for t in rules.get("auction_preview_cues", ()))
        self.prose_units = float(rules.get("prose_units", 20))
        self.prose_share = float(rules.get("prose_function_share", 0.0))
        self.function_words = frozenset(
            normalize_term(w) for ws in rules.get("prose_function_words", {}).values() for w in ws)
        self.colour_codes = frozenset(normalize_term(str(w)) for w in rules.get("colour_codes", ()))
        self.colour_items = frozenset(normalize_term(str(w)) for w in rules.get("colour_items", ()))
        #: colour items found by substring: several words ("phone case") or Chinese and Thai ("连衣裙")
        self.colour_phrases = tuple(i for i in self.colour_items if " " in i or _WIDE.search(i))
        self.colour_materials = frozenset(normalize_term(str(w)) for w in rules.get("colour_materials", ()))
        self.priority_share = float(rules.get("priority_share", 1.0))
        #: the words that say what kind of specimen a depiction is (fossil, form, faux material...), by kind
        self.specimen_cues = {kind: frozenset(normalize_term(t) for t in terms)
                              for kind, terms in rules.get("specimen_cues", {}).items()}
        self.form = self.specimen_cues.get("form", frozenset())
        #: depiction cues that claim the material itself (faux, fossil): they count beside live-animal words
        self.real_claims = self.specimen_cues.get("faux_material", frozenset()) | self.specimen_cues.get(
            "fossil", frozenset())
        self._ancestors: dict[str, frozenset[str]] = {t.scientific_name: self._chain(t) for t in ref.taxa}

    def _chain(self, taxon: Taxon) -> frozenset[str]:
        """Every enclosing taxon: the parent chain and the family, order and class."""
        seen: set[str] = {x for x in (taxon.family, taxon.order, taxon.class_) if x and x != taxon.scientific_name}
        current = taxon
        while current.parent and current.parent not in seen:
            seen.add(current.parent)
            nxt = self.ref.taxon(current.parent)
            if nxt is None:
                break
            current = nxt
        return frozenset(seen)

    def taxon(self, name: str) -> Taxon:
        taxon = self.ref.taxon(name)
        assert taxon is not None, name
        return taxon

    def most_specific(self, names: Iterable[str]) -> list[str]:
        """The names without those that enclose another of them (a genus beside its species)."""
        names = list(names)
        covered: set[str] = set()
        for n in names:
            covered |= self._ancestors.get(n, frozenset())
        return [n for n in names if n not in covered]

    def weigh(self, ev: Evidence, listing: Listing, norm: str = "") -> Weighed:
        # Names: drop a generic taxon when a more specific one below it is named.
        ambiguous_only = [n for n in ev.ambiguous if n not in ev.taxa]
        has_strong = bool(ev.taxa) or bool(ev.codes) or bool(ev.implied)
        legality_any = bool(ev.cues.get("legality"))
        # a bare product word is context for other evidence, unless a word of the listing was read in
        # another sense (the "fin" of a shark-fin car antenna is not context for a code word)
        other_sense = any(sense.name != WILDLIFE for _, sense, _ in ev.senses)
        # (a product word is no context for a code word at its own span: "bone" is both)
        code_spans = {(m.field, m.span) for m in ev.codes_ctx.values()}
        own = any((m.field, m.span) not in code_spans for m in ev.products.values())
        context = has_strong or (own and not other_sense) or legality_any
        # a live animal ("hand-reared", "breeding pair") or a specimen's part ("skull", "taxidermy") right
        # beside a name innocent alone ("tame galah", "parrot chicks") makes it the animal's name; elsewhere
        # in the listing it says nothing of the name ("Jaguar brand dried mango")
        beside = ev.cues.get("live", []) + ev.cues.get("material", [])
        promoted = {n for n in ambiguous_only if _adjacent(ev.ambiguous[n], beside, listing)}
        ambiguous = ambiguous_only if (has_strong or ev.products or ev.codes_ctx) else sorted(promoted)
        codes_ctx = list(ev.codes_ctx) if (context or ambiguous_only or len(ev.codes_ctx) > 1) else []
        codes_ctx = self._colour_codes(codes_ctx, ev, norm)
        named = self.most_specific(list(ev.taxa) + ambiguous)
        # ... and with it the name reads as the animal: it counts as a name ("tame galah", "parrot chicks")
        ambiguous = [n for n in named if n not in ev.taxa and n not in promoted]
        named = [n for n in named if n in ev.taxa or n in promoted]
        specific = [n for n in named if self.taxon(n).is_specific]
        evidence = has_strong or bool(named) or bool(ambiguous) or bool(codes_ctx)
        products = list(ev.products) if (named or ambiguous or ev.codes or codes_ctx or ev.implied) else []

        sale = ev.cues.get("sale", [])
        wanted = ev.cues.get("wanted", [])
        # "sold for", "not for sale": the item is not offered, whatever a price, a sale word, an auction
        # preview or the marketplace's form says; a buyer's words, a contact or ordering wording still win
        not_offered = ev.cues.get("not_offered", []) if not wanted else []
        if not_offered:
            sale = [m for m in sale if m.ref not in self.weak_sale and m.field != "source" and m.ref not in self.preview]
        # a price or a generic sale word is weak evidence: news and information pages have them too
        strong_sale = [m for m in sale if m.ref not in self.weak_sale]
        if strong_sale:
            not_offered = []
        offered = bool(strong_sale or wanted)
        # news, seizure and court wording counts against an offer only when nothing offers it
        report = ev.cues.get("report", []) if not offered else []
        # prose needs offer wording; a title-length listing (or one from a marketplace) is an offer by its
        # form; on a news source any text without offer wording is information
        kind = ev.source.value if ev.source is not None else None
        # a social post or a web page needs offer wording: without it, it is a post, not an offer
        informative = not offered and not not_offered and (
            kind == "news" or (kind in ("social", "web") and not sale) or (kind != "marketplace" and self._prose(listing, norm)))
        # a taxon named with its material ("crocodile leather", "python skin") names a product too
        material_names = [m for m in ev.taxa.values() if self._names_material(m)]
        # a form word ("figurine") beside real material ("ivory", "croc leather") is the item's shape
        material = bool(ev.implied) or any(p in self.material_products for p in products) or bool(material_names)
        # Words that name wildlife at all, counted or not: with a depiction cue they make a depiction.
        wildlife_words = evidence or bool(ev.ambiguous) or bool(ev.codes_ctx)
        # a live animal is no toy, print or figurine: with live-animal words beside the animal's name
        # ("tame galah", "hand-reared cockatiel") those cues speak of what comes with it ("cage and
        # toys"); faux-material and fossil cues still count
        live = any(_adjacent(m, ev.cues.get("live", []), listing)
                   for m in [ev.taxa[n] for n in named if n in ev.taxa] + [ev.ambiguous[n] for n in promoted])
        depiction = [m for m in ev.cues.get("depiction", [])
                     if not (material and term_key(m.matched) in self.form)
                     and not (live and term_key(m.matched) not in self.real_claims)] if wildlife_words else []
        authenticity = (ev.cues.get("authenticity", []) + ev.negated) if evidence else []
        legality = ev.cues.get("legality", []) if evidence else []
        # each weight of data/rules.yaml whose evidence is present, added in this order
        w = self.w
        logit = w["bias"]
        for tier in ((("taxon_specific", specific), ("taxon_generic", named), ("taxon_ambiguous", ambiguous)),
                     (("code_word", ev.codes), ("code_word_context", codes_ctx))):
            logit += next((w[name] for name, present in tier if present), 0.0)
        # a marketplace's form says the item is offered, not that it is real animal or plant material: it
        # adds to the score only where a word says what the item is made of (a material word: "skin",
        # "horn", "ivory"; a part or preparation; a live animal; a code word), not an object ("belt")
        what = bool(ev.implied or material_names or ev.codes or codes_ctx or ev.cues.get("material") or ev.cues.get("live")
                    or any(self._names_material(ev.products[p]) for p in products if p in ev.products))
        scored_sale = sale if what else [m for m in sale if m.field != "source"]
        for name, present in (("product", products or (ev.implied and named) or material_names), ("product_implied", ev.implied and not named),
                              ("sale", scored_sale), ("depiction", depiction), ("authenticity", authenticity),
                              ("legality", legality), ("wanted", wanted), ("report", report),
                              ("not_offered", not_offered),
                              ("information", informative and evidence)):
            if present:
                logit += w[name]
        return Weighed(
            named=named, ambiguous=ambiguous, codes_ctx=codes_ctx, products=products, sale=sale, wanted=wanted,
            strong_sale=strong_sale, report=report, not_offered=not_offered, informative=informative,
            units=self.units(listing) if informative else 0.0, depiction=depiction, authenticity=authenticity,
            legality=legality, material_names=material_names, evidence=evidence, wildlife_words=wildlife_words,
            wildlife=1.0 / (1.0 + math.exp(-logit)))

    def units(self, listing: Listing) -> float:
        """Words in the title and text; a CJK or Thai character counts as 1/2.5 of a word."""
        text = " ".join(v for v in (listing.title, listing.text) if v)
        wide = len(_WIDE.findall(text))
        return len(_WIDE.sub(" ", text).split()) + wide / 2.5

    def _prose(self, listing: Listing, norm: str = "") -> bool:
        """Text written in sentences, as an article or a page is (not a title, a keyword list or a
        telegraphic ad): long enough, and, in a space-delimited script, rich in function words.
        ``norm``: the match form of the listing's text fields; when the title and text are the only
        ones, its words are theirs (a field break folds to a space, as a space does)."""
        if self.units(listing) < self.prose_units:
            return False
        text = " ".join(v for v in (listing.title, listing.text) if v)
        if _WIDE.search(text):
            return True
        if norm and not listing.seller_description and not listing.image_text:
            words = norm.split()
        else:
            words = normalize(text, with_index=False)[0].split()
        return sum(w in self.function_words for w in words) >= self.prose_share * len(words)

    def _colour_codes(self, codes: list[str], ev: Evidence, norm: str) -> list[str]:
        """The counted context code words without the colour words a colour reading fits: a colour code
        counts only beside a named animal or another code word (not "ivory" the colour, not a product
        word alone), and never in a listing whose item takes colours (``colour_items``: clothing,
        textiles, homeware, paint, jewellery metals, cosmetics...)."""
        colours = [c for c in codes if term_key(ev.codes_ctx[c].matched) in self.colour_codes]
        if not colours:
            return codes
        # the colour jargon is a dealer's: it counts beside a named animal or another code word, not beside
        # a product word alone ("black leather belt", "white second-skin bra")
        real = bool(ev.taxa) or bool(ev.codes) or any(
            term_key(m.matched) not in self.colour_materials for _, m in ev.implied.values()) or any(
            c not in colours for c in codes)
        if real and not self._takes_colours(norm):
            return codes
        return [c for c in codes if c not in colours]

    def _names_material(self, m: Match) -> bool:
        """A match with a material word in it ("crocodile leather", "skin")."""
        return bool(self.material_words.intersection(term_key(m.matched).split()))

    def _takes_colours(self, norm: str) -> bool:
        return bool(self.colour_items.intersection(norm.split())) or any(p in norm for p in self.colour_phrases)

    def appendix_scale(self, appendix: str) -> float:
        scale = self.risk_terms["appendix_scale"]
        return float(scale.get(appendix, scale["varies"]))

    def risk(self, wildlife: float, taxa: list[dict[str, Any]], products: list[str], sale: bool, code: bool,
             legality: bool) -> float:
        """The review priority: the wildlife score times the risk terms, capped at 1."""
        r = self.risk_terms
        protection = max((self.appendix_scale(t["cites_appendix"]) for t in taxa),
                         default=float(r["appendix_scale"]["varies"]) if products or code else 0.0)
        product_risk = max((self.product_risk[p] for p in products if p in self.product_risk), default=0.0)
        priority = min(1.0, float(r["base"]) + float(r["protection"]) * protection
                       + float(r["product"]) * product_risk + float(r["sale"]) * sale
                       + float(r["code_word"]) * code + float(r["legality"]) * legality)
        share = self.priority_share
        return round(wildlife * (1.0 - share + share * priority), 4)
