"""The rule detector: lexicon matches and context cues -> a ScanResult with reasons.

How a listing is scored (weights in ``data/rules.yaml``):

1. Every text field is normalised and run through the lexicon automaton; regex
   cues (prices, phone numbers, messenger handles) run on the light fold (``Detector.matches``).
2. The matches are sorted into ``Evidence`` (a cue in another language than the listing's, or a
   depiction cue after a negation, is set aside or read as a claim of authenticity).
3. ``weighting``: what counts, ``wildlife_score`` and ``risk_score`` (the review priority).
4. ``verdict``: the verdict and the ``specimen`` and ``intent`` facets.
5. ``explanation``: the taxa, product types and reasons (coded: ``reasons``).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from typing import Any

from wildtrace.scan import explanation, verdict
from wildtrace.scan.lexicon import Entry, Lexicon, accent_ok
from wildtrace.scan.listing import TEXT_FIELDS, Listing
from wildtrace.scan.result import Match, ScanResult
from wildtrace.scan.sourcekind import DEFAULT_HOW, Kind, SourceKinds
from wildtrace.scan.weighting import Evidence, Weighting
from wildtrace.scan.weighting import term_key as _term_key
from wildtrace.taxa.senses import WILDLIFE, SenseTable
from wildtrace.text import lang as langid
from wildtrace.text import segment
from wildtrace.text.normalize import fold_with_index, has_diacritics, normalize, normalize_term

RULES_NAME = "wildtrace-rules"
# Kinds whose matches at one span stay apart when they point to different things.
_REF_KINDS = frozenset({"taxon", "product", "code_word"})


class Detector:
    """Scores listings with the reference data. Build once, call ``detect`` per listing."""

    def __init__(self, lexicon: Lexicon):
        self.lexicon = lexicon
        ref = lexicon.ref
        self.ref = ref
        rules = ref.rules
        self.weighting = Weighting(lexicon)
        self.threshold = float(rules["verdict_threshold"])
        self.negations = frozenset(normalize_term(w) for ws in rules.get("negations", {}).values() for w in ws)
        self.lang_groups: dict[str, str] = dict(rules.get("cue_language_groups", {}))
        self.senses = SenseTable(list(ref.senses))
        self.source_kinds = SourceKinds(rules)
        #: the source kind of listings that say nothing of theirs (``scan --source``)
        self.default_kind: str | None = None
        self.model = {"name": rules.get("name", RULES_NAME), "version": str(rules["version"]),
                      "data_sha256": ref.sha256[:16]}
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
            other = lex.other_regex_for(light) if lex.other_regex is not None else None
            spans: list[tuple[int, int]] = []
            if other is not None:
                spans.append((0, len(light)))
            for window in _digit_windows(light) if lex.digit_regex is not None else ():
                spans.append(window)
            for n, (lo, hi) in enumerate(spans):
                regex = other if (n == 0 and other is not None) else lex.digit_regex
                assert regex is not None
                for m in _bounded(regex, light, lo, hi):
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
        source = self.source_kinds.of(listing, self.default_kind)
        if source is not None and listing.source_kind is None and source.how == DEFAULT_HOW:
            # --source decided: the record says so from now on, so a stored listing rescans (and a model
            # retrains on it) as it was scanned; input_sha256 still hashes the record as received
            listing.source_kind = source.value
        ev = self._evidence(found, listing, norm, source)
        weighing = self.weighting
        weighed = weighing.weigh(ev, listing, norm)
        specimen = verdict.specimen(weighed, ev, weighing.specimen_cues)
        intent = verdict.intent(weighed, ev)
        decided = verdict.decide(weighed.wildlife, self.threshold, specimen, intent, weighed.evidence)
        out = explanation.explain(ev, weighed, decided, weighing, self.lexicon.codewords)
        risk = weighing.risk(weighed.wildlife, out.taxa, out.products, bool(weighed.sale),
                             bool(ev.codes or weighed.codes_ctx), bool(weighed.legality))
        reasons = out.reasons + explanation.closing(decided, risk, ev, weighed, out.taxa, weighing.appendix_scale)
        return ScanResult(
            id=listing.id, verdict=decided, wildlife_score=round(weighed.wildlife, 4), risk_score=risk,
            taxa=out.taxa, product_types=out.products, lang=lang, matches=found, reasons=[r.text for r in reasons],
            model=self.model, input_sha256=listing.input_sha256, scanned_at=scanned_at,
            listing=listing.to_dict(), match_text=norm, specimen=specimen, intent=intent, reason_codes=reasons,
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

    def _evidence(self, found: list[Match], listing: Listing, norm: str = "", source: Kind | None = None) -> Evidence:
        """The matches sorted by what they are evidence of; a word read in another sense is not.

        A sale cue inside a "not offered" one ("for sale" in "not for sale") is not counted; a short
        all-capitals word ("TAG", "CB") names a taxon only beside other evidence; a marketplace
        listing has its source as offer evidence (``scan.sourcekind``)."""
        ev = Evidence(source=source)
        memo: dict[str, Any] = {}  # each ambiguous word's sense, decided once for this listing
        unoffered = [(m.field, m.span) for m in found if m.kind == "not_offered_cue"]
        for m in found:
            if unoffered and m.kind == "sale_cue" and any(
                    f == m.field and lo <= m.span[0] and m.span[1] <= hi for f, (lo, hi) in unoffered):
                continue
            kind = m.kind
            decided = self.senses.decide(_term_key(m.matched), norm, memo) if kind in _REF_KINDS and norm else None
            if decided is not None:
                ev.senses.append((m, *decided))
                if decided[0].name != WILDLIFE:  # read in another sense: not wildlife evidence
                    m.kind, m.ref = "innocent", decided[0].label
                    continue
            if kind == "taxon":
                ambiguous = ((m.ref, _term_key(m.matched)) in self._ambiguous and decided is None) or _shouted(m.matched)
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
        if source is not None and source.value == "marketplace":
            ev.cues.setdefault("sale", []).append(source.as_cue("a marketplace listing", "sale"))
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


def _shouted(word: str) -> bool:
    """A short word in capitals ("TAG", "CB"): an acronym far more often than a taxon's name."""
    return len(word) <= 4 and word.isascii() and word.isupper()


#: The regex cues run on pieces of at most this many characters, overlapping by ``_OVERLAP``, so a
#: field's cost grows with its length, never with its square (a 99,000-digit title took minutes).
#: A match starts in a piece's first ``_PIECE - _OVERLAP`` characters; cues are far shorter.
_PIECE = 256
_OVERLAP = 64


def _bounded(regex: re.Pattern[str], text: str, lo: int, hi: int) -> Iterator[re.Match[str]]:
    """``regex.finditer(text, lo, hi)`` on bounded pieces: each match once, in order."""
    if hi - lo <= _PIECE:
        yield from regex.finditer(text, lo, hi)
        return
    pos = lo
    while pos < hi:
        end = min(hi, pos + _PIECE)
        core = hi if end == hi else end - _OVERLAP
        following = core
        for m in regex.finditer(text, pos, end):
            if m.start() >= core:
                break
            yield m
            following = max(following, m.end())  # as finditer does: the search goes on after a match
        pos = following


_DIGITS = re.compile(r"\d+")
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
