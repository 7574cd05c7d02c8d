"""Species+ "CITES listings" import, on a small fixture written in that format."""

from __future__ import annotations

import json
from pathlib import Path

from wildtrace import Scanner, Settings
from wildtrace.taxa import merge, refdata
from wildtrace.taxa.checklist import import_checklist, parse_synonyms

FIXTURE = Path(__file__).parent / "fixtures" / "species_plus_sample.csv"


def _load(out: Path) -> dict[str, dict]:  # type: ignore[type-arg]
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    return {row["scientific_name"]: row for row in rows if "scientific_name" in row}


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


SPLIT = Path(__file__).parent / "fixtures" / "species_plus_split_listings.csv"


def test_every_current_listing_value_imports(tmp_path: Path) -> None:
    out = tmp_path / "checklist.jsonl"
    report = import_checklist(SPLIT, out, today="2026-12-01")
    assert report.rejected == [] and report.taxa == 13
    taxa = _load(out)
    expected = {"Anodorhynchus hyacinthinus": "I", "Struthio camelus": "I", "Panax ginseng": "II",
                "Swietenia macrophylla": "II", "Felidae": "I/II", "Psittaciformes": "I/II", "Bubalus arnee": "III",
                "Bubalus": "I/III", "Cervus elaphus": "I/II/III", "Felis catus": "NC"}
    for name, appendix in expected.items():
        assert taxa[name]["cites_appendix"] == appendix, name
    # NC beside an appendix: some populations or forms are not listed, said in the annotation
    assert "not listed (NC)" in taxa["Struthio camelus"]["cites_annotation"]
    assert "NC" in taxa["Cervus elaphus"]["cites_annotation"]
    assert taxa["Anodorhynchus hyacinthinus"]["cites_annotation"] is None
    # a member without its own listing under an order listed I/II/NC (some members in I, some in II,
    # some not listed): the order's listing does not say which, so nothing is inherited; the note
    # names the order's listing to check (Species+ gives every listed member its own listing)
    assert taxa["Ara macao"]["cites_appendix"] == "not listed"
    assert taxa["Ara macao"]["cites_annotation"].startswith("no listing of its own in the export; "
                                                            "Psittaciformes is listed I/II/NC")


def test_gzip_and_zip_exports_import_the_same(tmp_path: Path) -> None:
    import gzip
    import zipfile

    gz = tmp_path / "export.csv.gz"
    gz.write_bytes(gzip.compress(SPLIT.read_bytes()))
    zp = tmp_path / "export.zip"
    with zipfile.ZipFile(zp, "w") as zf:
        zf.write(SPLIT, "Index_of_CITES_Species.csv")
    plain = import_checklist(SPLIT, tmp_path / "a.jsonl", today="2026-12-01")
    for i, path in enumerate((gz, zp)):
        report = import_checklist(path, tmp_path / f"{i}.jsonl", today="2026-12-01")
        assert report.taxa == plain.taxa and report.rejected == []
        assert _load(tmp_path / f"{i}.jsonl")["Struthio camelus"]["cites_appendix"] == "I"


