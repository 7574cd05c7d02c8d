"""The zoonotic summary table's shape (its columns and taxonomic levels) and the priority-pathogen
reference it is read with: what both the runtime (``hosts.py``) and the build
(``build.py``, run by ``scripts/build_zoonotic.py``) need, so the runtime never imports the build.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from wildtrace.errors import DataError

LEVELS = ("species", "genus", "family", "order", "class")
COLUMNS = (
    "level", "name", "taxid", "genus", "family", "order", "class", "sources", "records", "hp3_cites",
    "viruses", "shared", "shared_seq", "shared_lit", "hp3_viruses", "hp3_zoonotic", "hp3_z_q2",
    "hp3_z_q1", "hp3_z_q0", "priority", "priority_strong", "priority_not_natural", "families",
    "shared_names", "not_counted", "members", "members_shared", "members_priority",
)


@dataclass(frozen=True)
class Priority:
    code: str
    label: str
    genera: frozenset[str]
    regex: re.Pattern[str]
    source: str
    verified_on: str
    lineages: frozenset[str] = frozenset()  # NCBI lineage names (e.g. subgenus sarbecovirus)

    def matches(self, name: str, genus: str, lineage: frozenset[str] = frozenset()) -> bool:
        return genus in self.genera or bool(self.lineages & lineage) or bool(self.regex.search(name))


def load_priority(path: Path) -> list[Priority]:
    out = []
    with open(path, encoding="utf-8", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            for key in ("code", "label", "source", "verified_on"):
                if not (row.get(key) or "").strip():
                    raise DataError(f"{path.name} line {line}: missing {key}")
            genera = frozenset(g.strip().lower() for g in (row.get("genera") or "").split(";") if g.strip())
            try:
                regex = re.compile(row.get("name_regex") or r"(?!x)x")
            except re.error as exc:
                raise DataError(f"{path.name} line {line}: bad name_regex: {exc}") from exc
            lineages = frozenset(x.strip().lower() for x in (row.get("lineages") or "").split(";") if x.strip())
            out.append(Priority(row["code"], row["label"], genera, regex, row["source"], row["verified_on"],
                                lineages))
    return out


def load_lineage(path: Path) -> dict[str, frozenset[str]]:
    """``virus_lineage.csv``: NCBI virus taxid -> the lineage names above its genus that VIRION's
    taxonomy lacks (a subgenus such as Sarbecovirus). Each row names its source."""
    out: dict[str, frozenset[str]] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            for key in ("taxid", "lineage", "source", "verified_on"):
                if not (row.get(key) or "").strip():
                    raise DataError(f"{path.name} line {line}: missing {key}")
            out[row["taxid"].strip()] = frozenset(
                x.strip().lower() for x in row["lineage"].split(";") if x.strip())
    return out


def priority_codes(priorities: Iterable[Priority], name: str, genus: str,
                   lineage: frozenset[str] = frozenset()) -> tuple[str, ...]:
    name = name.lower().replace("_", " ")
    genus = genus.lower()
    return tuple(p.code for p in priorities if p.matches(name, genus, lineage))
