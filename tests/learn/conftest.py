"""Small written listings for the mechanics of learning (never for quality figures)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from wildtrace.scan.listing import Listing, listing_from_record

OFFERS = ["rhino horn piece genuine", "ivory bangle carved old", "pangolin scales for medicine",
          "vay te te loai 1", "sisik trenggiling asli", "tiger bone wine old stock", "live slow loris tame",
          "bear bile powder pure", "hornbill casque carving", "totoaba maw dried bladder"]
OTHER = ["mountain bike 29 inch", "iphone 13 good condition", "oak dining table", "python programming course",
         "running shoes size 42", "cotton t-shirt new", "wedding dress lace", "laptop second hand",
         "coffee grinder manual", "garden hose 20m"]
TAILS = ["ship worldwide dm me", "pick up only", "price negotiable", "cash on delivery", ""]


def make_records(n: int, seed: int = 1) -> list[dict[str, object]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        positive = rng.random() < 0.3
        title = rng.choice(OFFERS if positive else OTHER)
        out.append({"id": f"t{i}", "title": title, "text": rng.choice(TAILS), "seller": f"s{i % (n // 4 or 1)}",
                    "platform": rng.choice(["fb", "ebay"]), "wl": int(positive)})
    return out


@pytest.fixture(scope="session")
def records() -> list[dict[str, object]]:
    return make_records(240)


@pytest.fixture(scope="session")
def listings(records: list[dict[str, object]]) -> list[Listing]:
    return [listing_from_record(r, max_field_chars=10_000) for r in records]


@pytest.fixture(scope="session")
def targets(records: list[dict[str, object]]) -> dict[str, int]:
    return {str(r["id"]): int(r["wl"]) for r in records}  # type: ignore[call-overload]


@pytest.fixture
def listings_file(tmp_path: Path, records: list[dict[str, object]]) -> Path:
    path = tmp_path / "listings.jsonl"
    path.write_text("".join(json.dumps({k: v for k, v in r.items() if k != "wl"}) + "\n" for r in records))
    return path


@pytest.fixture
def labels_file(tmp_path: Path, records: list[dict[str, object]]) -> Path:
    path = tmp_path / "labels.csv"
    rows = ["id,label,reviewer,note,labelled_at"]
    rows += [f"{r['id']},{r['wl']},ana,,2026-01-0{1 + i % 9}T00:00:00Z" for i, r in enumerate(records)]
    path.write_text("\n".join(rows) + "\n")
    return path
