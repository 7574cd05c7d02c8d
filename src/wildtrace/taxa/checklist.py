"""Import a Species+ "CITES listings" export that the user downloaded, without corrupting a status.

Species+ terms forbid redistribution, so WildTrace ships none: the user downloads the export and
runs ``wildtrace data import-cites FILE``. The import writes a JSON Lines checklist in the taxon
schema of ``data/taxa`` to the user's data directory (its first line says which export, of which
date, and whether the user preferred it); the scanner merges it into the built-in taxa
(``taxa/merge.py``). File formats and limits: ``taxa/export_file.py``.

Rules:
- every CITES taxon of the export (species, subspecies, variety, genus, family, order) becomes a
  taxon with its synonyms (names only: ``taxa/synonyms.py`` drops authorities such as "Barbour
  and Loveridge", "non", "auct."), its English, Spanish and French names, its annotation and its
  distribution (ISO codes by kind: native, introduced, reintroduced, extinct, uncertain);
- ``CurrentListing`` is any combination of ``I``, ``II``, ``III`` and ``NC`` that Species+
  uses (``I/II``, ``II/NC``, ``I/II/III/NC``...): the taxon gets the appendices named, and ``NC``
  beside them means some populations or forms are not listed — not that the taxon is unlisted;
  ``NC`` alone (not CITES, e.g. domestic forms) stays excluded;
- a blank ``CurrentListing`` is the taxon's own "no listing". It inherits the nearest higher
  taxon's listing only where that listing says it covers every member: one appendix and an
  annotation that does not limit it ("only the populations of…", "except…"), or a split listing
  of several appendices without ``NC`` (the member is in one of them: it gets the split and the
  annotation that says which). Under a higher taxon whose listing has ``NC`` (some members are not
  listed: an order such as Testudines, I/II/III/NC) or one appendix with a limiting annotation
  (Dicksonia: only the populations of the Americas), the member is "not listed" and its note
  names the higher listing to check (Species+ gives every listed member a listing of its own);
- a second row with the same name is rejected (with its line), never merged into the first;
- the export's date comes from its file name (Species+ names downloads
  ``Index_of_CITES_Species_YYYY-MM-DD HH_MM.csv``) or ``--as-of``; it decides, in the merge,
  whether the export may change a built-in status (``merge.py``).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from wildtrace import clock
from wildtrace.atomic import atomic_write
from wildtrace.errors import ConfigError
from wildtrace.settings import PACKAGE_DATA
from wildtrace.taxa import merge, refdata
from wildtrace.taxa.export_file import EXTRA, ImportLimits, rows
from wildtrace.taxa.synonyms import parse_names, parse_synonyms

__all__ = ["ImportLimits", "ImportReport", "checklist_meta", "import_checklist", "parse_synonyms",
           "ranges"]

_RANKS = {"SPECIES": "species", "SUBSPECIES": "subspecies", "VARIETY": "subspecies", "GENUS": "genus",
          "SUBFAMILY": "subfamily", "FAMILY": "family", "ORDER": "order", "CLASS": "class", "PHYLUM": "phylum"}
_APPENDICES = ("I", "II", "III")
META_KEY = "wildtrace_checklist"
_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2})(?!\d)")
# distribution columns of the checklist export -> the kind of range they name
_DISTRIBUTION = (("NativeDistributionFullNames", "native"), ("Introduced_Distribution", "introduced"),
                 ("Introduced(?)_Distribution", "introduced_uncertain"),
                 ("Reintroduced_Distribution", "reintroduced"), ("Extinct_Distribution", "extinct"),
                 ("Extinct(?)_Distribution", "extinct_uncertain"), ("Distribution_Uncertain", "uncertain"))
# where a taxon is not found any more: not part of its range for a range check
NOT_RANGE = ("extinct",)


@dataclass
class ImportReport:
    rows: int
    taxa: int
    inherited: int
    excluded_nc: int
    rejected: list[tuple[int, str]]
    output: Path
    agreement: merge.Agreement  # the built-in taxa's appendices checked against this export
    as_of: str | None = None  # the export's date (file name or --as-of); None: unknown
    prefer_export: bool = False
    plan: merge.Plan | None = None  # what the merge does with each built-in taxon the export names
    not_inherited: int = 0  # blank listings under a higher taxon whose listing does not cover them
    with_distribution: int = 0
    notes: list[str] = field(default_factory=list)


def export_date(path: Path, as_of: str | None = None, *, today: str | None = None) -> str | None:
    """The export's date: ``as_of`` if given, else the date in the file name, else None.

    A date that is not YYYY-MM-DD or lies after today is the user's mistake: a ConfigError."""
    value = as_of
    if value is None:
        m = _DATE_IN_NAME.search(path.name)
        value = m.group(1) if m else None
        if value is None:
            return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ConfigError(f"--as-of {value!r}: expected a date as YYYY-MM-DD") from exc
    if day.isoformat() > (today or clock.today()):
        raise ConfigError(f"the export's date {value} is after today; give the day it was downloaded (--as-of)")
    return day.isoformat()


