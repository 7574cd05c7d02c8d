"""Analysts' labels: import, append-only storage in SQLite, and the conflict rule.

Labels live in the ``labels`` table of the scan database (``settings.db_path``).
Rows are only ever inserted: a new decision on a listing is a new row, and the
earlier ones stay. Importing the same file twice adds nothing (a row is unique
by listing, reviewer, time and label).

Conflict rule (``resolve``), per listing:

1. take each reviewer's latest label (by ``labelled_at``, then import order);
2. if they all agree, that is the label;
3. otherwise the label most reviewers gave wins; on a tie the more cautious
   label wins, in the order ``wildlife_offer`` > ``depiction_or_faux`` >
   ``not_wildlife`` (missing real trade costs more than one extra review).
   The listing is marked ``conflict`` and every label stays in the table.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from wildtrace.errors import DataError, InvalidRecord

LABELS = ("wildlife_offer", "depiction_or_faux", "not_wildlife")
#: Tie-break order of the conflict rule: earlier wins.
CAUTION = {name: rank for rank, name in enumerate(LABELS)}
_ALIASES = {"1": "wildlife_offer", "0": "not_wildlife", "true": "wildlife_offer", "false": "not_wildlife"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS labels (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    listing_id TEXT NOT NULL,
    label TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    note TEXT,
    labelled_at TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    source TEXT NOT NULL,
    source_sha256 TEXT NOT NULL,
    UNIQUE (listing_id, reviewer, labelled_at, label)
);
CREATE INDEX IF NOT EXISTS labels_listing ON labels (listing_id);
"""


@dataclass(frozen=True, slots=True)
class Label:
    listing_id: str
    label: str
    reviewer: str
    labelled_at: str
    note: str | None = None

    @property
    def positive(self) -> bool:
        return self.label == "wildlife_offer"


@dataclass(frozen=True, slots=True)
class LabelReject:
    line: int
    reason: str
    listing_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "id": self.listing_id, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Resolved:
    """The label a listing gets after the conflict rule."""

    listing_id: str
    label: str
    conflict: bool
    votes: dict[str, str]  # reviewer -> that reviewer's latest label

    @property
    def positive(self) -> bool:
        return self.label == "wildlife_offer"


@dataclass
class ImportReport:
    read: int = 0
    added: int = 0
    duplicates: int = 0
    rejects: list[LabelReject] = field(default_factory=list)


def parse_label(value: Any) -> str:
    """1/0 (or true/false) or a label name -> the label name; raises ``InvalidRecord``."""
    if isinstance(value, bool):
        value = int(value)
    text = str(value).strip().casefold() if value is not None else ""
    if text in LABELS:
        return text
    if text in _ALIASES:
        return _ALIASES[text]
    raise InvalidRecord(f"label {value!r} is not 1, 0 or one of {', '.join(LABELS)}")


