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
- ``CurrentListing`` is any combination of ``I``, ``II``, ``III`` and ``NC`` that Species+
  uses (``I``, ``I/II``, ``II/NC``, ``I/II/NC``, ``I/III/NC``, ``I/II/III/NC``...): the taxon gets
  the appendices named, and ``NC`` beside them means some populations or forms (often domestic
  ones) are not listed, said in ``cites_annotation`` — not that the taxon is unlisted;
- ``NC`` alone (not CITES, e.g. domestic forms) stays excluded and is not inherited over;
- the export may be ``.csv``, ``.csv.gz`` or a ``.zip`` holding one CSV.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from wildtrace.errors import DataError

REQUIRED_COLUMNS = ("FullName", "RankName", "CurrentListing")
_RANKS = {"SPECIES": "species", "SUBSPECIES": "subspecies", "VARIETY": "subspecies", "GENUS": "genus",
          "SUBFAMILY": "subfamily", "FAMILY": "family", "ORDER": "order", "CLASS": "class", "PHYLUM": "phylum"}
_APPENDICES = ("I", "II", "III")
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
    """``I``, ``I/II``... (appendices in order), ``NC``, or with ``/NC`` when some forms are not listed."""
    value = (value or "").strip().replace(" ", "").upper()
    if not value:
        return None
    parts = [p for p in re.split(r"[/,;]", value) if p]
    unknown = [p for p in parts if p not in (*_APPENDICES, "NC")]
    if unknown or not parts:
        raise ValueError(f"unknown CurrentListing {value!r}")
    listed = "/".join(a for a in _APPENDICES if a in parts)
    if not listed:
        return "NC"
    return f"{listed}/NC" if "NC" in parts else listed


def _appendix(listing: str) -> tuple[str, str | None]:
    """The appendices of a listing value, and the note for its ``NC`` part."""
    if listing.endswith("/NC"):
        listed = listing[: -len("/NC")]
        return listed, (f"Species+ CurrentListing {listing}: Appendix {listed}; some populations or forms "
                        "(often domestic ones) are not listed (NC)")
    return listing, None


def _read_bytes(path: Path) -> bytes:
    """The export's bytes: a CSV as downloaded, gzipped, or the one CSV inside a zip."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DataError(f"{path.name}: a damaged gzip file ({exc})") from exc
    if raw[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as zf:
                members = [n for n in zf.namelist() if n.lower().endswith(".csv") and not n.startswith("__MACOSX")]
                if len(members) != 1:
                    raise DataError(f"{path.name}: a zip with {len(members)} CSV files; expected the one Species+ export")
                return zf.read(members[0])
        except zipfile.BadZipFile as exc:
            raise DataError(f"{path.name}: a damaged zip file ({exc})") from exc
    return raw


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    raw = _read_bytes(path)
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
            note = f"inherited from {via}" if via else None
            if appendix and appendix != "NC":
                appendix, nc_note = _appendix(str(appendix))
                note = "; ".join(x for x in (note, nc_note) if x) or None
            row_out = {
                "scientific_name": taxon["scientific_name"], "rank": taxon["rank"], "class": taxon["class"],
                "order": taxon["order"], "family": taxon["family"], "parent": _parent(taxon, by_name),
                "synonyms": taxon["synonyms"],
                "cites_appendix": "NC" if appendix == "NC" else (appendix or "not listed"),
                "cites_annotation": note,
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
