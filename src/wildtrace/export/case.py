"""Cases: listings, sellers and evidence grouped for one investigation.

A case is a folder ``CASES/<name>/`` with an append-only ``case.jsonl`` of events
(``create``, ``add_listing``, ``add_seller``, ``add_capture``), each stamped with
author, time and tool version. Listings are stored as the full scan result; a
capture is stored as its custody-log entry (with the evidence folder and the
entry's hash), so a case cites exactly the evidence it was built from. Nothing in
a case is edited; adding the same item twice is a no-op.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from wildtrace import __version__
from wildtrace.errors import ConfigError, DataError
from wildtrace.evidence.custody import CustodyLog
from wildtrace.sellers.judgements import JudgementStore
from wildtrace.sellers.network import Network, NetworkBuilder, NetworkOptions

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class CaseData:
    name: str
    title: str = ""
    created_at: str = ""
    author: str = ""
    results: list[dict[str, Any]] = field(default_factory=list)
    sellers: list[str] = field(default_factory=list)
    captures: list[dict[str, Any]] = field(default_factory=list)
    judgements_path: Path | None = None
    _network: Network | None = None

    def network(self, options: NetworkOptions | None = None) -> Network:
        if self._network is None:
            builder = NetworkBuilder(options)
            for result in self.results:
                builder.add_result(result)
            judgements = JudgementStore(self.judgements_path).current() if self.judgements_path else {}
            self._network = builder.build(judgements)
        return self._network

    def summary(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "created_at": self.created_at, "author": self.author,
                "listings": len(self.results), "sellers": sorted(self.sellers),
                "captures": len(self.captures),
                "failed_captures": sum(1 for c in self.captures if c.get("status") != "captured")}


class Case:
    def __init__(self, cases_dir: Path, name: str):
        if not _NAME.match(name):
            raise ConfigError(f"case name {name!r}: use letters, digits, '.', '_' and '-' (up to 100)")
        self.name = name
        self.dir = Path(cases_dir) / name
        self.path = self.dir / "case.jsonl"

    @classmethod
    def create(cls, cases_dir: Path, name: str, *, author: str, title: str = "") -> Case:
        case = cls(cases_dir, name)
        try:
            case.dir.mkdir(parents=True, exist_ok=False)
        except FileExistsError as exc:
            raise ConfigError(f"case {name!r} already exists in {cases_dir}") from exc
        case._append([{"event": "create", "name": name, "title": title}], author)
        return case

    @classmethod
    def open(cls, cases_dir: Path, name: str) -> Case:
        case = cls(cases_dir, name)
        if not case.path.exists():
            raise ConfigError(f"no case {name!r} in {cases_dir} (create it with `wildtrace case create`)")
        return case

    def _append(self, events: list[dict[str, Any]], author: str) -> int:
        if not author.strip():
            raise ConfigError("an author is needed")
        stamp = {"author": author, "at": _now(), "tool": f"wildtrace {__version__}"}
        with open(self.path, "ab") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            for event in events:
                fh.write(orjson.dumps({**event, **stamp}) + b"\n")
            fcntl.flock(fh, fcntl.LOCK_UN)
        return len(events)

    def events(self) -> list[dict[str, Any]]:
        out = []
        for number, line in enumerate(self.path.read_bytes().splitlines(), start=1):
            if line.strip():
                try:
                    out.append(orjson.loads(line))
                except orjson.JSONDecodeError as exc:
                    raise DataError(f"{self.path}: line {number} is not JSON") from exc
        return out

    def load(self, judgements_path: Path | None = None) -> CaseData:
        data = CaseData(self.name, judgements_path=judgements_path)
        seen: set[tuple[str, str]] = set()
        for e in self.events():
            kind = e.get("event")
            if kind == "create":
                data.title, data.created_at, data.author = e.get("title", ""), e["at"], e["author"]
            elif kind == "add_listing" and ("l", e["result"]["id"]) not in seen:
                seen.add(("l", e["result"]["id"]))
                data.results.append(e["result"])
            elif kind == "add_seller" and ("s", e["seller"]) not in seen:
                seen.add(("s", e["seller"]))
                data.sellers.append(e["seller"])
            elif kind == "add_capture" and ("c", e["capture"]["capture_id"]) not in seen:
                seen.add(("c", e["capture"]["capture_id"]))
                data.captures.append(e["capture"])
        return data

    def add_results(self, stream: IO[bytes], *, author: str, min_risk: float = 0.0,
                    ids: Iterable[str] = ()) -> tuple[int, list[str]]:
        """Add scan results (JSON Lines); returns (added, problems)."""
        wanted = set(ids)
        have = {r["id"] for r in self.load().results}
        events, problems = [], []
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                result = orjson.loads(line)
            except orjson.JSONDecodeError:
                problems.append(f"line {number}: not JSON")
                continue
            if not isinstance(result, dict) or "id" not in result or not isinstance(result.get("listing"), dict):
                problems.append(f"line {number}: not a scan result (needs id and listing)")
                continue
            result["id"] = str(result["id"])
            risk = result.get("risk_score")
            if wanted and result["id"] not in wanted:
                continue
            if not wanted and (not isinstance(risk, int | float) or risk < min_risk):
                continue
            if result["id"] in have:
                continue
            have.add(result["id"])
            events.append({"event": "add_listing", "result": result})
        return self._append(events, author) if events else 0, problems

    def add_sellers(self, sellers: Iterable[str], *, author: str) -> int:
        have = set(self.load().sellers)
        events = [{"event": "add_seller", "seller": s} for s in dict.fromkeys(sellers) if s not in have]
        return self._append(events, author) if events else 0

    def add_captures(self, evidence_dir: Path, *, author: str, capture_ids: Iterable[str] = ()) -> int:
        """Add captures from an evidence folder's custody log (all of them when no ids are given)."""
        wanted = set(capture_ids)
        have = {c["capture_id"] for c in self.load().captures}
        found = set()
        events = []
        for _, entry in CustodyLog(evidence_dir).entries():
            if not entry or entry.get("event") not in ("capture", "capture_failed"):
                continue
            cid = entry.get("capture_id")
            if wanted and cid not in wanted:
                continue
            found.add(cid)
            if cid in have:
                continue
            have.add(cid)
            events.append({"event": "add_capture",
                           "capture": {**entry, "evidence_dir": str(Path(evidence_dir).resolve())}})
        missing = wanted - found
        if missing:
            raise ConfigError(f"no capture {', '.join(sorted(missing))} in {evidence_dir}")
        return self._append(events, author) if events else 0
