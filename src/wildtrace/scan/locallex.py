"""The local lexicon: terms an analyst adds, versioned, used by the scan beside the built-in one.

Stored in ``settings.local_lexicon`` (``DATA_DIR/local_lexicon.jsonl``): an append-only log
(``wildtrace.jsonlog``),
one change per line (``add`` or ``remove``) with its version number, author,
time and note. The current lexicon is the log replayed; its version is the
number of the last change. Nothing is ever rewritten, so any earlier version
can be listed again (``terms(version=N)``).

Kinds: ``code_word`` (a covert name for a wildlife product or taxon; with
``context_required`` it counts only beside other wildlife evidence),
``sale_cue``, ``depiction_cue``, ``innocent``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import orjson

from wildtrace.errors import ConfigError, DataError
from wildtrace.jsonlog import JsonLog
from wildtrace.scan.lexicon import Entry
from wildtrace.scan.normalize import accent_key, has_diacritics, normalize_term
from wildtrace.scan.refdata import CodeWord

KINDS = ("code_word", "sale_cue", "depiction_cue", "innocent")
SOURCE = "local lexicon"


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


def _log(log_path: Path) -> list[dict[str, Any]]:
    out = []
    for number, event in JsonLog(log_path).read():
        if not (isinstance(event, dict) and event.get("op") in ("add", "remove") and event.get("term")):
            raise DataError(f"{log_path}: line {number} is not a lexicon change")
        out.append(event)
    return out


def terms(log_path: Path, version: int | None = None) -> tuple[int, list[LocalTerm]]:
    """The lexicon at its latest version (or at ``version``): (version, terms by term)."""
    current: dict[str, LocalTerm] = {}
    reached = 0
    for event in _log(log_path):
        if version is not None and int(event["version"]) > version:
            break
        reached = int(event["version"])
        key = normalize_term(event["term"])
        if event["op"] == "remove":
            current.pop(key, None)
        else:
            current[key] = LocalTerm(event["term"], event.get("kind", "code_word"), event.get("lang", "und"),
                                     event.get("means_product"), event.get("means_taxon"),
                                     bool(event.get("context_required", False)), event.get("author", "unknown"),
                                     event.get("at", ""), reached, event.get("note"))
    return reached, sorted(current.values(), key=lambda t: t.term.casefold())


def _append(log_path: Path, event: dict[str, Any]) -> int:
    log = JsonLog(log_path)
    with log.locked():  # the version is the number of changes: read and append under one lock
        version = len(_log(log_path)) + 1
        log.append([{"version": version, **event,
                     "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")}])
    return version


def add(log_path: Path, term: str, *, kind: str = "code_word", lang: str = "und",
        means_product: str | None = None, means_taxon: str | None = None, context_required: bool = False,
        author: str = "unknown", note: str | None = None) -> int:
    """Add a term; returns the new lexicon version."""
    if kind not in KINDS:
        raise ConfigError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    if len(normalize_term(term)) < 2:
        raise ConfigError(f"term {term!r} is too short to match (under 2 characters after normalising)")
    _, current = terms(log_path)
    if any(normalize_term(t.term) == normalize_term(term) for t in current):
        raise ConfigError(f"{term!r} is already in the local lexicon")
    return _append(log_path, {"op": "add", "term": term, "kind": kind, "lang": lang,
                              "means_product": means_product, "means_taxon": means_taxon,
                              "context_required": context_required, "author": author, "note": note})


def remove(log_path: Path, term: str, *, author: str = "unknown", note: str | None = None) -> int:
    _, current = terms(log_path)
    if not any(normalize_term(t.term) == normalize_term(term) for t in current):
        raise ConfigError(f"{term!r} is not in the local lexicon")
    return _append(log_path, {"op": "remove", "term": term, "author": author, "note": note})


def export(log_path: Path, fmt: str = "csv", version: int | None = None) -> str:
    """The lexicon as CSV (the columns of ``data/codewords.csv`` plus kind) or JSON Lines."""
    reached, current = terms(log_path, version)
    if fmt == "jsonl":
        return "".join(orjson.dumps(t.to_dict()).decode() + "\n" for t in current)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["term", "lang", "means_product", "means_taxon", "context_required", "kind", "source",
                     "verified_on", "note"])
    for t in current:
        writer.writerow([t.term, t.lang, t.means_product or "", t.means_taxon or "",
                         str(t.context_required).lower(), t.kind, f"{SOURCE} v{reached}, added by {t.author}",
                         t.added_at[:10], t.note or ""])
    return buf.getvalue()


def for_scan(log_path: Path) -> tuple[list[Entry], dict[str, CodeWord], dict[str, str]]:
    """Lexicon entries and code words for the scanner, and a provenance stamp ({} when empty)."""
    version, current = terms(log_path)
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
            kind = "innocent" if t.kind == "innocent" else t.kind
            entries.append(Entry(kind, t.term, t.term, t.lang, accented=_accented(t.term), source=source))
    digest = hashlib.sha256(log_path.read_bytes()).hexdigest()[:12]
    return entries, codes, {"local_lexicon": f"v{version} {digest}"}


def _accented(term: str) -> str | None:
    return accent_key(term) if has_diacritics(term) else None
