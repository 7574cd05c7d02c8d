"""The Gippet et al. (2026) species table, as WildTrace ships it (``gippet_summary.csv.gz``).

Gippet et al., Science 2026, "Wildlife trade drives animal-to-human pathogen transmission over 40
years" (data CC-BY 4.0): for 6,596 mammal species, whether the species is traded, how many pathogens
and viruses it shares with humans (CLOVER; VIRION 2025), and its research effort (PubMed). The
profile shows it beside the HP3/VIRION evidence, and the holdout (``eval_zoonotic``) uses its
research effort as a second baseline. ``scripts/build_gippet.py`` derives the file from their xlsx.
"""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from wildtrace import manifest
from wildtrace.errors import DataError

FILE = "gippet_summary.csv.gz"
CITATION = ("Gippet et al. 2026, Science, 'Wildlife trade drives animal-to-human pathogen transmission "
            "over 40 years' (data CC-BY 4.0)")


@dataclass(frozen=True)
class GippetRow:
    species: str  # lower-case MDD name
    names: tuple[str, ...]  # MDD names, the accepted one first
    order: str
    family: str
    traded: bool
    traded_live: bool
    traded_illegal: bool
    zoonotic_pathogens: int  # CLOVER: pathogens shared with humans
    zoonotic_viruses: int
    pubmed_log: float  # log(1 + PubMed publications)
    research_effort_index: float  # their pubs_X, in [0, 1]


def load(path: Path | None = None) -> dict[str, GippetRow]:
    """Every species under each of its MDD names (an accepted name wins over a synonym)."""
    path = path or manifest.folder("zoonotic") / FILE
    if not path.exists():
        raise DataError(f"missing zoonotic data file {path}")
    text = gzip.decompress(path.read_bytes()).decode("utf-8")
    out: dict[str, GippetRow] = {}
    for line, r in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        try:
            row = GippetRow(
                species=r["species"], names=tuple(n for n in r["names"].split(";") if n),
                order=r["order"], family=r["family"], traded=r["traded"] == "yes",
                traded_live=r["traded_live"] == "yes", traded_illegal=r["traded_illegal"] == "yes",
                zoonotic_pathogens=int(r["zoonotic_pathogens"] or 0),
                zoonotic_viruses=int(r["zoonotic_viruses"] or 0),
                pubmed_log=float(r["pubmed_log"] or 0), research_effort_index=float(r["research_effort_index"] or 0))
        except (KeyError, ValueError) as exc:
            raise DataError(f"{FILE} line {line}: {exc}") from exc
        out[row.species] = row
    for row in list(out.values()):
        for name in row.names:
            out.setdefault(name, row)
    return out


@lru_cache(maxsize=1)
def default() -> dict[str, GippetRow]:
    """The shipped table, loaded once."""
    return load()


def describe(row: GippetRow) -> str:
    """One sentence for a profile's reasons."""
    trade = ("traded" + (" live" if row.traded_live else "") + (", also illegally" if row.traded_illegal else "")
             if row.traded else "not recorded in trade")
    return (f"Gippet et al. 2026: {trade}; shares {row.zoonotic_pathogens} pathogens with humans "
            f"({row.zoonotic_viruses} viruses; CLOVER); research effort index {row.research_effort_index:.2f} "
            f"(PubMed, 0-1; data CC-BY 4.0).")
