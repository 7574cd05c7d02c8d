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
- the export may be ``.csv``, ``.csv.gz`` or a ``.zip`` holding one CSV, in the checklist's
  column layout (headers matched case- and punctuation-insensitively, UTF-8, UTF-7 or Latin-1),
  or the Species+ API's ``taxon_concepts`` JSON (pages saved by the user; see ``_api_rows``);
- the English annotation (``AnnotationEnglish`` or the API's ``cites_listings`` annotations and
  Appendix-III parties) is kept in ``cites_annotation``.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from wildtrace import clock
from wildtrace.atomic import atomic_write
from wildtrace.errors import DataError
from wildtrace.taxa import merge, refdata

REQUIRED_COLUMNS = ("FullName", "RankName", "CurrentListing")
# Header spellings seen in exports that were re-saved or renamed by hand (a spreadsheet's
# "scientific_name", "Rank", "Listing"...): matched case- and punctuation-insensitively.
_ALIASES = {
    "fullname": "FullName", "scientificname": "FullName", "taxonname": "FullName", "name": "FullName",
    "rankname": "RankName", "rank": "RankName",
    "currentlisting": "CurrentListing", "listing": "CurrentListing", "citeslisting": "CurrentListing",
    "appendix": "CurrentListing", "appendices": "CurrentListing",
    "taxonid": "TaxonId", "id": "TaxonId",
    "kingdom": "Kingdom", "phylum": "Phylum", "class": "Class", "order": "Order", "family": "Family",
    "genus": "Genus", "species": "Species", "subspecies": "Subspecies", "authoryear": "AuthorYear",
    "synonymswithauthors": "SynonymsWithAuthors", "synonyms": "SynonymsWithAuthors",
    "englishnames": "EnglishNames", "spanishnames": "SpanishNames", "frenchnames": "FrenchNames",
    "annotationenglish": "AnnotationEnglish", "fullannotationenglish": "AnnotationEnglish",
}
_EXTRA = "\0extra"  # a row with more cells than the header: rejected with this reason
# A UTF-7 shift sequence ("+AF8-" is "_"): some spreadsheets save CSV as UTF-7.
_UTF7_SHIFT = re.compile(rb"\+[A-Za-z0-9/+]{2,}-")
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
    agreement: merge.Agreement  # the built-in taxa's appendices checked against this export


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


@dataclass(frozen=True)
class ImportLimits:
    """Caps on what one import reads (settings ``species_plus_max_*``): past them, one clear error."""

    max_bytes: int = 256 * 1024 * 1024
    max_rows: int = 500_000
    max_field_chars: int = 20_000


def _open_raw(path: Path) -> IO[bytes]:
    """The export's bytes as a stream: a CSV as downloaded, gzipped, or the one CSV inside a zip."""
    fh = open(path, "rb")  # noqa: SIM115 - returned open to the caller
    head = fh.read(4)
    fh.seek(0)
    if head[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=fh, mode="rb")  # type: ignore[return-value]
    if head == b"PK\x03\x04":
        try:
            zf = zipfile.ZipFile(fh)
        except zipfile.BadZipFile as exc:
            fh.close()
            raise DataError(f"{path.name}: a damaged zip file ({exc})") from exc
        members = [n for n in zf.namelist() if n.lower().endswith(".csv") and not n.startswith("__MACOSX")]
        if len(members) != 1:
            fh.close()
            raise DataError(f"{path.name}: a zip with {len(members)} CSV files; expected the one Species+ export")
        return zf.open(members[0])
    return fh


def _chunks(path: Path, limits: ImportLimits) -> Iterator[bytes]:
    """The decompressed bytes in chunks; past ``limits.max_bytes``, a DataError (a gzip bomb stops here)."""
    total = 0
    try:
        with _open_raw(path) as raw:
            while chunk := raw.read(1 << 20):
                total += len(chunk)
                if total > limits.max_bytes:
                    raise DataError(f"{path.name}: over {limits.max_bytes:,} bytes once decompressed; not a "
                                    "Species+ export, or raise WILDTRACE_SPECIES_PLUS_MAX_BYTES")
                yield chunk
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"{path.name}: cannot be read ({exc})") from exc


def _encoding(path: Path, limits: ImportLimits) -> str:
    """UTF-8 (with or without BOM), UTF-7 when the file is ASCII and its header says so, else Latin-1:
    one streaming pass, so the whole export is never held as one string."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8, ascii_only, header = True, True, b""
    for chunk in _chunks(path, limits):
        if not header:
            header = chunk.split(b"\n", 1)[0]
        ascii_only = ascii_only and chunk.isascii()
        if utf8:
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                utf8 = False
    if ascii_only and _UTF7_SHIFT.search(header):
        return "utf-7"
    return "utf-8-sig" if utf8 else "latin-1"


class _Stream(io.RawIOBase):
    """``_chunks`` as a readable stream, for the text and CSV readers."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks, self._pending = chunks, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            self._pending = next(self._chunks, b"")
            if not self._pending:
                return 0
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def _column(name: str) -> str:
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    return _ALIASES.get(key, name.strip())


