"""Reading a Species+ export file: a CSV as downloaded (``.csv``, ``.csv.gz`` or the one CSV in a
``.zip``; UTF-8, UTF-7 or Latin-1; headers matched case- and punctuation-insensitively) or pages of
the Species+ API's ``taxon_concepts`` JSON, streamed under size limits, as rows in the CSV export's
columns. What the rows mean is ``checklist.py``'s business."""

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

from wildtrace.errors import DataError

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
    "annotationenglish": "AnnotationEnglish", "fullannotationenglish": "FullAnnotationEnglish",
    "alldistributionisocodes": "All_DistributionISOCodes",
    "alldistributionfullnames": "All_DistributionFullNames",
    "nativedistributionfullnames": "NativeDistributionFullNames",
    "introduceddistribution": "Introduced_Distribution",
    "introduceddistributionuncertain": "Introduced(?)_Distribution",
    "reintroduceddistribution": "Reintroduced_Distribution",
    "extinctdistribution": "Extinct_Distribution",
    "extinctdistributionuncertain": "Extinct(?)_Distribution",
    "distributionuncertain": "Distribution_Uncertain",
}
EXTRA = "\0extra"  # a row with more cells than the header: rejected with this reason
# A UTF-7 shift sequence ("+AF8-" is "_"): some spreadsheets save CSV as UTF-7.
_UTF7_SHIFT = re.compile(rb"\+[A-Za-z0-9/+]{2,}-")

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
    if "(?)" in name:  # "Introduced(?)_Distribution": the uncertain kind, not the certain one
        key += "uncertain"
    return _ALIASES.get(key, name.strip())


def rows(path: Path, limits: ImportLimits) -> Iterator[tuple[int, dict[str, str] | str]]:
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
    try:
        header = [_column(h) for h in next(reader, [])]
    except csv.Error as exc:
        raise DataError(f"{path.name}: the first line is not a Species+ export header ({exc})") from exc
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
            row[EXTRA] = f"{len(cells)} cells where the header has {len(header)} (a comma outside quotes?)"
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
        return {EXTRA: f"a taxon concept that is a {type(concept).__name__}, not an object"}
    if concept.get("active") is False:
        return {EXTRA: f"inactive taxon concept {concept.get('full_name')!r}"}
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
