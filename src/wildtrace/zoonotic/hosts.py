"""The shipped zoonotic evidence: the HP3/VIRION summary and the rule data beside it.

Everything lives in ``wildtrace/data/zoonotic`` (see its README). ``load()``
reads it once; lookups are dict lookups. The summary's rows, once checked, are kept in the
scanner's cache folder (``taxa/cache.py``: JSON, keyed by the summary file's bytes and this code)
and each ``HostRow`` is made on its first lookup (``Rows``): reading and checking all 6,000 rows
was a fifth of a one-listing scan, which looks up a few.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
import yaml

from wildtrace import manifest
from wildtrace.errors import DataError
from wildtrace.taxa import cache as refcache
from wildtrace.zoonotic import origin
from wildtrace.zoonotic.summary import COLUMNS, LEVELS, Priority, load_priority

DATA_DIR = manifest.folder("zoonotic")
EXPOSURES = ("high", "medium", "low")
_INTS = ("records", "hp3_cites", "viruses", "shared", "shared_seq", "shared_lit", "hp3_viruses",
         "hp3_zoonotic", "hp3_z_q2", "hp3_z_q1", "hp3_z_q0", "members", "members_shared", "members_priority")


@dataclass(frozen=True)
class HostRow:
    """One summary row: the evidence for a host species, or pooled over a genus, family, order, class."""

    level: str
    name: str
    taxid: str
    genus: str
    family: str
    order: str
    class_: str
    sources: str
    records: int
    hp3_cites: int
    viruses: int
    shared: int
    shared_seq: int
    shared_lit: int
    hp3_viruses: int
    hp3_zoonotic: int
    hp3_z_q2: int
    hp3_z_q1: int
    hp3_z_q0: int
    priority: tuple[str, ...]
    priority_strong: tuple[str, ...]
    families: tuple[str, ...]
    members: int
    members_shared: int
    members_priority: int
    # priority pathogens recorded in this host only in experiments, captivity or from people (not counted)
    priority_not_natural: tuple[str, ...] = ()
    # species rows: the viruses shared with humans from natural records (most records first), and
    # "virus=why" for those left out (origin.WORDS: experimental, reverse_zoonotic, captive, ...)
    shared_names: tuple[str, ...] = ()
    not_counted: tuple[str, ...] = ()

    @property
    def shared_any(self) -> int:
        """Viruses shared with humans: the larger of the VIRION and HP3 counts (never their sum)."""
        return max(self.shared, self.hp3_zoonotic)

    @property
    def shared_strong(self) -> int:
        """Shared viruses with sequence (VIRION) or isolation/PCR (HP3) evidence."""
        return max(self.shared_seq, self.hp3_z_q2)


def row_from_dict(row: dict[str, str], where: str = "summary") -> HostRow:
    try:
        ints = {k: int(row.get(k) or 0) for k in _INTS}
    except ValueError as exc:
        raise DataError(f"{where}: not a number: {exc}") from exc
    level = row.get("level", "")
    if level not in LEVELS:
        raise DataError(f"{where}: level {level!r} is not one of {', '.join(LEVELS)}")

    def split(key: str) -> tuple[str, ...]:
        return tuple(x for x in (row.get(key) or "").split(";") if x)

    return HostRow(level=level, name=row["name"], taxid=row.get("taxid", ""), genus=row.get("genus", ""),
                   family=row.get("family", ""), order=row.get("order", ""), class_=row.get("class", ""),
                   sources=row.get("sources", ""), priority=split("priority"),
                   priority_strong=split("priority_strong"), priority_not_natural=split("priority_not_natural"),
                   families=split("families"), shared_names=split("shared_names"),
                   not_counted=split("not_counted"), **ints)


@dataclass(frozen=True)
class Evidence:
    rows: Mapping[tuple[str, str], HostRow]  # (level, lower-case name) -> row
    meta: dict[str, Any]
    priorities: dict[str, Priority]
    exposure: dict[str, str]  # product type -> high / medium / low
    aliases: dict[str, tuple[str, str]]  # refdata name -> (level, summary name)
    rules: dict[str, Any]
    origins: origin.Origins = origin.Origins((), ())  # display names and notes of viruses

    def row(self, level: str, name: str) -> HostRow | None:
        return self.rows.get((level, name.lower()))

    @property
    def credits(self) -> str:
        return "; ".join(f"{k}: {v}" for k, v in sorted(self.meta.get("datasets", {}).items()))


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        raise DataError(f"missing zoonotic data file {path}")
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))


def load_rows(path: Path) -> dict[tuple[str, str], HostRow]:
    rows = _read_csv(path)
    if rows and set(COLUMNS) - set(rows[0]):
        raise DataError(f"{path.name}: missing columns {sorted(set(COLUMNS) - set(rows[0]))}")
    out = {}
    for line, row in enumerate(rows, start=2):
        r = row_from_dict(row, f"{path.name} line {line}")
        out[(r.level, r.name)] = r
    return out


#: HostRow's fields, in order; those holding tuples (lists in the cache file)
_FIELDS = tuple(f.name for f in fields(HostRow))
_TUPLES = frozenset(i for i, f in enumerate(fields(HostRow)) if str(f.type).startswith("tuple"))


class Rows(Mapping[tuple[str, str], HostRow]):
    """The summary's rows by (level, name), each kept as its JSON text (checked by ``row_from_dict``
    before the cache file was written) and made a ``HostRow`` on its first lookup: parsing 6,000
    rows' lists at every start cost more than the few lookups a scan makes."""

    def __init__(self, texts: dict[str, str]):
        self._texts = texts  # "level<TAB>name" -> the row's values as a JSON array
        self._made: dict[str, HostRow] = {}

    def __getitem__(self, key: tuple[str, str]) -> HostRow:
        k = f"{key[0]}\t{key[1]}"
        row = self._made.get(k)
        if row is None:
            v = orjson.loads(self._texts[k])
            if type(v) is not list or len(v) != len(_FIELDS) or v[0] != key[0] or v[1] != key[1]:
                raise DataError(f"the cached summary row of {key[1]!r} is damaged; delete the cache folder")
            args: list[Any] = [tuple(x) if i in _TUPLES else x for i, x in enumerate(v)]
            # setdefault: two threads looking up one row get the same object
            row = self._made.setdefault(k, HostRow(*args))
        return row

    def get(self, key: tuple[str, str], default: Any = None) -> Any:
        return self[key] if key in self else default

    def __contains__(self, key: object) -> bool:
        return (type(key) is tuple and len(key) == 2 and isinstance(key[0], str) and isinstance(key[1], str)
                and f"{key[0]}\t{key[1]}" in self._texts)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for k in self._texts:
            level, _, name = k.partition("\t")
            yield level, name

    def __len__(self) -> int:
        return len(self._texts)