def _split_names(text: str) -> list[str]:
    return [n.strip() for n in re.split(r"[,;]", text or "") if n.strip()]


def _names(row: dict[str, str]) -> dict[str, list[str]]:
    """Common names by language: the CSV's English/Spanish/French columns or the API's ``names:LANG``."""
    out: dict[str, list[str]] = {}
    for column, lang in (("EnglishNames", "en"), ("SpanishNames", "es"), ("FrenchNames", "fr")):
        if names := _split_names(row.get(column, "")):
            out[lang] = names
    for key, value in row.items():
        if key.startswith("names:") and (names := _split_names(value)):
            have = out.setdefault(key.removeprefix("names:"), [])
            have.extend(n for n in names if n not in have)
    return out


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


def _distribution(row: dict[str, str]) -> dict[str, list[str]] | None:
    """ISO codes by kind of range, from the export's distribution columns.

    ``All_DistributionISOCodes`` and ``All_DistributionFullNames`` list the same countries in the
    same order; the per-kind columns name countries, so names are turned into codes through that
    pair. A name that cannot be paired is kept under ``unmatched`` (so nothing is lost), and
    ``all`` always holds every code."""
    codes = _split_list(row.get("All_DistributionISOCodes", ""))
    if not codes:
        return None
    names = _split_list(row.get("All_DistributionFullNames", ""))
    code_of = dict(zip(names, codes, strict=False)) if len(names) == len(codes) else {}
    out: dict[str, list[str]] = {"all": codes}
    unmatched: list[str] = []
    for column, kind in _DISTRIBUTION:
        for name in _split_list(row.get(column, "")):
            code = code_of.get(name) or (name if name in codes else None)
            if code:
                out.setdefault(kind, []).append(code)
            else:
                unmatched.append(name)
    if unmatched:
        out["unmatched"] = unmatched
    return out


def _split_list(text: str) -> list[str]:
    """A distribution cell: country names or ISO codes separated by commas. A name that holds a
    comma itself ("Bonaire, Sint Eustatius and Saba", "Korea, Republic of") is put back together
    where the joined pieces are a country name the project knows (``data/trade/parties.csv``)."""
    parts = [x.strip() for x in (text or "").split(",") if x.strip()]
    known = _country_names()
    out: list[str] = []
    i = 0
    while i < len(parts):
        for width in (3, 2, 1):
            joined = ", ".join(parts[i:i + width])
            if width == 1 or (i + width <= len(parts) and joined.casefold() in known):
                out.append(joined)
                i += width
                break
    return out


@functools.cache
def _country_names() -> frozenset[str]:
    """Country names in the CITES parties table, case-folded (for names that hold a comma)."""
    try:
        with open(PACKAGE_DATA / "trade" / "parties.csv", encoding="utf-8", newline="") as fh:
            return frozenset(r["name"].casefold() for r in csv.DictReader(fh) if r.get("name"))
    except OSError:
        return frozenset()


