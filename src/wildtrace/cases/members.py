"""What a case holds, and the one way to add to it: listings, results, sellers and captures.

The CLI (``wildtrace case create/add``) and the workbench API call these same functions; the rows
themselves belong to ``store/cases.py`` (append-only, audited). Adding is idempotent: a listing,
seller or capture already in the case is not added twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from wildtrace.errors import ConfigError
from wildtrace.evidence.custody import CustodyLog
from wildtrace.evidence.verify import verify
from wildtrace.pipeline import Sinks, ingest
from wildtrace.rejects import Reject
from wildtrace.scan.result import ScanResult, read_results
from wildtrace.store import cases
from wildtrace.store.sql import SQLStore


def create(store: SQLStore, title: str, author: str, *, name: str | None = None) -> dict[str, Any]:
    """A new, empty case; ``name`` defaults to one made from the title."""
    return cases.create_case(store.engine, title, author, name=name)


def add_listings(store: SQLStore, cid: int, listing_ids: Iterable[str], author: str) -> int:
    """Add listings already in the store (their newest version); returns how many were new."""
    return cases.add_listings(store.engine, cid, listing_ids, author)


def add_sellers(store: SQLStore, cid: int, sellers: Iterable[str], author: str) -> int:
    """Add seller accounts (``platform:seller``); returns how many were new."""
    return cases.add_sellers(store.engine, cid, sellers, author)


def add_results(store: SQLStore, cid: int, stream: IO[bytes], *, author: str, min_risk: float = 0.0,
                ids: Iterable[str] = ()) -> tuple[int, list[Reject]]:
    """Add listings from ``wildtrace scan`` JSON Lines, storing them as scanned (the one ingest
    pipeline, without a scanner); a line that is not a result is a reject and the rest are added.
    Returns (listings added, rejects)."""
    wanted = set(ids)

    def chosen() -> Iterable[ScanResult | Reject]:
        for number, item in read_results(stream):
            if isinstance(item, Reject):
                yield Reject(number, item.reason, item.record_id, item.preview)
            elif (item.id in wanted) if wanted else item.risk_score >= min_risk:
                yield item

    kept: list[ScanResult] = []
    rejects: list[Reject] = []
    ingest(chosen(), None, Sinks(write=kept.append, reject=rejects.append, save=store.save))
    return add_listings(store, cid, [r.id for r in kept], author) if kept else 0, rejects


def add_captures(store: SQLStore, cid: int, evidence_dir: Path, *, author: str,
                 capture_ids: Iterable[str] = (), public_key: Path | None = None) -> int:
    """Add captures from an evidence folder's custody log (all of them when no ids are given); a
    folder that fails ``evidence verify`` (with ``public_key``: every entry signed by it) is refused."""
    report = verify(evidence_dir, public_key=public_key)
    if not report.ok:
        raise ConfigError(f"{evidence_dir} fails `wildtrace evidence verify` ({len(report.problems)} problems, "
                          f"first: {report.problems[0]}): no capture added")
    wanted = set(capture_ids)
    entries, found = [], set()
    for _, entry in CustodyLog(evidence_dir).entries():
        if not entry or entry.get("event") not in ("capture", "capture_failed"):
            continue
        capture = entry.get("capture_id")
        if wanted and capture not in wanted:
            continue
        found.add(capture)
        entries.append({**entry, "evidence_dir": str(Path(evidence_dir).resolve())})
    missing = wanted - found
    if missing:
        raise ConfigError(f"no capture {', '.join(sorted(missing))} in {evidence_dir}")
    return cases.add_captures(store.engine, cid, entries, author)
