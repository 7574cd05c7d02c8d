"""Term lists: the search-term lists platforms and NGOs exchange, read into the local lexicon
and written out of it (``wildtrace lexicon import`` and ``lexicon export --format terms``).

A term list is a CSV of ``term, language, taxon, product, note`` (reading it: ``scan.termcsv``,
whose ``read_term_list`` is re-exported here). WildTrace writes three more columns, ``kind``,
``context_required`` and ``source``, so that an export re-imports to the same lexicon.

``import_terms`` checks each row, then adds the rows that pass to the local lexicon in one
transaction (``LocalLexicon.add_many`` of ``store.lexicon``, one version per term). A row whose
taxon, product or language resolves to nothing, whose term is empty, too long or holds a control
character, or whose term is already in the built-in lexicon, the local one or an earlier row is a
``Reject`` with its line and reason; one bad row never stops the rest, and a dry run checks all
the same and writes nothing.
``export_terms`` writes the local lexicon (and, given the reference data, the built-in taxon
names, product words and code words) in the same shape, every cell through the one formula guard
(``csvcell.safe_cell``).

Terms come from hostile sources: they are data, never run, and each is checked for length and
control characters before it is stored. What a term means is checked the way the rest of the code
checks it: taxa by ``taxa.resolve.NameIndex`` (accepted names, synonyms, common and trade names,
exact only), products by their type or a word of one product type, duplicates by
``normalize_term`` (the lexicon's match form).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from wildtrace.errors import ConfigError
from wildtrace.rejects import Reject
from wildtrace.scan import locallex
from wildtrace.scan.locallex import KINDS, LocalTerm
from wildtrace.scan.termcsv import (
    COLUMNS,
    OWN_COLUMNS,
    TermList,
    TermRow,
    guard,
    parse_term_list,
    preview,
    read_term_list,
)
from wildtrace.taxa import refdata
from wildtrace.taxa.refdata import ReferenceData
from wildtrace.taxa.resolve import NameIndex
from wildtrace.text.normalize import normalize_term

#: Most characters per cell; a longer cell is refused (a term is a phrase, not a page)
LIMITS = {"term": 100, "language": 20, "taxon": 200, "product": 100, "note": 1000, "kind": 20,
          "context_required": 10}
#: The project's languages (``refdata.LANGS``), and ``und`` for a term of any language
LANGUAGES = (*refdata.LANGS, "und")
_LANG_ALIASES = {
    "": "und", "any": "und", "zh-hans": "zh_hans", "zh-cn": "zh_hans", "zh-sg": "zh_hans",
    "zh-hant": "zh_hant", "zh-tw": "zh_hant", "zh-hk": "zh_hant", "zh-mo": "zh_hant", "eng": "en",
    "fra": "fr", "fre": "fr", "spa": "es", "por": "pt", "vie": "vi", "tha": "th", "ind": "id",
    "in": "id", "msa": "ms", "may": "ms", "zsm": "ms",
}
_TRUE, _FALSE = ("true", "1", "yes", "y"), ("false", "0", "no", "n", "")
#: Characters no cell may hold: C0/C1 controls, format characters (bidi overrides, zero-width
#: space), private-use and surrogates; a note may hold line breaks and tabs. ZWJ and ZWNJ stay
#: (emoji sequences, scripts that join letters).
_ALLOWED_FORMAT = frozenset("\u200c\u200d")
_NOTE_SPACE = frozenset("\n\r\t")

__all__ = ["ImportReport", "Imported", "Snapshot", "TermLexicon", "TermList", "TermRow",
           "builtin_index", "export_rows", "export_terms", "import_file",
           "import_terms", "language", "parse_term_list", "read_term_list"]


@dataclass(frozen=True)
class Imported:
    """A row that was added (``version``) or, on a dry run, would be (``version`` None)."""

    line: int
    term: str
    kind: str
    lang: str
    means_taxon: str | None
    means_product: str | None
    version: int | None
    resolved: tuple[str, ...] = ()  # how the taxon or product was read, where not as written


@dataclass
class ImportReport:
    """What an import did: every row read ends in ``imported`` or in ``rejects``."""

    read: int = 0
    imported: list[Imported] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    extra_columns: tuple[str, ...] = ()
    dry_run: bool = False
    version: int = 0  # the lexicon's version after the import (on a dry run: as it is)

    def to_dict(self) -> dict[str, Any]:
        return {"read": self.read, "imported": [asdict(i) for i in self.imported],
                "rejects": [r.to_dict() for r in sorted(self.rejects, key=lambda r: r.line)],
                "extra_columns": list(self.extra_columns), "dry_run": self.dry_run,
                "version": self.version}


class TermLexicon(Protocol):
    """What an import needs of a lexicon: ``store.lexicon.LocalLexicon`` (or a ``Snapshot``)."""

    def terms(self, version: int | None = None) -> tuple[int, list[LocalTerm]]: ...

    def add_many(self, adds: Sequence[dict[str, Any]]) -> list[int | str]: ...


@dataclass
class Snapshot:
    """Terms held in memory, for a dry run that must not open (and so create) a database."""

    current: list[LocalTerm] = field(default_factory=list)
    version: int = 0

    def terms(self, version: int | None = None) -> tuple[int, list[LocalTerm]]:
        return self.version, list(self.current)

    def add_many(self, adds: Sequence[dict[str, Any]]) -> list[int | str]:
        raise ConfigError("a snapshot of the lexicon is read-only (use it for a dry run)")


# --- checking and importing ------------------------------------------------------------------

@dataclass(frozen=True)
class _Checked:
    kind: str
    lang: str
    taxon: str | None
    product: str | None
    context_required: bool
    resolved: tuple[str, ...]


class _Resolver:
    """The reference data's answers for one import: taxa, products, built-in surface forms."""

    def __init__(self, ref: ReferenceData):
        self.names = NameIndex(ref)
        self.products = {normalize_term(p.product_type): p.product_type for p in ref.products}
        by_word: dict[str, set[str]] = {}
        for p in ref.products:
            for words in p.words.values():
                for w in words:
                    by_word.setdefault(normalize_term(w), set()).add(p.product_type)
        self.product_words = by_word
        self.builtin = builtin_index(ref)

    def taxon(self, value: str) -> tuple[str | None, str]:
        """(scientific name, how it was read) or (None, why not)."""
        match = self.names.resolve(value)
        if match.taxon is not None:
            how = "" if match.taxon.scientific_name == value else (
                f"taxon {value!r} read as {match.taxon.scientific_name} ({match.via})")
            return match.taxon.scientific_name, how
        if match.candidates and match.via.startswith("ambiguous"):
            return None, f"taxon {value!r} is ambiguous: it names {', '.join(match.candidates)}"
        close = f" (close: {', '.join(match.candidates)})" if match.candidates else ""
        return None, f"taxon {value!r} is not in the reference data{close}"

    def product(self, value: str) -> tuple[str | None, str]:
        key = normalize_term(value)
        if key in self.products:
            found = self.products[key]
            return found, "" if found == value else f"product {value!r} read as {found!r}"
        types = self.product_words.get(key, set())
        if len(types) == 1:
            (found,) = types
            return found, f"product {value!r} read as {found!r} (a word of that product type)"
        if types:
            return None, f"product {value!r} is ambiguous: a word of {', '.join(sorted(types))}"
        return None, (f"product {value!r} is not a known product type (one of: "
                      f"{', '.join(sorted(self.products.values()))})")


