"""The one Case: what every exporter, the CLI and the workbench read of a case: a case in the
store (``store/cases.py``) with the scan results of the versions it holds, its seller accounts, its captures (custody-log entries) and the
seller network built from them with the analysts' judgements.

Cases made in the workbench and with ``wildtrace case`` are the same rows. Case folders written
before cases moved into the database (``DATA_DIR/cases/NAME/case.jsonl``) are imported into the
store the first time their name is used, and left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wildtrace.errors import ConfigError, NotFound
from wildtrace.jsonlog import JsonLog
from wildtrace.scan.result import ScanResult
from wildtrace.sellers.judgements import Judgement, JudgementStore
from wildtrace.sellers.network import Network, NetworkBuilder, NetworkOptions
from wildtrace.store import cases
from wildtrace.store.sql import SQLStore


@dataclass
class Case:
    id: int
    name: str
    title: str = ""
    created_at: str = ""
    author: str = ""
    results: list[dict[str, Any]] = field(default_factory=list)
    sellers: list[str] = field(default_factory=list)
    captures: list[dict[str, Any]] = field(default_factory=list)
    #: the analysts' judgements in force on pairs of accounts, read from the store with the case
    judgements: dict[tuple[str, str], Judgement] = field(default_factory=dict)
    _network: Network | None = None

    def network(self, options: NetworkOptions | None = None) -> Network:
        """The seller network of the case's results, with the judgements in force."""
        if self._network is None:
            builder = NetworkBuilder(options)
            for result in self.results:
                builder.add_result(result)
            self._network = builder.build(self.judgements)
        return self._network

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "title": self.title, "created_at": self.created_at,
                "author": self.author, "listings": len(self.results), "sellers": sorted(self.sellers),
                "captures": len(self.captures),
                "failed_captures": sum(1 for c in self.captures if c.get("status") != "captured")}


def find(store: SQLStore, ref: str | int, *, legacy_dir: Path | None = None) -> int:
    """The id of case ``ref`` (name or id), importing a legacy case folder of that name if there is one."""
    try:
        return cases.case_id(store.engine, ref)
    except NotFound:
        # a case name (letters, digits, . _ -) is a folder name; anything else never becomes a path
        legal = isinstance(ref, str) and cases.NAME.match(ref) is not None and ref not in (".", "..")
        folder = legacy_dir / str(ref) if legacy_dir is not None and legal else None
        if folder is None or not (folder / "case.jsonl").is_file():
            raise
        return import_legacy(store, folder)


def load(store: SQLStore, ref: str | int, *, judgements: Path | None = None,
         legacy_dir: Path | None = None) -> Case:
    """Case ``ref`` (name or id) with its results, sellers, captures and the judgements stored
    (``judgements``: a legacy ``judgements.jsonl`` imported into the store once, first)."""
    cid = find(store, ref, legacy_dir=legacy_dir)
    row = cases.get_case(store.engine, cid)
    with JudgementStore(store.engine, legacy=judgements) as stored:
        in_force = stored.current()
    return Case(id=cid, name=row["name"], title=row["title"], created_at=row["created_at"],
                author=row["created_by"], results=cases.case_results(store.engine, cid),
                sellers=[s["seller"] for s in row["sellers"]], captures=row["captures"],
                judgements=in_force)


def import_legacy(store: SQLStore, folder: Path) -> int:
    """Copy a case folder of the old format (``case.jsonl`` events) into the store; returns its id."""
    events = JsonLog(folder / "case.jsonl").records("case event")
    create = next((e for e in events if e.get("event") == "create"), None)
    if create is None:
        raise ConfigError(f"{folder / 'case.jsonl'}: no create event: not a WildTrace case folder")
    author = str(create.get("author") or "unknown")
    cid = int(cases.create_case(store.engine, str(create.get("title") or folder.name), author,
                                name=folder.name)["id"])
    results = [ScanResult.from_dict(e["result"]) for e in events if e.get("event") == "add_listing"]
    if results:
        store.save(results)
        cases.add_listings(store.engine, cid, [r.id for r in results], author)
    cases.add_sellers(store.engine, cid, [str(e["seller"]) for e in events if e.get("event") == "add_seller"],
                      author)
    cases.add_captures(store.engine, cid, [e["capture"] for e in events if e.get("event") == "add_capture"],
                       author)
    return cid
