"""Product and taxon vocabulary for the families real sets showed missing (written probes: mechanics only)."""

from __future__ import annotations

import pytest

from wildtrace.scan.result import ScanResult
from wildtrace.scan.scanner import Scanner


@pytest.mark.parametrize(("title", "taxon"), [
    ("Hermès Birkin 30 Niloticus crocodile", "Crocodylus niloticus"),
    ("Hermes Birkin 35 Porosus, gold hardware", "Crocodylus porosus"),
    ("Hermès Himalaya Birkin 25", "Crocodylus niloticus"),
    ("Genuine gator skin wallet, black", "Alligator mississippiensis"),
    ("Deer antler shed pair, 12 points", "Cervidae"),
    ("Conus leopardus cone seashell, 9 cm", "Conus"),
    ("Rutelidae sp. Vietnam North, A1 with data", "Rutelidae"),
    ("Hercules beetle pair A1 unmounted", "Dynastinae"),
])
def test_trade_names_and_specimen_groups_are_named(scanner: Scanner, title: str, taxon: str) -> None:
    (r,) = scanner.scan([{"id": "x", "title": title, "price": "50"}])
    assert isinstance(r, ScanResult)
    assert taxon in [t["scientific_name"] for t in r.taxa], (title, r.taxa, r.matches)
    assert r.specimen["value"] == "wildlife"


@pytest.mark.parametrize("title", ["Embalmed shark pup in jar", "Shark jaw, 12 inch", "Wet specimen snake in formaldehyde"])
def test_specimen_words_are_products(scanner: Scanner, title: str) -> None:
    (r,) = scanner.scan([{"id": "x", "title": title}])
    assert isinstance(r, ScanResult)
    assert any(m.kind == "product" for m in r.matches), (title, r.matches)


@pytest.mark.parametrize("title", ["Himalaya trekking boots, size 43", "Florida Gators cap, one size", "Rhino beetle plush toy"])
def test_look_alikes_are_not_offers(scanner: Scanner, title: str) -> None:
    (r,) = scanner.scan([{"id": "x", "title": title, "price": "20"}])
    assert isinstance(r, ScanResult)
    assert r.verdict != "wildlife_offer", (title, r.reasons)
    assert "Rhinocerotidae" not in [t["scientific_name"] for t in r.taxa]
