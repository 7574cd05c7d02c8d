"""What start-up reads back instead of building (taxa/cache.py ``compiled``): the lexicon's term
table and the zoonotic summary's rows. Each read-back equals a fresh build, a change of input is a
new file, a damaged or foreign file is rebuilt and never loaded, and a scanner built from the files
scans real-shaped listings exactly as one built from scratch."""

from __future__ import annotations

import csv
import itertools
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import wildtrace
from wildtrace.errors import DataError
from wildtrace.scan import lexicon as lexmod
from wildtrace.scan.lexicon import Entry, Lexicon
from wildtrace.scan.scanner import Scanner
from wildtrace.settings import Settings
from wildtrace.taxa import cache, refdata
from wildtrace.zoonotic import hosts, profile

ROOT = Path(__file__).resolve().parents[1]
BIRDS = ROOT.parent / "shared" / "data" / "bird_ads_stringham2021.csv"
MARKETPLACES = Path("/work/ext/marketplaces")
SUMMARY = hosts.DATA_DIR / "summary.csv.gz"
LOCAL = [Entry("taxon", "Panthera tigris", "tigrezzq", "en", source="local"),
         Entry("product", "ivory", "ivory", "en", source="local"),  # a form the built-in data has
         Entry("code_word", "white gold", "weiss gold", "de", context_required=True, accented="weiss gold")]


