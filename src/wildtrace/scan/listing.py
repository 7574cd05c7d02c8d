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
    "url", "platform", "location", "posted_at", "images", "lang",
)
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
    #: fields WildTrace does not know, passed through unchanged
    extra: dict[str, Any] = field(default_factory=dict)
    #: SHA-256 of the record as received (canonical JSON, keys sorted)
    input_sha256: str = ""
    #: text read from the listing's images by OCR (not an input field)
    image_text: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The record as received: known fields that are set, then unknown ones."""
        out: dict[str, Any] = {"id": self.id}
        for name in FIELDS[1:]:
            value = getattr(self, name)
            if value not in (None, [], ""):
                out[name] = value
        out.update(self.extra)
        return out


def content_hash(record: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(record, option=orjson.OPT_SORT_KEYS)).hexdigest()


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


def listing_from_record(record: dict[str, Any], *, max_field_chars: int) -> Listing:
    """Validate a decoded record and build a Listing (raises ``InvalidRecord``)."""
    raw_id = record.get("id")
    if raw_id is None or (isinstance(raw_id, str) and not raw_id.strip()):
        raise InvalidRecord("missing id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int):
        raise InvalidRecord(f"id must be text or an integer, not {type(raw_id).__name__}")
    listing_id = str(raw_id).strip()
    if len(listing_id) > 1000:
        raise InvalidRecord("id is longer than 1,000 characters", record_id=listing_id[:80])
    try:
        values = {name: _as_text(name, value, max_field_chars)
                  for name, value in record.items() if name in _SCALAR_SET}
        images = _images(record.get("images"), max_field_chars)
    except InvalidRecord as exc:
        exc.record_id = listing_id
        raise
    extra = {k: v for k, v in record.items() if k not in FIELDS}
    return Listing(id=listing_id, images=images, extra=extra, input_sha256=content_hash(record), **values)
