"""A Species+ import that corrupts no status: names without authorities, no merge through a shared
synonym or a chain, blank listings that inherit only what covers them, and an export that changes a
built-in status only where it is newer and says so. The fixture is a checklist export in its exact
shape (every column, quoted, CRLF, the download's file name with its date) written by hand."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from wildtrace import Scanner, Settings
from wildtrace.cli import cli, load_commands
from wildtrace.errors import ConfigError
from wildtrace.taxa import merge, refdata
from wildtrace.taxa.checklist import checklist_meta, export_date, import_checklist, ranges
from wildtrace.taxa.synonyms import parse_names, parse_synonyms

FIXTURES = Path(__file__).parent / "fixtures"
EXPORT = FIXTURES / "Index_of_CITES_Species_2026-05-30 10_12.csv"


def taxon(name: str, appendix: str, *, as_of: str = "2023-02-23", synonyms: tuple[str, ...] = (),
          split: tuple[dict[str, str], ...] = (), annotation: str | None = None) -> refdata.Taxon:
    return refdata.Taxon(scientific_name=name, rank="species", class_=None, order=None, family=None,
                         cites_appendix=appendix, names={"en": (name.lower(),)}, source="test",
                         verified_on="2026-11-26", synonyms=synonyms, cites_split=split,
                         cites_annotation=annotation, cites_as_of=as_of,
                         cites_source="CITES Appendices valid from 2023-02-23")


BUILTIN = [
    taxon("Andrias davidianus", "I", synonyms=("Megalobatrachus davidianus",)),
    taxon("Dendrobates tinctorius", "II"),
    taxon("Nepenthes rajah", "I"),
    taxon("Panthera leo", "I/II", annotation="India: I; all other populations: II",
          split=({"appendix": "I", "populations": "India"}, {"appendix": "II", "populations": "all other"})),
    taxon("Aonyx cinereus", "II", as_of="2016-10-04"),  # before CoP18 moved it to I
    taxon("Struthio camelus", "I"),
    taxon("Testudines", "varies"),
]


def _rows(path: Path) -> dict[str, dict]:  # type: ignore[type-arg]
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return {r["scientific_name"]: r for r in rows if "scientific_name" in r}


# --- names, not authorities ----------------------------------------------------------------------

@pytest.mark.parametrize(("cell", "names"), [
    ("Hyla tinctoria Cuvier, 1797, Dendrobates alter Barbour and Dunn, 1921",
     [("Hyla tinctoria", False), ("Dendrobates alter", False)]),
    # "auct.", "non", "sensu": the name was used for this taxon by mistake; it names another one
    ("Nepenthes rajah Hook.f. var. longicirrhosa Rolfe non Hook.f., Nepenthes spectabilis auct.",
     [("Nepenthes rajah var. longicirrhosa", True), ("Nepenthes spectabilis", True)]),
    ("Cattleya labiata auct., Dendrobium nobile Rolfe non Lindl., Sieboldia davidiana Blanchard, 1871",
     [("Cattleya labiata", True), ("Dendrobium nobile", True), ("Sieboldia davidiana", False)]),
    ("Testudo (Testudo) graeca Linnaeus, 1758, Pseudemys scripta elegans (Wied, 1838)",
     [("Testudo graeca", False), ("Pseudemys scripta elegans", False)]),
    ("Cycas revoluta Thunb. var. brevifrons Miq., Aloe ferox f. alba Smith ex Jones sensu lato",
     [("Cycas revoluta var. brevifrons", False), ("Aloe ferox f. alba", True)]),
    ("Manis gigantea de Blainville, 1838; Manis temminckii Smuts, 1832",
     [("Manis gigantea", False), ("Manis temminckii", False)]),
    ("", []),
])
def test_synonyms_are_names_without_their_authorities(cell: str, names: list[tuple[str, bool]]) -> None:
    got = parse_names(cell)
    assert got == names
    assert parse_synonyms(cell) == [n for n, misapplied in names if not misapplied]
    for name, _ in got:  # no author word ever ends up in a name
        assert not {"and", "non", "auct", "sensu", "Rolfe", "Barbour", "Hook"} & set(name.split())


def test_the_export_imports_with_its_date_distribution_and_every_row_accounted_for(tmp_path: Path) -> None:
    out = tmp_path / "checklist.jsonl"
    report = import_checklist(EXPORT, out, today="2026-12-07", builtin=BUILTIN)
    assert report.as_of == "2026-05-30" and report.rows == 19 and report.taxa == 18
    assert report.rejected == [(20, "a second row for Struthio camelus (TaxonId 5201); the first "
                                    "(TaxonId 5200, line 19) is kept")]
    assert checklist_meta(out) == {"source": EXPORT.name, "as_of": "2026-05-30", "prefer_export": False,
                                   "imported_on": "2026-12-07", "rows": 19, "taxa": 18}
    rows = _rows(out)
    assert rows["Andrias japonicus"]["synonyms"] == ["Megalobatrachus japonicus", "Salamandra maxima",
                                                     "Megalobatrachus maximus"]
    assert rows["Andrias davidianus"]["cites_as_of"] == "2026-05-30"
    # distribution by kind, names paired with their ISO codes; extinct is not range
    assert rows["Panthera leo"]["distribution"]["extinct"] == ["DZ"]
    assert rows["Testudo graeca"]["distribution"]["introduced"] == ["ES"]
    assert rows["Dicksonia sellowiana"]["distribution"]["native"] == ["BR", "BO"]  # "Bolivia (…of)"
    got = ranges(out)
    assert got["Panthera leo"] == frozenset({"AO", "BW", "IN", "KE", "ZA"})
    assert got["Felis leo"] == got["Panthera leo"]  # by synonym too
    assert got["Aonyx cinereus"] >= {"CN"}  # extinct(?) stays range: not known to be gone
    assert "Testudines" not in got  # no distribution: no range known, never "outside the range"


def test_blank_listings_inherit_only_what_covers_them(tmp_path: Path) -> None:
    out = tmp_path / "checklist.jsonl"
    import_checklist(EXPORT, out, today="2026-12-07", builtin=BUILTIN)
    rows = _rows(out)
    # a family in II as a whole: its member is II
    assert (rows["Testudo graeca"]["cites_appendix"], rows["Testudo graeca"]["cites_annotation"]) == (
        "II", "inherited from Testudinidae")
    # an order with NC (some members unlisted) passes nothing down: the red-eared slider is not listed
    assert rows["Emydidae"]["cites_appendix"] == "not listed"
    assert "Testudines is listed I/II/III/NC" in rows["Emydidae"]["cites_annotation"]
    assert rows["Trachemys scripta"]["cites_appendix"] == "not listed"
    # a genus listed only for the Americas: an Australian tree fern is not II by inheritance
    assert rows["Dicksonia antarctica"]["cites_appendix"] == "not listed"
    assert "Only the populations of the Americas" in rows["Dicksonia antarctica"]["cites_annotation"]
    assert rows["Dicksonia sellowiana"]["cites_appendix"] == "II"
    # a split listing passes the split and says which population is where
    persica = rows["Panthera leo persica"]
    assert persica["cites_appendix"] == "I/II" and "population of India" in persica["cites_annotation"]


def test_no_merge_through_a_shared_synonym_or_a_chain() -> None:
    imported = [
        taxon("Andrias davidianus", "I", as_of="2026-05-30", synonyms=("Megalobatrachus maximus",)),
        # claims the same synonym: old imports joined it to the first and gave the survivor III
        taxon("Andrias japonicus", "III", as_of="2026-05-30", synonyms=("Megalobatrachus maximus",)),
        # its synonym is a name the first one brought in: a chain, never followed
        taxon("Andrias sligoi", "II", as_of="2026-05-30", synonyms=("Andrias davidianus",)),
        # the built-in name is its synonym, but the built-in is already the exact match of another
        taxon("Nepenthes spectabilis", "II", as_of="2026-05-30", synonyms=("Nepenthes rajah",)),
        taxon("Nepenthes rajah", "I", as_of="2026-05-30", synonyms=("Nepenthes spectabilis",)),
    ]
    plan = merge.plan(BUILTIN, imported)
    assert {imported[k].scientific_name: (BUILTIN[i].scientific_name, how) for k, (i, how) in plan.matches.items()} == {
        "Andrias davidianus": ("Andrias davidianus", "name"), "Nepenthes rajah": ("Nepenthes rajah", "name")}
    assert {"Megalobatrachus maximus", "Andrias davidianus", "Nepenthes rajah",
            "Nepenthes spectabilis"} <= plan.shared_synonyms
    merged = {t.scientific_name: t for t in merge.merge_taxa(BUILTIN, imported)}
    assert merged["Andrias davidianus"].cites_appendix == "I"
    assert "Megalobatrachus maximus" not in merged["Andrias davidianus"].synonyms  # claimed by two
    assert merged["Andrias japonicus"].cites_appendix == "III" and merged["Andrias japonicus"].synonyms == ()
    assert merged["Andrias sligoi"].synonyms == ()
    assert merged["Nepenthes rajah"].cites_appendix == "I" and merged["Nepenthes spectabilis"].cites_appendix == "II"
    assert len(merged) == len(BUILTIN) + 3


def test_a_built_in_taxon_is_found_under_its_synonym_one_to_one() -> None:
    imported = [taxon("Aonyx cinerea", "I", as_of="2026-05-30", synonyms=("Aonyx cinereus",))]
    plan = merge.plan(BUILTIN, imported)
    assert [(BUILTIN[i].scientific_name, how) for i, how in plan.matches.values()] == [
        ("Aonyx cinereus", "export synonym")]
    merged = {t.scientific_name: t for t in merge.merge_taxa(BUILTIN, imported)}
    assert merged["Aonyx cinereus"].cites_appendix == "I" and "Aonyx cinerea" in merged["Aonyx cinereus"].synonyms
    assert "Aonyx cinerea" not in merged  # one taxon, not two


def test_a_newer_export_changes_only_what_it_says_and_an_older_one_nothing(tmp_path: Path) -> None:
    out = tmp_path / "checklist.jsonl"
    report = import_checklist(EXPORT, out, today="2026-12-07", builtin=BUILTIN)
    assert report.plan is not None
    # newer than the built-in II of 2016 and says I: changed; every other built-in status stays
    assert [(c.category, c.name) for c in report.plan.changes] == [("changed_newer", "Aonyx cinereus")]
    merged = {t.scientific_name: t for t in merge.merge_taxa(BUILTIN, refdata.load_checklist(out))}
    assert merged["Aonyx cinereus"].cites_appendix == "I" and merged["Aonyx cinereus"].cites_as_of == "2026-05-30"
    assert "built-in data: II as of 2016-10-04" in (merged["Aonyx cinereus"].cites_annotation or "")
    assert merged["Panthera leo"].cites_split == BUILTIN[3].cites_split  # the split stays
    assert merged["Testudines"].cites_appendix == "varies"
    assert merged["Struthio camelus"].cites_appendix == "I"  # I/NC is the same appendix
    assert merged["Trachemys scripta"].cites_appendix == "not listed"
    # an export of 2015 says II for the otter, whose built-in I is of 2023: the built-in stays
    newer_builtin = [taxon("Aonyx cinereus", "I"), *BUILTIN[:4]]
    old = tmp_path / "Index_of_CITES_Species_2015-06-01 09_00.csv"
    old.write_text(EXPORT.read_text(encoding="utf-8").replace('"5100","Animalia"', '"5100","Animalia"', 1)
                   .replace('"Aonyx cinereus","(Illiger, 1815)","SPECIES","I"',
                            '"Aonyx cinereus","(Illiger, 1815)","SPECIES","II"'), encoding="utf-8")
    report = import_checklist(old, tmp_path / "old.jsonl", today="2026-12-07", builtin=newer_builtin)
    assert report.plan is not None and [(c.category, c.name) for c in report.plan.changes] == [
        ("kept_builtin_newer", "Aonyx cinereus")]
    merged = {t.scientific_name: t for t in merge.merge_taxa(newer_builtin, refdata.load_checklist(tmp_path / "old.jsonl"))}
    assert merged["Aonyx cinereus"].cites_appendix == "I"
    # the user may prefer the export, and says so
    report = import_checklist(old, tmp_path / "pref.jsonl", today="2026-12-07", builtin=newer_builtin,
                              prefer_export=True)
    assert report.plan is not None and report.plan.counts()["changed_preferred"] == 1
    assert checklist_meta(tmp_path / "pref.jsonl")["prefer_export"] is True


def test_an_export_without_a_date_changes_no_status(tmp_path: Path) -> None:
    renamed = tmp_path / "cites.csv"
    shutil.copy(EXPORT, renamed)
    report = import_checklist(renamed, tmp_path / "c.jsonl", today="2026-12-07", builtin=BUILTIN)
    assert report.as_of is None and report.notes and "--as-of" in report.notes[0]
    assert report.plan is not None and [(c.category, c.name) for c in report.plan.changes] == [
        ("kept_date_unknown", "Aonyx cinereus")]
    dated = import_checklist(renamed, tmp_path / "d.jsonl", today="2026-12-07", builtin=BUILTIN, as_of="2026-05-30")
    assert dated.plan is not None and dated.plan.counts()["changed_newer"] == 1
    with pytest.raises(ConfigError):
        export_date(renamed, "2027-01-01", today="2026-12-07")
    with pytest.raises(ConfigError):
        export_date(renamed, "30/05/2026", today="2026-12-07")


def test_cli_reports_each_status_change_by_category_and_the_scanner_follows(tmp_path: Path) -> None:
    load_commands()
    env = {"WILDTRACE_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(cli, ["data", "import-cites", str(EXPORT)], env=env)
    assert result.exit_code == 3, result.output  # one row rejected (a second Struthio camelus row)
    assert "export of 2026-05-30" in result.output
    assert "line 20: skipped: a second row for Struthio camelus" in result.output
    for category in merge.CATEGORIES:
        assert f"{category.replace('_', ' ')}:" in result.output
    bad = CliRunner().invoke(cli, ["data", "import-cites", str(EXPORT), "--as-of", "yesterday"], env=env)
    assert bad.exit_code == 2 and "Traceback" not in bad.output and "YYYY-MM-DD" in bad.output
    scanner = Scanner(Settings(data_dir=tmp_path))
    (slider,) = scanner.scan([{"id": "1", "title": "Red-eared slider baby turtles for sale, 5 USD"}])
    assert all(t["cites_appendix"] not in ("I", "I/II", "I/II/III") for t in slider.taxa), slider.taxa
    (salamander,) = scanner.scan([{"id": "2", "title": "Chinese giant salamander, live, for sale"}])
    assert [t["cites_appendix"] for t in salamander.taxa if t["scientific_name"] == "Andrias davidianus"] == ["I"]


def test_a_partial_export_never_matches_a_taxon_through_a_misapplied_name(tmp_path: Path) -> None:
    export = tmp_path / "Index_of_CITES_Species_2026-05-30 10_12.csv"
    header = EXPORT.read_text(encoding="utf-8").splitlines()[0]
    row = ['"9001"', '"Plantae"', '""', '""', '""', '"Orchidaceae"', '"Dendrobium"', '"moniliforme"', '""',
           '"Dendrobium moniliforme"', '"(L.) Sw."', '"SPECIES"', '"I"', *['""'] * 6,
           '"Dendrobium nobile Rolfe non Lindl., Leopardus pardalis auct."', *['""'] * 13]
    export.write_text(header + "\r\n" + ",".join(row) + "\r\n", encoding="utf-8")
    ocelot = [taxon("Leopardus pardalis", "I"), taxon("Dendrobium nobile", "II")]
    report = import_checklist(export, tmp_path / "c.jsonl", today="2026-12-07", builtin=ocelot)
    assert report.plan is not None and report.plan.matches == {} and report.plan.changes == []
    row_out = _rows(tmp_path / "c.jsonl")["Dendrobium moniliforme"]
    assert row_out["synonyms"] == [] and row_out["misapplied_names"] == ["Dendrobium nobile", "Leopardus pardalis"]


def test_an_export_restating_one_part_of_a_split_or_saying_nc_changes_nothing() -> None:
    built = [taxon("Dicksonia", "varies"),
             taxon("Aonyx capensis", "I/II", split=({"appendix": "I", "populations": "Cameroon, Nigeria"},
                                                    {"appendix": "II", "populations": "all other"})),
             taxon("Equus zebra", "II")]
    imported = [taxon("Dicksonia", "II", as_of="2026-05-30", annotation="Only the populations of the Americas"),
                taxon("Aonyx capensis", "II", as_of="2026-05-30", annotation="Except the populations of Cameroon"),
                taxon("Equus zebra", "NC", as_of="2026-05-30")]
    plan = merge.plan(built, imported)
    assert [(c.category, c.name) for c in plan.changes] == [("kept_no_own_listing", "Equus zebra")]
    merged = {t.scientific_name: t for t in merge.merge_taxa(built, imported)}
    assert merged["Dicksonia"].cites_appendix == "varies"
    assert merged["Aonyx capensis"].cites_appendix == "I/II" and len(merged["Aonyx capensis"].cites_split) == 2
    assert merged["Equus zebra"].cites_appendix == "II"


def test_ranges_name_a_taxon_only_by_names_that_are_its_alone(tmp_path: Path) -> None:
    out = tmp_path / "c.jsonl"
    rows = [{"scientific_name": "Cattleya warocqueana", "synonyms": ["Cattleya labiata", "Cattleya imperialis"],
             "distribution": {"all": ["CO"]}},
            {"scientific_name": "Cattleya labiata", "synonyms": ["Cattleya imperialis"], "distribution": {"all": ["BR"]}}]
    out.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    got = ranges(out)
    assert got == {"Cattleya warocqueana": frozenset({"CO"}), "Cattleya labiata": frozenset({"BR"})}


def test_country_names_with_a_comma_pair_with_their_codes(tmp_path: Path) -> None:
    export = tmp_path / "Index_of_CITES_Species_2026-05-30 10_12.csv"
    lines = EXPORT.read_text(encoding="utf-8").splitlines()
    iguana = lines[1].replace('"CN","China","China"', '"BQ,CU,JM","Bonaire, Sint Eustatius and Saba,Cuba,Jamaica",'
                              '"Bonaire, Sint Eustatius and Saba,Cuba"').replace('"","","","",""\n', "")
    assert iguana != lines[1]
    cells = iguana.split('","')
    cells[-3] = "Jamaica"  # Extinct_Distribution
    export.write_text(lines[0] + "\r\n" + '","'.join(cells) + "\r\n", encoding="utf-8")
    import_checklist(export, tmp_path / "c.jsonl", today="2026-12-07", builtin=[])
    dist = _rows(tmp_path / "c.jsonl")["Andrias davidianus"]["distribution"]
    assert dist == {"all": ["BQ", "CU", "JM"], "native": ["BQ", "CU"], "extinct": ["JM"]}
    assert ranges(tmp_path / "c.jsonl")["Andrias davidianus"] == frozenset({"BQ", "CU"})


def test_a_file_whose_first_line_is_no_header_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "long.csv"
    bad.write_text("A" * 200_000 + "\n", encoding="utf-8")
    load_commands()
    result = CliRunner().invoke(cli, ["data", "import-cites", str(bad)], env={"WILDTRACE_DATA_DIR": str(tmp_path)})
    assert result.exit_code != 0 and "Traceback" not in result.output and "long.csv" in result.output
