"""The data manifest: every reference file that ships in ``wildtrace/data``, in one table.

The same table drives loading and hashing. A loader asks ``path(name)`` (or ``paths(name)``
for a glob) for its file, never builds the path itself; each group's stamp is ``sha256(group)``
over exactly the files of that group, so a file that a loader opens is in the hash by
construction, and ``tests/test_manifest.py`` checks that every file opened during a scan belongs
to a stamped group and that changing any one of them changes the stamp.

Groups and where their stamp appears:

- ``rules``: what decides a scan's verdict and reasons (taxa, products, code words, cues,
  patterns, weights, senses, normalisation, language words, CSV headers, identifier patterns);
  ``ScanResult.model["data_sha256"]``.
- ``model``: the shipped text model; ``model["text_model"]`` (its version; ``model.json`` holds
  the weights' SHA-256, checked on load).
- ``zoonotic``: the zoonotic summary and rules; each profile's ``provenance["data_sha256"]``.
- ``trade``: CITES codes, parties, header synonyms, factors; the trade analyses' provenance.
- ``learn``, ``demo``, ``export``, ``docs``: training frames, the demo listings, takedown
  policies and the READMEs (not used to decide anything about a listing).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from wildtrace.errors import DataError
from wildtrace.settings import PACKAGE_DATA

GROUPS = ("rules", "model", "zoonotic", "trade", "learn", "demo", "export", "docs", "patrol")


@dataclass(frozen=True)
class RefFile:
    """One file (or a glob of files) under the data folder."""

    name: str
    file: str  # relative to the data folder; may be a glob such as ``taxa/*.yaml``
    group: str
    doc: str


MANIFEST: tuple[RefFile, ...] = (
    RefFile("taxa", "taxa/*.yaml", "rules", "species and higher taxa: names, synonyms, CITES status"),
    RefFile("products", "products.yaml", "rules", "product types, their words and risk"),
    RefFile("codewords", "codewords.csv", "rules", "code words from public reports"),
    RefFile("cues", "cues.csv", "rules", "sale, depiction, legality and other context cues"),
    RefFile("patterns", "patterns.yaml", "rules", "regular-expression cues (prices, phones, units)"),
    RefFile("rules", "rules.yaml", "rules", "scoring weights and thresholds"),
    RefFile("normalize", "normalize.yaml", "rules", "normalisation tables (leetspeak, confusables)"),
    RefFile("senses", "senses.yaml", "rules", "word senses that need context"),
    RefFile("langs", "langs.yaml", "rules", "language function words and scripts"),
    RefFile("csv_headers", "csv_headers.yaml", "rules", "CSV header synonyms of listing fields"),
    RefFile("identifiers", "identifiers.yaml", "rules", "phone, messenger, handle and wallet patterns"),
    RefFile("model", "model/*", "model", "the shipped text model (model.json, weights.npz)"),
    RefFile("zoonotic", "zoonotic/*", "zoonotic", "host-virus summary, aliases, tier rules (see its README)"),
    RefFile("trade", "trade/*", "trade", "CITES codes, parties, header synonyms, factors (see its README)"),
    RefFile("patrol_categories", "patrol/illegal_categories.yaml", "patrol",
            "which SMART/EarthRanger observation categories are illegal activity (each rule with its source)"),
    RefFile("synthetic", "synthetic.yaml", "learn", "frames of the self-generated training listings"),
    RefFile("demo_listings", "demo_listings.jsonl", "demo", "the synthetic demo listings"),
    RefFile("demo_images", "demo/*", "demo", "the demo listings' synthetic images (scripts/make_demo_images.py)"),
    RefFile("takedown_policies", "takedown_policies.yaml", "export", "platform takedown policies"),
    RefFile("world_map", "world/countries.svg", "export", "the dashboard's world map (scripts/make_world_map.py)"),
    RefFile("world_countries", "world/countries.csv", "export", "ISO 3166-1 countries: codes and names"),
    RefFile("world_places", "world/places.csv", "export", "places (cities, regions, names) -> country code"),
    RefFile("readme", "**/README.md", "docs", "the data folder's documentation, one README per folder"),
)

_BY_NAME = {f.name: f for f in MANIFEST}


def entry(name: str) -> RefFile:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise DataError(f"no reference file {name!r} in the data manifest") from None


def path(name: str, data_dir: Path = PACKAGE_DATA) -> Path:
    """The one file of entry ``name`` (an entry without a glob)."""
    ref = entry(name)
    if "*" in ref.file:
        raise DataError(f"reference entry {name!r} is a set of files ({ref.file}); use paths()")
    return data_dir / ref.file


def folder(name: str, data_dir: Path = PACKAGE_DATA) -> Path:
    """The folder that holds entry ``name``'s files (``model/*`` -> ``DATA/model``)."""
    return (data_dir / entry(name).file).parent


def paths(name: str, data_dir: Path = PACKAGE_DATA) -> list[Path]:
    """Every file of entry ``name``, sorted (a glob matches files only, README.md included)."""
    ref = entry(name)
    if "*" not in ref.file:
        found = [data_dir / ref.file]
        return [p for p in found if p.is_file()]
    found = sorted(p for p in data_dir.glob(ref.file) if p.is_file())
    return found if ref.group == "docs" else [p for p in found if p.name != "README.md"]


def files(group: str, data_dir: Path = PACKAGE_DATA) -> list[Path]:
    """Every file of a group, in manifest order."""
    if group not in GROUPS:
        raise DataError(f"unknown reference group {group!r}; known: {', '.join(GROUPS)}")
    return [p for ref in MANIFEST if ref.group == group for p in paths(ref.name, data_dir)]


def hash_files(found: Iterable[Path], root: Path | None = None) -> str:
    """SHA-256 over each file's name (relative to ``root`` where given) and bytes, in order."""
    digest = hashlib.sha256()
    for p in found:
        name = str(p.relative_to(root)) if root is not None and p.is_relative_to(root) else p.name
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(p.read_bytes())
    return digest.hexdigest()


def sha256(group: str, data_dir: Path = PACKAGE_DATA, extra: Iterable[Path] = ()) -> str:
    """The stamp of a group: every file of it under ``data_dir``, then ``extra`` (imported files)."""
    if data_dir == PACKAGE_DATA and not extra:
        return _packaged(group)
    return hash_files([*files(group, data_dir), *extra], data_dir)


@cache
def _packaged(group: str) -> str:
    return hash_files(files(group), PACKAGE_DATA)


def unlisted(data_dir: Path = PACKAGE_DATA) -> list[Path]:
    """Files under the data folder that no manifest entry names (a test keeps this empty)."""
    listed = {p for ref in MANIFEST for p in paths(ref.name, data_dir)}
    return sorted(p for p in data_dir.rglob("*") if p.is_file() and p not in listed
                  and "__pycache__" not in p.parts)
