"""Load and validate the reference data in ``wildtrace/data`` (see its README).

Every loader checks the schema and raises ``DataError`` naming the file and the
row, so a bad edit to a data file fails loudly and early.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from wildtrace import manifest
from wildtrace.errors import DataError
from wildtrace.settings import PACKAGE_DATA
from wildtrace.taxa import senses
from wildtrace.taxa.senses import SenseEntry

DATA_DIR = PACKAGE_DATA

LANGS = ("en", "fr", "es", "pt", "zh_hans", "zh_hant", "vi", "th", "id", "ms")
APPENDICES = ("I", "II", "III", "I/II", "II/III", "I/III", "I/II/III", "not listed", "varies", "NC")
CUE_KINDS = ("sale", "depiction", "innocent", "legality", "authenticity", "report", "wanted", "domestic",
             "not_offered", "material", "live")
RANKS = (
    "subspecies", "species", "genus", "subfamily", "family", "superfamily",
    "order", "suborder", "infraorder", "class", "subclass", "superorder", "phylum", "group",
)

try:  # the C loader is ten times faster; fall back where libyaml is missing
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader


@dataclass(frozen=True)
class Taxon:
    scientific_name: str
    rank: str
    class_: str | None
    order: str | None
    family: str | None
    cites_appendix: str
    names: dict[str, tuple[str, ...]]
    source: str
    verified_on: str
    parent: str | None = None
    synonyms: tuple[str, ...] = ()
    cites_annotation: str | None = None
    cites_split: tuple[dict[str, str], ...] = ()
    trade_names: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ambiguous_names: frozenset[str] = frozenset()
    note: str | None = None

    @property
    def common_name(self) -> str | None:
        english = self.names.get("en") or ()
        return english[0] if english else None

    @property
    def is_specific(self) -> bool:
        """Species, subspecies or genus: a name that points at few species."""
        return self.rank in ("species", "subspecies", "genus")

    def to_output(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "scientific_name": self.scientific_name,
            "rank": self.rank,
            "class": self.class_,
            "order": self.order,
            "family": self.family,
            "common_name": self.common_name,
            "cites_appendix": self.cites_appendix,
        }
        if self.cites_annotation:
            out["cites_annotation"] = self.cites_annotation
        if self.cites_split:
            out["cites_split"] = [dict(s) for s in self.cites_split]
        return out


@dataclass(frozen=True)
class Product:
    product_type: str
    cites_terms: tuple[str, ...]
    risk: float
    words: dict[str, tuple[str, ...]]
    implies: dict[str, str]
    source: str
    verified_on: str


@dataclass(frozen=True)
class CodeWord:
    term: str
    lang: str
    means_product: str | None
    means_taxon: str | None
    context_required: bool
    source: str
    verified_on: str
    note: str | None = None


@dataclass(frozen=True)
class Cue:
    term: str
    lang: str
    cue: str
    source: str
    verified_on: str
    note: str | None = None


@dataclass(frozen=True)
class Pattern:
    name: str
    cue: str
    pattern: str
    source: str
    verified_on: str
    examples: tuple[str, ...] = ()
    counter_examples: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class ReferenceData:
    taxa: tuple[Taxon, ...]
    products: tuple[Product, ...]
    codewords: tuple[CodeWord, ...]
    cues: tuple[Cue, ...]
    patterns: tuple[Pattern, ...]
    rules: dict[str, Any]
    sha256: str
    senses: tuple[SenseEntry, ...] = ()
    extra_taxa_files: tuple[str, ...] = ()
    by_name: dict[str, Taxon] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.by_name.update({t.scientific_name: t for t in self.taxa})

    def taxon(self, name: str) -> Taxon | None:
        return self.by_name.get(name)


def _req(row: dict[str, Any], key: str, where: str) -> Any:
    value = row.get(key)
    if value is None or value == "":
        raise DataError(f"{where}: missing required field {key!r}")
    return value


def _names(value: Any, where: str, key: str) -> dict[str, tuple[str, ...]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DataError(f"{where}: {key} must map language keys to lists of names")
    out: dict[str, tuple[str, ...]] = {}
    for lang, names in value.items():
        if lang not in LANGS:
            raise DataError(f"{where}: {key} has unknown language key {lang!r} (use one of {', '.join(LANGS)})")
        if names is None:
            names = []
        if isinstance(names, str):
            names = [names]
        out[lang] = tuple(str(n).strip() for n in names if str(n).strip())
    return out


def parse_taxon(row: dict[str, Any], where: str, *, require_all_langs: bool = False) -> Taxon:
    if not isinstance(row, dict):
        raise DataError(f"{where}: a taxon must be a mapping")
    name = str(_req(row, "scientific_name", where)).strip()
    where = f"{where} ({name})"
    rank = str(_req(row, "rank", where))
    if rank not in RANKS:
        raise DataError(f"{where}: rank {rank!r} is not one of {', '.join(RANKS)}")
    appendix = str(_req(row, "cites_appendix", where))
    if appendix not in APPENDICES:
        raise DataError(f"{where}: cites_appendix {appendix!r} is not one of {', '.join(APPENDICES)}")
    names = _names(row.get("names"), where, "names")
    if require_all_langs:
        missing = [lang for lang in LANGS if lang not in names]
        if missing:
            raise DataError(f"{where}: names lacks language keys {missing}")
    split = row.get("cites_split") or ()
    for item in split:
        if not isinstance(item, dict) or "appendix" not in item:
            raise DataError(f"{where}: each cites_split entry needs an appendix")
    return Taxon(
        scientific_name=name,
        rank=rank,
        class_=row.get("class"),
        order=row.get("order"),
        family=row.get("family"),
        parent=row.get("parent"),
        synonyms=tuple(str(s).strip() for s in (row.get("synonyms") or ()) if str(s).strip()),
        cites_appendix=appendix,
        cites_annotation=(str(row["cites_annotation"]) if row.get("cites_annotation") else None),
        cites_split=tuple({str(k): (", ".join(map(str, v)) if isinstance(v, list) else str(v))
                           for k, v in item.items()} for item in split),
        names=names,
        trade_names=_names(row.get("trade_names"), where, "trade_names"),
        ambiguous_names=frozenset(str(n).casefold() for n in (row.get("ambiguous_names") or ())),
        source=str(_req(row, "source", where)),
        verified_on=str(_req(row, "verified_on", where)),
        note=row.get("note"),
    )


def _load_yaml(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as fh:
            return yaml.load(fh, Loader=_Loader)
    except (OSError, yaml.YAMLError) as exc:
        raise DataError(f"{path.name}: cannot read reference data: {exc}") from exc


def _read_csv(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        with open(path, encoding="utf-8", newline="") as fh:
            for i, row in enumerate(csv.DictReader(fh), start=2):
                yield i, {k: (v or "").strip() for k, v in row.items() if k}
    except OSError as exc:
        raise DataError(f"{path.name}: cannot read reference data: {exc}") from exc


def load_taxa_files(paths: Iterable[Path]) -> list[Taxon]:
    taxa: list[Taxon] = []
    for path in paths:
        rows = _load_yaml(path) or []
        if not isinstance(rows, list):
            raise DataError(f"{path.name}: expected a list of taxa")
        for i, row in enumerate(rows, start=1):
            taxa.append(parse_taxon(row, f"{path.name} entry {i}", require_all_langs=True))
    return taxa


def load_checklist(path: Path) -> list[Taxon]:
    """Taxa written by ``wildtrace data import-cites`` (JSON Lines, same schema)."""
    taxa = []
    with open(path, encoding="utf-8") as fh:
        for i, line in enumerate(fh, start=1):
            if line.strip():
                taxa.append(parse_taxon(json.loads(line), f"{path.name} line {i}"))
    return taxa


def load_products(path: Path) -> list[Product]:
    out = []
    for i, row in enumerate(_load_yaml(path) or [], start=1):
        where = f"{path.name} entry {i}"
        risk = float(_req(row, "risk", where))
        if not 0 <= risk <= 1:
            raise DataError(f"{where}: risk must be between 0 and 1")
        out.append(Product(
            product_type=str(_req(row, "product_type", where)),
            cites_terms=tuple(row.get("cites_terms") or ()),
            risk=risk,
            words=_names(row.get("words"), where, "words"),
            implies={str(k): str(v) for k, v in (row.get("implies") or {}).items()},
            source=str(_req(row, "source", where)),
            verified_on=str(_req(row, "verified_on", where)),
        ))
    return out


def _bool(value: str, where: str) -> bool:
    if value.lower() in ("true", "yes", "1"):
        return True
    if value.lower() in ("false", "no", "0", ""):
        return False
    raise DataError(f"{where}: {value!r} is not true/false")


def load_codewords(path: Path) -> list[CodeWord]:
    out = []
    for line, row in _read_csv(path):
        where = f"{path.name} line {line}"
        lang = _req(row, "lang", where)
        if lang not in LANGS:
            raise DataError(f"{where}: unknown lang {lang!r}")
        out.append(CodeWord(
            term=_req(row, "term", where), lang=lang,
            means_product=row.get("means_product") or None,
            means_taxon=row.get("means_taxon") or None,
            context_required=_bool(row.get("context_required", ""), where),
            source=_req(row, "source", where), verified_on=_req(row, "verified_on", where),
            note=row.get("note") or None,
        ))
    return out


def load_cues(path: Path) -> list[Cue]:
    out = []
    for line, row in _read_csv(path):
        where = f"{path.name} line {line}"
        cue = _req(row, "cue", where)
        if cue not in CUE_KINDS:
            raise DataError(f"{where}: cue {cue!r} is not one of {', '.join(CUE_KINDS)}")
        lang = _req(row, "lang", where)
        if lang not in LANGS:
            raise DataError(f"{where}: unknown lang {lang!r}")
        out.append(Cue(term=_req(row, "term", where), lang=lang, cue=cue,
                       source=_req(row, "source", where), verified_on=_req(row, "verified_on", where),
                       note=row.get("note") or None))
    return out


def load_patterns(path: Path) -> list[Pattern]:
    out = []
    for i, row in enumerate(_load_yaml(path) or [], start=1):
        where = f"{path.name} entry {i}"
        cue = str(_req(row, "cue", where))
        if cue not in CUE_KINDS:
            raise DataError(f"{where}: cue {cue!r} is not one of {', '.join(CUE_KINDS)}")
        out.append(Pattern(
            name=str(_req(row, "name", where)), cue=cue, pattern=str(_req(row, "pattern", where)),
            source=str(_req(row, "source", where)), verified_on=str(_req(row, "verified_on", where)),
            examples=tuple(row.get("examples") or ()), counter_examples=tuple(row.get("counter_examples") or ()),
            note=row.get("note"),
        ))
    return out


def merge_taxa(builtin: list[Taxon], extra: list[Taxon]) -> list[Taxon]:
    """Merge an imported checklist into the built-in taxa; one taxon is never there twice.

    An imported taxon is a built-in one when its name is the built-in's name or one of its
    synonyms, or the built-in's name is among its synonyms ("Aonyx cinerea" / "Aonyx cinereus").
    Then the built-in keeps its names, notes and trade names and gains the imported synonyms and
    names; its CITES status becomes the export's own listing (the export the user downloaded is
    the current authority; an inherited or ``NC`` value does not replace a built-in status), and
    the annotation says so when they differ. Other imported taxa are added as they are.
    """
    merged = list(builtin)
    index = _name_index(builtin)
    for taxon in extra:
        hit = _find(index, taxon)
        if hit is None:
            index[taxon.scientific_name] = len(merged)
            for name in taxon.synonyms:
                index.setdefault(name, len(merged))
            merged.append(taxon)
            continue
        merged[hit] = _absorb(merged[hit], taxon)
        for name in (taxon.scientific_name, *taxon.synonyms):
            index.setdefault(name, hit)
    return merged


def _name_index(taxa: list[Taxon]) -> dict[str, int]:
    """Each taxon's name and synonyms → its position (the first taxon wins a shared name)."""
    index: dict[str, int] = {}
    for i, t in enumerate(taxa):
        for name in (t.scientific_name, *t.synonyms):
            index.setdefault(name, i)
    return index