def builtin_index(ref: ReferenceData) -> dict[str, str]:
    """Each built-in surface form's match key -> what it is ("a name of Manis javanica"): the
    forms ``scan.lexicon.Lexicon`` matches (taxon names, synonyms, trade names, product words,
    code words and cues)."""
    out: dict[str, str] = {}

    def put(surface: str, what: str) -> None:
        key = normalize_term(surface)
        if len(key) >= 2:
            out.setdefault(key, what)

    for t in ref.taxa:
        for name in (t.scientific_name, *t.synonyms):
            put(name, f"a scientific name ({t.scientific_name})")
        for names in (*t.names.values(), *t.trade_names.values()):
            for n in names:
                put(n, f"a name of {t.scientific_name}")
    for p in ref.products:
        for words in p.words.values():
            for w in words:
                put(w, f"a word of the product type {p.product_type!r}")
    for cw in ref.codewords:
        put(cw.term, "a built-in code word")
    for cue in ref.cues:
        put(cue.term, f"a built-in {cue.cue} cue")
    return out


def _bad_characters(value: str, column: str) -> str:
    for c in value:
        cat = unicodedata.category(c)
        if column == "note" and c in _NOTE_SPACE:
            continue
        if cat in ("Cc", "Cs", "Co", "Zl", "Zp") or (cat == "Cf" and c not in _ALLOWED_FORMAT):
            return (f"{column} holds a control character (U+{ord(c):04X}); "
                    "a term list holds plain text")
    return ""