def import_checklist(path: Path, output: Path, *, today: str | None = None,
                     builtin: list[refdata.Taxon] | None = None, limits: ImportLimits | None = None,
                     as_of: str | None = None, prefer_export: bool = False) -> ImportReport:
    """Read a Species+ export, write the checklist JSON Lines to ``output`` and say what merging
    it into the built-in taxa (``builtin``, by default the shipped ones) changes.

    ``as_of`` is the export's date when its file name does not carry one; ``prefer_export`` lets the
    export's own listing replace a built-in status even where the built-in one is newer or the
    export's date is unknown. The export is streamed under ``limits``; past the byte or row limit
    the import stops with one clear error and the old checklist stays; a row past the cell limit is
    rejected. The checklist is written to a temporary file and renamed into place, so a failed
    import never leaves half of one.
    """
    today = today or clock.today()
    limits = limits or ImportLimits()
    date = export_date(path, as_of, today=today)
    rejected: list[tuple[int, str]] = []
    parsed: list[dict[str, Any]] = []
    by_name: dict[str, dict[str, Any]] = {}
    read = 0
    for line, row in rows(path, limits):
        read += 1
        if isinstance(row, str):
            rejected.append((line, row))
            continue
        if EXTRA in row:
            rejected.append((line, row[EXTRA]))
            continue
        name = row.get("FullName", "")
        rank = _RANKS.get(row.get("RankName", "").upper())
        if not name or rank is None:
            rejected.append((line, f"missing FullName or unknown RankName {row.get('RankName')!r}"))
            continue
        if name in by_name:
            first = by_name[name]
            rejected.append((line, f"a second row for {name} (TaxonId {row.get('TaxonId') or '?'}); the first "
                                   f"(TaxonId {first['taxon_id'] or '?'}, line {first['line']}) is kept"))
            continue
        try:
            listing = _listing(row.get("CurrentListing", ""))
        except ValueError as exc:
            rejected.append((line, str(exc)))
            continue
        names_in = parse_names(row.get("SynonymsWithAuthors", ""))
        taxon: dict[str, Any] = {
            "line": line, "scientific_name": name, "rank": rank, "class": row.get("Class") or None,
            "order": row.get("Order") or None, "family": row.get("Family") or None,
            "genus": row.get("Genus") or None, "species": row.get("Species") or None,
            "listing": listing,
            "synonyms": [s for s, wrong in names_in if not wrong and s != name],
            "misapplied": [s for s, wrong in names_in if wrong and s != name],
            "names": _names(row),
            "annotation": row.get("FullAnnotationEnglish") or row.get("AnnotationEnglish") or None,
            "taxon_id": row.get("TaxonId") or None,
            "distribution": _distribution(row),
        }
        parsed.append(taxon)
        by_name[name] = taxon
    resolved = _resolve_listings(parsed, by_name)
    source = f"Species+ CITES listings export {path.name} (imported by the user; not redistributed)"
    meta = {"source": path.name, "as_of": date, "prefer_export": prefer_export, "imported_on": today,
            "rows": read, "taxa": len(parsed)}
    with atomic_write(output) as fh:
        fh.write(orjson.dumps({META_KEY: meta}) + b"\n")
        for taxon in parsed:
            appendix, note = resolved[taxon["scientific_name"]]
            row_out = {
                "scientific_name": taxon["scientific_name"], "rank": taxon["rank"], "class": taxon["class"],
                "order": taxon["order"], "family": taxon["family"], "parent": _parent(taxon, by_name),
                "synonyms": taxon["synonyms"], "misapplied_names": taxon["misapplied"],
                "cites_appendix": appendix, "cites_annotation": note,
                "names": taxon["names"], "source": source, "verified_on": today,
                "cites_source": f"{source}: CurrentListing {taxon['listing'] or '(blank)'}",
                "cites_as_of": date, "taxon_id": taxon["taxon_id"],
                "distribution": taxon["distribution"],
            }
            fh.write(orjson.dumps(row_out) + b"\n")
    known = list(refdata.load().taxa) if builtin is None else builtin
    imported = refdata.load_checklist(output)
    plan = merge.plan(known, imported, prefer_export=prefer_export)
    notes = [] if date else [f"{path.name}: the export's date is unknown (no YYYY-MM-DD in the file name): no "
                             "built-in status is changed; give --as-of DATE (or --prefer-export)"]
    inherited = sum(1 for a, n in resolved.values() if n and n.startswith("inherited from"))
    return ImportReport(rows=read, taxa=len(parsed), inherited=inherited,
                        excluded_nc=sum(1 for a, _ in resolved.values() if a == "NC"),
                        rejected=rejected, output=output, agreement=merge.compare_taxa(known, imported),
                        as_of=date, prefer_export=prefer_export, plan=plan,
                        not_inherited=sum(1 for a, n in resolved.values() if n and n.startswith("no listing")),
                        with_distribution=sum(1 for t in parsed if t["distribution"]), notes=notes)


