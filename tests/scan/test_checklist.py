"""Species+ "CITES listings" import, on a small fixture written in that format."""

from __future__ import annotations

import json
from pathlib import Path

from wildtrace import Scanner, Settings
from wildtrace.scan.checklist import import_checklist, parse_synonyms

FIXTURE = Path(__file__).parent / "fixtures" / "species_plus_sample.csv"


def _load(out: Path) -> dict[str, dict]:  # type: ignore[type-arg]
    return {json.loads(line)["scientific_name"]: json.loads(line) for line in out.read_text().splitlines()}


def test_synonyms_keep_trinomials_whole() -> None:
    text = "Python molurus bivittatus Kuhl, 1820, Python reticulatus (Schneider, 1801), Manis gigantea de Blainville, 1838"
    assert parse_synonyms(text) == ["Python molurus bivittatus", "Python reticulatus", "Manis gigantea"]


def test_import_extends_taxa(tmp_path: Path) -> None:
    out = tmp_path / "checklist.jsonl"
    report = import_checklist(FIXTURE, out, today="2026-11-26")
    taxa = _load(out)
    assert report.rejected == [(12, "unknown CurrentListing 'IV'")]
    # species with its own listing, synonyms and names in three languages
    smutsia = taxa["Smutsia gigantea"]
    assert smutsia["cites_appendix"] == "I"
    assert "Manis gigantea" in smutsia["synonyms"]
    assert "Giant Ground Pangolin" in smutsia["names"]["en"] and smutsia["names"]["fr"]
    # a subspecies synonym stays a trinomial
    assert "Python molurus bivittatus" in taxa["Python bivittatus"]["synonyms"]
    # genus listing inherited by a member without its own listing
    assert taxa["Testudo graeca"]["cites_appendix"] == "II"
    assert taxa["Testudo graeca"]["cites_annotation"] == "inherited from Testudinidae"
    # domestic form stays excluded, and is not filled in from its family listing
    assert taxa["Psittacula krameri"]["cites_appendix"] == "NC"
    assert taxa["Bos gaurus frontalis"]["cites_appendix"] == "NC"
    assert report.excluded_nc == 2
    # a subspecies without its own listing inherits its species' listing
    assert taxa["Panthera tigris altaica"]["cites_appendix"] == "I"
    assert "Panthera tigris amurensis" in taxa["Panthera tigris altaica"]["synonyms"]
    assert report.inherited == 2


def test_scanner_uses_imported_checklist(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    import_checklist(FIXTURE, settings.cites_checklist_path)
    scanner = Scanner(settings)
    (result,) = scanner.scan([{"id": "1", "title": "Spur-thighed tortoise babies for sale"}])
    names = [t["scientific_name"] for t in result.taxa]
    assert "Testudo graeca" in names, result.reasons
    assert result.model["data_sha256"] != Scanner(Settings(data_dir=tmp_path / "empty")).model["data_sha256"]
