"""ScanResult: what the scan says about one listing (its fields are the public contract), the
Reject that stands for a record that could not be used, and ``read_results``: the one reader
of ``wildtrace scan`` output that every later command (case, network, capture) uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

from wildtrace.errors import InvalidRecord
from wildtrace.rejects import Reject
from wildtrace.scan.listing import RecordLimits, check_structure
from wildtrace.scan.reasons import Reason, aligned

VERDICTS = ("wildlife_offer", "depiction_or_faux", "not_wildlife")
#: Values of the ``specimen`` facet: what the item is. (``domestic_animal`` is reserved: no rule sets it yet.)
SPECIMENS = ("wildlife", "domestic_animal", "fossil", "replica_or_depiction", "faux_material", "none", "unknown")
#: Values of the ``intent`` facet: whether the item is offered.
INTENTS = ("offer", "wanted", "other", "unknown")

#: What a result read back must fit (its listing was held to the record limits when scanned; the
#: result adds two levels: the result object and its ``listing``).
RESULT_LIMITS = RecordLimits(max_depth=24, max_fields=600)

#: Output fields in order. Pinned by tests/test_contract.py: change with care.
RESULT_FIELDS = (
    "id", "verdict", "wildlife_score", "risk_score", "specimen", "intent", "taxa", "product_types", "lang",
    "matches", "reasons", "model", "input_sha256", "scanned_at", "listing",
)
#: Optional fields that follow the contract fields when present: ``ocr`` when the scan read images,
#: ``reason_codes`` (``[{"code", "args"}]``, parallel to ``reasons``: scan/reasons.py) when the result has them.
OPTIONAL_FIELDS = ("ocr", "reason_codes")
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
    #: facets: what the item is, and whether it is offered ({"value", "score", "matches"})
    specimen: dict[str, Any] = field(default_factory=lambda: {"value": "unknown", "score": 0.0, "matches": []})
    intent: dict[str, Any] = field(default_factory=lambda: {"value": "unknown", "score": 0.0, "matches": []})
    #: the reasons as codes and arguments (scan/reasons.py); a sentence added without one reads as a ``note``
    reason_codes: list[Reason] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "verdict": self.verdict,
            "wildlife_score": self.wildlife_score,
            "risk_score": self.risk_score,
            "specimen": self.specimen,
            "intent": self.intent,
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
            **({"reason_codes": [r.to_dict() for r in aligned(self.reasons, self.reason_codes)]}
               if self.reason_codes else {}),
        }

    @classmethod
    def from_dict(cls, data: Any) -> ScanResult:
        """A result as ``to_dict`` wrote it (``wildtrace scan`` output); ``InvalidRecord`` if it is not one."""
        if not isinstance(data, dict):
            raise InvalidRecord("not a JSON object")
        missing = [k for k in ("id", "verdict", "risk_score", "listing") if k not in data]
        if missing:
            raise InvalidRecord(f"not a scan result (missing {', '.join(missing)}; is this `wildtrace scan` output?)",
                                record_id=str(data["id"]) if "id" in data else None)
        if not isinstance(data["id"], str | int) or isinstance(data["id"], bool):
            raise InvalidRecord("id is not text or a number")
        rid = str(data["id"])
        check_structure(data, RESULT_LIMITS)  # nesting, field count, integer size, NUL: what the store can hold
        for key, kind in (("model", dict), ("taxa", list), ("product_types", list), ("matches", list),
                          ("reasons", list), ("specimen", dict), ("intent", dict), ("ocr", dict)):
            if data.get(key) is not None and not isinstance(data[key], kind):
                raise InvalidRecord(f"{key} is not a JSON {'object' if kind is dict else 'array'}", record_id=rid)
        if not all(isinstance(t, dict) for t in data.get("taxa") or []):
            raise InvalidRecord("taxa holds something that is not an object", record_id=rid)
        for key in ("risk_score", "wildlife_score"):
            value = data.get(key, 0.0)
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise InvalidRecord(f"{key} is not a number", record_id=rid)
        if not isinstance(data["listing"], dict):
            raise InvalidRecord("listing is not an object", record_id=rid)
        try:
            matches = [Match(str(m["term"]), (int(m["span"][0]), int(m["span"][1])), str(m["field"]),
                             str(m["kind"]), str(m["ref"]), str(m.get("lang", "")), str(m.get("matched", "")))
                       for m in data.get("matches") or []]
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise InvalidRecord(f"bad matches ({exc})", record_id=rid) from exc
        reasons = [str(r) for r in data.get("reasons") or []]
        coded = data.get("reason_codes") or []
        if not isinstance(coded, list) or (coded and len(coded) != len(reasons)):
            raise InvalidRecord("reason_codes is not a list parallel to reasons", record_id=rid)
        try:
            reason_codes = [Reason.read(c, text) for c, text in zip(coded, reasons, strict=True)] if coded else []
        except ValueError as exc:
            raise InvalidRecord(f"bad reason_codes ({exc})", record_id=rid) from exc
        return cls(id=rid, verdict=str(data["verdict"]), wildlife_score=float(data.get("wildlife_score", 0.0)),
                   risk_score=float(data["risk_score"]), taxa=list(data.get("taxa") or []),
                   product_types=list(data.get("product_types") or []), lang=str(data.get("lang", "")),
                   matches=matches, reasons=reasons, reason_codes=reason_codes,
                   model=dict(data.get("model") or {}), input_sha256=str(data.get("input_sha256", "")),
                   scanned_at=str(data.get("scanned_at", "")), listing=data["listing"],
                   ocr=data.get("ocr") if isinstance(data.get("ocr"), dict) else None,
                   **{k: data[k] for k in ("specimen", "intent") if isinstance(data.get(k), dict)})


def read_results(stream: IO[bytes]) -> Iterator[tuple[int, ScanResult | Reject]]:
    """(line, result) from ``wildtrace scan`` JSON Lines; a bad line is a Reject with its number."""
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            yield number, ScanResult.from_dict(orjson.loads(line))
        except orjson.JSONDecodeError as exc:
            yield number, Reject(number, f"not JSON: {exc}")
        except InvalidRecord as exc:
            yield number, Reject(number, exc.reason, exc.record_id)
        except Exception as exc:  # noqa: BLE001 - one hostile line never stops the file
            yield number, Reject(number, f"not a scan result ({type(exc).__name__}: {str(exc)[:200]})")
