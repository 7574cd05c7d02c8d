"""The local lexicon: terms an analyst adds, versioned, used by the scan beside the built-in one.

The lexicon is a change log, one change (``add`` or ``remove``) per version with its author,
time and note; the current lexicon is the log replayed, and its version is the number of the
last change. Nothing is ever rewritten, so any earlier version can be listed again
(``replay(changes, version=N)``). The log lives in the store (``wildtrace.store.lexicon``, the
``lexicon_changes`` table), so a team on PostgreSQL shares it; this module holds the rules and
imports nothing of the store (``wildtrace.lexicons`` hands the stored terms to the scanner). The
JSON Lines log kept before (``settings.local_lexicon``) is imported into the store once, and left
untouched.

Kinds: ``code_word`` (a covert name for a wildlife product or taxon; with
``context_required`` it counts only beside other wildlife evidence),
``sale_cue``, ``depiction_cue``, ``innocent``.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson

from wildtrace.csvcell import safe_cell
from wildtrace.errors import ConfigError, DataError
from wildtrace.jsonlog import JsonLog
from wildtrace.scan.lexicon import Entry
from wildtrace.taxa.refdata import CodeWord
from wildtrace.text.normalize import accent_key, has_diacritics, normalize_term

KINDS = ("code_word", "sale_cue", "depiction_cue", "innocent")
SOURCE = "local lexicon"
#: What the scanner gets: lexicon entries, code words and a provenance stamp ({} when empty)
ForScan = tuple[list[Entry], dict[str, CodeWord], dict[str, str]]


@dataclass(frozen=True)
class LocalTerm:
    term: str
    kind: str
    lang: str
    means_product: str | None
    means_taxon: str | None
    context_required: bool
    author: str
    added_at: str
    version: int
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_change(event: Any, where: str) -> dict[str, Any]:
    """``event`` if it is a lexicon change (``op`` add or remove, a ``term``), else ``DataError``."""
    if not (isinstance(event, dict) and event.get("op") in ("add", "remove") and event.get("term")):
        raise DataError(f"{where} is not a lexicon change")
    return event


def read_file(log_path: Path) -> list[dict[str, Any]]:
    """The changes of a JSON Lines lexicon log (the format kept before the store held them)."""
    return [check_change(event, f"{log_path}: line {number}") for number, event in JsonLog(log_path).read()]


def replay(changes: Iterable[dict[str, Any]], version: int | None = None) -> tuple[int, list[LocalTerm]]:
    """The lexicon at its latest version (or at ``version``): (version, terms by term). A version
    the lexicon has not reached is a ``ConfigError`` (it silently showed the latest)."""
    changes = list(changes)
    latest = int(changes[-1]["version"]) if changes else 0
    if version is not None and not 0 <= version <= latest:
        raise ConfigError(f"the local lexicon has no version {version}; it is at v{latest}")
    current: dict[str, LocalTerm] = {}
    reached = 0
    for event in changes:
        if version is not None and int(event["version"]) > version:
            break
        reached = int(event["version"])
        key = normalize_term(event["term"])
        if event["op"] == "remove":
            current.pop(key, None)
        else:
            current[key] = LocalTerm(event["term"], event.get("kind") or "code_word", event.get("lang") or "und",
                                     event.get("means_product"), event.get("means_taxon"),
                                     bool(event.get("context_required", False)), event.get("author") or "unknown",
                                     event.get("at") or "", reached, event.get("note"))
    return reached, sorted(current.values(), key=lambda t: t.term.casefold())


def check_add(current: list[LocalTerm], term: str, kind: str) -> None:
    if kind not in KINDS:
        raise ConfigError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    if len(normalize_term(term)) < 2:
        raise ConfigError(f"term {term!r} is too short to match (under 2 characters after normalising)")
    if any(normalize_term(t.term) == normalize_term(term) for t in current):
        raise ConfigError(f"{term!r} is already in the local lexicon")


def check_remove(current: list[LocalTerm], term: str) -> None:
    if not any(normalize_term(t.term) == normalize_term(term) for t in current):
        raise ConfigError(f"{term!r} is not in the local lexicon")


def render(reached: int, current: list[LocalTerm], fmt: str = "csv") -> str:
    """The lexicon as CSV (the columns of ``data/codewords.csv`` plus kind) or JSON Lines."""
    if fmt == "jsonl":
        return "".join(orjson.dumps(t.to_dict()).decode() + "\n" for t in current)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["term", "lang", "means_product", "means_taxon", "context_required", "kind", "source",
                     "verified_on", "note"])
    for t in current:  # every cell through the formula guard: a term is an analyst's, a note may be pasted
        writer.writerow([safe_cell(x) for x in (
            t.term, t.lang, t.means_product or "", t.means_taxon or "", str(t.context_required).lower(), t.kind,
            f"{SOURCE} v{reached}, added by {t.author}", t.added_at[:10], t.note or "")])
    return buf.getvalue()


def digest(changes: Iterable[dict[str, Any]]) -> str:
    """A SHA-256 of the change log (each change as sorted-key JSON): changes with every change."""
    h = hashlib.sha256()
    for change in changes:
        h.update(orjson.dumps(change, option=orjson.OPT_SORT_KEYS) + b"\n")
    return h.hexdigest()


def scan_entries(changes: list[dict[str, Any]]) -> ForScan:
    """Lexicon entries and code words for the scanner, and a provenance stamp ({} when empty)."""
    version, current = replay(changes)
    if not current:
        return [], {}, {}
    entries: list[Entry] = []
    codes: dict[str, CodeWord] = {}
    source = f"{SOURCE} v{version}"
    for t in current:
        if t.kind == "code_word":
            entries.append(Entry("code_word", t.term, t.term, t.lang, context_required=t.context_required,
                                 accented=_accented(t.term), source=source))
            codes[t.term] = CodeWord(t.term, t.lang, t.means_product, t.means_taxon, t.context_required,
                                     f"{source}, added by {t.author} on {t.added_at[:10]}", t.added_at[:10], t.note)
        else:
            entries.append(Entry(t.kind, t.term, t.term, t.lang, accented=_accented(t.term), source=source))
    return entries, codes, {"local_lexicon": f"v{version} {digest(changes)[:12]}"}


def for_scan(log_path: Path) -> ForScan:
    """The scanner's share of a JSON Lines lexicon log (a core install without the store reads this)."""
    return scan_entries(read_file(log_path))


def _accented(term: str) -> str | None:
    return accent_key(term) if has_diacritics(term) else None