def test_cli_import_exits_0_and_reports_counts(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from wildtrace.cli import cli, load_commands

    load_commands()
    res = CliRunner().invoke(cli, ["data", "import-cites", str(SPLIT)], env={"WILDTRACE_DATA_DIR": str(tmp_path)})
    assert res.exit_code == 0, res.output
    assert "Imported 13 taxa from 13 rows" in res.output


def test_imported_taxa_merge_into_built_in_ones(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    import_checklist(SPLIT, settings.cites_checklist_path)
    scanner = Scanner(settings)
    names = [t.scientific_name for t in scanner.ref.taxa]
    # the export's old name is the built-in's synonym: one taxon, not two with two statuses
    assert names.count("Aonyx cinereus") == 1 and "Aonyx cinerea" not in names
    otter = scanner.ref.taxon("Aonyx cinereus")
    assert otter is not None and "Asian Small-clawed Otter" in otter.names["en"]
    for title, taxon, appendix in [("For sale: live Anodorhynchus hyacinthinus, DM", "Anodorhynchus hyacinthinus", "I"),
                                   ("Hyacinth macaw baby for sale, hand fed", "Anodorhynchus hyacinthinus", "I"),
                                   ("Brown Caiman skin for sale", "Caiman crocodilus fuscus", "II")]:
        (r,) = scanner.scan([{"id": "1", "title": title}])
        assert r.verdict == "wildlife_offer", (title, r.reasons)
        assert (taxon, appendix) in [(t["scientific_name"], t["cites_appendix"]) for t in r.taxa], (title, r.taxa)


def test_old_synonyms_resolve(scanner: Scanner) -> None:
    for title, taxon in [("Felis tigris skin", "Panthera tigris"), ("Python reticulatus skin", "Malayopython reticulatus"),
                         ("Chelonia olivacea shell", "Lepidochelys olivacea")]:
        (r,) = scanner.scan([{"id": "1", "title": title}])
        assert taxon in [t["scientific_name"] for t in r.taxa], (title, r.taxa)


def test_export_traps_bom_crlf_spaced_values_and_blank_cells(tmp_path: Path) -> None:
    """As a spreadsheet re-saves it: a UTF-8 BOM, CRLF line ends, spaces inside a split listing."""
    text = SPLIT.read_text(encoding="utf-8").replace("II/NC", " II / NC ").replace("\n", "\r\n")
    path = tmp_path / "resaved.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    report = import_checklist(path, tmp_path / "out.jsonl", today="2026-12-01")
    assert report.rejected == [] and report.taxa == 13
    taxa = _load(tmp_path / "out.jsonl")
    assert taxa["Panax ginseng"]["cites_appendix"] == "II"
    assert "not listed (NC)" in taxa["Panax ginseng"]["cites_annotation"]
    # a blank CurrentListing cell is no listing of its own, not an error
    assert taxa["Ara macao"]["cites_annotation"].startswith("no listing of its own")
    assert taxa["Anodorhynchus hyacinthinus"]["names"]["fr"] == ["Ara hyacinthe"]


RESAVED = Path(__file__).parent / "fixtures" / "species_plus_resaved_utf7.csv"


def test_resaved_utf7_export_with_renamed_header_imports(tmp_path: Path) -> None:
    """A real export re-saved by a spreadsheet: UTF-7 bytes ("+AF8-" is "_"), ``scientific_name``
    instead of ``FullName``, two spaces where the commas were, CRLF and a blank last line."""
    out = tmp_path / "checklist.jsonl"
    report = import_checklist(RESAVED, out, today="2026-12-02")
    assert report.rejected == []
    assert (report.rows, report.taxa) == (8, 8)
    taxa = _load(out)
    assert taxa["Anodorhynchus hyacinthinus"]["cites_appendix"] == "I"
    assert "NC" in taxa["Anodorhynchus hyacinthinus"]["cites_annotation"]
    assert taxa["Psittaciformes"]["cites_appendix"] == "I/II"
    assert taxa["Agapornis roseicollis"]["cites_appendix"] == "NC"
    # synonyms separated by two spaces instead of ", " still parse, trinomials whole
    assert taxa["Amazona oratrix"]["synonyms"] == ["Amazona ochrocephala oratrix", "Amazona oratrix magna"]
    assert "Psittacus hyacinthinus" in taxa["Anodorhynchus hyacinthinus"]["synonyms"]


def test_import_checks_built_in_appendices_against_the_export(tmp_path: Path) -> None:
    report = import_checklist(RESAVED, tmp_path / "checklist.jsonl", today="2026-12-02")
    agreement = report.agreement
    # the export names built-in species and the order; each built-in taxon is counted once
    assert agreement.compared >= 5
    assert sum(agreement.counts.values()) == agreement.compared
    assert agreement.counts["differ"] == 0
    by_name = {name: (category, ours, theirs) for category, name, ours, theirs in agreement.details}
    assert by_name["Psittaciformes"] == ("builtin_varies", "varies", "I/II")
    assert "Anodorhynchus hyacinthinus" not in by_name  # I and I/NC agree: NC is a population note


def test_compare_sorts_each_difference_into_its_category() -> None:

    def taxon(name: str, appendix: str, annotation: str | None = None) -> refdata.Taxon:
        return refdata.Taxon(scientific_name=name, rank="species", class_=None, order=None, family=None,
                             cites_appendix=appendix, names={}, source="test", verified_on="2026-12-02",
                             cites_annotation=annotation)

    builtin = [taxon("A a", "I"), taxon("B b", "II"), taxon("C c", "I/II"), taxon("D d", "I"),
               taxon("E e", "II"), taxon("F f", "II"), taxon("G g", "III")]
    export = [taxon("A a", "I"), taxon("B b", "I/II"), taxon("C c", "II"), taxon("D d", "II"),
              taxon("E e", "NC"), taxon("F f", "II", "inherited from F")]
    agreement = merge.compare_taxa(builtin, export)
    assert agreement.counts == {"agree": 1, "export_split": 1, "builtin_split": 1, "differ": 1,
                                "builtin_varies": 0, "export_not_listed": 1, "export_inherited": 1}
    assert (agreement.compared, agreement.not_in_export) == (6, 1)


def test_a_row_with_more_cells_than_the_header_is_a_reject_not_a_shifted_taxon(tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text("FullName,RankName,CurrentListing,SynonymsWithAuthors\n"
                      "Ara macao,SPECIES,I,\n"
                      "Ara ararauna,SPECIES,II,Psittacus ararauna Linnaeus, 1758\n", encoding="utf-8")
    report = import_checklist(export, tmp_path / "out.jsonl", today="2026-12-02")
    assert report.taxa == 1
    assert report.rejected == [(3, "5 cells where the header has 4 (a comma outside quotes?)")]


API = Path(__file__).parent / "fixtures" / "species_plus_api_taxon_concepts.json"


def test_species_plus_api_json_imports(tmp_path: Path) -> None:
    """Pages of the Species+ API's taxon_concepts response (the shape rcites records), as saved."""
    out = tmp_path / "checklist.jsonl"
    report = import_checklist(API, out, today="2026-12-02")
    assert report.rejected == [(6, "inactive taxon concept 'Nasua solitaria'")]
    taxa = _load(out)
    macaw = taxa["Anodorhynchus hyacinthinus"]
    assert macaw["cites_appendix"] == "I" and "NC" in macaw["cites_annotation"]
    assert macaw["synonyms"] == ["Psittacus hyacinthinus"]
    assert macaw["names"] == {"en": ["Hyacinth Macaw"], "es": ["Guacamayo Jacinto"], "fr": ["Ara hyacinthe"],
                              "pt": ["Arara-azul-grande"]}  # Chinese left out: the script is not said
    assert macaw["family"] == "Psittacidae" and macaw["parent"] is None
    coati = taxa["Nasua narica"]
    assert coati["cites_appendix"] == "III"
    assert "listed by Honduras" in coati["cites_annotation"]
    assert "II" == taxa["Crocodylus niloticus"]["cites_appendix"].split("/")[-1]
    assert "Populations of Botswana" in taxa["Crocodylus niloticus"]["cites_annotation"]
    assert taxa["Bassaricyon"]["cites_appendix"] == "NC"


def test_api_json_lines_and_gzip_import_the_same(tmp_path: Path) -> None:
    import gzip

    pages = json.loads(API.read_text(encoding="utf-8"))
    lines = tmp_path / "pages.jsonl"
    lines.write_text("\n".join(json.dumps(p, ensure_ascii=False) for p in pages) + "\n", encoding="utf-8")
    gz = tmp_path / "pages.json.gz"
    gz.write_bytes(gzip.compress(API.read_bytes()))
    base = import_checklist(API, tmp_path / "a.jsonl", today="2026-12-02")
    for path in (lines, gz):
        other = import_checklist(path, tmp_path / f"{path.name}.out", today="2026-12-02")
        assert (other.taxa, other.rejected) == (base.taxa, base.rejected)


def test_json_that_is_not_a_species_plus_response_is_one_clear_error(tmp_path: Path) -> None:
    import pytest

    from wildtrace.errors import DataError

    bad = tmp_path / "other.json"
    bad.write_text('{"results": []}', encoding="utf-8")
    with pytest.raises(DataError, match="JSON without taxon_concepts"):
        import_checklist(bad, tmp_path / "out.jsonl")
