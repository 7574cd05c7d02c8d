"""The Listing record: one online offer as WildTrace receives it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson

from wildtrace.errors import InvalidRecord

#: The listing fields WildTrace understands. Only ``id`` is required.
FIELDS = (
    "id", "title", "text", "price", "currency", "seller", "seller_description",
    "url", "platform", "location", "posted_at", "images", "lang", "source_kind",
)
#: What ``source_kind`` may say (``scan.sourcekind``): where the listing was posted.
SOURCE_KINDS = ("marketplace", "social", "web", "news")
#: Text fields that are matched against the lexicon, in this order. ``image_text`` is
#: not an input field: it holds text read from the listing's images (imagetext.py).
TEXT_FIELDS = ("title", "text", "seller_description", "image_text")
_SCALARS = tuple(f for f in FIELDS if f not in ("id", "images"))
_SCALAR_SET = frozenset(_SCALARS)


@dataclass(slots=True)
class Listing:
    id: str
    title: str | None = None
    text: str | None = None
    price: str | None = None
    currency: str | None = None
    seller: str | None = None
    seller_description: str | None = None
    url: str | None = None
    platform: str | None = None
    location: str | None = None
    posted_at: str | None = None
    images: list[str] = field(default_factory=list)
    lang: str | None = None
    #: marketplace, social, web or news (``scan.sourcekind``); None: read from platform, url, title
    source_kind: str | None = None
    #: fields WildTrace does not know, passed through unchanged
    extra: dict[str, Any] = field(default_factory=dict)
    #: SHA-256 of the record as received (canonical JSON, keys sorted)
    input_sha256: str = ""
    #: text read from the listing's images by OCR (not an input field)
    image_text: str | None = None
    #: line of the input it was read from (0 when it did not come from a file)
    source_line: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The record as received: known fields that are set, then unknown ones."""
        out: dict[str, Any] = {"id": self.id}
        for name in FIELDS[1:]:
            value = getattr(self, name)
            if value not in (None, [], ""):
                out[name] = value
        out.update(self.extra)
        return out


@dataclass(frozen=True)
class RecordLimits:
    """What one input record may hold (settings ``WILDTRACE_MAX_*``); a breach rejects the record."""

    max_field_chars: int = 100_000
    max_depth: int = 20  # nesting of lists and objects inside the record
    max_fields: int = 500  # keys of the record itself
    max_int_digits: int = 18  # digits of any integer (18 fits a signed 64-bit integer)


def check_structure(record: dict[str, Any], limits: RecordLimits) -> None:
    """Reject what would break hashing or storage later: deep nesting, huge integers, too many
    fields, keys that are not text. Iterative, so a hostile record cannot exhaust the stack."""
    if len(record) > limits.max_fields:
        raise InvalidRecord(f"record has {len(record):,} fields, over the limit of {limits.max_fields:,}")
    biggest = 10 ** limits.max_int_digits
    stack: list[tuple[Any, int]] = [(record, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            if depth > limits.max_depth:
                raise InvalidRecord(f"record is nested deeper than {limits.max_depth} levels")
            for key, item in value.items():
                if not isinstance(key, str):
                    raise InvalidRecord(f"a field name is {type(key).__name__}, not text")
                if "\x00" in key:
                    raise InvalidRecord("a field name contains NUL bytes (binary data?)")
                stack.append((item, depth + 1))
        elif isinstance(value, list | tuple):
            if depth > limits.max_depth:
                raise InvalidRecord(f"record is nested deeper than {limits.max_depth} levels")
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, int) and not isinstance(value, bool) and not -biggest < value < biggest:
            raise InvalidRecord(f"an integer has more than {limits.max_int_digits} digits")
        elif isinstance(value, float) and value != value:  # NaN: not JSON, not comparable
            raise InvalidRecord("a number is NaN")
        elif isinstance(value, str) and "\x00" in value:  # PostgreSQL text and JSON cannot hold NUL
            raise InvalidRecord("a field contains NUL bytes (binary data?)")


def content_hash(record: dict[str, Any]) -> str:
    try:
        encoded = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
    except (TypeError, orjson.JSONEncodeError) as exc:  # check_structure runs first; belt and braces
        raise InvalidRecord(f"record cannot be hashed: {exc}") from exc
    return hashlib.sha256(encoded).hexdigest()


def _as_text(name: str, value: Any, max_chars: int) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidRecord(f"field {name!r} must be text, not {type(value).__name__}")
    text = str(value)
    if len(text) > max_chars:
        raise InvalidRecord(f"field {name!r} is {len(text):,} characters long, over the limit of {max_chars:,}")
    if "\x00" in text:
        raise InvalidRecord(f"field {name!r} contains NUL bytes (binary data?)")
    return text if text.strip() else None


def _images(value: Any, max_chars: int) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        items = value.replace("|", " ").replace(";", " ").split()
    elif isinstance(value, list):
        items = value
    else:
        raise InvalidRecord(f"field 'images' must be a list of URLs or paths, not {type(value).__name__}")
    out = []
    for item in items:
        text = _as_text("images", item, max_chars)
        if text:
            out.append(text.strip())
    return out


def listing_from_record(record: dict[str, Any], *, max_field_chars: int | None = None,
                        limits: RecordLimits | None = None) -> Listing:
    """Validate a decoded record and build a Listing (raises ``InvalidRecord``).

    ``limits`` (default: ``RecordLimits`` with ``max_field_chars``) bounds size and shape.
    """
    if limits is None:
        limits = RecordLimits() if max_field_chars is None else RecordLimits(max_field_chars=max_field_chars)
    max_field_chars = limits.max_field_chars
    raw_id = record.get("id")
    if raw_id is None or (isinstance(raw_id, str) and not raw_id.strip()):
        raise InvalidRecord("missing id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int):
        raise InvalidRecord(f"id must be text or an integer, not {type(raw_id).__name__}")
    if isinstance(raw_id, int) and not -(10 ** limits.max_int_digits) < raw_id < 10 ** limits.max_int_digits:
        raise InvalidRecord(f"id is an integer of more than {limits.max_int_digits} digits")
    listing_id = str(raw_id).strip()
    if "\x00" in listing_id:
        raise InvalidRecord("id contains NUL bytes (binary data?)", record_id=listing_id.replace("\x00", "\\0")[:80])
    if len(listing_id) > 1000:
        raise InvalidRecord("id is longer than 1,000 characters", record_id=listing_id[:80])
    try:
        check_structure(record, limits)
        values: dict[str, Any] = {name: _as_text(name, value, max_field_chars)
                                  for name, value in record.items() if name in _SCALAR_SET}
        images = _images(record.get("images"), max_field_chars)
        kind = values.get("source_kind")
        if kind is not None:
            values["source_kind"] = kind = kind.strip().casefold()
            if kind not in SOURCE_KINDS:
                raise InvalidRecord(f"source_kind {kind[:40]!r} is not one of {', '.join(SOURCE_KINDS)}")
        extra = {k: v for k, v in record.items() if k not in FIELDS}
        return Listing(id=listing_id, images=images, extra=extra, input_sha256=content_hash(record), **values)
    except InvalidRecord as exc:
        exc.record_id = listing_id
        raise
