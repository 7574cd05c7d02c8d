"""The local lexicon in the store: the ``lexicon_changes`` table, one row per version.

Version N is the Nth change (``add`` or ``remove``); a change is checked against the lexicon
and numbered in one transaction, so two analysts adding at once get versions N and N+1, never
the same one. The rules (what a change may be, replaying changes into terms, what the scanner
gets) are ``wildtrace.scan.locallex``. A ``local_lexicon.jsonl`` from before revision 0005 is
imported once (its changes appended in order, renumbered after any already stored; a change
already stored is skipped) and left as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from wildtrace import clock
from wildtrace.errors import ConfigError
from wildtrace.scan import locallex
from wildtrace.scan.locallex import ForScan, LocalTerm
from wildtrace.settings import Settings
from wildtrace.store import db
from wildtrace.store.legacy import Convert, import_once
from wildtrace.store.schema import lexicon_changes as table
from wildtrace.store.sql import InDatabase
from wildtrace.text.normalize import normalize_term

COLUMNS = ("version", "op", "term", "kind", "lang", "means_product", "means_taxon", "context_required",
           "author", "at", "note")


def _changes(conn: sa.Connection) -> list[dict[str, Any]]:
    rows = conn.execute(sa.select(*[table.c[c] for c in COLUMNS]).order_by(table.c.version))
    return [dict(zip(COLUMNS, r, strict=True)) for r in rows]


def _lock(conn: sa.Connection) -> None:
    """PostgreSQL: one writer of the change log at a time (SQLite has one writer anyway)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("LOCK TABLE lexicon_changes IN SHARE ROW EXCLUSIVE MODE"))


def _row(event: dict[str, Any], version: int) -> dict[str, Any]:
    return {"version": version, "op": event["op"], "term": event["term"], "kind": event.get("kind"),
            "lang": event.get("lang"), "means_product": event.get("means_product"),
            "means_taxon": event.get("means_taxon"), "context_required": bool(event.get("context_required")),
            "author": event.get("author") or "unknown", "at": event.get("at") or clock.stamp(),
            "note": event.get("note")}


def _import(path: Path) -> Convert:
    def convert(conn: sa.Connection, records: list[tuple[int, dict[str, Any]]]) -> int:
        _lock(conn)
        stored = _changes(conn)
        seen = {(c["op"], c["term"], c["author"], c["at"]) for c in stored}
        version = stored[-1]["version"] if stored else 0
        added = 0
        for number, record in records:
            event = locallex.check_change(record, f"{path}: line {number}")
            row = _row(event, version + 1)
            if (row["op"], row["term"], row["author"], row["at"]) in seen:
                continue
            conn.execute(table.insert().values(**row))
            version, added = version + 1, added + 1
        return added
    return convert


class LocalLexicon(InDatabase):
    """The local lexicon in the database ``db`` (an engine, a SQLite path or a PostgreSQL URL);
    ``legacy``: a ``local_lexicon.jsonl`` to import once."""

    def __init__(self, db: sa.Engine | str | Path, *, legacy: Path | None = None):
        super().__init__(db)
        if legacy is not None:
            import_once(self.engine, "lexicon", legacy, _import(legacy))

    @classmethod
    def for_settings(cls, settings: Settings, db: str | None = None) -> LocalLexicon:
        """The lexicon in ``db`` (else ``settings.db_target``), importing ``settings.local_lexicon``."""
        return cls(db or settings.db_target, legacy=settings.local_lexicon)

    def changes(self) -> list[dict[str, Any]]:
        """Every change, oldest (version 1) first."""
        with self.engine.connect() as conn:
            return _changes(conn)

    def terms(self, version: int | None = None) -> tuple[int, list[LocalTerm]]:
        """(version, terms) at the latest version or at ``version``."""
        return locallex.replay(self.changes(), version)

    def _append(self, event: dict[str, Any], check: Callable[[list[LocalTerm]], None]) -> int:
        def work(conn: sa.Connection) -> int:
            _lock(conn)
            changes = _changes(conn)
            check(locallex.replay(changes)[1])
            version = (changes[-1]["version"] if changes else 0) + 1
            conn.execute(table.insert().values(**_row({**event, "at": clock.stamp()}, version)))
            return version
        return db.write(self.engine, work)

    def add(self, term: str, *, kind: str = "code_word", lang: str = "und", means_product: str | None = None,
            means_taxon: str | None = None, context_required: bool = False, author: str = "unknown",
            note: str | None = None) -> int:
        """Add a term; returns the new lexicon version."""
        locallex.check_add([], term, kind)
        event = {"op": "add", "term": term, "kind": kind, "lang": lang, "means_product": means_product,
                 "means_taxon": means_taxon, "context_required": context_required, "author": author, "note": note}
        return self._append(event, lambda current: locallex.check_add(current, term, kind))

    def add_many(self, adds: Sequence[dict[str, Any]]) -> list[int | str]:
        """Add many terms in one transaction, one version each (a term list's import): per add,
        its new version, or why it was refused (``check_add``: already in the lexicon, a bad
        kind, too short); one refused term never stops the rest. Each add holds the keyword
        arguments of ``add`` and ``term``. The lexicon is read once, so 20,000 terms take
        seconds where 20,000 calls of ``add`` re-read the growing log each time."""
        def work(conn: sa.Connection) -> list[int | str]:
            _lock(conn)
            changes = _changes(conn)
            taken = {normalize_term(t.term) for t in locallex.replay(changes)[1]}
            version, stamp = (changes[-1]["version"] if changes else 0), clock.stamp()
            out: list[int | str] = []
            for add in adds:
                event = {"kind": "code_word", "lang": "und", "context_required": False, **add,
                         "op": "add"}
                key = normalize_term(event["term"])
                try:
                    locallex.check_add([], event["term"], event["kind"])
                    if key in taken:
                        raise ConfigError(f"{event['term']!r} is already in the local lexicon")
                except ConfigError as exc:
                    out.append(str(exc))
                    continue
                version += 1
                conn.execute(table.insert().values(**_row({**event, "at": stamp}, version)))
                taken.add(key)
                out.append(version)
            return out
        return db.write(self.engine, work)

    def remove(self, term: str, *, author: str = "unknown", note: str | None = None) -> int:
        """Remove a term; returns the new lexicon version (the history keeps the term)."""
        event = {"op": "remove", "term": term, "author": author, "note": note}
        return self._append(event, lambda current: locallex.check_remove(current, term))

    def export(self, fmt: str = "csv", version: int | None = None) -> str:
        """The lexicon as CSV (the columns of ``data/codewords.csv`` plus kind) or JSON Lines."""
        return locallex.render(*self.terms(version), fmt)

    def for_scan(self) -> ForScan:
        """Entries and code words for the scanner, stamped ``v<version> <sha of the log>``."""
        return locallex.scan_entries(self.changes())
