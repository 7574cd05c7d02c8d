"""Reasons: the table of reason codes, and ``Reason`` (a code and its arguments) rendered to English.

Every sentence in a result's ``reasons`` comes from one row of ``CODES``: a dotted code
(``taxon.named``), a family to count by (``taxon``) and an English template with named
arguments. The arguments hold what the sentence says, as data: the term and field of a match,
a taxon's name and CITES appendix, the cues quoted, a score. ``reason_codes`` in the output is
the same list as ``[{"code", "args"}]``, parallel to ``reasons``, so reasons can be counted by
family, translated (a template per language) or shown in structure.

Templates are ``str.format`` strings with two additions:

* ``[...]``: an optional part, rendered only when every argument named in it is present
  (not ``None``, ``""`` or empty); ``"{taxon}[ ({common_name})]"``.
* filters after the colon: ``{cues:quotes}`` (a list of ``{"term", "field"}`` as
  ``“term” (field), …``), ``{words:quoted}`` (``“a”, “b”``), ``{items:list}`` (``a, b``) and
  ``{appendix:appendix}`` (``Appendix I``, ``not listed``...). Other specs are ``format``'s own
  (``{risk:.2f}``).
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from wildtrace.errors import Invalid


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    family: str
    template: str


_TAXON = "{taxon}[ ({common_name})], CITES {appendix:appendix},"
_NO_OFFER_WORDING = "no contact, shipping, payment or offer wording"
_MODEL = ("Text model {name} {version}: probability {probability:.2f} of a wildlife offer ({how}, rules {rules:.2f};"
          " threshold {threshold:.2f})[; words that raise it: {words:quoted}][; the rules alone said {rules_verdict}].")
_ZOONOTIC = ("Zoonotic concern: offers {taxon}[ (evidence pooled over its {basis})] as {products:list}, {host}"
             " (HP3, VIRION); live animals and fresh tissue carry the highest exposure. Not a diagnosis.")

#: Every reason the scan gives, by code.
CODES: dict[str, Code] = {c.code: c for c in (
    Code("taxon.named", "taxon", "Names " + _TAXON + " as “{term}” ({field})."),
    Code("taxon.mentioned", "taxon", "Mentions " + _TAXON + " as “{term}” ({field}), a word with an everyday sense"
         " that counts only beside other wildlife evidence (none here)."),
    Code("taxon.from_codeword", "taxon", "Points to " + _TAXON + " inferred from the code word “{term}”."),
    Code("taxon.from_product", "taxon", "Points to " + _TAXON + " inferred from the product word “{term}”."),
    Code("codeword", "codeword", "Uses “{term}” ({field}), a documented code word for {means:list}."
         " Source: {source}."),
    Code("codeword.context", "codeword", "Uses “{term}” ({field}), a documented code word for {means:list}"
         " (innocent alone; counted beside other wildlife evidence). Source: {source}."),
    Code("product.named", "product", "Offers {product}: “{term}” ({field})."),
    Code("evidence.none", "evidence", "No wildlife names, code words or wildlife products found."),
    Code("evidence.uncounted", "evidence", "No wildlife names that count alone, code words or wildlife products found."),
    Code("intent.offer", "intent", "Shows sale intent: {cues:quotes}."),
    Code("intent.wanted", "intent", "Asks to buy: {cues:quotes}."),
    Code("intent.report", "intent", "Reads as news, a seizure or court report, not an offer: {cues:quotes}; "
         + _NO_OFFER_WORDING + "."),
    Code("intent.information", "intent", "Reads as information, not an offer: prose of {words:.0f} words with "
         + _NO_OFFER_WORDING + "[ (prices and sale words alone: {sale:quotes})]."),
    Code("depiction", "depiction", "Depiction or faux cue “{term}” ({field}): the item may depict or imitate wildlife."),
    Code("authenticity", "authenticity", "Claims the item is real: {cues:quotes}."),
    Code("legality", "legality", "Claims legality: {cues:quotes}; such claims (antique, pre-Convention, certificates)"
         " need documents and are a known laundering cover."),
    Code("sense.innocent", "sense", "“{term}” ({field}) is read in its innocent sense and not counted."),
    Code("sense.wildlife", "sense", "“{term}” ({field}) read as {sense} (counted as wildlife): {cues:quoted}."),
    Code("sense.other", "sense", "“{term}” ({field}) read as {sense} (not counted as wildlife): {cues:quoted}."),
    Code("priority", "priority", "Review priority {risk:.2f}: highest protection among the taxa is CITES"
         " {appendix:appendix}."),
    Code("domestic", "domestic", "Real material of a domestic animal, not wildlife: {cues:quotes}."),
    Code("model.text", "model", _MODEL.replace("{how}", "combined with the rules' score")),
    Code("model.text_alone", "model", _MODEL.replace("{how}", "text alone")),
    Code("zoonotic.hosts", "zoonotic", _ZOONOTIC.replace("{host}", "a recorded host of {pathogens:list}")),
    Code("zoonotic.viruses", "zoonotic", _ZOONOTIC.replace("{host}", "a host of many viruses also recorded in humans")),
    Code("definition.verdict", "definition", "Verdict under the definition “{definition}”: {verdict}."),
    #: a sentence added without a code (by a part that does not use this table yet): its text
    Code("note", "note", "{text}"),
)}
#: Reasons about what the listing names: shown first.
FIRST = frozenset({"taxon.named", "taxon.from_codeword", "taxon.from_product"})


def appendix_words(appendix: str) -> str:
    """A CITES appendix as a sentence says it: ``Appendix I``, ``not listed``..."""
    if appendix in ("not listed", "NC"):
        return "not listed"
    if appendix == "varies":
        return "status varies by species"
    if "/" in appendix:
        return f"Appendices {appendix} (split listing by population)"
    return f"Appendix {appendix}"


_FILTERS: dict[str, Callable[[Any], str]] = {
    "quotes": lambda items: ", ".join(f"“{m['term']}” ({m['field']})" for m in items),
    "quoted": lambda words: ", ".join(f"“{w}”" for w in words),
    "list": lambda items: ", ".join(str(x) for x in items),
    "appendix": lambda appendix: appendix_words(str(appendix)),
}


_OPTIONAL = re.compile(r"\[([^\[\]]*)\]")
_FILTERED = re.compile(r"\{(\w+):(" + "|".join(_FILTERS) + r")\}")
#: a template ready for ``str.format_map``: the text, and (argument, filter, key) for each filtered field
_Ready = tuple[str, tuple[tuple[str, Callable[[Any], str], str], ...]]


def _ready(template: str) -> _Ready:
    """A filtered field ``{a:list}`` named ``{a__list}``, so that ``str.format_map`` renders it."""
    filters = tuple((name, _FILTERS[f], f"{name}__{f}") for name, f in dict.fromkeys(_FILTERED.findall(template)))
    return _FILTERED.sub(lambda m: "{" + m.group(1) + "__" + m.group(2) + "}", template), filters


@dataclass(slots=True)
class _Compiled:
    template: str
    sections: tuple[tuple[str, ...], ...]  # the arguments named in each optional part
    variants: dict[tuple[bool, ...], _Ready]  # by which optional parts are shown

    def ready(self, args: dict[str, Any]) -> _Ready:
        shown = tuple([all([_present(args.get(n)) for n in names]) for names in self.sections])
        got = self.variants.get(shown)
        if got is None:
            kept = iter(shown)
            got = self.variants[shown] = _ready(_OPTIONAL.sub(lambda m: m.group(1) if next(kept) else "",
                                                              self.template))
        return got


def _compile(template: str) -> _Compiled:
    sections = tuple(tuple(name for _, name, _, _ in string.Formatter().parse(m.group(1)) if name)
                     for m in _OPTIONAL.finditer(template))
    return _Compiled(template, sections, {} if sections else {(): _ready(template)})


_COMPILED = {code: _compile(row.template) for code, row in CODES.items()}


def _present(value: Any) -> bool:
    return bool(value) or value == 0


def render(code: str, args: dict[str, Any]) -> str:
    """The English sentence of ``code`` with ``args``; ``Invalid`` for an unknown code or a missing argument."""
    compiled = _COMPILED.get(code)
    if compiled is None:
        raise Invalid(f"unknown reason code {code!r}")
    template, filters = compiled.variants[()] if not compiled.sections else compiled.ready(args)
    try:
        if filters:
            values = dict(args)
            for name, show, key in filters:
                values[key] = show(args[name])
            return template.format_map(values)
        return template.format_map(args)
    except KeyError as exc:
        raise Invalid(f"reason {code}: missing argument {exc.args[0]}") from exc


@dataclass(slots=True)
class Reason:
    """One reason: its code and arguments; ``text`` is its English sentence (rendered when not given).
    A reason is not changed once made: ``restated`` makes a new one."""

    code: str
    args: dict[str, Any] = field(default_factory=dict)
    text: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.text:
            self.text = render(self.code, self.args)

    @property
    def family(self) -> str:
        row = CODES.get(self.code)
        return row.family if row is not None else self.code.split(".", 1)[0]

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "args": self.args}

    @classmethod
    def read(cls, data: Any, text: str) -> Reason:
        """A reason as ``to_dict`` wrote it, beside its sentence (kept as written, even for a code this
        version does not know); ``ValueError`` if it is not one."""
        if not isinstance(data, dict) or not isinstance(data.get("code"), str) or not isinstance(data.get("args"), dict):
            raise ValueError("a reason code is an object with a code and args")
        try:
            return cls(data["code"], data["args"], text)
        except Invalid as exc:  # an empty sentence, rendered from a code this version does not know
            raise ValueError(str(exc)) from exc

    def restated(self, **args: Any) -> Reason:
        """The same reason with some arguments changed, rendered anew."""
        return Reason(self.code, {**self.args, **args})


def quotes(matches: Iterable[Any], limit: int = 5) -> list[dict[str, str]]:
    """The first ``limit`` distinct (term, field) of matches, as a reason's ``cues`` argument."""
    seen: list[dict[str, str]] = []
    for m in matches:
        item = {"term": m.term, "field": m.field}
        if item not in seen:
            seen.append(item)
    return seen[:limit]


class Explained(Protocol):
    """What carries reasons: a ScanResult (``reasons`` and the parallel ``reason_codes``)."""

    reasons: list[str]
    reason_codes: list[Reason]


def add(result: Explained, reason: Reason) -> None:
    """Append a reason to both lists."""
    result.reasons.append(reason.text)
    result.reason_codes.append(reason)


def restate(result: Explained, code: str, **args: Any) -> None:
    """Render every reason of ``code`` anew with these arguments changed, in both lists."""
    for i, old in enumerate(result.reason_codes):
        if old.code != code:
            continue
        new = old.restated(**args)
        result.reason_codes[i] = new
        result.reasons[:] = [new.text if text == old.text else text for text in result.reasons]


def aligned(texts: list[str], codes: list[Reason]) -> list[Reason]:
    """``codes`` made parallel to ``texts``: each sentence with its coded reason, in order, and a
    ``note`` for a sentence added without one."""
    out: list[Reason] = []
    j = 0
    for text in texts:
        if j < len(codes) and codes[j].text == text:
            out.append(codes[j])
            j += 1
        else:
            out.append(Reason("note", {"text": text}, text))
    return out
