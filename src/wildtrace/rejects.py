"""The one Reject: an input record that could not be used, where it was and why.

Every reader and batch in WildTrace (listings, scan results, labels, capture targets, trade rows,
API batches) reports a record it cannot use as a ``Reject`` and goes on: nothing is lost, and one
bad record never stops a batch. ``line`` is the record's line (or row) number in its source, 0
where there is none (a result the store refused); ``record_id`` its id when one could be read;
``preview`` the first characters of the raw record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Reject:
    """An input record that could not be used, and why."""

    line: int
    reason: str
    record_id: str | None = None
    preview: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "id": self.record_id, "reason": self.reason, "preview": self.preview}


__all__ = ["Reject"]