def language(value: str) -> str | None:
    """The project's code for a language as term lists write it (``vi``, ``zh-Hans``, ``vie``),
    or None."""
    key = value.strip().casefold().replace("_", "-")
    code = _LANG_ALIASES.get(key, key.replace("-", "_"))
    return code if code in LANGUAGES else None


#: why a code word with neither a taxon nor a product is refused
NOTHING = "resolves to nothing: a code word needs a taxon or a product (a search word alone is not one)"


def _check_row(row: TermRow, resolver: _Resolver) -> _Checked | str:
    """The row's meaning, resolved; or why it resolves to nothing (one reason, the first found)."""
    if not row.term:
        return "empty term"
    for column, limit in LIMITS.items():
        value = getattr(row, column)
        if problem := _bad_characters(value, column):
            return problem
        if len(value) > limit:
            return f"{column} is over {limit} characters ({len(value):,})"
    lang = language(row.language)
    if lang is None:
        hint = " (say zh_hans or zh_hant)" if row.language.strip().casefold() == "zh" else ""
        return (f"language {row.language!r} is not one of the project's: "
                f"{', '.join(LANGUAGES)}{hint}")
    kind = row.kind.strip().casefold() or "code_word"
    if kind not in KINDS:
        return f"kind {row.kind!r} is not one of {', '.join(KINDS)}"
    flag = row.context_required.strip().casefold()
    if flag not in _TRUE + _FALSE:
        return f"context_required {row.context_required!r} is not true or false"
    resolved: list[str] = []
    taxon = product = None
    if row.taxon:
        taxon, how = resolver.taxon(row.taxon)
        if taxon is None:
            return how
        resolved += [how] if how else []
    if row.product:
        product, how = resolver.product(row.product)
        if product is None:
            return how
        resolved += [how] if how else []
    return _Checked(kind, lang, taxon, product, flag in _TRUE, tuple(resolved))


def import_terms(lexicon: TermLexicon, rows: Iterable[TermRow], author: str = "unknown",
                 dry_run: bool = False, *, ref: ReferenceData | None = None,
                 unread: Sequence[Reject] = ()) -> ImportReport:
    """Add each row's term to ``lexicon`` (one version each) or reject it with its line and why;
    ``dry_run`` checks all the same and writes nothing. ``ref``: the reference data the terms are
    checked against (default: the built-in data); ``unread``: the rows ``read_term_list`` could
    not read, counted and reported with the rest."""
    resolver = _Resolver(ref if ref is not None else refdata.load())
    version, current = lexicon.terms()
    local = {normalize_term(t.term): t.term for t in current}
    report = ImportReport(dry_run=dry_run, version=version,
                          extra_columns=rows.extra_columns if isinstance(rows, TermList) else ())
    report.read, report.rejects = len(unread), list(unread)
    seen: dict[str, int] = {}
    accepted: list[tuple[TermRow, _Checked]] = []
    for row in rows:
        report.read += 1
        checked = _check_row(row, resolver)
        if isinstance(checked, str):
            report.rejects.append(_reject(row, checked))
            continue
        key = normalize_term(row.term)
        problem = _duplicate(key, seen, local, resolver.builtin)
        if not problem:
            try:
                locallex.check_add([], row.term, checked.kind)
            except ConfigError as exc:
                problem = str(exc)
        if not problem and checked.kind == "code_word" and checked.taxon is None and checked.product is None:
            # a code word that names neither a taxon nor a product would make any listing that uses it a
            # wildlife offer with no species and no product: a plain search word, not a code word
            problem = NOTHING
        if problem:
            report.rejects.append(_reject(row, problem))
            continue
        seen[key] = row.line
        accepted.append((row, checked))
    versions: list[int | str | None] = [None] * len(accepted)
    if not dry_run and accepted:  # one transaction: the lexicon is read once, not once per term
        versions = list(lexicon.add_many([
            {"term": row.term, "kind": c.kind, "lang": c.lang, "means_product": c.product,
             "means_taxon": c.taxon, "context_required": c.context_required, "author": author,
             "note": row.note or None} for row, c in accepted]))
    for (row, c), added in zip(accepted, versions, strict=True):
        if isinstance(added, str):  # a writer beside us added it first: this row alone
            report.rejects.append(_reject(row, added))
            continue
        if added is not None:
            report.version = added
        report.imported.append(Imported(row.line, row.term, c.kind, c.lang, c.taxon, c.product,
                                        added, c.resolved))
    report.rejects.sort(key=lambda r: r.line)
    return report