def _rows(path: Path, limits: ImportLimits) -> Iterator[tuple[int, dict[str, str] | str]]:
    """(line, row) per CSV row or API concept, streamed; a row that cannot be used is (line, reason)."""
    encoding = _encoding(path, limits)
    raw = io.BufferedReader(_Stream(_chunks(path, limits)), buffer_size=1 << 16)
    start = raw.peek(4096)[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")[:1]  # API JSON or a CSV export
    text = io.TextIOWrapper(raw, encoding=encoding, newline="")
    if start in (b"{", b"["):
        yield from _api_rows(path, text.read(), limits)
        return
    csv.field_size_limit(max(csv.field_size_limit(), limits.max_field_chars * 2))
    reader = csv.reader(text)
    header = [_column(h) for h in next(reader, [])]
    have = set(header)
    if "FullName" not in have and "Genus" in have:
        have.add("FullName")  # composed from Genus, Species and Subspecies below
    missing = [c for c in REQUIRED_COLUMNS if c not in have]
    if missing:
        raise DataError(f"{path.name}: not a Species+ CITES listings export (missing columns: {', '.join(missing)})")
    rows = 0
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield line, (f"a cell over the limit of {limits.max_field_chars:,} characters"
                         if "field limit" in str(exc) else f"unreadable CSV row ({exc})")
            continue
        if not any(c.strip() for c in cells):
            continue  # a blank line, as spreadsheets leave at the end
        rows += 1
        if rows > limits.max_rows:
            raise DataError(f"{path.name}: over {limits.max_rows:,} rows; not a Species+ export, or raise "
                            "WILDTRACE_SPECIES_PLUS_MAX_ROWS")
        long = max((len(c) for c in cells), default=0)
        if long > limits.max_field_chars:
            yield line, f"a cell of {long:,} characters, over the limit of {limits.max_field_chars:,} characters"
            continue
        row = {k: v.strip() for k, v in zip(header, cells, strict=False) if k}
        if len(cells) > len(header):
            row[_EXTRA] = f"{len(cells)} cells where the header has {len(header)} (a comma outside quotes?)"
        if not row.get("FullName"):
            row["FullName"] = _compose(row)
        yield line, row


# Species+ API common-name languages (ISO 639-1, upper case) → WildTrace name keys.
# Chinese is left out: the API does not say which script a Chinese name is written in.
_API_LANGS = {"EN": "en", "ES": "es", "FR": "fr", "PT": "pt", "VI": "vi", "TH": "th", "ID": "id", "MS": "ms"}


def _api_rows(path: Path, text: str, limits: ImportLimits) -> Iterator[tuple[int, dict[str, str] | str]]:
    """Rows from the Species+ API's ``taxon_concepts`` JSON, saved by the user.

    Accepted: one response page (``{"pagination": …, "taxon_concepts": [...]}``), a JSON array
    of such pages, JSON Lines with one page per line, or a bare array of taxon concepts. Each
    concept becomes a row in the CSV export's columns; "line" is the concept's position (1-based)
    in the file. Inactive concepts (``"active": false``) are skipped and counted as rejects.
    """
    try:
        docs = [orjson.loads(text)]
    except orjson.JSONDecodeError:
        try:
            docs = [orjson.loads(line) for line in text.splitlines() if line.strip()]
        except orjson.JSONDecodeError as exc:
            raise DataError(f"{path.name}: neither a Species+ CSV export nor API JSON ({exc})") from exc
    concepts: list[Any] = []
    for doc in docs:
        for page in doc if isinstance(doc, list) else [doc]:
            if isinstance(page, dict) and isinstance(page.get("taxon_concepts"), list):
                concepts.extend(page["taxon_concepts"])
            elif isinstance(page, dict) and "full_name" in page:
                concepts.append(page)
            else:
                raise DataError(f"{path.name}: JSON without taxon_concepts; expected a Species+ API "
                                "taxon_concepts response")
    if len(concepts) > limits.max_rows:
        raise DataError(f"{path.name}: over {limits.max_rows:,} taxon concepts; raise WILDTRACE_SPECIES_PLUS_MAX_ROWS")
    for i, concept in enumerate(concepts, start=1):
        yield i, _api_row(concept)


def _api_row(concept: Any) -> dict[str, str]:
    if not isinstance(concept, dict):
        return {_EXTRA: f"a taxon concept that is a {type(concept).__name__}, not an object"}
    if concept.get("active") is False:
        return {_EXTRA: f"inactive taxon concept {concept.get('full_name')!r}"}
    higher: dict[str, Any] = concept["higher_taxa"] if isinstance(concept.get("higher_taxa"), dict) else {}
    name = str(concept.get("full_name") or "").strip()
    words = name.split()
    rank = str(concept.get("rank") or "").upper()
    row = {"FullName": name, "RankName": rank, "CurrentListing": str(concept.get("cites_listing") or ""),
           "TaxonId": str(concept.get("id") or ""),
           **{col: str(higher.get(key) or "") for col, key in (
               ("Kingdom", "kingdom"), ("Phylum", "phylum"), ("Class", "class"), ("Order", "order"),
               ("Family", "family"))}}
    if rank in ("SPECIES", "SUBSPECIES", "VARIETY") and len(words) >= 2:
        row["Genus"], row["Species"] = words[0], words[1]
    elif rank == "GENUS":
        row["Genus"] = name
    row["SynonymsWithAuthors"] = "; ".join(
        str(s.get("full_name")) for s in concept.get("synonyms") or [] if isinstance(s, dict) and s.get("full_name"))
    for entry in concept.get("common_names") or []:
        lang = _API_LANGS.get(str(entry.get("language") or "").upper()) if isinstance(entry, dict) else None
        if lang and entry.get("name"):
            key = f"names:{lang}"
            row[key] = "; ".join(x for x in (row.get(key), str(entry["name"]).strip()) if x)
    notes = []
    for listing in concept.get("cites_listings") or []:
        if not isinstance(listing, dict):
            continue
        party = listing.get("party") if isinstance(listing.get("party"), dict) else None
        text = "; ".join(str(x) for x in (listing.get("annotation"), listing.get("hash_annotation")) if x)
        who = f" (listed by {party.get('name') or party.get('iso_code2')})" if party else ""
        if text or who:
            notes.append(f"Appendix {listing.get('appendix')}{who}: {text}".rstrip(": "))
    row["AnnotationEnglish"] = " | ".join(notes)
    return row


def _compose(row: dict[str, str]) -> str:
    """A taxon's name from its rank columns when the export has no FullName."""
    rank = row.get("RankName", "").upper()
    if rank in ("SPECIES", "SUBSPECIES", "VARIETY") and row.get("Genus") and row.get("Species"):
        return " ".join(x for x in (row["Genus"], row["Species"], row.get("Subspecies", "")) if x)
    column = {"GENUS": "Genus", "FAMILY": "Family", "ORDER": "Order", "CLASS": "Class", "PHYLUM": "Phylum"}.get(rank)
    return row.get(column, "") if column else ""


def import_checklist(path: Path, output: Path, *, today: str | None = None,
                     builtin: list[refdata.Taxon] | None = None, limits: ImportLimits | None = None) -> ImportReport:
    """Read a Species+ export, write the checklist JSON Lines to ``output`` and check the
    built-in taxa (``builtin``, by default the shipped ones) against it.

    The export is streamed under ``limits`` (bytes once decompressed, rows, characters a cell); past
    the first two the import stops with one clear error and the old checklist stays; a row past the
    third is rejected. The checklist is written to a temporary file and renamed into place, so a
    failed import never leaves half of one.
    """
    today = today or clock.today()
    limits = limits or ImportLimits()
    rejected: list[tuple[int, str]] = []
    parsed: list[dict[str, Any]] = []
    by_name: dict[str, dict[str, Any]] = {}
    read = 0
    for line, row in _rows(path, limits):
        read += 1
        if isinstance(row, str):
            rejected.append((line, row))
            continue
        if _EXTRA in row:
            rejected.append((line, row[_EXTRA]))
            continue
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
            "names": _names(row),
            "annotation": row.get("AnnotationEnglish") or None,
            "taxon_id": row.get("TaxonId") or None,
        }
        parsed.append(taxon)
        by_name[name] = taxon
    inherited = excluded = 0
    with atomic_write(output) as fh:
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
                note = "; ".join(str(x) for x in (note, nc_note, taxon["annotation"]) if x) or None
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
    agreement = merge.compare_taxa(list(refdata.load().taxa) if builtin is None else builtin,
                                     refdata.load_checklist(output))
    return ImportReport(rows=read, taxa=len(parsed), inherited=inherited, excluded_nc=excluded,
                        rejected=rejected, output=output, agreement=agreement)


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