def _encode_rows(rows: Mapping[tuple[str, str], HostRow]) -> dict[str, str]:
    return {f"{r.level}\t{r.name}": orjson.dumps([getattr(r, f) for f in _FIELDS]).decode() for r in rows.values()}


def _decode_rows(texts: dict[str, str]) -> Rows:
    """The inverse of ``_encode_rows``; raises on a file of another shape (each row's own shape
    is checked when it is looked up)."""
    if type(texts) is not dict or not all(type(v) is str and k.partition("\t")[0] in LEVELS
                                          for k, v in texts.items()):
        raise ValueError("summary rows of another shape")
    return Rows(texts)


def summary_rows(path: Path) -> Mapping[tuple[str, str], HostRow]:
    """``load_rows(path)``, through the scanner's cache folder when there is one (``Rows``)."""
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return load_rows(path)  # says what is missing
    parts = [digest, refcache.code_sha256("zoonotic/hosts.py", "zoonotic/summary.py")]
    return refcache.compiled("zoonotic-rows", parts, lambda: load_rows(path), _encode_rows, _decode_rows)


def load(data_dir: Path = DATA_DIR, rows: Mapping[tuple[str, str], HostRow] | None = None,
         meta: dict[str, Any] | None = None) -> Evidence:
    """Read the zoonotic data files (``rows``/``meta`` replace the summary, e.g. a holdout build)."""
    if rows is None:
        rows = summary_rows(data_dir / "summary.csv.gz")
    if meta is None:
        meta = json.loads((data_dir / "summary_meta.json").read_text(encoding="utf-8"))
    exposure = {}
    for line, row in enumerate(_read_csv(data_dir / "trade_context.csv"), start=2):
        if row.get("exposure") not in EXPOSURES or not row.get("source") or not row.get("verified_on"):
            raise DataError(f"trade_context.csv line {line}: needs exposure in {EXPOSURES}, source, verified_on")
        exposure[row["product_type"]] = row["exposure"]
    aliases = {r["name"]: (r["level"], r["summary_name"]) for r in _read_csv(data_dir / "taxon_aliases.csv")}
    with open(data_dir / "tier_rules.yaml", encoding="utf-8") as fh:
        rules = yaml.safe_load(fh)
    priorities = {p.code: p for p in load_priority(data_dir / "priority_pathogens.csv")}
    return Evidence(rows, meta, priorities, exposure, aliases, rules, origin.load(data_dir))


@lru_cache(maxsize=1)
def default() -> Evidence:
    """The shipped evidence, loaded once."""
    return load()
