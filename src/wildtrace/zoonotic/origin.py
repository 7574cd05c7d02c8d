"""Where a host-virus record comes from: a natural infection, an experiment, or people.

A record of a virus in an animal is evidence that the animal can pass it to people only when the
animal caught it naturally. Two data tables beside the summary say otherwise, each row sourced:

- ``evidence_origin.csv``: records that are ``experimental`` (laboratory challenge studies: Ebola,
  Marburg, Lassa, mpox and SARS in macaques) or ``reverse_zoonotic`` (people infected the animal:
  SARS-CoV-2 in zoo tigers; measles, mumps and viruses named for people in any animal), and the
  ``natural`` exceptions (Reston virus in macaques). The most specific host level wins (species,
  genus, family, order, then any host); within a level, the first row.
- ``virus_notes.csv``: a display name for a virus VIRION names by its species (avian
  orthoavulavirus 1 is Newcastle disease virus) and, where the literature and HP3's flags say a
  shared virus is no meaningful risk from this kind of host (Borna disease and Newcastle disease
  viruses in birds), ``counts: no``.

HP3 adds its own fields at build time (``build.py``): its ``ReverseZoonoses`` flag, and
``WildDomInReference`` (a record made only in captive or domestic animals of a wild species is
``captive``). Only ``natural`` records count toward a host's tier.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from wildtrace.errors import DataError

NATURAL, EXPERIMENTAL, REVERSE, CAPTIVE, NOT_MEANINGFUL = (
    "natural", "experimental", "reverse_zoonotic", "captive", "not_meaningful")
ORIGINS = (NATURAL, EXPERIMENTAL, REVERSE)
#: How each kind of record that does not count is said in a profile's reasons.
WORDS = {
    EXPERIMENTAL: "experimental or laboratory infection",
    REVERSE: "reverse zoonosis: people infected the animal",
    CAPTIVE: "recorded only in captive or laboratory animals (HP3)",
    NOT_MEANINGFUL: "not a meaningful risk from this host",
}
_LEVELS = ("species", "genus", "family", "order", "any")


@dataclass(frozen=True)
class OriginRule:
    level: str
    host: str
    regex: re.Pattern[str]
    origin: str
    note: str
    source: str


@dataclass(frozen=True)
class VirusNote:
    regex: re.Pattern[str]
    host_class: str  # a class name, or "*"
    display: str
    counts: bool
    note: str
    source: str


def virus_key(name: str) -> str:
    """HP3 and VIRION virus names in one form: lower case, underscores as spaces."""
    return " ".join(name.replace("_", " ").lower().split())


def _rows(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    if not path.exists():
        raise DataError(f"missing zoonotic data file {path}")
    out = []
    with open(path, encoding="utf-8", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            for key in required:
                if not (row.get(key) or "").strip():
                    raise DataError(f"{path.name} line {line}: missing {key}")
            out.append((line, row))
    return out


def _regex(path: Path, line: int, text: str) -> re.Pattern[str]:
    try:
        return re.compile(text)
    except re.error as exc:
        raise DataError(f"{path.name} line {line}: bad virus_regex: {exc}") from exc


@dataclass(frozen=True)
class Origins:
    rules: tuple[OriginRule, ...]
    notes: tuple[VirusNote, ...]

    def classify(self, virus: str, species: str, genus: str, family: str, order: str) -> tuple[str, str]:
        """(origin, note) of a record of ``virus`` in a host; ("natural", "") when no row applies."""
        key = virus_key(virus)
        names = {"species": species, "genus": genus, "family": family, "order": order, "any": "*"}
        for level in _LEVELS:
            for r in self.rules:
                if r.level == level and r.host == names[level] and r.regex.search(key):
                    return r.origin, r.note
        return NATURAL, ""

    def note(self, virus: str, class_: str) -> VirusNote | None:
        """The note on ``virus`` for a host of ``class_`` (its display name, whether it counts)."""
        key = virus_key(virus)
        for n in self.notes:
            if n.host_class in ("*", class_) and n.regex.search(key):
                return n
        return None

    def display(self, virus: str, class_: str = "*") -> str:
        """The virus as a reader knows it: "avian orthoavulavirus 1 (Newcastle disease virus)"."""
        n = self.note(virus, class_) or self.note(virus, "*")
        key = virus_key(virus)
        if n is None or n.display.lower() == key:
            return key
        return f"{key} ({n.display})"


def load(data_dir: Path) -> Origins:
    """Read ``evidence_origin.csv`` and ``virus_notes.csv`` (every row needs a source)."""
    path = data_dir / "evidence_origin.csv"
    rules = []
    for line, row in _rows(path, ("host_level", "host", "virus_regex", "origin", "source", "verified_on")):
        if row["host_level"] not in _LEVELS or row["origin"] not in ORIGINS:
            raise DataError(f"{path.name} line {line}: host_level must be one of {_LEVELS} and origin "
                            f"one of {ORIGINS}")
        rules.append(OriginRule(row["host_level"], row["host"].strip().lower(),
                                _regex(path, line, row["virus_regex"]), row["origin"],
                                (row.get("note") or "").strip(), row["source"].strip()))
    path = data_dir / "virus_notes.csv"
    notes = []
    for line, row in _rows(path, ("virus_regex", "host_class", "display", "counts", "source", "verified_on")):
        if row["counts"] not in ("yes", "no"):
            raise DataError(f"{path.name} line {line}: counts must be yes or no")
        notes.append(VirusNote(_regex(path, line, row["virus_regex"]), row["host_class"].strip().lower(),
                               row["display"].strip(), row["counts"] == "yes",
                               (row.get("note") or "").strip(), row["source"].strip()))
    return Origins(tuple(rules), tuple(notes))
