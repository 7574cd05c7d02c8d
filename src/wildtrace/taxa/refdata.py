"""Load and validate the reference data in ``wildtrace/data`` (see its README).

Every loader checks the schema and raises ``DataError`` naming the file and the
row, so a bad edit to a data file fails loudly and early.
"""

from __future__ import annotations

import csv
import datetime as dt
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
    # where the CITES status above comes from and the date it is valid from (the Appendices
    # edition or the CoP decision's entry into force); an import compares it with an export's date
    cites_source: str | None = None
    cites_as_of: str | None = None
    # languages whose names here were not checked against a published source
    names_unverified: frozenset[str] = frozenset()

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
        if self.names_unverified:  # say which languages' names no one checked against a published source
            out["names_unverified"] = sorted(self.names_unverified, key=LANGS.index)
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
        cites_source=str(row["cites_source"]) if row.get("cites_source") else None,
        cites_as_of=_date(row.get("cites_as_of"), where, "cites_as_of"),
        names_unverified=_langs(row.get("names_unverified"), where),
    )


def _date(value: Any, where: str, key: str) -> str | None:
    """A ``YYYY-MM-DD`` date (YAML may hand it over as a date), or None."""
    if value is None or value == "":
        return None
    text = str(value)
    try:
        dt.date.fromisoformat(text)
    except ValueError as exc:
        raise DataError(f"{where}: {key} {text!r} is not a YYYY-MM-DD date") from exc
    return text


def _langs(value: Any, where: str) -> frozenset[str]:
    langs = frozenset(str(v) for v in (value or ()))
    if unknown := sorted(langs - set(LANGS)):
        raise DataError(f"{where}: names_unverified has unknown language keys {unknown}")
    return langs


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
                row = json.loads(line)
                if isinstance(row, dict) and "wildtrace_checklist" in row:
                    continue  # the import's header: which export, of which date (checklist.checklist_meta)
                taxa.append(parse_taxon(row, f"{path.name} line {i}"))
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
    if extra:  # the import's own rules live in merge.py; refdata stays the loader
        from wildtrace.taxa.checklist import checklist_meta
        from wildtrace.taxa.merge import merge_taxa

        for path in extra:
            prefer = bool(checklist_meta(path).get("prefer_export"))
            taxa = merge_taxa(taxa, load_checklist(path), prefer_export=prefer)
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
