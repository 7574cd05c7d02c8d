"""Request bodies of the API. Unknown fields are refused (422 unknown_field)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from wildtrace.store.labels import MAX_NOTE_CHARS

MAX_BATCH = 1000


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScanRequest(Strict):
    listings: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_BATCH,
                                           description="Listing records (id, title, text, seller, ...)")
    save: bool = Field(True, description="Store listings and results (else only return them)")


class LabelRequest(Strict):
    listing_id: str = Field(min_length=1, max_length=1000)
    label: str = Field(description="wildlife_offer, depiction_or_faux, not_wildlife or unsure")
    note: str = Field("", max_length=MAX_NOTE_CHARS)


class BulkLabelRequest(Strict):
    listing_ids: list[str] = Field(min_length=1, max_length=MAX_BATCH)
    label: str
    note: str = Field("", max_length=MAX_NOTE_CHARS)


class CaseRequest(Strict):
    title: str = Field(min_length=1, max_length=500)


class CaseListingRequest(Strict):
    listing_id: str = Field(min_length=1, max_length=1000)


class UserRequest(Strict):
    name: str = Field(min_length=1, max_length=64)
    role: str
    password: str = Field(min_length=8, max_length=1024)


class PasswordRequest(Strict):
    password: str = Field(min_length=8, max_length=1024)


class MemberRequest(Strict):
    user: str = Field(min_length=1, max_length=64)


class RoleRequest(Strict):
    role: str


class TokenRequest(Strict):
    label: str = Field("", max_length=200)