def _find(index: dict[str, int], taxon: Taxon) -> int | None:
    return next((index[n] for n in (taxon.scientific_name, *taxon.synonyms) if n in index), None)


def _own_listing(imported: Taxon) -> bool:
    """The export names this taxon's own listing (not inherited from a higher taxon, not NC)."""
    return imported.cites_appendix not in ("NC", "not listed") and not (
        imported.cites_annotation or "").startswith("inherited from")


AGREEMENT = {
    "agree": "same appendices",
    "export_split": "the export lists more appendices (a split listing); built-in data names one of them",
    "builtin_split": "built-in data lists more appendices than the export",
    "differ": "different appendices",
    "builtin_varies": "built-in data says 'varies' (its members differ); the export names the appendices",
    "export_not_listed": "built-in data lists the taxon; the export says NC or gives no listing",
    "export_inherited": "the export gives the taxon no listing of its own (inherited from a higher taxon)",
}


@dataclass
class Agreement:
    """Built-in CITES appendices checked against an imported export, by category (``AGREEMENT``)."""

    counts: dict[str, int]
    compared: int
    not_in_export: int
    details: list[tuple[str, str, str, str]]  # (category, built-in name, built-in appendix, export appendix)


def compare_taxa(builtin: list[Taxon], imported: list[Taxon]) -> Agreement:
    """How far the built-in appendices agree with an export, matched by name or synonym as in ``merge_taxa``."""
    counts = dict.fromkeys(AGREEMENT, 0)
    details: list[tuple[str, str, str, str]] = []
    index = _name_index(builtin)
    matched: set[int] = set()
    for taxon in imported:
        hit = _find(index, taxon)
        if hit is None or hit in matched:
            continue
        matched.add(hit)
        known = builtin[hit]
        category = _category(known, taxon)
        counts[category] += 1
        if category != "agree":
            details.append((category, known.scientific_name, known.cites_appendix, taxon.cites_appendix))
    return Agreement(counts=counts, compared=len(matched), not_in_export=len(builtin) - len(matched),
                     details=sorted(details))


