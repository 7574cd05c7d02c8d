"""The rule detector: lexicon matches and context cues -> a ScanResult with reasons.

How a listing is scored (weights in ``data/rules.yaml``):

1. Every text field is normalised and run through the lexicon automaton; regex
   cues (prices, phone numbers, messenger handles) run on the light fold.
2. Evidence is sorted: taxa named (specific or generic), code words, product
   words, and the cues for sale intent, depiction or faux, legality and
   authenticity. Names and code words that are innocent alone count only
   beside other wildlife evidence; product words only beside a taxon or a code
   word, except words that name a material of one group ("ivory").
3. ``wildlife_score = sigmoid(bias + sum of weights)``. A depiction cue
   ("plush", "resin") pulls the score down; preceded by a negation ("not
   resin") it counts as a claim of authenticity instead.
4. ``verdict``: ``wildlife_offer`` at or above the threshold; otherwise
   ``depiction_or_faux`` when wildlife words sit beside a depiction cue, else
   ``not_wildlife``.
5. ``risk_score = wildlife_score * min(1, base + protection + product + sale +
   code word + legality terms)``: the review priority.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from wildtrace.scan import lang as langid
from wildtrace.scan import segment
from wildtrace.scan.lexicon import Entry, Lexicon, accent_ok
from wildtrace.scan.listing import TEXT_FIELDS, Listing
from wildtrace.scan.normalize import (
    CJK_THAI,
    fold_with_index,
    has_diacritics,
    normalize,
    normalize_term,
)
from wildtrace.scan.refdata import Taxon
from wildtrace.scan.result import Match, ScanResult
from wildtrace.scan.senses import WILDLIFE, Sense, SenseTable

RULES_NAME = "wildtrace-rules"
# Kinds whose matches at one span stay apart when they point to different things.
_REF_KINDS = frozenset({"taxon", "product", "code_word"})


@dataclass
class _Evidence:
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


class Detector:
    """Scores listings with the reference data. Build once, call ``detect`` per listing."""

    def __init__(self, lexicon: Lexicon):
        self.lexicon = lexicon
        ref = lexicon.ref
        self.ref = ref
        rules = ref.rules
        self.w: dict[str, float] = {k: float(v) for k, v in rules["wildlife"].items()}
        self.threshold = float(rules["verdict_threshold"])
        self.risk: dict[str, Any] = rules["risk"]
        self.negations = frozenset(normalize_term(w) for ws in rules.get("negations", {}).values() for w in ws)
        self.lang_groups: dict[str, str] = dict(rules.get("cue_language_groups", {}))
        self.senses = SenseTable(list(ref.senses))
        self.material_products = frozenset(rules.get("material_products", ()))
        self.material_words = frozenset(normalize_term(w) for w in rules.get("material_words", ()))
        weak = rules.get("weak_sale_cues", {})
        self.weak_sale = frozenset(normalize_term(t) for t in weak.get("terms", ())) | frozenset(weak.get("patterns", ()))
        self.prose_units = float(rules.get("prose_units", 20))
        self.prose_share = float(rules.get("prose_function_share", 0.0))
        self.function_words = frozenset(
            normalize_term(w) for ws in rules.get("prose_function_words", {}).values() for w in ws)
        self.marketplaces = frozenset(str(p).casefold() for p in rules.get("marketplace_platforms", ()))
        self.specimen_cues = {kind: frozenset(normalize_term(t) for t in terms)
                              for kind, terms in rules.get("specimen_cues", {}).items()}
        self.model = {"name": rules.get("name", RULES_NAME), "version": str(rules["version"]),
                      "data_sha256": ref.sha256[:16]}
        self._ancestors: dict[str, frozenset[str]] = {t.scientific_name: self._chain(t) for t in ref.taxa}
        # (taxon, match form of a name) pairs that are innocent on their own
        self._ambiguous = frozenset((t.scientific_name, normalize_term(a)) for t in ref.taxa for a in t.ambiguous_names)
        # the languages in which each ambiguous name is a name of its taxon (for language gating)
        name_langs: dict[tuple[str, str], set[str]] = {}
        for t in ref.taxa:
            for lang, names in t.names.items():
                for name in names:
                    key = (t.scientific_name, normalize_term(name))
                    if key in self._ambiguous:
                        name_langs.setdefault(key, set()).add(lang)
        self._name_langs = {k: frozenset(v) for k, v in name_langs.items()}

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

    # -- matching -------------------------------------------------------------

    def matches(self, listing: Listing) -> list[Match]:
        """Every lexicon and pattern match in the listing's text fields, in text order."""
        return self._matches(listing)[0]

    def _matches(self, listing: Listing) -> tuple[list[Match], str]:
        """The matches, and the text fields joined in match form.

        Every lexicon and pattern match in the listing's text fields, in text order.

        The fields are joined and matched in one pass; each match is mapped back
        to its field and its span there. One match per (field, span, kind, ref);
        cues of one kind at one span are kept once (the same word can be a cue in
        several languages).
        """
        names: list[str] = []
        values: list[str] = []
        for name in TEXT_FIELDS:
            value = getattr(listing, name)
            if value:
                names.append(name)
                values.append(value)
        if not values:
            return [], ""
        joined = values[0] if len(values) == 1 else "\n".join(values)
        starts = [0]
        for value in values[:-1]:
            starts.append(starts[-1] + len(value) + 1)
        found: list[Match] = []
        seen: set[tuple[str, int, int, str, str]] = set()

        def add(start: int, end: int, kind: str, ref: str, lang: str, term: str) -> None:
            i = bisect_right(starts, start) - 1
            value = values[i]
            local = start - starts[i]
            local_end = min(end - starts[i], len(value))
            key = (names[i], local, local_end, kind, ref if kind in _REF_KINDS else "")
            if key not in seen:
                seen.add(key)
                found.append(Match(value[local:local_end], (local, local_end), names[i], kind, ref, lang, term))

        norm, index = normalize(joined)
        assert index is not None
        diacritics: bool | None = None
        for hit in self.lexicon.find(norm):
            if hit.short_wide and not segment.aligned(norm, hit.start, hit.end):
                continue  # a short Chinese or Thai term inside a longer word (象 in 现象)
            start = index[hit.start]
            end = index[hit.end - 1] + 1
            entries: Iterable[Entry] = hit.entries
            if any(e.accented for e in hit.entries):
                if diacritics is None:
                    diacritics = has_diacritics(joined)
                surface = joined[start:end]
                entries = [e for e in hit.entries if accent_ok(e, surface, diacritics)]
            for e in entries:
                add(start, end, e.kind, e.ref, e.lang, e.term)
        lex = self.lexicon
        if lex.other_regex is not None or lex.digit_regex is not None:
            light, light_index = fold_with_index(joined)
            by_group = lex.pattern_by_group
            spans: list[tuple[int, int]] = []
            if lex.other_regex is not None:
                spans.append((0, len(light)))
            for window in _digit_windows(light) if lex.digit_regex is not None else ():
                spans.append(window)
            for n, (lo, hi) in enumerate(spans):
                regex = lex.other_regex if (n == 0 and lex.other_regex is not None) else lex.digit_regex
                assert regex is not None
                for m in regex.finditer(light, lo, hi):
                    if m.end() <= m.start() or m.lastgroup is None:
                        continue
                    pattern = by_group[m.lastgroup]
                    add(light_index()[m.start()], light_index()[m.end() - 1] + 1, f"{pattern.cue}_cue",
                        pattern.name, "", f"pattern:{pattern.name}")
        found.sort(key=lambda m: (TEXT_FIELDS.index(m.field), m.span[0]))
        return found, norm

    # -- scoring --------------------------------------------------------------

    def detect(self, listing: Listing, scanned_at: str = "") -> ScanResult:
        lang = langid.detect(" ".join(t for t in (listing.title, listing.text) if t), listing.lang)
        found, norm = self._matches(listing)
        found = [m for m in found if self.counts_in(m, lang)]
        ev = self._evidence(found, listing, norm)
        score, verdict, taxa, products, reasons, facets = self._score(ev, listing)
        return ScanResult(
            id=listing.id, verdict=verdict, wildlife_score=score[0], risk_score=score[1],
            taxa=taxa, product_types=products, lang=lang, matches=found, reasons=reasons,
            model=self.model, input_sha256=listing.input_sha256, scanned_at=scanned_at,
            listing=listing.to_dict(), match_text=norm, specimen=facets[0], intent=facets[1],
        )

    def counts_in(self, m: Match, lang: str) -> bool:
        """A cue counts only in a listing of its language group (``cue_language_groups``).

        So does a name that is innocent alone (``ambiguous_names``): French "once" (snow leopard)
        is not counted in English text. English cues count everywhere; other names, products and
        code words are never gated; a listing whose language is undetected or outside the groups
        gates nothing.
        """
        listing_group = self.lang_groups.get(lang)
        if m.kind == "taxon":
            langs = self._name_langs.get((m.ref, _term_key(m.matched)))
            if langs is None or listing_group is None:
                return True
            return any(x in ("en", "la") or self.lang_groups.get(x, x) == listing_group for x in langs)
        if not (m.kind.endswith("_cue") or m.kind == "innocent") or m.lang in ("", "und", "en"):
            return True
        return listing_group is None or self.lang_groups.get(m.lang, m.lang) == listing_group

    def _evidence(self, found: list[Match], listing: Listing, norm: str = "") -> _Evidence:
        ev = _Evidence()
        for m in found:
            kind = m.kind
            decided = self.senses.decide(_term_key(m.matched), norm) if kind in _REF_KINDS and norm else None
            if decided is not None:
                ev.senses.append((m, *decided))
                if decided[0].name != WILDLIFE:  # read in another sense: not wildlife evidence
                    m.kind, m.ref = "innocent", decided[0].label
                    continue
            if kind == "taxon":
                ambiguous = (m.ref, _term_key(m.matched)) in self._ambiguous and decided is None
                (ev.ambiguous if ambiguous else ev.taxa).setdefault(m.ref, m)
            elif kind == "product":
                implied = self.lexicon.implied.get(_term_key(m.matched))
                if implied:
                    ev.implied.setdefault(m.ref, (implied[1], m))
                else:
                    ev.products.setdefault(m.ref, m)
            elif kind == "code_word":
                cw = self.lexicon.codewords.get(m.ref)
                target = ev.codes_ctx if cw is not None and cw.context_required else ev.codes
                target.setdefault(m.ref, m)
            elif kind == "depiction_cue" and m.field == "seller_description":
                continue  # a seller who also sells toys or prints says nothing of this item
            elif kind == "depiction_cue" and self._negated(m, listing):
                ev.negated.append(m)
            elif kind.endswith("_cue") or kind == "innocent":
                ev.cues.setdefault(kind.removesuffix("_cue"), []).append(m)
        if listing.price and listing.price.strip() not in ("0", "0.0"):
            price = f"{listing.price} {listing.currency or ''}".strip()
            ev.cues.setdefault("sale", []).insert(
                0, Match(price, (0, len(listing.price)), "price", "sale_cue", "price field", "", "price"))
        return ev

    def _negated(self, m: Match, listing: Listing) -> bool:
        if not self.negations:
            return False
        value = getattr(listing, m.field, None) or ""
        before = normalize(value[max(0, m.span[0] - 24): m.span[0]], with_index=False)[0]
        words = before.split()[-3:]
        tail = before.replace(" ", "")[-3:]
        return any(w in self.negations for w in words) or any(
            tail.endswith(n) for n in self.negations if not n.isascii())

    def _score(self, ev: _Evidence, listing: Listing) -> tuple[tuple[float, float], str, list[dict[str, Any]],
                                                              list[str], list[str],
                                                              tuple[dict[str, Any], dict[str, Any]]]:
        w = self.w
        reasons: list[str] = []
        # Names: drop a generic taxon when a more specific one below it is named.
        ambiguous_only = [n for n in ev.ambiguous if n not in ev.taxa]
        has_strong = bool(ev.taxa) or bool(ev.codes) or bool(ev.implied)
        legality_any = bool(ev.cues.get("legality"))
        # a bare product word is context for other evidence, unless a word of the listing was read in
        # another sense (the "fin" of a shark-fin car antenna is not context for a code word)
        other_sense = any(sense.name != WILDLIFE for _, sense, _ in ev.senses)
        context = has_strong or (bool(ev.products) and not other_sense) or legality_any
        ambiguous = ambiguous_only if (has_strong or ev.products or ev.codes_ctx) else []
        codes_ctx = list(ev.codes_ctx) if (context or ambiguous_only or len(ev.codes_ctx) > 1) else []
        named = self._most_specific(list(ev.taxa) + ambiguous)
        ambiguous = [n for n in named if n not in ev.taxa]
        named = [n for n in named if n in ev.taxa]
        specific = [n for n in named if self._taxon(n).is_specific]
        evidence = has_strong or bool(ambiguous) or bool(codes_ctx)
        # Words that name wildlife at all, counted or not: with a depiction cue they make a depiction.
        wildlife_words = evidence or bool(ev.ambiguous) or bool(ev.codes_ctx)
        products_counted = list(ev.products) if (named or ambiguous or ev.codes or codes_ctx or ev.implied) else []

        sale = ev.cues.get("sale", [])
        wanted = ev.cues.get("wanted", [])
        # a price or a generic sale word is weak evidence: news and information pages have them too
        strong_sale = [m for m in sale if m.ref not in self.weak_sale]
        offered = bool(strong_sale or wanted)
        # news, seizure and court wording counts against an offer only when nothing offers it
        report = ev.cues.get("report", []) if not offered else []
        # prose needs offer wording; a title-length listing (or one from a marketplace) is an offer by its form
        informative = not offered and self._prose(listing) and not self._marketplace(listing)
        # a form word ("figurine") beside real material ("ivory", "croc leather") is the item's shape
        material = bool(ev.implied) or any(p in self.material_products for p in products_counted) or any(
            self.material_words.intersection(_term_key(m.matched).split()) for m in ev.taxa.values())
        form = self.specimen_cues.get("form", frozenset())
        depiction = [m for m in ev.cues.get("depiction", []) if not (material and _term_key(m.matched) in form)
                     ] if wildlife_words else []
        authenticity = (ev.cues.get("authenticity", []) + ev.negated) if evidence else []
        legality = ev.cues.get("legality", []) if evidence else []
        # each weight of data/rules.yaml whose evidence is present, added in this order
        logit = w["bias"]
        for tier in ((("taxon_specific", specific), ("taxon_generic", named), ("taxon_ambiguous", ambiguous)),
                     (("code_word", ev.codes), ("code_word_context", codes_ctx))):
            logit += next((w[name] for name, present in tier if present), 0.0)
        for name, present in (("product", products_counted or (ev.implied and named)), ("product_implied", ev.implied and not named),
                              ("sale", sale), ("depiction", depiction), ("authenticity", authenticity),
                              ("legality", legality), ("wanted", wanted), ("report", report),
                              ("information", informative and evidence)):
            if present:
                logit += w[name]
        wildlife = 1.0 / (1.0 + math.exp(-logit))

        depicted = [m for m, sense, _ in ev.senses if sense.depicts]
        if wildlife >= self.threshold and evidence and not informative:
            verdict = "wildlife_offer"
        elif depiction or depicted:
            verdict = "depiction_or_faux"
        else:
            verdict = "not_wildlife"

        if verdict == "depiction_or_faux" and not (named or ambiguous):
            ambiguous = self._most_specific(ev.ambiguous)  # show what the item depicts
        # Taxa: named ones first, then those implied by code words and product words.
        taxa_out: list[dict[str, Any]] = []
        listed: set[str] = set()
        for name in named + ambiguous:
            taxon = self._taxon(name)
            m = ev.taxa.get(name) or ev.ambiguous[name]
            taxa_out.append(taxon.to_output())
            listed.add(name)
            if evidence:
                reasons.append(f"Names {self._describe(taxon)} as “{m.term}” ({m.field}).")
            else:  # shown for what a depiction depicts, never counted: say so, so no two reasons disagree
                reasons.append(f"Mentions {self._describe(taxon)} as “{m.term}” ({m.field}), a word with an "
                               "everyday sense that counts only beside other wildlife evidence (none here).")
        products: list[str] = []
        for code in list(ev.codes) + codes_ctx:
            m = ev.codes.get(code) or ev.codes_ctx[code]
            cw = self.lexicon.codewords[code]
            meaning = ", ".join(x for x in (cw.means_product, cw.means_taxon) if x)
            qualifier = " (innocent alone; counted beside other wildlife evidence)" if cw.context_required else ""
            reasons.append(f"Uses “{m.term}” ({m.field}), a documented code word for {meaning or 'wildlife'}"
                           f"{qualifier}. Source: {cw.source}.")
            if cw.means_product and cw.means_product not in products:
                products.append(cw.means_product)
            if cw.means_taxon and not (named or ambiguous):
                self._add_inferred(cw.means_taxon, f"code word “{m.term}”", taxa_out, listed, reasons)
        for product, (taxon_name, m) in ev.implied.items():
            if product not in products:
                products.append(product)
            reasons.append(f"Offers {product}: “{m.term}” ({m.field}).")
            if not (named or ambiguous):
                self._add_inferred(taxon_name, f"product word “{m.term}”", taxa_out, listed, reasons)
        for product in products_counted:
            m = ev.products[product]
            if product not in products:
                products.append(product)
                reasons.append(f"Offers {product}: “{m.term}” ({m.field}).")
        if not evidence:
            reasons.append("No wildlife names that count alone, code words or wildlife products found."
                           if taxa_out else "No wildlife names, code words or wildlife products found.")
        if sale and evidence:
            reasons.append("Shows sale intent: " + _quote_list(sale) + ".")
        if wanted and evidence:
            reasons.append("Asks to buy: " + _quote_list(wanted) + ".")
        if report and evidence:
            reasons.append("Reads as news, a seizure or court report, not an offer: " + _quote_list(report)
                           + "; no contact, shipping, payment or offer wording.")
        if informative and evidence:
            reasons.append("Reads as information, not an offer: prose of "
                           f"{self._units(listing):.0f} words with no contact, shipping, payment or offer wording"
                           + (f" (prices and sale words alone: {_quote_list(sale)})" if sale else "") + ".")
        for m in depiction:
            reasons.append(f"Depiction or faux cue “{m.term}” ({m.field}): the item may depict or imitate wildlife.")
        if authenticity:
            reasons.append("Claims the item is real: " + _quote_list(authenticity) + ".")
        if legality:
            reasons.append("Claims legality: " + _quote_list(legality)
                           + "; such claims (antique, pre-Convention, certificates) need documents and are a known laundering cover.")
        for m in ev.cues.get("innocent", []):
            reasons.append(f"“{m.term}” ({m.field}) is read in its innocent sense and not counted.")
        for m, sense, cues in ev.senses:
            how = "counted as wildlife" if sense.name == WILDLIFE else "not counted as wildlife"
            reasons.append(f"“{m.term}” ({m.field}) read as {sense.label} ({how}): "
                           + ", ".join(f"“{c}”" for c in cues[:4]) + ".")

        # What the listing is about first: named and inferred taxa, then the rest in order.
        reasons.sort(key=lambda r: not r.startswith(("Names ", "Points to ")))
        risk = self._risk(wildlife, taxa_out, products, bool(sale), bool(ev.codes or codes_ctx), bool(legality))
        if verdict == "wildlife_offer":
            top = max((t["cites_appendix"] for t in taxa_out), key=self._appendix_scale, default=None)
            if top:
                reasons.append(f"Review priority {risk:.2f}: highest protection among the taxa is CITES {_appendix_words(top)}.")
        domestic = ev.cues.get("domestic", [])
        if domestic and not evidence:
            reasons.append("Real material of a domestic animal, not wildlife: " + _quote_list(domestic) + ".")
        facets = (self._specimen(evidence, wildlife_words or bool(depicted), depiction or depicted, wildlife, domestic),
                  _intent(sale, wanted, ev.cues.get("report", []), strong_sale, informative))
        return (round(wildlife, 4), risk), verdict, taxa_out, products, reasons, facets

    def _units(self, listing: Listing) -> float:
        """Words in the title and text; a CJK or Thai character counts as 1/2.5 of a word."""
        text = " ".join(v for v in (listing.title, listing.text) if v)
        wide = len(_WIDE.findall(text))
        return len(_WIDE.sub(" ", text).split()) + wide / 2.5

    def _prose(self, listing: Listing) -> bool:
        """Text written in sentences, as an article or a page is (not a title, a keyword list or a
        telegraphic ad): long enough, and, in a space-delimited script, rich in function words."""
        if self._units(listing) < self.prose_units:
            return False
        text = " ".join(v for v in (listing.title, listing.text) if v)
        if _WIDE.search(text):
            return True
        words = normalize(text, with_index=False)[0].split()
        return sum(w in self.function_words for w in words) >= self.prose_share * len(words)

    def _marketplace(self, listing: Listing) -> bool:
        return (listing.platform or "").strip().casefold() in self.marketplaces

    def _specimen(self, evidence: bool, wildlife_words: bool, depiction: list[Match],
                  wildlife: float, domestic: list[Match]) -> dict[str, Any]:
        """What the item is: wildlife, domestic_animal, fossil, replica_or_depiction, faux_material, none
        or unknown (wildlife words that were not counted, such as a lone "python")."""
        if domestic and not evidence and not depiction:
            return _facet("domestic_animal", 1.0 - 0.5 ** len(domestic), domestic)
        if not (evidence or wildlife_words):
            return _facet("none", 1.0 - wildlife, [])
        if not depiction:
            return _facet("wildlife", wildlife, []) if evidence else _facet("unknown", 0.0, [])
        kinds = {m.matched: next((k for k, terms in self.specimen_cues.items() if _term_key(m.matched) in terms),
                                 "replica_or_depiction") for m in depiction}
        # the most specific claim first; a pattern word ("print") says least
        for kind, value in (("fossil", "fossil"), ("replica_or_depiction", "replica_or_depiction"),
                            ("form", "replica_or_depiction"), ("faux_material", "faux_material"),
                            ("pattern", "replica_or_depiction")):
            decided = [m for m in depiction if kinds[m.matched] == kind]
            if decided:
                return _facet(value, 1.0 - wildlife, decided)
        return _facet("unknown", 0.0, [])  # pragma: no cover - every depiction cue has a kind

    def _risk(self, wildlife: float, taxa: list[dict[str, Any]], products: list[str], sale: bool, code: bool,
              legality: bool) -> float:
        r = self.risk
        protection = max((self._appendix_scale(t["cites_appendix"]) for t in taxa),
                         default=float(r["appendix_scale"]["varies"]) if products or code else 0.0)
        product_risk = max((self.lexicon.products[p].risk for p in products if p in self.lexicon.products), default=0.0)
        base = (float(r["base"]) + float(r["protection"]) * protection + float(r["product"]) * product_risk
                + float(r["sale"]) * sale + float(r["code_word"]) * code + float(r["legality"]) * legality)
        return round(wildlife * min(1.0, base), 4)

    def _appendix_scale(self, appendix: str) -> float:
        return float(self.risk["appendix_scale"].get(appendix, self.risk["appendix_scale"]["varies"]))

    def _add_inferred(self, name: str, why: str, taxa_out: list[dict[str, Any]], listed: set[str],
                      reasons: list[str]) -> None:
        taxon = self.ref.taxon(name)
        if taxon is None or name in listed:
            return
        out = taxon.to_output()
        out["inferred_from"] = why
        taxa_out.append(out)
        listed.add(name)
        reasons.append(f"Points to {self._describe(taxon)} inferred from the {why}.")

    def _taxon(self, name: str) -> Taxon:
        taxon = self.ref.taxon(name)
        assert taxon is not None, name
        return taxon

    def _most_specific(self, names: Iterable[str]) -> list[str]:
        names = list(names)
        covered: set[str] = set()
        for n in names:
            covered |= self._ancestors.get(n, frozenset())
        return [n for n in names if n not in covered]

    def _describe(self, taxon: Taxon) -> str:
        common = f" ({taxon.common_name})" if taxon.common_name else ""
        return f"{taxon.scientific_name}{common}, CITES {_appendix_words(taxon.cites_appendix)},"


