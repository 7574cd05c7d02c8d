"""CITES code tables (purpose, source, term, unit, party), loaded from ``data/trade``."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from wildtrace.errors import DataError
from wildtrace.settings import PACKAGE_DATA

DATA = PACKAGE_DATA / "trade"

#: Source codes of specimens produced in captivity (Res. Conf. 17.7 review scope).
CAPTIVE_SOURCES = frozenset({"C", "D", "F", "R"})
WILD_SOURCES = frozenset({"W"})


@dataclass(frozen=True)
class CodeTables:
    purpose: dict[str, str]
    source: dict[str, str]
    term: dict[str, str]
    unit: dict[str, str]
    party: dict[str, str]

    def known(self, field: str) -> frozenset[str]:
        return frozenset(getattr(self, field))


@lru_cache(maxsize=1)
def load_codes(data_dir: Path = DATA) -> CodeTables:
    """Read ``codes.csv`` and ``parties.csv``; raise DataError naming the bad row."""
    tables: dict[str, dict[str, str]] = {"purpose": {}, "source": {}, "term": {}, "unit": {}}
    try:
        with (data_dir / "codes.csv").open(encoding="utf-8", newline="") as fh:
            for n, row in enumerate(csv.DictReader(fh), start=2):
                if row.get("field") not in tables or not row.get("code") or not row.get("source"):
                    raise DataError(f"{data_dir / 'codes.csv'} line {n}: bad code row {row!r}")
                tables[row["field"]][row["code"]] = row["description"]
        party: dict[str, str] = {}
        with (data_dir / "parties.csv").open(encoding="utf-8", newline="") as fh:
            for n, row in enumerate(csv.DictReader(fh), start=2):
                if not row.get("code") or not row.get("source"):
                    raise DataError(f"{data_dir / 'parties.csv'} line {n}: bad party row {row!r}")
                party[row["code"]] = row["name"]
    except OSError as exc:
        raise DataError(f"cannot read trade code tables in {data_dir}: {exc}") from exc
    return CodeTables(party=party, **tables)
