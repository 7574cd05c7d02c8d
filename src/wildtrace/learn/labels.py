"""Analysts' labels for training: label files, their import, and the conflict rule.

Labels are stored in the store's one ``labels`` table (``wildtrace.store.labels``), beside
the labels given in the workbench, so both reach ``wildtrace train``. Rows are only ever
inserted: a new decision on a listing is a new row, and the earlier ones stay. Importing
the same file twice adds nothing (a row is unique by listing, reviewer, time and label).

Conflict rule (``resolve``), per listing:

1. take each reviewer's latest label (by ``labelled_at``, then import order);
2. if they all agree, that is the label;
3. otherwise the label most reviewers gave wins; on a tie the more cautious
   label wins, in the order ``wildlife_offer`` > ``depiction_or_faux`` >
   ``not_wildlife`` (missing real trade costs more than one extra review).
   The listing is marked ``conflict`` and every label stays in the table.

A reviewer whose latest label is ``unsure`` (a workbench label) casts no vote.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from wildtrace import clock
from wildtrace.errors import DataError, InvalidRecord
from wildtrace.rejects import Reject
from wildtrace.store import labels as store_labels
from wildtrace.store.labels import LabelRow

LABELS = ("wildlife_offer", "depiction_or_faux", "not_wildlife")
#: Tie-break order of the conflict rule: earlier wins.
CAUTION = {name: rank for rank, name in enumerate(LABELS)}
_ALIASES = {"1": "wildlife_offer", "0": "not_wildlife", "true": "wildlife_offer", "false": "not_wildlife"}

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
    rejects: list[Reject] = field(default_factory=list)


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


def read_label_file(path: Path, *, default_time: str) -> Iterator[tuple[int, Label | Reject]]:
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
            yield line, Reject(line, record)
            continue
        raw_id = record.get("id")
        listing_id = str(raw_id).strip() if raw_id not in (None, "") else ""
        if not listing_id:
            yield line, Reject(line, "missing id")
            continue
        try:
            label = parse_label(record.get("label"))
        except InvalidRecord as exc:
            yield line, Reject(line, exc.reason, listing_id)
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


def import_file(engine: sa.Engine, path: Path, *, known_ids: set[str] | None) -> ImportReport:
    """Append the labels of a file to the store's one labels table.

    Unknown ids (when ``known_ids`` is given) are rejected with their line; the rest are added.
    """
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise DataError(f"cannot read labels {path}: {exc}") from exc
    report = ImportReport()
    rows: list[LabelRow] = []
    for line, item in read_label_file(path, default_time=clock.stamp()):
        report.read += 1
        if isinstance(item, Reject):
            report.rejects.append(item)
            continue
        if known_ids is not None and item.listing_id not in known_ids:
            report.rejects.append(Reject(line, "unknown listing id", item.listing_id))
            continue
        rows.append(LabelRow(item.listing_id, item.label, item.reviewer, item.labelled_at, item.note or ""))
    report.added = store_labels.import_labels(engine, rows, source=str(path), source_sha256=digest)
    report.duplicates = len(rows) - report.added
    return report


def stored(engine: sa.Engine) -> list[Label]:
    """Every label in the store (workbench, API and imported), in the order stored."""
    return [Label(r.listing_id, r.label, r.reviewer, r.labelled_at, r.note or None)
            for r in store_labels.all_labels(engine)]


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
        by_reviewer = {r: v[2] for r, v in votes.items() if v[2] in CAUTION}
        if not by_reviewer:  # only "unsure"
            continue
        tally = Counter(by_reviewer.values())
        top = max(tally.values())
        winner = min((lab for lab, c in tally.items() if c == top), key=lambda lab: CAUTION[lab])
        out[listing_id] = Resolved(listing_id, winner, len(tally) > 1, by_reviewer)
    return out

