"""ScanResult: what the scan says about one listing. Its fields are the public contract."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

VERDICTS = ("wildlife_offer", "depiction_or_faux", "not_wildlife")

#: Output fields in order. Pinned by tests/test_contract.py: change with care.
RESULT_FIELDS = (
    "id", "verdict", "wildlife_score", "risk_score", "taxa", "product_types", "lang",
    "matches", "reasons", "model", "input_sha256", "scanned_at", "listing",
)
#: Optional fields that follow the contract fields when present.
OPTIONAL_FIELDS = ("ocr",)
#: Keys of each item in ``matches``.
MATCH_FIELDS = ("term", "span", "field", "kind", "ref", "lang", "matched")
#: Keys of each item in ``taxa`` (more may follow: cites_annotation, cites_split, inferred_from).
TAXON_FIELDS = ("scientific_name", "rank", "class", "order", "family", "common_name", "cites_appendix")


@dataclass(slots=True)
class Match:
    term: str  # the text as written in the listing
    span: tuple[int, int]  # [start, end) in the listing's field, in characters
    field: str
    kind: str
    ref: str  # what it points to: scientific name, product type, cue
    lang: str  # language of the reference term
    matched: str  # the reference-data term it matched

    def to_dict(self) -> dict[str, Any]:
        return {"term": self.term, "span": list(self.span), "field": self.field, "kind": self.kind,
                "ref": self.ref, "lang": self.lang, "matched": self.matched}


@dataclass(slots=True)
class ScanResult:
    id: str
    verdict: str
    wildlife_score: float
    risk_score: float
    taxa: list[dict[str, Any]]
    product_types: list[str]
    lang: str
    matches: list[Match]
    reasons: list[str]
    model: dict[str, str]
    input_sha256: str
    scanned_at: str
    listing: dict[str, Any] = field(default_factory=dict)
    #: the text fields in match form (normalize.py), kept for later stages; not output
    match_text: str = field(default="", repr=False)
    #: OCR of the listing's images, when the scan read them (``ocr`` in the output)
    ocr: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "verdict": self.verdict,
            "wildlife_score": self.wildlife_score,
            "risk_score": self.risk_score,
            "taxa": self.taxa,
            "product_types": self.product_types,
            "lang": self.lang,
            "matches": [m.to_dict() for m in self.matches],
            "reasons": self.reasons,
            "model": self.model,
            "input_sha256": self.input_sha256,
            "scanned_at": self.scanned_at,
            "listing": self.listing,
            **({"ocr": self.ocr} if self.ocr is not None else {}),
        }
