"""The data manifest drives loading and hashing: every reference file a scan opens is in a stamp,
and changing any of them changes that stamp."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wildtrace import manifest
from wildtrace.settings import PACKAGE_DATA
from wildtrace.taxa import refdata

#: Run in a child process: an audit hook records every file opened under the data folder while the
#: default scanner (rules + shipped model + zoonotic enricher) is built, reads a CSV and a JSON Lines
#: input, scans the demo listings and extracts identifiers.
_PROBE = r"""
import io, json, sys
from pathlib import Path
data = sys.argv[1]
opened = set()
def hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes, Path)):
        path = str(Path(args[0] if not isinstance(args[0], bytes) else args[0].decode()).resolve())
        if path.startswith(data):
            opened.add(path)
sys.addaudithook(hook)
from wildtrace import Scanner, Settings
from wildtrace.scan.readers import read_listings
from wildtrace.sellers import identifiers
scanner = Scanner(Settings(data_dir=Path(sys.argv[2])))
csv_in = io.BytesIO(b"Ad ID,Item Name,Body\n1,Sisik trenggiling asli,WA 0812-3456-7890\n")
lim = dict(max_field_chars=100000, max_record_bytes=2000000)
listings = list(read_listings(csv_in, fmt="csv", **lim))
listings += list(read_listings(open(Path(data) / "demo_listings.jsonl", "rb"), fmt="jsonl", **lim))
results = list(scanner.scan(listings))
for listing in listings:
    identifiers.extract(getattr(listing, "text", "") or "")
print(json.dumps(sorted(opened)))
"""


def test_every_file_under_the_data_folder_is_in_the_manifest() -> None:
    assert manifest.unlisted() == [], "add each new reference file to MANIFEST in manifest.py"


def test_every_file_a_scan_opens_is_in_a_stamped_group(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-c", _PROBE, str(PACKAGE_DATA.resolve()), str(tmp_path)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    opened = {Path(p) for p in json.loads(out.stdout.splitlines()[-1])}
    stamped = {p.resolve() for group in ("rules", "model", "zoonotic") for p in manifest.files(group)}
    rules = {p.resolve() for p in manifest.files("rules")}
    demo = manifest.path("demo_listings").resolve()
    assert opened - {demo} <= stamped, f"opened during a scan but in no stamp: {sorted(opened - stamped - {demo})}"
    # the files that decide verdicts are in the result's data_sha256, the ones named in the issue included
    for name in ("langs.yaml", "csv_headers.yaml", "rules.yaml", "normalize.yaml", "senses.yaml"):
        assert any(p.name == name for p in opened & rules), (name, sorted(opened))


def test_the_loader_stamps_with_the_manifest_hash() -> None:
    assert refdata.load().sha256 == manifest.sha256("rules")


@pytest.fixture(scope="module")
def data_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("data") / "data"
    shutil.copytree(PACKAGE_DATA, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


@pytest.mark.parametrize("group", ["rules", "model", "zoonotic", "trade"])
def test_changing_any_file_of_a_group_changes_its_stamp(data_copy: Path, group: str) -> None:
    before = manifest.sha256(group, data_copy)
    assert before == manifest.sha256(group), "the stamp depends on content, not on where the folder is"
    members = manifest.files(group, data_copy)
    assert members
    for path in members:
        original = path.read_bytes()
        path.write_bytes(original + b"\n")
        try:
            assert manifest.sha256(group, data_copy) != before, f"{path.name} is not in the {group} stamp"
        finally:
            path.write_bytes(original)
    assert manifest.sha256(group, data_copy) == before


def test_the_rules_stamp_changes_with_the_language_words(data_copy: Path) -> None:
    """The bug of issue 22: editing langs.yaml flipped verdicts while data_sha256 stayed the same."""
    langs = data_copy / "langs.yaml"
    original = langs.read_bytes()
    before = refdata.load(data_copy).sha256
    langs.write_bytes(original + b"\n# edited\n")
    try:
        assert refdata.load(data_copy).sha256 != before
    finally:
        langs.write_bytes(original)


def test_zoonotic_profiles_carry_their_data_stamp(scan_one) -> None:  # type: ignore[no-untyped-def]
    result = scan_one(title="Sisik trenggiling asli 1 kg")
    profiles = [t["zoonotic"] for t in result.to_dict()["taxa"] if "zoonotic" in t]
    assert profiles and all(p["provenance"]["data_sha256"] == manifest.sha256("zoonotic")[:16] for p in profiles)