def read_label_file(path: Path, *, default_time: str) -> Iterator[tuple[int, Label | LabelReject]]:
    """(line, row) of a CSV or JSONL label file (``id, label, reviewer, note, labelled_at``)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read labels {path}: {exc}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: labels must be UTF-8 text ({exc})") from exc
    is_jsonl = path.suffix.lower() in (".jsonl", ".ndjson", ".json") or text.lstrip().startswith("{")
    records: Iterable[tuple[int, dict[str, Any] | str]]
    if is_jsonl:
        records = _jsonl(text)
    else:
        reader = csv.DictReader(io.StringIO(text))
        if reader.fieldnames is None or not {"id", "label"} <= {f.strip() for f in reader.fieldnames}:
            raise DataError(f"{path}: a label CSV needs the columns id and label (found {reader.fieldnames})")
        records = ((reader.line_num, {k.strip(): v for k, v in row.items() if k}) for row in reader)
    for line, record in records:
        if isinstance(record, str):
            yield line, LabelReject(line, record)
            continue
        raw_id = record.get("id")
        listing_id = str(raw_id).strip() if raw_id not in (None, "") else ""
        if not listing_id:
            yield line, LabelReject(line, "missing id")
            continue
        try:
            label = parse_label(record.get("label"))
        except InvalidRecord as exc:
            yield line, LabelReject(line, exc.reason, listing_id)
            continue
        when = str(record.get("labelled_at") or "").strip() or default_time
        reviewer = str(record.get("reviewer") or "").strip() or "unknown"
        note = record.get("note")
        yield line, Label(listing_id, label, reviewer, when, str(note) if note not in (None, "") else None)


def _jsonl(text: str) -> Iterator[tuple[int, dict[str, Any] | str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield number, f"not valid JSON: {exc}"
            continue
        yield number, value if isinstance(value, dict) else "not a JSON object"


class LabelStore:
    """The ``labels`` table. Append-only: nothing here updates or deletes a row."""

    def __init__(self, path: Path):
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.executescript(_SCHEMA)
        except (OSError, sqlite3.DatabaseError) as exc:
            raise DataError(f"cannot open database {path}: {exc}") from exc

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> LabelStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def known_listing_ids(self) -> set[str] | None:
        """Ids in the scan store's ``listings`` table; None when it has none."""
        try:
            ids = {row[0] for row in self.db.execute("SELECT DISTINCT listing_id FROM listings")}
        except sqlite3.OperationalError:  # no scan has been saved to this database
            return None
        return ids or None

    def import_file(self, path: Path, *, known_ids: set[str] | None) -> ImportReport:
        """Append the labels of a file. Unknown ids (when ``known_ids`` is given) are rejected."""
        now = _now()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        report = ImportReport()
        rows = []
        for line, item in read_label_file(path, default_time=now):
            report.read += 1
            if isinstance(item, LabelReject):
                report.rejects.append(item)
                continue
            if known_ids is not None and item.listing_id not in known_ids:
                report.rejects.append(LabelReject(line, "unknown listing id", item.listing_id))
                continue
            rows.append((item.listing_id, item.label, item.reviewer, item.note, item.labelled_at, now,
                         str(path), digest))
        with self.db:
            before = self.db.total_changes
            self.db.executemany(
                "INSERT OR IGNORE INTO labels (listing_id, label, reviewer, note, labelled_at, imported_at, "
                "source, source_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            report.added = self.db.total_changes - before
        report.duplicates = len(rows) - report.added
        return report

    def add(self, labels: Iterable[Label], source: str = "api") -> int:
        now = _now()
        with self.db:
            before = self.db.total_changes
            self.db.executemany(
                "INSERT OR IGNORE INTO labels (listing_id, label, reviewer, note, labelled_at, imported_at, "
                "source, source_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, '')",
                [(x.listing_id, x.label, x.reviewer, x.note, x.labelled_at, now, source) for x in labels])
            return int(self.db.total_changes - before)

    def all(self) -> list[Label]:
        """Every label ever stored, in import order."""
        return [Label(i, lab, rev, at, note) for i, lab, rev, at, note in self.db.execute(
            "SELECT listing_id, label, reviewer, labelled_at, note FROM labels ORDER BY seq")]

    def resolved(self) -> dict[str, Resolved]:
        return resolve(self.all())


def resolve(labels: Iterable[Label]) -> dict[str, Resolved]:
    """Apply the conflict rule (module docstring) to labels given in import order."""
    latest: dict[str, dict[str, tuple[str, int, str]]] = {}
    for seq, x in enumerate(labels):
        votes = latest.setdefault(x.listing_id, {})
        prev = votes.get(x.reviewer)
        if prev is None or (x.labelled_at, seq) >= (prev[0], prev[1]):
            votes[x.reviewer] = (x.labelled_at, seq, x.label)
    out: dict[str, Resolved] = {}
    for listing_id, votes in latest.items():
        by_reviewer = {r: v[2] for r, v in votes.items()}
        tally = Counter(by_reviewer.values())
        top = max(tally.values())
        winner = min((lab for lab, c in tally.items() if c == top), key=lambda lab: CAUTION[lab])
        out[listing_id] = Resolved(listing_id, winner, len(tally) > 1, by_reviewer)
    return out


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
