"""Import a Species+ "CITES listings" CSV export that the user downloaded.

Species+ terms forbid redistribution, so WildTrace ships none: the user
downloads the export and runs ``wildtrace data import-cites FILE``. The import
writes a JSON Lines checklist in the taxon schema of ``data/taxa`` to the
user's data directory; the scanner loads it beside the built-in taxa.

Rules:
- every CITES species (and subspecies, genus, family, order) becomes a taxon,
  with its synonyms and its English, Spanish and French names;
- synonyms are kept whole: a subspecies synonym stays a trinomial;
- a taxon without its own listing inherits the listing of its nearest listed
  genus, family or order;
- ``NC`` (not CITES, e.g. domestic forms) stays excluded and is not inherited over.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from wildtrace.errors import DataError

REQUIRED_COLUMNS = ("FullName", "RankName", "CurrentListing")
_RANKS = {"SPECIES": "species", "SUBSPECIES": "subspecies", "VARIETY": "subspecies", "GENUS": "genus",
          "SUBFAMILY": "subfamily", "FAMILY": "family", "ORDER": "order", "CLASS": "class", "PHYLUM": "phylum"}
_LISTINGS = {"I", "II", "III", "I/II", "II/III", "I/III", "I/II/III", "NC"}
# A scientific name: Genus + one or two lowercase epithets (no author particles).
_PARTICLES = {"de", "da", "du", "van", "von", "der", "den", "del", "la", "le", "dos", "des", "ex", "in", "et", "al"}
_NAME = re.compile(r"\b([A-Z][a-z]+(?:-[a-z]+)?)((?:\s+(?:\([A-Z][a-z]+\)\s+)?[a-z][a-z-]+){1,3})")


@dataclass
class ImportReport:
    rows: int
    taxa: int
    inherited: int
    excluded_nc: int
    rejected: list[tuple[int, str]]
    output: Path


def parse_synonyms(text: str) -> list[str]:
    """Scientific names in a ``SynonymsWithAuthors`` cell, trinomials kept whole.

    >>> parse_synonyms("Manis tricuspis Rafinesque, 1821, Python molurus bivittatus Kuhl, 1820")
    ['Manis tricuspis', 'Python molurus bivittatus']
    """
    out: list[str] = []
    for m in _NAME.finditer(text or ""):
        genus = m.group(1)
        epithets: list[str] = []
        for word in m.group(2).split():
            if word.startswith("("):
                continue  # a subgenus in brackets
            if word in _PARTICLES:
                break
            epithets.append(word)
        if epithets and len(epithets) <= 2:
            name = " ".join([genus, *epithets])
            if name not in out:
                out.append(name)
    return out


def _split_names(text: str) -> list[str]:
    return [n.strip() for n in re.split(r"[,;]", text or "") if n.strip()]


def _listing(value: str) -> str | None:
    value = (value or "").strip().replace(" ", "")
    if not value:
        return None
    if value not in _LISTINGS:
        raise ValueError(f"unknown CurrentListing {value!r}")
    return value


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise DataError(f"{path.name}: not a Species+ CITES listings export (missing columns: {', '.join(missing)})")
    for i, row in enumerate(reader, start=2):
        yield i, {k.strip(): (v or "").strip() for k, v in row.items() if k}


def import_checklist(path: Path, output: Path, *, today: str | None = None) -> ImportReport:
    """Read a Species+ export and write the checklist JSON Lines to ``output``."""
    today = today or dt.date.today().isoformat()
    rows: list[tuple[int, dict[str, str]]] = list(_rows(path))
    rejected: list[tuple[int, str]] = []
    parsed: list[dict[str, Any]] = []
    by_name: dict[str, dict[str, Any]] = {}
    for line, row in rows:
        name = row.get("FullName", "")
        rank = _RANKS.get(row.get("RankName", "").upper())
        if not name or rank is None:
            rejected.append((line, f"missing FullName or unknown RankName {row.get('RankName')!r}"))
            continue
        try:
            listing = _listing(row.get("CurrentListing", ""))
        except ValueError as exc:
            rejected.append((line, str(exc)))
            continue
        taxon = {
            "scientific_name": name, "rank": rank, "class": row.get("Class") or None,
            "order": row.get("Order") or None, "family": row.get("Family") or None,
            "genus": row.get("Genus") or None, "species": row.get("Species") or None,
            "listing": listing, "synonyms": parse_synonyms(row.get("SynonymsWithAuthors", "")),
            "names": {k: v for k, v in (("en", _split_names(row.get("EnglishNames", ""))),
                                        ("es", _split_names(row.get("SpanishNames", ""))),
                                        ("fr", _split_names(row.get("FrenchNames", "")))) if v},
            "taxon_id": row.get("TaxonId") or None,
        }
        parsed.append(taxon)
        by_name[name] = taxon
    inherited = excluded = 0
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        for taxon in parsed:
            appendix, via = taxon["listing"], None
            if appendix is None:
                appendix, via = _inherit(taxon, by_name)
                if via:
                    inherited += 1
            if appendix == "NC":
                excluded += 1
            row_out = {
                "scientific_name": taxon["scientific_name"], "rank": taxon["rank"], "class": taxon["class"],
                "order": taxon["order"], "family": taxon["family"], "parent": _parent(taxon, by_name),
                "synonyms": taxon["synonyms"],
                "cites_appendix": "NC" if appendix == "NC" else (appendix or "not listed"),
                "cites_annotation": f"inherited from {via}" if via else None,
                "names": taxon["names"],
                "source": f"Species+ CITES listings export {path.name} (imported by the user; not redistributed)",
                "verified_on": today,
            }
            fh.write(orjson.dumps(row_out) + b"\n")
    tmp.replace(output)
    return ImportReport(rows=len(rows), taxa=len(parsed), inherited=inherited, excluded_nc=excluded,
                        rejected=rejected, output=output)


def _higher(taxon: dict[str, Any]) -> list[str]:
    """Enclosing taxa, nearest first: species (for a subspecies), genus, family, order."""
    out = []
    if taxon["rank"] == "subspecies" and taxon.get("genus") and taxon.get("species"):
        out.append(f"{taxon['genus']} {taxon['species']}")
    for key in ("genus", "family", "order"):
        value = taxon.get(key)
        if value and value != taxon["scientific_name"]:
            out.append(value)
    return out


def _inherit(taxon: dict[str, Any], by_name: dict[str, dict[str, Any]]) -> tuple[str | None, str | None]:
    for name in _higher(taxon):
        parent = by_name.get(name)
        if parent and parent["listing"]:
            if parent["listing"] == "NC":
                return None, None  # a non-CITES parent passes nothing down
            return parent["listing"], name
    return None, None


def _parent(taxon: dict[str, Any], by_name: dict[str, dict[str, Any]]) -> str | None:
    for name in _higher(taxon):
        if name in by_name:
            return name
    return None