def import_file(lexicon: TermLexicon, path: Path, author: str = "unknown", dry_run: bool = False,
                *, ref: ReferenceData | None = None) -> ImportReport:
    """``read_term_list`` then ``import_terms``: one report, the rows neither could use by line."""
    rows, unread = read_term_list(path)
    return import_terms(lexicon, rows, author, dry_run, ref=ref, unread=unread)


def _duplicate(key: str, seen: dict[str, int], local: dict[str, str],
               builtin: dict[str, str]) -> str:
    if key in seen:
        return f"duplicate: the same term as line {seen[key]} (skipped)"
    if key in local:
        return f"duplicate: {local[key]!r} is already in the local lexicon (skipped)"
    if key in builtin:
        return f"duplicate: already in the built-in lexicon as {builtin[key]} (skipped)"
    return ""


def _reject(row: TermRow, reason: str) -> Reject:
    return Reject(row.line, reason, record_id=preview(row.term, 60) or None,
                  preview=preview(row.term))


# --- exporting -------------------------------------------------------------------------------

def export_rows(local: Iterable[LocalTerm], *,
                ref: ReferenceData | None = None) -> Iterator[list[str]]:
    """The term list's rows (``COLUMNS`` + ``OWN_COLUMNS``), unguarded: the built-in taxon names,
    product words and code words first where ``ref`` is given, then the local lexicon's terms."""
    if ref is not None:
        yield from _builtin_rows(ref)
    for lt in local:
        yield [lt.term, lt.lang, lt.means_taxon or "", lt.means_product or "", lt.note or "",
               lt.kind, str(lt.context_required).lower(),
               f"{locallex.SOURCE} v{lt.version}, added by {lt.author} on {lt.added_at[:10]}"]


def _builtin_rows(ref: ReferenceData) -> Iterator[list[str]]:
    for t in ref.taxa:
        for name in (t.scientific_name, *t.synonyms):
            yield [name, "und", t.scientific_name, "", "", "", "false", "built-in scientific name"]
        for table, what in ((t.names, "common name"), (t.trade_names, "trade name")):
            for lang, names in table.items():
                for n in names:
                    vague = n.casefold() in t.ambiguous_names
                    note = "ambiguous: needs context" if vague else ""
                    yield [n, lang, t.scientific_name, "", note, "", str(vague).lower(),
                           f"built-in {what}"]
    for p in ref.products:
        for lang, words in p.words.items():
            for w in words:
                yield [w, lang, "", p.product_type, "", "", "false", "built-in product word"]
    for cw in ref.codewords:
        yield [cw.term, cw.lang, cw.means_taxon or "", cw.means_product or "", cw.note or "",
               "code_word", str(cw.context_required).lower(), f"built-in code word: {cw.source}"]


def export_terms(local: Iterable[LocalTerm], *, ref: ReferenceData | None = None) -> str:
    """The term list as CSV text (see ``export_rows``), every cell through the formula guard; it
    re-imports to the same local lexicon (built-in rows come back as duplicates, skipped)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*COLUMNS, *OWN_COLUMNS])
    for row in export_rows(local, ref=ref):
        writer.writerow([guard(cell) for cell in row])
    return buf.getvalue()
