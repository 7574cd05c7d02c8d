"""The reference data, compiled once: ``refdata.load`` without parsing the YAML at every start.

``load`` returns what ``refdata.load`` returns (equal in every field), from a file under the
cache folder (``Settings.refdata_cache_dir``) when that file was written for exactly these inputs:

- the key: the stamp of the ``rules`` group with the imported checklists (``manifest.sha256``:
  every file's name and bytes, the checklists' included), the folder and checklist paths, the
  WildTrace version, the Python version and the SHA-256 of the parsing code itself (refdata,
  senses, merge, checklist, normalize, this module). A changed data file, checklist or parser is a
  new key: the old file is not read, the data is parsed again and a new file written.
- the format: JSON (orjson), never pickle. Reading JSON builds strings, numbers, lists and dicts
  and nothing else, so a cache file that someone else wrote cannot run code here; pickle can.
  Signing pickles would need a secret key kept beside the cache it protects, which guards
  nothing against whoever can write that folder (who could rewrite the imported checklist
  anyway). The file starts with a header line naming its key and the SHA-256 of the body; a
  file that is cut short, corrupt, of another key or another shape is parsed again and replaced,
  never loaded. Before a file is written, the data decoded back from it must equal the parsed
  data (a new field the encoder does not know means no cache, not a wrong one).

Within one process the data is kept per key too (the scanner and the zoonotic enricher share
one copy); callers must not change it (``refdata.ReferenceData`` is frozen; its dicts are read
only by convention).

``compiled`` keeps other things built at start-up in the same way and under the same checks (a
file per kind and key, a header with the body's SHA-256, JSON only, written only when it decodes
back equal): the lexicon's term table (``scan/lexicon.py``, keyed by the reference data's key,
the local terms and its code) and the zoonotic summary's rows (``zoonotic/hosts.py``, keyed by the
summary file's bytes and its code).
"""

from __future__ import annotations

import functools
import gc
import hashlib
import importlib.util
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar

import orjson

from wildtrace import __version__, manifest
from wildtrace.atomic import atomic_write
from wildtrace.taxa import refdata
from wildtrace.taxa.refdata import CodeWord, Cue, Pattern, Product, ReferenceData, Taxon
from wildtrace.taxa.senses import Sense, SenseEntry

#: Bump when the file layout below changes.
FORMAT = "wildtrace-refdata-cache/2"
#: Cache files kept per folder (the newest; older keys are removed when a new one is written)
KEEP = 4
_PACKAGE = Path(__file__).resolve().parents[1]
#: The code that turns the data files into ``ReferenceData``: a change to it is a new key.
CODE_FILES = ("taxa/refdata.py", "taxa/senses.py", "taxa/merge.py", "taxa/checklist.py", "taxa/cache.py",
              "text/normalize.py", "manifest.py")

_memo: dict[str, ReferenceData] = {}
#: id of each ReferenceData in ``_memo`` -> its key (``key_of``)
_keys: dict[int, str] = {}
_lock = threading.Lock()
_default_dir: Path | None = None
_code_shas: dict[tuple[str, ...], str] = {}
T = TypeVar("T")


def load(data_dir: Path = refdata.DATA_DIR, *, extra_taxa: Iterable[Path] = (),
         cache_dir: Path | None = None) -> ReferenceData:
    """``refdata.load(data_dir, extra_taxa=...)``, from the compiled file in ``cache_dir`` when it
    is current (else parsed and the file written). Without ``cache_dir``: the folder the last call
    in this process named, else no file (parsed, kept in memory for this process)."""
    global _default_dir
    if cache_dir is not None:
        _default_dir = cache_dir
    folder = cache_dir or _default_dir
    extra = [p for p in extra_taxa if p.exists()]
    key = cache_key(data_dir, extra)
    with _lock:
        found = _memo.get(key)
        if found is not None:
            return found
        ref = _read(folder / _name("refdata", key), key, decode) if folder is not None else None
        if ref is None:
            ref = refdata.load(data_dir, extra_taxa=extra)
            if folder is not None:
                _write(folder, "refdata", key, ref, encode, decode)
        _memo[key] = ref
        _keys[id(ref)] = key
        return ref