_DIGITS = re.compile(r"\d+")
_WIDE = re.compile(f"[{CJK_THAI}]")
#: Characters around a run of digits searched by the digit-gated cues ("usd ", "0912 345 678").
_WINDOW = 16


def _digit_windows(text: str) -> list[tuple[int, int]]:
    """Merged windows around runs of digits, cut at spaces so no word is split."""
    windows: list[tuple[int, int]] = []
    n = len(text)
    for m in _DIGITS.finditer(text):
        lo = max(0, m.start() - _WINDOW)
        hi = m.end() + _WINDOW
        if hi < n:
            space = text.find(" ", hi)
            hi = n if space < 0 else space
        else:
            hi = n
        if windows and lo <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(hi, windows[-1][1]))
        else:
            windows.append((lo, hi))
    return windows


def _facet(value: str, score: float, decided: list[Match]) -> dict[str, Any]:
    return {"value": value, "score": round(score, 4), "matches": [f"{m.term} ({m.field})" for m in decided]}


def _intent(sale: list[Match], wanted: list[Match], report: list[Match], strong_sale: list[Match],
            informative: bool) -> dict[str, Any]:
    """offer (sale evidence), wanted (a buyer asks), other (news, seizure, court, information) or unknown.

    Report wording beats weak sale evidence (prices, generic sale words); prose with weak sale
    evidence only is ``other`` (information). The score is the strength of the rule evidence,
    ``1 - 0.5 ** matches``: not a probability.
    """
    if wanted:
        return _facet("wanted", 1.0 - 0.5 ** len(wanted), wanted)
    if strong_sale:
        return _facet("offer", 1.0 - 0.5 ** len(strong_sale), strong_sale)
    if report:
        return _facet("other", 1.0 - 0.5 ** len(report), report)
    if informative:
        return _facet("other", 0.5, [])
    if sale:
        return _facet("offer", 1.0 - 0.5 ** len(sale), sale)
    return _facet("unknown", 0.0, [])


@lru_cache(maxsize=65536)
def _term_key(term: str) -> str:
    return normalize_term(term)


def _appendix_words(appendix: str) -> str:
    if appendix in ("not listed", "NC"):
        return "not listed"
    if appendix == "varies":
        return "status varies by species"
    if "/" in appendix:
        return f"Appendices {appendix} (split listing by population)"
    return f"Appendix {appendix}"


def _quote_list(matches: list[Match]) -> str:
    seen: list[str] = []
    for m in matches:
        item = f"“{m.term}” ({m.field})"
        if item not in seen:
            seen.append(item)
    return ", ".join(seen[:5])
