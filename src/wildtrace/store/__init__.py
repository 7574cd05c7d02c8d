"""Storage behind a narrow interface. ``open_store`` picks the backend from the URL.

Contract (tests/store/test_contract.py runs it on every backend):
- listings are keyed by ``(id, content_sha256)``; saving the same content again
  adds nothing (only ``last_seen`` moves);
- a changed listing is a new version; earlier versions are never overwritten;
- each scan result is stored with its rules/model version and input hash.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from ..errors import ConfigError
from ..result import ScanResult


class Store(Protocol):
    def save(self, results: list[ScanResult]) -> None:
        """Store listings and their scan results (idempotent per content)."""

    def versions(self, listing_id: str) -> list[dict[str, Any]]:
        """Every stored version of a listing, oldest first."""

    def latest_result(self, listing_id: str) -> dict[str, Any] | None:
        """The newest scan result of a listing's newest version."""

    def count_listings(self) -> int:
        """Distinct listing ids."""

    def close(self) -> None: ...


def open_store(target: str | Path) -> Store:
    """``sqlite:///path``, a plain path (SQLite)."""
    text = str(target)
    if text.startswith("sqlite:///"):
        text = text.removeprefix("sqlite:///")
    elif "://" in text:
        raise ConfigError(f"unsupported database URL {text!r}; use a file path or sqlite:///PATH")
    from .sqlite import SQLiteStore

    return SQLiteStore(Path(text))
