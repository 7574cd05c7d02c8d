"""CITES code tables (purpose, source, term, unit, party), loaded from ``data/trade``."""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from wildtrace.errors import DataError
from wildtrace.settings import PACKAGE_DATA

DATA = PACKAGE_DATA / "trade"

#: Source codes of specimens produced in captivity (Res. Conf. 17.7 review scope).
CAPTIVE_SOURCES = frozenset({"C", "D", "F", "R"})
WILD_SOURCES = frozenset({"W"})


#: Values that mean "not known" in a code column: blank, and the CITES Trade Database's XX
#: ("unknown" country) and U/"?" placeholders are never a value that differs from another.
UNKNOWN_PARTY = frozenset({"XX"})


def word_key(text: str) -> str:
    """``"Number of specimens"``, ``"number-of-specimens"`` -> ``"numberofspecimens"``;
    accents kept (``écaille``), case, spaces and punctuation dropped."""
    text = unicodedata.normalize("NFC", text).casefold()
    return re.sub(r"[\W_]+", "", text)


@dataclass(frozen=True)
class CodeTables:
    purpose: dict[str, str]
    source: dict[str, str]
    term: dict[str, str]
    unit: dict[str, str]
    party: dict[str, str]
    #: (field, word key) -> code ("" for a count: no unit) for terms and units written as words
    words: dict[tuple[str, str], str] = field(default_factory=dict)

    def known(self, field: str) -> frozenset[str]:
        return frozenset(getattr(self, field))

    def resolve(self, field: str, raw: str | None) -> tuple[str | None, bool]:
        """A term or unit as written (code or English/French/Spanish word) -> (CITES code, known).

        A unit that means a count (blank, "Number of specimens") is ``(None, True)``; a value
        no table knows is ``(its upper-case form, False)``, kept as written, never dropped."""
        if raw is None or not raw.strip():
            return None, True
        text = raw.strip()
        if text.upper() in getattr(self, field):
            return text.upper(), True
        key = word_key(text)
        for k in (key, key.removesuffix("s"), key.removesuffix("es"), key.removesuffix("x")):
            code = self.words.get((field, k))
            if code is not None:
                return (code or None), True
        return text.upper(), False


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
        words: dict[tuple[str, str], str] = {}
        with (data_dir / "codes.csv").open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                if row["field"] in ("term", "unit"):
                    for name in [row["description"], *(row.get("names") or "").split("|")]:
                        if name.strip():
                            words.setdefault((row["field"], word_key(name)), row["code"])
        with (data_dir / "words.csv").open(encoding="utf-8", newline="") as fh:
            for n, row in enumerate(csv.DictReader(fh), start=2):
                if row.get("field") not in ("term", "unit") or not row.get("word") or not row.get("source"):
                    raise DataError(f"{data_dir / 'words.csv'} line {n}: bad word row {row!r}")
                words[(row["field"], word_key(row["word"]))] = row["code"].strip()  # these win
    except OSError as exc:
        raise DataError(f"cannot read trade code tables in {data_dir}: {exc}") from exc
    return CodeTables(party=party, words=words, **tables)
