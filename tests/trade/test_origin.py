"""Provenance of loaded files: what `trade synth` writes is cited as synthetic data, never as
the CITES Trade Database or LEMIS; the same bytes elsewhere (no manifest) and a real file dropped
into a synth folder keep the real citation; every analysis stamps where its data comes from."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

from wildtrace.trade import origin
from wildtrace.trade.load import load_paths
from wildtrace.trade.report import html_report, report
from wildtrace.trade.schema import connect
from wildtrace.trade.synth import SynthResult
from wildtrace.trade.trends import spikes

FIXTURE = Path(__file__).resolve().parent / "data" / "trade_db_1.csv"


def test_synth_writes_a_manifest_of_the_hashes_it_made(synth_dir: SynthResult) -> None:
    manifest = json.loads((synth_dir.lemis.parent / origin.MANIFEST).read_text())
    assert manifest["synthetic"] is True and manifest["made_by"].startswith("wildtrace trade synth")
    assert set(manifest["files"]) >= {p.name for p in [*synth_dir.bulk_files, synth_dir.comptab, synth_dir.lemis]}
    assert "not CITES Trade Database or LEMIS records" in manifest["note"]


def test_synthetic_files_are_cited_as_synthetic(synth_dir: SynthResult, tmp_path: Path) -> None:
    con = connect(tmp_path / "s.duckdb")
    res = load_paths(con, [synth_dir.bulk_files[0], synth_dir.comptab, synth_dir.lemis])
    for r in res:
        assert r.origin == origin.SYNTHETIC, r
        assert (r.citation or "").startswith("Synthetic data made by wildtrace trade synth"), r.citation
        assert "not CITES Trade Database or LEMIS data" in (r.citation or "")
        assert "trade.cites.org" not in (r.citation or "") and "Eskew" not in (r.citation or ""), r.citation
    # a reload (unchanged) keeps the origin
    assert {r.origin for r in load_paths(con, [synth_dir.lemis])} == {origin.SYNTHETIC}
    # every analysis says where its data comes from
    assert spikes(con)["provenance"]["data_origin"] == [origin.SYNTHETIC]
    text = html_report(report(con))
    assert origin.NOTICE.split(":")[0] in text and "trade.cites.org" not in text
    assert "synthetic (wildtrace trade synth)" in text


def test_the_same_bytes_without_the_manifest_and_real_files_beside_it_are_real(synth_dir: SynthResult,
                                                                                tmp_path: Path) -> None:
    elsewhere = tmp_path / "downloads"
    elsewhere.mkdir()
    bulk = shutil.copy(synth_dir.bulk_files[0], elsewhere / "trade_db_1.csv")
    lemis = shutil.copy(synth_dir.lemis, elsewhere / "lemis.csv")
    con = connect(tmp_path / "r.duckdb")
    got = load_paths(con, [Path(bulk), Path(lemis)])
    assert "trade.cites.org" in (got[0].citation or "") and got[0].origin == "CITES Trade Database", got[0]
    assert "Eskew" in (got[1].citation or "") and got[1].origin.startswith("LEMIS"), got[1]
    # a real download beside a synth manifest: its hash is not in the manifest
    beside = tmp_path / "synth-copy"
    beside.mkdir()
    shutil.copy(synth_dir.lemis.parent / origin.MANIFEST, beside / origin.MANIFEST)
    dropped = shutil.copy(FIXTURE, beside / "real_download.csv")
    [real] = load_paths(connect(tmp_path / "d.duckdb"), [Path(dropped)])
    assert real.origin == "CITES Trade Database" and "trade.cites.org" in (real.citation or ""), real


def test_a_zip_with_the_manifest_is_synthetic_and_without_it_real(synth_dir: SynthResult, tmp_path: Path) -> None:
    folder = synth_dir.lemis.parent
    with_manifest, without = tmp_path / "with.zip", tmp_path / "without.zip"
    with zipfile.ZipFile(with_manifest, "w") as zf:
        zf.write(synth_dir.lemis, "synth/lemis.csv")
        zf.write(folder / origin.MANIFEST, f"synth/{origin.MANIFEST}")
    with zipfile.ZipFile(without, "w") as zf:
        zf.write(synth_dir.lemis, "lemis.csv")
    found = load_paths(connect(tmp_path / "z.duckdb"), [with_manifest])
    assert [r.origin for r in found if r.status == "loaded"] == [origin.SYNTHETIC], found
    [plain] = load_paths(connect(tmp_path / "p.duckdb"), [without])
    assert plain.origin.startswith("LEMIS") and "Eskew" in (plain.citation or ""), plain
