"""The store: owns every database table and its migrations; SQLite or PostgreSQL.

Storage behind a narrow interface. ``open_store`` picks the backend from the URL.

Backends: SQLite (a plain path or ``sqlite:///PATH``; the default, WAL, one writer) and
PostgreSQL (``postgresql://USER@HOST:PORT/DB``), both through SQLAlchemy 2 Core, with the
schema kept by Alembic migrations (``store/migrations``) that run when the store opens.

Contract (tests/store/test_contract.py runs it on every backend):
- listings are keyed by ``(id, content_sha256)``; saving the same content again
  adds nothing (only ``last_seen`` moves);
- a changed listing is a new version; earlier versions are never overwritten;
- each scan result is stored with its rules/model version and input hash.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa

from wildtrace.scan.result import ScanResult
from wildtrace.store.sql import SQLStore


class Store(Protocol):
    #: the SQLAlchemy engine the store's modules (labels, cases, accounts, queue) work on
    engine: sa.Engine

    def save(self, results: list[ScanResult]) -> None:
        """Store listings and their scan results (idempotent per content)."""

    def versions(self, listing_id: str) -> list[dict[str, Any]]:
        """Every stored version of a listing, oldest first."""

    def latest_result(self, listing_id: str) -> dict[str, Any] | None:
        """The newest scan result of a listing's newest version."""

    def count_listings(self) -> int:
        """Distinct listing ids."""

    def latest_records(self) -> list[dict[str, Any]]:
        """The input record of every listing's newest version."""

    def listing_ids(self) -> set[str]:
        """Every stored listing id."""

    def close(self) -> None: ...


def open_store(target: str | Path) -> Store:
    """Open (and migrate) the store at a path, ``sqlite:///PATH`` or ``postgresql://...``."""
    return SQLStore(target)