def key_of(ref: ReferenceData) -> str | None:
    """The key of data this module returned in this process (None for data built elsewhere: a
    test's own ``refdata.load``), for things ``compiled`` derives from it."""
    key = _keys.get(id(ref))
    return key if key is not None and _memo.get(key) is ref else None


def compiled(kind: str, parts: Iterable[str], build: Callable[[], T], encode: Callable[[T], Any],
             decode: Callable[[Any], T], *, cache_dir: Path | None = None) -> T:
    """What ``build()`` returns, from the file of ``kind`` in the cache folder written for the same
    ``parts`` (the inputs, each a string: data keys, file hashes, ``code_sha256`` of the code that
    builds it), else built and the file written when ``decode`` of the encoded value equals it.
    ``encode`` returns JSON-ready values; ``decode`` may raise on anything malformed (rebuilt).
    Without ``cache_dir`` the folder of the last ``load``; with none, built and nothing written."""
    where = cache_dir or _default_dir
    if where is None:
        return build()
    key = hashlib.sha256("\0".join([FORMAT, kind, __version__, f"{sys.version_info[0]}.{sys.version_info[1]}",
                                    libraries(), *parts]).encode()).hexdigest()
    found = _read(where / _name(kind, key), key, decode)
    if found is not None:
        return found
    value = build()
    _write(where, kind, key, value, encode, decode)
    return value


@functools.cache
def libraries() -> str:
    """The installed data of libraries a compiled file depends on: OpenCC's traditional-to-
    simplified table (normalising every Chinese term). Its path, size and change time, read without
    importing it: an upgrade gives new keys, so nothing compiled with the old table is used."""
    spec = importlib.util.find_spec("opencc")
    origin = spec.origin if spec is not None else None
    if not origin:
        return "opencc:none"
    table = Path(origin).parent / "dictionary" / "TSCharacters.txt"
    try:
        st = table.stat()
    except OSError:
        return f"opencc:{table}:missing"
    return f"opencc:{table}:{st.st_size}:{st.st_mtime_ns}"


def cache_key(data_dir: Path, extra: list[Path]) -> str:
    """The key of the compiled data of these inputs (see the module's docstring)."""
    parts = [FORMAT, __version__, f"{sys.version_info[0]}.{sys.version_info[1]}", libraries(), code_sha256(*CODE_FILES),
             str(data_dir.resolve()), *(str(p.resolve()) for p in extra), manifest.sha256("rules", data_dir, extra)]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def clear_memory() -> None:
    """Forget the copies kept in this process (tests; a long process after ``data import-cites``)."""
    global _default_dir
    with _lock:
        _memo.clear()
        _keys.clear()
        _default_dir = None


def code_sha256(*names: str) -> str:
    """The SHA-256 of these files of the package (paths under ``wildtrace/``), names and bytes."""
    found = _code_shas.get(names)
    if found is None:
        digest = hashlib.sha256()
        for name in names:
            digest.update(name.encode() + b"\0" + (_PACKAGE / name).read_bytes())
        found = _code_shas[names] = digest.hexdigest()
    return found


def _name(kind: str, key: str) -> str:
    return f"{kind}-{key[:32]}.json"