def _category(known: Taxon, imported: Taxon) -> str:
    """The ``AGREEMENT`` category of a built-in taxon's appendices against the export's."""
    if imported.cites_appendix in ("NC", "not listed"):
        return "agree" if known.cites_appendix in ("NC", "not listed") else "export_not_listed"
    if not _own_listing(imported):
        return "export_inherited"
    if known.cites_appendix == "varies":
        return "builtin_varies"
    ours, theirs = _appendices(known.cites_appendix), _appendices(imported.cites_appendix)
    if ours == theirs:
        return "agree"
    if ours < theirs:
        return "export_split"
    return "builtin_split" if theirs < ours else "differ"


def _appendices(value: str) -> frozenset[str]:
    return frozenset(p for p in value.split("/") if p in ("I", "II", "III"))


def _absorb(known: Taxon, imported: Taxon) -> Taxon:
    """``known`` with the imported taxon's synonyms, names and (own) CITES status."""
    synonyms = tuple(dict.fromkeys([*known.synonyms, *(
        n for n in (imported.scientific_name, *imported.synonyms) if n != known.scientific_name)]))
    names = {lang: tuple(dict.fromkeys([*known.names.get(lang, ()), *imported.names.get(lang, ())]))
             for lang in dict.fromkeys([*known.names, *imported.names])}
    own = _own_listing(imported)
    appendix, annotation = known.cites_appendix, known.cites_annotation
    if own and imported.cites_appendix != known.cites_appendix:
        appendix = imported.cites_appendix
        annotation = "; ".join(x for x in (
            f"status from the imported Species+ export (built-in data: {known.cites_appendix})",
            imported.cites_annotation) if x)
    return dataclasses.replace(known, synonyms=synonyms, names=names, cites_appendix=appendix,
                               cites_annotation=annotation)