def _resolve_listings(parsed: list[dict[str, Any]],
                      by_name: dict[str, dict[str, Any]]) -> dict[str, tuple[str, str | None]]:
    """Each taxon's appendix and note: its own listing, or what its higher taxa pass down."""
    out: dict[str, tuple[str, str | None]] = {}

    def resolve(taxon: dict[str, Any], depth: int = 0) -> tuple[str, str | None]:
        name = taxon["scientific_name"]
        if name in out:
            return out[name]
        listing = taxon["listing"]
        if listing == "NC":
            result: tuple[str, str | None] = ("NC", taxon["annotation"])
        elif listing:
            appendix, nc_note = _appendix(listing)
            result = (appendix, "; ".join(x for x in (nc_note, taxon["annotation"]) if x) or None)
        else:
            result = _inherit(taxon, by_name, resolve, depth)
        out[name] = result
        return result

    for taxon in parsed:
        resolve(taxon)
    return out


def _inherit(taxon: dict[str, Any], by_name: dict[str, dict[str, Any]], resolve: Any,
             depth: int) -> tuple[str, str | None]:
    """A blank listing: the nearest higher taxon's, where that listing covers every member."""
    parent_name = _parent(taxon, by_name)
    if parent_name is None or depth > 8:
        return "not listed", None
    parent = by_name[parent_name]
    appendix, note = resolve(parent, depth + 1)
    if appendix in ("NC", "not listed"):
        return "not listed", None
    own = parent["listing"]
    annotation = parent["annotation"] or ""
    if own is None:  # the parent inherited what covers every member: so does this one
        return appendix, note
    if own in _APPENDICES and not merge.LIMITING.search(annotation):
        return appendix, f"inherited from {parent_name}"
    if "/" in own and "NC" not in own:  # a split listing (I/II): the member is in one of them
        return appendix, f"inherited from {parent_name} (a split listing: {annotation[:300] or own})"
    said = f"{parent_name} is listed {own or appendix}" + (f" ({annotation[:200]})" if annotation else "")
    return "not listed", (f"no listing of its own in the export; {said}: check whether it covers this member")


def checklist_meta(path: Path) -> dict[str, Any]:
    """The first line of an imported checklist: the export's name and date, and whether the user
    preferred it (``{}`` for a checklist written before this line existed)."""
    try:
        with open(path, "rb") as fh:
            first = fh.readline()
    except OSError:
        return {}
    try:
        doc = orjson.loads(first) if first.strip() else {}
    except orjson.JSONDecodeError:
        return {}
    meta = doc.get(META_KEY) if isinstance(doc, dict) else None
    return dict(meta) if isinstance(meta, dict) else {}


def ranges(path: Path, kinds_out: Iterable[str] = NOT_RANGE) -> dict[str, frozenset[str]]:
    """Each imported taxon's range states (ISO codes), by its name and by each synonym that names
    it alone (not another taxon's accepted name, not claimed by two taxa: the merge's rule): every
    country of its distribution except where it is extinct. Taxa without a distribution are left
    out (no range known is not "outside the range")."""
    skip = set(kinds_out)
    accepted: dict[str, frozenset[str] | None] = {}
    synonyms: dict[str, list[frozenset[str] | None]] = {}
    try:
        fh = open(path, encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError:
        return {}
    with fh:
        for line in fh:
            row = orjson.loads(line) if line.strip() else None
            if not isinstance(row, dict) or "scientific_name" not in row:
                continue
            dist = row.get("distribution")
            codes = None
            if isinstance(dist, dict):
                gone = {c for kind in skip for c in dist.get(kind) or ()}
                codes = frozenset(c for c in dist.get("all") or () if c not in gone)
            accepted[row["scientific_name"]] = codes
            for name in row.get("synonyms") or ():
                synonyms.setdefault(name, []).append(codes)
    out = {name: codes for name, codes in accepted.items() if codes is not None}
    for name, found in synonyms.items():
        if name not in accepted and len(found) == 1 and found[0] is not None:
            out[name] = found[0]
    return out


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


def _parent(taxon: dict[str, Any], by_name: dict[str, dict[str, Any]]) -> str | None:
    for name in _higher(taxon):
        if name in by_name:
            return name
    return None
