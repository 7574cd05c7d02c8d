"""Analyst judgements on pairs of accounts: same / different / unsure, append-only and reversible.

Judgements live in the store (the ``judgements`` table, ``wildtrace.store.judgements``), never
in the source records, so a team sharing a PostgreSQL database shares them. Reversing one
appends a new record (another judgement, or ``retract`` naming the record it withdraws); the
current judgement of a pair is its latest record that has not been retracted. Nothing is ever
edited or deleted.

A ``judgements.jsonl`` file kept before the store held judgements (``settings.judgements``) is
imported the first time a ``JudgementStore`` is opened with it as ``legacy``, and left untouched.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wildtrace import clock
from wildtrace.errors import ConfigError
from wildtrace.store import judgements as table
from wildtrace.store.sql import InDatabase

if TYPE_CHECKING:
    import sqlalchemy as sa

    from wildtrace.settings import Settings

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


def in_force(history: list[Judgement]) -> dict[tuple[str, str], Judgement]:
    """The judgement in force for each pair: its latest record not retracted."""
    retracted = {j.retracts for j in history if j.retracts}
    out: dict[tuple[str, str], Judgement] = {}
    for j in history:  # oldest first: the latest valid record wins
        if j.judgement != "retract" and j.id not in retracted:
            out[pair_key(j.a, j.b)] = j
    return out


class JudgementStore(InDatabase):
    """Judgements in the database ``db`` (an engine, a SQLite path or a ``postgresql://`` URL).

    ``legacy``: a ``judgements.jsonl`` (the file kept before the store held judgements) to import
    once; the file is left as it is.
    """

    def __init__(self, db: sa.Engine | str | Path, *, legacy: Path | None = None):
        super().__init__(db)
        table.import_legacy(self.engine, legacy)

    @classmethod
    def for_settings(cls, settings: Settings, db: str | None = None) -> JudgementStore:
        """The store's judgements (``--db``, else ``settings.db_target``), importing ``settings.judgements``."""
        return cls(db or settings.db_target, legacy=settings.judgements)

    def _append(self, record: Judgement) -> Judgement:
        table.append(self.engine, record.to_dict())
        return record

    def judge(self, a: str, b: str, judgement: str, author: str, note: str = "") -> Judgement:
        if judgement not in JUDGEMENTS:
            raise ConfigError(f"judgement must be one of {', '.join(JUDGEMENTS)}, not {judgement!r}")
        if not author.strip():
            raise ConfigError("a judgement needs an author")
        if a == b:
            raise ConfigError("a judgement needs two different accounts")
        a, b = pair_key(a, b)
        return self._append(Judgement(uuid.uuid4().hex, a, b, judgement, author, clock.stamp(), note))

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
        return self._append(Judgement(uuid.uuid4().hex, target.a, target.b, "retract", author, clock.stamp(), note,
                                      retracts=judgement_id))

    def history(self) -> list[Judgement]:
        """Every judgement record ever made, oldest first."""
        return [Judgement(**row) for row in table.history(self.engine)]

    def current(self) -> dict[tuple[str, str], Judgement]:
        """The judgement in force for each pair."""
        return in_force(self.history())
