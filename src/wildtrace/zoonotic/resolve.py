"""Species names -> WildTrace taxa -> rows of the NCBI-keyed HP3/VIRION summary.

Two steps, both exact (no fuzzy guess is ever used as an answer):

1. ``Resolver.name(query)``: a name typed by a person -> one taxon of the reference
   data (``wildtrace.taxa.resolve``: accepted name, synonym, trinomial, common or
   trade name), or else one host of the summary (VIRION's NCBI names). Zero or
   several matches give ``unresolved`` with candidate names.
2. ``Resolver.evidence(taxon)``: a taxon -> the summary row to use. The accepted
   name and every synonym are tried (renamed genera: *Phataginus tricuspis* is
   found under *Manis tricuspis*), a trinomial falls back to its species, and a
   higher taxon uses the pooled row of its rank or, failing that, of the
   nearest enclosing rank (labelled so).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from wildtrace.taxa.refdata import ReferenceData, Taxon
from wildtrace.taxa.resolve import NameIndex, keys, name_key
from wildtrace.zoonotic.hosts import Evidence, HostRow
from wildtrace.zoonotic.tier import Prior, prior_from

_HIGHER = ("genus", "family", "order", "class")


@dataclass(frozen=True)
class Resolution:
    query: str
    status: str  # "resolved" or "unresolved"
    taxon: Taxon | None = None  # a taxon of the reference data
    host: HostRow | None = None  # or a host known only to the summary
    via: str = ""
    candidates: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        if self.taxon is not None:
            return self.taxon.scientific_name
        return self.host.name.capitalize() if self.host is not None else self.query


@dataclass(frozen=True)
class Basis:
    """Which summary row stands for a taxon, and how it was found."""

    row: HostRow | None
    basis: str  # species, genus, family, order, class (pooled rows), inferred, none
    via: str
    prior: Prior | None = None
    also: tuple[str, ...] = field(default_factory=tuple)


class Resolver:
    def __init__(self, ref: ReferenceData, ev: Evidence):
        self.ref = ref
        self.ev = ev

    @cached_property
    def names(self) -> NameIndex:
        """Every name of every taxon, built on the first ``name`` (a scan needs only ``evidence``)."""
        return NameIndex(self.ref)

    @cached_property
    def _host_names(self) -> tuple[str, ...]:
        return tuple({name for (_, name) in self.ev.rows})

    # -- step 1 ---------------------------------------------------------------

    def name(self, query: str) -> Resolution:
        """The taxon (``taxa.resolve``), else a host of the summary by its NCBI name."""
        key = name_key(query)
        if not key:
            return Resolution(query, "unresolved")
        if self.names.hits(query):
            found = self.names.resolve(query)
            return Resolution(query, found.status, taxon=found.taxon, via=found.via, candidates=found.candidates)
        for level in ("species", *_HIGHER):
            row = self.ev.row(level, key)
            if row is not None:
                return Resolution(query, "resolved", host=row, via=f"{level} name in VIRION/HP3 (NCBI)")
        return Resolution(query, "unresolved", via="no taxon or host has this name",
                          candidates=self.candidates(key))

    def candidates(self, key: str, n: int = 5) -> tuple[str, ...]:
        return self.names.candidates(key, n, extra=self._host_names)

    # -- step 2 ---------------------------------------------------------------

    def evidence(self, name: str, rank: str = "species", *, family: str | None = None,
                 order: str | None = None, class_: str | None = None) -> Basis:
        """The summary row for a taxon (by its fields; synonyms come from the reference data)."""
        taxon = self.ref.taxon(name)
        synonyms = taxon.synonyms if taxon is not None else ()
        if taxon is not None:
            family, order, class_ = taxon.family or family, taxon.order or order, taxon.class_ or class_
        if rank in ("species", "subspecies") or (rank not in _HIGHER and len(name.split()) > 1):
            return self._species(name, synonyms, rank, family)
        tries: list[tuple[str, str, str]] = []  # (level, name, how)
        level = rank if rank in _HIGHER else "family"
        tries.append((level, name, f"{rank} {name}"))
        for syn in synonyms:
            tries.append((level, syn, f"{rank} {name} (synonym {syn})"))
        for lvl, value in (("family", family), ("order", order), ("class", class_)):
            if value and value != name and _HIGHER.index(lvl) >= _HIGHER.index(level):
                tries.append((lvl, value, f"enclosing {lvl} {value}"))
        alias = self.ev.aliases.get(class_ or "")
        if alias:
            tries.append((alias[0], alias[1], f"enclosing class {class_} (NCBI {alias[1]})"))
        for lvl, value, how in tries:
            row = self.ev.row(lvl, value)
            if row is not None:
                return Basis(row, lvl, how)
        return Basis(None, "none", f"no VIRION/HP3 records for {name} or its enclosing taxa")

    def _species(self, name: str, synonyms: tuple[str, ...], rank: str, family: str | None) -> Basis:
        found: list[tuple[HostRow, str]] = []
        for label, value in ((None, name), *(("synonym", s) for s in synonyms)):
            for k in keys(value):
                row = self.ev.row("species", k)
                if row is not None and all(row is not r for r, _ in found):
                    found.append((row, f"synonym {value}" if label else "accepted name"))
        if not found and len(keys(name)[-1].split()) > 2:  # trinomial -> its species
            binomial = " ".join(keys(name)[-1].split()[:2])
            row = self.ev.row("species", binomial)
            if row is not None:
                found.append((row, f"species {binomial} (trinomial {name} matched at species level)"))
        if found:
            found.sort(key=lambda rv: -rv[0].records)
            row, how = found[0]
            also = tuple(r.name for r, _ in found[1:])
            return Basis(row, "species", how, also=also)
        genus = keys(name)[-1].split()[0]
        rules = self.ev.rules
        tries: tuple[tuple[str, str | None], ...] = (("genus", genus), ("family", family))
        for lvl, rel in tries:
            if not rel:
                continue
            prior = prior_from(self.ev.row(lvl, rel), rules)
            if prior is not None:
                return Basis(None, "inferred", f"no records of {name}; prior from {lvl} {rel.capitalize()}",
                             prior=prior)
        return Basis(None, "none", f"no records of {name} and too few sampled relatives for a prior")
