"""Analyst judgements on pairs of accounts: same / different / unsure, append-only and reversible.

Judgements live in their own JSON Lines file, never in the source records.
Reversing one appends a new record (another judgement, or ``retract`` naming the
record it withdraws); the current judgement of a pair is its latest record that
has not been retracted. Nothing is ever edited or deleted.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from wildtrace.errors import ConfigError, DataError
from wildtrace.jsonlog import JsonLog

JUDGEMENTS = ("same", "different", "unsure")


def pair_key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


@dataclass(frozen=True)
class Judgement:
    id: str
    a: str
    b: str
    judgement: str  # same | different | unsure | retract
    author: str
    at: str
    note: str = ""
    retracts: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class JudgementStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.log = JsonLog(self.path)

    def _append(self, record: Judgement) -> Judgement:
        self.log.append([record.to_dict()])
        return record

    def judge(self, a: str, b: str, judgement: str, author: str, note: str = "") -> Judgement:
        if judgement not in JUDGEMENTS:
            raise ConfigError(f"judgement must be one of {', '.join(JUDGEMENTS)}, not {judgement!r}")
        if not author.strip():
            raise ConfigError("a judgement needs an author")
        if a == b:
            raise ConfigError("a judgement needs two different accounts")
        a, b = pair_key(a, b)
        return self._append(Judgement(uuid.uuid4().hex, a, b, judgement, author, _now(), note))

    def retract(self, judgement_id: str, author: str, note: str = "") -> Judgement:
        history = self.history()
        target = next((j for j in history if j.id == judgement_id), None)
        if target is None and len(judgement_id) >= 6:  # a unique prefix, as `network judge` printed it
            hits = [j for j in history if j.id.startswith(judgement_id) and j.judgement != "retract"]
            if len(hits) > 1:
                raise ConfigError(f"judgement id prefix {judgement_id} matches {len(hits)} judgements; give more of it")
            target = hits[0] if hits else None
            judgement_id = target.id if target else judgement_id
        if target is None:
            raise ConfigError(f"no judgement with id {judgement_id}")
        return self._append(Judgement(uuid.uuid4().hex, target.a, target.b, "retract", author, _now(), note,
                                      retracts=judgement_id))

    def history(self) -> list[Judgement]:
        out = []
        for number, record in self.log.read():
            try:
                out.append(Judgement(**(record or {})))
            except TypeError as exc:
                raise DataError(f"{self.path}: line {number}: not a judgement record ({exc})") from exc
        return out

    def current(self) -> dict[tuple[str, str], Judgement]:
        """The judgement in force for each pair."""
        history = self.history()
        retracted = {j.retracts for j in history if j.retracts}
        out: dict[tuple[str, str], Judgement] = {}
        for j in history:  # in file order: the latest valid record wins
            if j.judgement != "retract" and j.id not in retracted:
                out[pair_key(j.a, j.b)] = j
        return out


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