def load(data_dir: Path = DATA_DIR, *, extra_taxa: Iterable[Path] = ()) -> ReferenceData:
    """Load every reference file; ``extra_taxa`` are imported checklists (JSONL)."""
    taxa_files = manifest.paths("taxa", data_dir)
    if not taxa_files:
        raise DataError(f"no taxa files in {data_dir / 'taxa'}")
    extra = [p for p in extra_taxa if p.exists()]
    taxa = load_taxa_files(taxa_files)
    seen: set[str] = set()
    for t in taxa:
        if t.scientific_name in seen:
            raise DataError(f"taxon {t.scientific_name!r} appears twice in the taxa files")
        seen.add(t.scientific_name)
    for path in extra:
        taxa = merge_taxa(taxa, load_checklist(path))
    rules = _load_yaml(manifest.path("rules", data_dir))
    return ReferenceData(
        taxa=tuple(taxa),
        products=tuple(load_products(manifest.path("products", data_dir))),
        codewords=tuple(load_codewords(manifest.path("codewords", data_dir))),
        cues=tuple(load_cues(manifest.path("cues", data_dir))),
        patterns=tuple(load_patterns(manifest.path("patterns", data_dir))),
        rules=rules,
        senses=tuple(senses.load(manifest.path("senses", data_dir))),
        sha256=manifest.sha256("rules", data_dir, extra),
        extra_taxa_files=tuple(str(p) for p in extra),
    )