def _read(path: Path, key: str, decode: Callable[[Any], T]) -> T | None:
    """The value in ``path`` when the file is whole and of ``key``; None otherwise."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    try:
        head, _, body = raw.partition(b"\n")
        header = orjson.loads(head)
        if (header.get("format") != FORMAT or header.get("key") != key
                or header.get("body_sha256") != hashlib.sha256(body).hexdigest()):
            return None
        with _no_gc():
            return decode(orjson.loads(body))
    except Exception:  # noqa: BLE001 - any damaged or foreign file is parsed again, never trusted
        return None


@contextmanager
def _no_gc() -> Iterator[None]:
    """The cyclic garbage collector paused while a file is decoded: the tens of thousands of
    objects it makes (none of them cycles to collect) would set off collections, each walking
    the objects made so far (about 10 ms of a 0.2 s scanner start, measured)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _write(folder: Path, kind: str, key: str, value: T, encode: Callable[[T], Any],
           decode: Callable[[Any], T]) -> None:
    """Write the compiled file (when the value survives the round trip); a cache that cannot be
    written (read-only folder, full disk) only costs the next start its parse."""
    try:
        body = orjson.dumps(encode(value))
        if decode(orjson.loads(body)) != value:
            return
        header = orjson.dumps({"format": FORMAT, "key": key, "body_sha256": hashlib.sha256(body).hexdigest()})
        with atomic_write(folder / _name(kind, key)) as fh:
            fh.write(header + b"\n" + body)
        old = sorted(folder.glob(f"{kind}-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)[KEEP:]
        for p in old:
            p.unlink(missing_ok=True)
    except Exception:  # noqa: BLE001 - the cache is an optimisation; the data loaded is what counts
        return


# --- encoding: every tuple a list, every frozenset a sorted list, each regex its source --------

def _plain(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in fields(obj) if f.compare}


def _sense(s: Sense) -> dict[str, Any]:
    return _plain(s)  # its regex is compiled from its cues on first use (``Sense.pattern``)


def encode(ref: ReferenceData) -> dict[str, Any]:
    """``ReferenceData`` as JSON-ready values (orjson writes tuples as lists)."""
    taxa = [{**_plain(t), "ambiguous_names": sorted(t.ambiguous_names),
             "names_unverified": sorted(t.names_unverified)} for t in ref.taxa]
    senses = [{"terms": e.terms, "source": e.source, "senses": [_sense(s) for s in e.senses],
               "default": e.senses.index(e.default) if e.default is not None else None} for e in ref.senses]
    return {"taxa": taxa, "products": [_plain(p) for p in ref.products],
            "codewords": [_plain(c) for c in ref.codewords], "cues": [_plain(c) for c in ref.cues],
            "patterns": [_plain(p) for p in ref.patterns], "rules": ref.rules, "sha256": ref.sha256,
            "senses": senses, "extra_taxa_files": ref.extra_taxa_files}


def _names(value: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    return {k: tuple(v) for k, v in value.items()}


def _taxon(d: dict[str, Any]) -> Taxon:
    return Taxon(**{**d, "names": _names(d["names"]), "trade_names": _names(d["trade_names"]),
                    "synonyms": tuple(d["synonyms"]), "cites_split": tuple(d["cites_split"]),
                    "ambiguous_names": frozenset(d["ambiguous_names"]),
                    "names_unverified": frozenset(d["names_unverified"])})


def _decode_sense(d: dict[str, Any]) -> Sense:
    return Sense(**{**d, "cues": tuple(d["cues"]), "examples": tuple(d["examples"])})


def _entry(d: dict[str, Any]) -> SenseEntry:
    senses = tuple(_decode_sense(s) for s in d["senses"])
    default = senses[d["default"]] if d["default"] is not None else None
    return SenseEntry(tuple(d["terms"]), senses, d["source"], default)


def decode(d: dict[str, Any]) -> ReferenceData:
    """The inverse of ``encode``."""
    return ReferenceData(
        taxa=tuple(_taxon(t) for t in d["taxa"]),
        products=tuple(Product(**{**p, "cites_terms": tuple(p["cites_terms"]), "words": _names(p["words"])})
                       for p in d["products"]),
        codewords=tuple(CodeWord(**c) for c in d["codewords"]),
        cues=tuple(Cue(**c) for c in d["cues"]),
        patterns=tuple(Pattern(**{**p, "examples": tuple(p["examples"]),
                                  "counter_examples": tuple(p["counter_examples"])}) for p in d["patterns"]),
        rules=d["rules"], sha256=d["sha256"], senses=tuple(_entry(e) for e in d["senses"]),
        extra_taxa_files=tuple(d["extra_taxa_files"]),
    )


__all__ = ["CODE_FILES", "FORMAT", "cache_key", "clear_memory", "code_sha256", "compiled", "decode", "encode",
           "key_of", "load"]