@pytest.fixture(autouse=True)
def _fresh_memory(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No copy kept from another test: the reference data, the evidence, the profiler."""
    cache.clear_memory()
    hosts.default.cache_clear()
    monkeypatch.setattr(profile, "_DEFAULT", None)
    yield
    cache.clear_memory()
    hosts.default.cache_clear()


def _automaton(lex: Lexicon) -> list[tuple[str, Any]]:
    """Each form the automaton finds, with its entries."""
    return sorted((key, lex._terms.entries(i)) for key, (_, i) in lex._automaton.items())


def _same(a: Lexicon, b: Lexicon) -> None:
    assert _automaton(a) == _automaton(b)
    assert a.implied == b.implied and a.size == b.size and a._short_keys == b._short_keys
    assert a.codewords == b.codewords and a.patterns == b.patterns


def test_the_lexicon_read_back_equals_a_fresh_build(tmp_path: Path) -> None:
    fresh = Lexicon(refdata.load())  # data not from the cache: built, nothing written
    assert not list(tmp_path.glob("lexicon-*.json"))
    ref = cache.load(cache_dir=tmp_path)
    built = Lexicon(ref)  # built, then written
    assert len(list(tmp_path.glob("lexicon-*.json"))) == 1
    read = Lexicon(ref)  # read back
    _same(fresh, built)
    _same(fresh, read)
    assert read.size > 2000


def test_local_terms_are_part_of_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = Lexicon(refdata.load(), extra_terms=LOCAL)
    ref = cache.load(cache_dir=tmp_path)
    Lexicon(ref)
    with_local = Lexicon(ref, extra_terms=LOCAL)
    assert len(list(tmp_path.glob("lexicon-*.json"))) == 2  # one file per set of local terms
    monkeypatch.setattr(lexmod, "_build", _must_not_build)
    _same(with_local, Lexicon(ref, extra_terms=LOCAL))  # read back, not built
    _same(fresh, with_local)
    assert "tigrezzq" in dict(_automaton(with_local))
    with pytest.raises(AssertionError, match="built"):  # other local terms: another key
        Lexicon(ref, extra_terms=LOCAL[:1])


def test_a_lexicon_read_from_the_cache_pickles(tmp_path: Path) -> None:
    """Users send a Scanner to other processes (multiprocessing, joblib): the lazily made entries
    of a cached table must not hold a closure (review of issue 27)."""
    import pickle

    ref = cache.load(cache_dir=tmp_path)
    Lexicon(ref)  # built and written
    read = Lexicon(ref)  # read back: entries made on first use
    again = pickle.loads(pickle.dumps(read))
    _same(read, again)


def test_an_opencc_upgrade_gives_new_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Chinese term is normalised with OpenCC's table: a compiled file made with another
    table must not be used (review of issue 27: the old key held only WildTrace's and Python's
    versions)."""
    stamp = cache.libraries()
    assert stamp.startswith("opencc:") and "TSCharacters.txt" in stamp
    ref = cache.load(cache_dir=tmp_path)
    Lexicon(ref)
    key = cache.cache_key(tmp_path, [])
    monkeypatch.setattr(cache, "libraries", lambda: stamp + ":upgraded")
    assert cache.cache_key(tmp_path, []) != key
    monkeypatch.setattr(lexmod, "_build", _must_not_build)
    with pytest.raises(AssertionError, match="built"):  # the lexicon's own key changed too
        Lexicon(ref)


def _must_not_build(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("built, not read back")


def test_the_summary_rows_read_back_equal_the_parsed_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = hosts.load_rows(SUMMARY)
    assert hosts.summary_rows(SUMMARY) == parsed  # no cache folder: parsed
    cache.load(cache_dir=tmp_path)
    assert hosts.summary_rows(SUMMARY) == parsed  # parsed and written
    assert len(list(tmp_path.glob("zoonotic-rows-*.json"))) == 1
    monkeypatch.setattr(hosts, "load_rows", _must_not_build)
    rows = hosts.summary_rows(SUMMARY)
    assert isinstance(rows, hosts.Rows) and len(rows) == len(parsed) and list(rows) == list(parsed)
    key = next(k for k, r in parsed.items() if r.shared_names and r.priority)
    assert rows[key] == parsed[key] and rows[key] is rows[key]
    assert rows.get(("species", "no such host")) is None and ("species", "no such host") not in rows
    assert rows == parsed
    assert hosts.load(rows=rows) == hosts.load()


def test_a_changed_summary_is_a_new_file(tmp_path: Path) -> None:
    cache.load(cache_dir=tmp_path / "cache")
    copy = tmp_path / "summary.csv.gz"
    copy.write_bytes(SUMMARY.read_bytes())
    hosts.summary_rows(copy)
    hosts.summary_rows(SUMMARY)  # the same bytes elsewhere: the same key
    assert len(list((tmp_path / "cache").glob("zoonotic-rows-*.json"))) == 1
    import gzip

    text = gzip.decompress(SUMMARY.read_bytes()).decode()
    head, _, rest = text.partition("\n")
    first = next(csv.DictReader([head, rest.partition("\n")[0]]))
    first["name"] = "zzyzx testus"
    out = [head, ",".join(f'"{first[c]}"' for c in head.split(",")), rest]
    copy.write_bytes(gzip.compress("\n".join(out).encode()))
    changed = hosts.summary_rows(copy)
    assert len(list((tmp_path / "cache").glob("zoonotic-rows-*.json"))) == 2
    assert changed[(first["level"], "zzyzx testus")].name == "zzyzx testus"
    assert changed == hosts.load_rows(copy)


def _damage(path: Path, how: str) -> None:
    raw = path.read_bytes()
    head, _, body = raw.partition(b"\n")
    if how == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif how == "body_changed":
        path.write_bytes(head + b"\n" + body[:-40] + b"0" * 40)
    elif how == "foreign_key":
        header = json.loads(head)
        header["key"] = "0" * 64
        path.write_bytes(json.dumps(header).encode() + b"\n" + body)
    elif how == "other_shape":  # whole and of this key, but not what the decoder reads
        import hashlib

        body = b'{"strings": [1, 2], "rows": [[]]}'
        header = json.loads(head)
        header["body_sha256"] = hashlib.sha256(body).hexdigest()
        path.write_bytes(json.dumps(header).encode() + b"\n" + body)
    else:
        path.write_bytes(b"\x80\x04\x95cos\nsystem\n.")  # a pickle: never unpickled


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder with the reference data, the lexicon and the summary rows written."""
    folder = tmp_path_factory.mktemp("cache")
    Lexicon(cache.load(cache_dir=folder))
    hosts.summary_rows(SUMMARY)
    cache.clear_memory()
    return folder


@pytest.mark.parametrize("how", ["truncated", "body_changed", "foreign_key", "other_shape", "pickle"])
def test_a_damaged_or_foreign_file_is_rebuilt_not_loaded(tmp_path: Path, written: Path, how: str) -> None:
    shutil.copytree(written, tmp_path, dirs_exist_ok=True)
    ref = cache.load(cache_dir=tmp_path)
    fresh = Lexicon(ref)
    rows = hosts.summary_rows(SUMMARY)
    for pattern in ("lexicon-*.json", "zoonotic-rows-*.json"):
        [path] = tmp_path.glob(pattern)
        _damage(path, how)
    _same(Lexicon(ref), fresh)
    assert hosts.summary_rows(SUMMARY) == rows
    _same(Lexicon(ref), fresh)  # the rebuilt file reads back whole
    assert isinstance(hosts.summary_rows(SUMMARY), hosts.Rows)


def test_the_decoders_refuse_another_shape() -> None:
    ok = {"strings": ["a", "b"], "entries": [[0, 1, 0, 1, True, False, -1, 0, False, 1]], "keys": [["ab", 0]],
          "wide": [], "implied": [["ab", "a", "b"]]}
    table, implied = lexmod._decode(ok)
    assert list(table.items()) == [("ab", (Entry("a", "b", "a", "b", True, False, None, "a", ("b",), False),))]
    assert implied == {"ab": ("a", "b")} and table.wide == frozenset()
    for bad in ({**ok, "entries": [[0, 1, 0, 1, True]]},  # a row cut short
                {**ok, "keys": [[3, 0]]},  # a form that is not a string
                {**ok, "keys": [["ab", 4]]},  # no such entry
                {**ok, "wide": [5]},
                {**ok, "strings": ["a", 2]},
                {**ok, "implied": [["ab", "a", None]]},
                {"strings": ["a"]}):
        with pytest.raises((ValueError, KeyError, IndexError, TypeError)):
            lexmod._decode(bad)
    lazy, _ = lexmod._decode({**ok, "entries": [[0, 1, 0, 7, True, False, -1, 0, False]]})  # no such string
    with pytest.raises(IndexError):
        lazy.entries(0)
    for bad_rows in ([["species", "x", "1"]], {"kingdom\tx": "[]"}, {"species\tx": ["species", "x"]}):
        with pytest.raises(ValueError):
            hosts._decode_rows(bad_rows)  # type: ignore[arg-type]
    rows = hosts._decode_rows({"species\tx": '["species", "x"]', "genus\ty": '["genus", "z"' + ', ""' * 26 + "]"})
    assert list(rows) == [("species", "x"), ("genus", "y")] and ("species", "x") in rows
    for key in (("species", "x"), ("genus", "y")):  # a row of another shape: said, never made
        with pytest.raises(DataError, match="damaged"):
            rows[key]


# -- a whole scanner: from the files, as from scratch ----------------------------------------------

def _inputs() -> Iterator[dict[str, Any]]:
    with open(Path(wildtrace.__file__).parent / "data" / "demo_listings.jsonl", encoding="utf-8") as fh:
        yield from (json.loads(line) for line in fh if line.strip())
    with open(BIRDS, encoding="latin-1", newline="") as fh:
        for r in itertools.islice(csv.DictReader(fh), 1500):
            yield {"id": r["classifieds_unique_listing_id"], "text": r["text_stop_stem"]}
    for path in sorted(MARKETPLACES.glob("*/*.jsonl")) if MARKETPLACES.is_dir() else ():
        with open(path, encoding="utf-8") as fh:
            yield from (json.loads(line) for line in itertools.islice(fh, 120) if line.strip())


def _outputs(scanner: Scanner) -> list[dict[str, Any]]:
    out = []
    for r in scanner.scan(_inputs()):
        d = r.to_dict() if hasattr(r, "to_dict") else {"reject": str(r)}
        d.pop("scanned_at", None)
        out.append(d)
    return out


def test_a_scanner_from_the_files_scans_as_one_built_from_scratch(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(data_dir=tmp_path)
    built = _outputs(Scanner(settings, scorer=None))  # no files yet: everything built, files written
    assert {p.name.split("-")[0] for p in settings.refdata_cache_dir.glob("*.json")} >= {"refdata", "lexicon",
                                                                                        "zoonotic"}
    cache.clear_memory()
    hosts.default.cache_clear()
    monkeypatch.setattr(profile, "_DEFAULT", None)
    with monkeypatch.context() as mp:  # from the files: nothing parsed or built again
        mp.setattr(refdata, "load", _must_not_build)
        mp.setattr(lexmod, "_build", _must_not_build)
        mp.setattr(hosts, "load_rows", _must_not_build)
        scanner = Scanner(settings, scorer=None)
        assert isinstance(profile.default().ev.rows, hosts.Rows)
    read = _outputs(scanner)
    assert len(read) == len(built) > 1500
    differ = [(a.get("id"), a, b) for a, b in zip(read, built, strict=True) if a != b]
    assert not differ, differ[:1]
    assert sum(1 for d in read if d.get("verdict") == "wildlife_offer") > 10
    assert sum(1 for d in read for t in d.get("taxa") or () if t.get("zoonotic")) > 10
