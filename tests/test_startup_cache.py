"""The compiled reference data (taxa/cache.py) and the unpacked language model (text/langmodel.py):
equal to a fresh parse, rebuilt when a data file, an imported checklist or the file itself changes,
and never loaded when damaged or foreign."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from wildtrace.settings import PACKAGE_DATA, Settings
from wildtrace.taxa import cache, refdata
from wildtrace.text import lang, langmodel


@pytest.fixture(autouse=True)
def _fresh_memory() -> Iterator[None]:
    cache.clear_memory()
    yield
    cache.clear_memory()


@pytest.fixture(scope="module")
def data_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the packaged data folder that a test may change."""
    return Path(shutil.copytree(PACKAGE_DATA, tmp_path_factory.mktemp("data") / "data"))


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("refdata-*.json"))


def test_the_cached_data_equals_a_fresh_parse(tmp_path: Path) -> None:
    fresh = refdata.load()
    built = cache.load(cache_dir=tmp_path)  # parsed, then written
    assert len(_files(tmp_path)) == 1
    cache.clear_memory()
    read = cache.load(cache_dir=tmp_path)  # read from the file
    assert read == built == fresh
    assert read.sha256 == fresh.sha256 and read.senses == fresh.senses
    assert read.taxon("Panthera tigris") == fresh.taxon("Panthera tigris")


def test_a_changed_data_file_invalidates_the_cache(data_copy: Path, tmp_path: Path) -> None:
    before = cache.load(data_copy, cache_dir=tmp_path)
    cues = data_copy / "cues.csv"
    text = cues.read_text(encoding="utf-8")
    try:
        cues.write_text(text + "hornzzq,en,sale,test row,2026-12-07,\n", encoding="utf-8")
        cache.clear_memory()
        after = cache.load(data_copy, cache_dir=tmp_path)
        assert "hornzzq" in {c.term for c in after.cues} and "hornzzq" not in {c.term for c in before.cues}
        assert after.sha256 != before.sha256
        assert after == refdata.load(data_copy)
        assert len(_files(tmp_path)) == 2  # one file per key
    finally:
        cues.write_text(text, encoding="utf-8")


def test_an_imported_checklist_invalidates_the_cache(tmp_path: Path) -> None:
    checklist = tmp_path / "cites_checklist.jsonl"
    row = {"scientific_name": "Zzyzx testus", "rank": "species", "class": "Aves", "cites_appendix": "II",
           "names": {"en": ["zzyzx test bird"]}, "source": "test", "verified_on": "2026-12-07"}
    folder = tmp_path / "cache"
    base = cache.load(extra_taxa=[checklist], cache_dir=folder)  # no checklist yet: the built-in data
    assert base.taxon("Zzyzx testus") is None
    checklist.write_text(json.dumps(row) + "\n", encoding="utf-8")
    cache.clear_memory()
    first = cache.load(extra_taxa=[checklist], cache_dir=folder)
    assert first.taxon("Zzyzx testus") is not None and first.extra_taxa_files == (str(checklist),)
    row["names"] = {"en": ["zzyzx changed bird"]}
    checklist.write_text(json.dumps(row) + "\n", encoding="utf-8")
    cache.clear_memory()
    second = cache.load(extra_taxa=[checklist], cache_dir=folder)
    assert second.taxon("Zzyzx testus").names["en"] == ("zzyzx changed bird",)  # type: ignore[union-attr]
    assert second == refdata.load(extra_taxa=[checklist])


@pytest.mark.parametrize("damage", ["truncated", "body_changed", "foreign_key", "not_json", "pickle"])
def test_a_damaged_or_foreign_file_is_rebuilt_not_loaded(tmp_path: Path, damage: str) -> None:
    cache.load(cache_dir=tmp_path)
    [path] = _files(tmp_path)
    raw = path.read_bytes()
    head, _, body = raw.partition(b"\n")
    if damage == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "body_changed":  # a taxon renamed, header left as it was
        path.write_bytes(head + b"\n" + body.replace(b"Panthera tigris", b"Panthera tigrix", 1))
    elif damage == "foreign_key":  # a whole, self-consistent file written for other inputs
        header = json.loads(head)
        header["key"] = "0" * 64
        path.write_bytes(json.dumps(header).encode() + b"\n" + body)
    elif damage == "not_json":
        path.write_bytes(b"\x00\x01garbage")
    else:
        path.write_bytes(b"\x80\x04\x95cos\nsystem\n.")  # a pickle: never unpickled
    cache.clear_memory()
    loaded = cache.load(cache_dir=tmp_path)
    assert loaded == refdata.load()
    assert loaded.taxon("Panthera tigris") is not None and loaded.taxon("Panthera tigrix") is None
    assert cache.load(cache_dir=tmp_path) is loaded
    cache.clear_memory()
    assert cache.load(cache_dir=tmp_path) == loaded  # the rebuilt file reads back whole


def test_the_key_names_the_parsing_code() -> None:
    assert "taxa/refdata.py" in cache.CODE_FILES and "taxa/senses.py" in cache.CODE_FILES
    assert cache.cache_key(PACKAGE_DATA, []) == cache.cache_key(PACKAGE_DATA, [])


def test_the_scanner_writes_its_cache_under_the_data_folder(tmp_path: Path) -> None:
    from wildtrace.scan.scanner import Scanner

    settings = Settings(data_dir=tmp_path)
    scanner = Scanner(settings, scorer=None)
    assert _files(settings.refdata_cache_dir)
    assert scanner.ref == refdata.load(extra_taxa=[settings.cites_checklist_path])
    [result] = scanner.scan([{"id": "1", "title": "Rhino horn for sale, WhatsApp me"}])
    assert result.verdict == "wildlife_offer"  # type: ignore[union-attr]


TEXTS = ["Raw rhino horn pieces, genuine, ship worldwide", "vente ivoire ancien prix ferme",
         "jual sisik trenggiling asli murah", "venda de marfim antigo", "Elfenbein zu verkaufen",
         "ok", "se vende colmillo de elefante tallado", "dijual kulit harimau"]


def test_the_unpacked_language_model_classifies_as_the_packaged_one(tmp_path: Path) -> None:
    packaged = langmodel.identifier(lang.LATIN_LANGS)
    langmodel.identifier(lang.LATIN_LANGS, tmp_path)  # unpacked and written
    [folder] = list(tmp_path.glob("langid-*"))
    unpacked = langmodel.identifier(lang.LATIN_LANGS, tmp_path)  # read back
    assert [packaged.classify(t) for t in TEXTS] == [unpacked.classify(t) for t in TEXTS]
    (folder / "nextmove.npy").write_bytes(b"\x93NUMPY garbage")  # damaged: rebuilt from the package
    again = langmodel.identifier(lang.LATIN_LANGS, tmp_path)
    assert [again.classify(t) for t in TEXTS] == [packaged.classify(t) for t in TEXTS]


_PROBE = r"""
import json, sys
from wildtrace.cli import main
sys.argv = ["wildtrace", "scan", sys.argv[1], "-q", "-o", sys.argv[2]]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if "." not in m)))
"""


def test_a_scan_imports_nothing_it_does_not_use(tmp_path: Path) -> None:
    """Without --db no SQLAlchemy; without Chinese text no rjieba; an English listing that function
    words decide needs neither numpy nor the language model."""
    import os
    import subprocess
    import sys

    one = tmp_path / "one.jsonl"
    one.write_text(json.dumps({"id": "1", "title": "Rhino horn for sale, it is the real one and you can "
                                                   "call me on WhatsApp if you want it"}) + "\n", encoding="utf-8")
    env = {**os.environ, "WILDTRACE_DATA_DIR": str(tmp_path / "data")}
    out = subprocess.run([sys.executable, "-c", _PROBE, str(one), str(tmp_path / "out.jsonl")],
                         capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    loaded = set(json.loads(out.stdout.splitlines()[-1]))
    assert json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8"))["verdict"] == "wildlife_offer"
    assert not loaded & {"sqlalchemy", "alembic", "rjieba", "numpy", "py3langid", "duckdb", "sklearn"}, loaded
