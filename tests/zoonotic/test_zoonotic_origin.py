"""Issue 26: only natural infections count; shared viruses are named; the Gippet et al. table; the
holdout against study effort. Small files in the real formats, and the real shared data."""

from __future__ import annotations

import csv
import gzip
import importlib.util
import json
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner

from wildtrace.cli import cli, load_commands
from wildtrace.errors import DataError
from wildtrace.zoonotic import build, gippet, holdout, origin, summary
from wildtrace.zoonotic import tier as t
from wildtrace.zoonotic.hosts import DATA_DIR
from wildtrace.zoonotic.profile import default
from wildtrace.zoonotic.species import species_profile

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
PRIORITIES = summary.load_priority(DATA_DIR / "priority_pathogens.csv")
ORIGINS = origin.load(DATA_DIR)

# -- small VIRION/HP3 files in the real formats -----------------------------------------------

HOSTS = [("9606", "homo sapiens", "homo", "hominidae", "primates", "mammalia"),
         ("9541", "macaca fascicularis", "macaca", "cercopithecidae", "primates", "mammalia"),
         ("9694", "panthera tigris", "panthera", "felidae", "carnivora", "mammalia"),
         ("57247", "psittacus erithacus", "psittacus", "psittacidae", "psittaciformes", "aves")]
VIRUSES = [("186538", "zaire ebolavirus", "ebolavirus", "filoviridae"),
           ("186539", "reston ebolavirus", "ebolavirus", "filoviridae"),
           ("10244", "monkeypox virus", "orthopoxvirus", "poxviridae"),
           ("694009", "severe acute respiratory syndrome-related coronavirus", "betacoronavirus", "coronaviridae"),
           ("11234", "measles morbillivirus", "morbillivirus", "paramyxoviridae"),
           ("12455", "borna disease virus", "NA", "bornaviridae"),
           ("2560319", "avian orthoavulavirus 1", "orthoavulavirus", "paramyxoviridae"),
           ("11320", "influenza a virus", "alphainfluenzavirus", "orthomyxoviridae")]
#: (host, virus, year): every virus is recorded in people in 1990
EDGES = [("9541", "186538", 2001), ("9541", "186539", 1990), ("9541", "10244", 2001), ("9541", "694009", 2004),
         ("9541", "11234", 2001), ("9694", "694009", 2020), ("9694", "11320", 2004),
         ("57247", "12455", 2008), ("57247", "2560319", 2003)]


def write_virion(d: Path) -> Path:
    d.mkdir()
    (d / "TaxonomyHost.csv").write_text(
        "HostTaxID,Host,HostGenus,HostFamily,HostOrder,HostClass,HostNCBIResolved\n"
        + "".join(",".join(h) + ",TRUE\n" for h in HOSTS), encoding="utf-8")
    (d / "TaxonomyVirus.csv").write_text(
        "VirusTaxID,Virus,VirusGenus,VirusFamily,VirusOrder,VirusClass,VirusNCBIResolved,ICTVRatified\n"
        + "".join(f"{v},{n},{g},{f},NA,NA,TRUE,TRUE\n" for v, n, g, f in VIRUSES), encoding="utf-8")
    edges = [(h, v, y) for h, v, y in EDGES] + [("9606", v, 1990) for v, *_ in VIRUSES]
    (d / "Edgelist.csv").write_text("HostTaxID,VirusTaxID,AssocID\n" + "".join(
        f'{h},{v},"{2 * i + 1}, {2 * i + 2}"\n' for i, (h, v, _) in enumerate(edges)), encoding="utf-8")
    lines = ["AssocID\tPublicationYear\tReleaseYear\tReleaseMonth\tReleaseDay\tCollectionYear\tCollectionMonth"
             "\tCollectionDay"]
    for i, (_, _, y) in enumerate(edges):
        lines += [f"{2 * i + 1}\t{y}\tNA\tNA\tNA\tNA\tNA\tNA", f"{2 * i + 2}\tNA\t{y}\t1\t1\tNA\tNA\tNA"]
    with gzip.open(d / "Temporal.csv.gz", "wt", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    return d


def write_hp3(d: Path) -> Path:
    d.mkdir()
    (d / "viruses.csv").write_text(
        "vVirusNameCorrected,vOrder,vFamily,vSubfamily,vGenus,ReverseZoonoses,IsZoonotic\n"
        "Human_metapneumovirus,NA,Pneumoviridae,NA,Metapneumovirus,1,1\n"
        "Lassa_virus,NA,Arenaviridae,NA,Mammarenavirus,0,1\n"
        "Reston_ebolavirus,NA,Filoviridae,NA,Ebolavirus,0,1\n", encoding="utf-8")
    (d / "hosts.csv").write_bytes(
        b"hHostNameFinal,hOrder,hFamily,hGenus,hSpecies,hWildDomFAO,hAllZACites,Synonyms\n"
        b"Macaca_fascicularis,PRIMATES,CERCOPITHECIDAE,Macaca,fascicularis,wild,1084,\n"
        b"Pan_troglodytes,PRIMATES,HOMINIDAE,Pan,troglodytes,wild,900,\n")
    (d / "associations.csv").write_text(
        "vVirusNameCorrected,hHostNameFinal,WildDomInReference,DetectionMethod,DetectionQuality,Reference\n"
        "Lassa_virus,Macaca_fascicularis,wild,Isolation,2,Lab 1975\n"  # HP3 says wild; the table knows
        "Reston_ebolavirus,Macaca_fascicularis,wild,Isolation,2,Miranda et al. 1991\n"
        "Human_metapneumovirus,Pan_troglodytes,wild,PCR,2,Kondgen et al. 2008\n", encoding="utf-8")
    return d


@pytest.fixture
def rows(tmp_path: Path) -> dict[tuple[str, str], dict[str, str]]:
    idx = build.read_index(write_virion(tmp_path / "virion"), write_hp3(tmp_path / "hp3"), PRIORITIES,
                           None, ORIGINS)
    return {(r["level"], r["name"]): r for r in build.summarise(idx)}


def test_experimental_infections_of_macaques_do_not_count_reston_does(rows: dict) -> None:
    m = rows[("species", "macaca fascicularis")]
    assert m["shared_names"] == "reston ebolavirus"  # natural: the Reston outbreaks
    assert m["shared"] == "1" and m["hp3_zoonotic"] == "1"  # HP3: Reston counts, Lassa does not
    assert m["priority"] == "filovirus"
    assert set(m["priority_not_natural"].split(";")) == {"lassa", "mpox", "sars_related_cov"}
    why = dict(x.split("=") for x in m["not_counted"].split(";"))
    assert why == {"zaire ebolavirus": "experimental", "monkeypox virus": "experimental",
                   "severe acute respiratory syndrome-related coronavirus": "experimental",
                   "lassa virus": "experimental", "measles morbillivirus": "reverse_zoonotic"}


def test_zoo_tigers_infected_by_people_are_not_a_sars_host(rows: dict) -> None:
    tiger = rows[("species", "panthera tigris")]
    assert "sars_related_cov" not in tiger["priority"] and tiger["priority_not_natural"] == "sars_related_cov"
    assert tiger["not_counted"] == "severe acute respiratory syndrome-related coronavirus=reverse_zoonotic"
    assert tiger["shared_names"] == "influenza a virus" and tiger["priority"] == "influenza_a"


def test_parrot_viruses_shared_with_humans_are_named_and_not_counted(rows: dict) -> None:
    parrot = rows[("species", "psittacus erithacus")]
    assert parrot["shared"] == "0" and parrot["shared_names"] == ""
    assert parrot["not_counted"] == "avian orthoavulavirus 1=not_meaningful;borna disease virus=not_meaningful"


def test_hp3_reverse_zoonoses_flag_marks_human_viruses_in_apes(rows: dict) -> None:
    chimp = rows[("species", "pan troglodytes")]
    assert chimp["hp3_zoonotic"] == "0" and chimp["not_counted"] == "human metapneumovirus=reverse_zoonotic"


def test_pooled_rows_count_natural_records_only(rows: dict) -> None:
    fam = rows[("family", "felidae")]
    assert (fam["members"], fam["members_shared"], fam["priority"]) == ("1", "1", "influenza_a")
    assert fam["shared_names"] == "" and fam["not_counted"] == ""  # names only on species rows


def test_the_holdout_target_counts_natural_records_only(tmp_path: Path) -> None:
    idx = build.read_index(write_virion(tmp_path / "virion"), None, PRIORITIES, None, ORIGINS)
    s = holdout.host_scores(idx, 2002)
    by = dict(zip(s.names, range(len(s.names)), strict=True))
    # the tiger gains influenza A (natural, 2004) and SARS-CoV-2 from people (2020): positive by influenza
    assert s.label[by["panthera tigris"]] == 1
    # the parrot gains Borna disease virus in 2008, which does not count: negative
    assert s.label[by["psittacus erithacus"]] == 0
    # the macaque gains only experimental and reverse-zoonotic records after 2002: negative
    assert s.label[by["macaca fascicularis"]] == 0
    m = by["macaca fascicularis"]  # 8 records by 2002, of which one natural shared virus (Reston)
    assert s.adjusted[m] == pytest.approx(np.log1p(8) + np.log1p(1)) and s.family_effort[m] == s.effort[m]
    tiger = by["panthera tigris"]  # no records by 2002 and no sampled relatives: 0
    assert not s.known[tiger] and s.family_effort[tiger] == 0.0


def test_origin_tables_need_sources_and_known_words(tmp_path: Path) -> None:
    for name in ("evidence_origin.csv", "virus_notes.csv"):
        (tmp_path / name).write_text((DATA_DIR / name).read_text(encoding="utf-8"), encoding="utf-8")
    origin.load(tmp_path)
    with open(tmp_path / "evidence_origin.csv", "a", encoding="utf-8") as fh:
        fh.write("genus,macaca,zika,lab,a note,a source,2026-12-07\n")
    with pytest.raises(DataError, match="origin"):
        origin.load(tmp_path)
    with open(DATA_DIR / "evidence_origin.csv", encoding="utf-8") as fh:
        assert all(r["source"].strip() and r["verified_on"] for r in csv.DictReader(fh))
    assert ORIGINS.classify("Reston_ebolavirus", "macaca mulatta", "macaca", "", "")[0] == origin.NATURAL
    assert ORIGINS.classify("Zaire ebolavirus", "macaca mulatta", "macaca", "", "")[0] == origin.EXPERIMENTAL
    assert ORIGINS.classify("zaire ebolavirus", "pan troglodytes", "pan", "", "")[0] == origin.NATURAL


def test_the_hp3_flags_support_the_parrot_notes() -> None:
    """Borna disease virus: zoonotic only under HP3's broad definition; Newcastle disease virus: not zoonotic."""
    with open(SHARED / "hp3" / "viruses.csv", encoding="utf-8") as fh:
        flags = {r["vVirusNameCorrected"]: r for r in csv.DictReader(fh)}
    assert (flags["Borna_disease_virus"]["IsZoonotic"], flags["Borna_disease_virus"]["IsZoonotic.stringent"]) == (
        "1", "0")
    assert flags["Newcastle_disease_virus"]["IsZoonotic"] == "0"
    assert {n for n, r in flags.items() if r["ReverseZoonoses"] == "1"} >= {"Measles_virus", "Mumps_virus"}


# -- profiles over the shipped summary (real data) ---------------------------------------------

def test_african_grey_parrot_names_its_two_viruses_and_why_they_do_not_count() -> None:
    z = species_profile("Psittacus erithacus", exposure="high")["zoonotic"]
    text = " ".join(z["reasons"])
    assert "Borna disease virus" in text and "Newcastle disease virus" in text
    assert "not a meaningful risk from this host" in text and "shrew" in text
    assert z["hazard"] == "none_sampled" and z["tier"] == t.LOW


def test_macaque_and_tiger_profiles_mark_what_does_not_count() -> None:
    macaque = species_profile("Macaca fascicularis", exposure="high")["zoonotic"]
    assert "filovirus" in macaque["priority_pathogens"]  # Reston virus, a natural infection
    for code in ("lassa", "mpox", "sars_related_cov"):
        assert code not in macaque["priority_pathogens"]
    text = " ".join(macaque["reasons"])
    assert "reston ebolavirus" in text and "experimental or laboratory infection" in text
    for name in ("zaire ebolavirus", "lassa mammarenavirus", "monkeypox virus"):
        assert name in text.split("experimental or laboratory infection")[1]
    tiger = species_profile("Panthera tigris", exposure="high")["zoonotic"]
    assert "sars_related_cov" not in tiger["priority_pathogens"]
    assert any("reverse zoonosis" in r and "SARS-CoV or SARS-CoV-2" in r for r in tiger["reasons"])


def test_profiles_say_effort_ranks_better_and_give_the_effort_adjusted_score() -> None:
    p = species_profile("Paguma larvata")
    z = p["zoonotic"]
    assert any(r.startswith("Ranking: among hosts with records, study effort alone") for r in z["reasons"])
    assert z["notes"] and "-0.026 [-0.049, +0.000]" in z["notes"][0]
    assert z["effort_adjusted"] == pytest.approx(round(np.log1p(72) + np.log1p(6), 3))
    assert p["gippet"]["species"] == "paguma larvata" and p["gippet"]["traded"] is True
    # no records of its own: its family's study effort, log(1 + records / sampled species), plus the
    # share of its sampled relatives (the genus Rousettus here) that share a virus with humans
    inferred = default().zoonotic("Rousettus nonexistens", "species", "high", (), family="Pteropodidae")
    fam, genus = default().ev.row("family", "pteropodidae"), default().ev.row("genus", "rousettus")
    assert fam is not None and genus is not None and inferred["basis"] == "inferred"
    expected = np.log1p(fam.records / fam.members) + genus.members_shared / genus.members
    assert inferred["effort_adjusted"] == pytest.approx(round(expected, 3))


def test_cli_says_so(tmp_path: Path) -> None:
    load_commands()
    out = CliRunner().invoke(cli, ["species", "Psittacus erithacus"], env={"WILDTRACE_DATA_DIR": str(tmp_path)})
    assert out.exit_code == 0, out.output
    assert "Newcastle disease virus" in out.output and "Borna disease virus" in out.output
    assert "Ranking: among hosts with records" in out.output and "Note: Temporal holdout" in out.output
    assert "Effort-adjusted rank score" in out.output


# -- the Gippet et al. table -----------------------------------------------------------------------

def _builder() -> Any:  # scripts/ is not a package
    spec = importlib.util.spec_from_file_location("build_gippet", ROOT / "scripts" / "build_gippet.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_gippet_summary_is_derived_from_their_sheet(tmp_path: Path) -> None:
    mod = _builder()
    wb = openpyxl.Workbook()
    wb.active.title = "variables description"
    ws = wb.create_sheet("dataset")
    theirs = [c for c, _ in mod.COLUMNS.values()] + ["BioRealm", "Traded_all_CITES_1990"]
    ws.append(theirs)
    values = {"sciName": "Panthera_tigris", "PossibleNames_MDD": 'c("panthera tigris", "felis tigris")',
              "order": "CARNIVORA", "family": "FELIDAE", "Traded_all": "yes", "Traded_all_live": "yes",
              "Traded_legal": "yes", "Traded_illegal": "yes", "timeTraded_all_1980_2019": 40,
              "ZOONOTIC_NB_all": 20, "ZOONOTIC_NB_viruses": 7, "VIRION_ZOONOTIC_NB_viruses": 20,
              "pubs_pubmed_all_log": 8.669399124305569, "pubs_ALLdisease_PROP_logit": -0.89,
              "pubs_X": 0.2199135191646104, "DOMESTICATED_large": "no", "extinct": 0,
              "BioRealm": "Indomalaya", "Traded_all_CITES_1990": "yes"}
    ws.append([values[c] for c in theirs])
    ws.append([None] * len(theirs))  # a blank row is skipped
    wb.save(tmp_path / "S1.xlsx")
    assert mod.main(["--xlsx", str(tmp_path / "S1.xlsx"), "--out", str(tmp_path)]) == 0
    table = gippet.load(tmp_path / gippet.FILE)
    tiger = table["felis tigris"]  # found under its MDD synonym too
    assert tiger.species == "panthera tigris" and tiger.traded_live and tiger.zoonotic_pathogens == 20
    assert tiger.research_effort_index == pytest.approx(0.2199) and tiger.pubmed_log == pytest.approx(8.6694)
    text = gzip.decompress((tmp_path / gippet.FILE).read_bytes()).decode()
    assert "BioRealm" not in text and "1990" not in text.splitlines()[0]  # only the chosen columns
    meta = json.loads((tmp_path / "gippet_meta.json").read_text(encoding="utf-8"))
    assert "CC-BY 4.0" in meta["licence"] and meta["rows"] == 1 and "Gippet" in meta["citation"]


def test_shipped_gippet_table() -> None:
    meta = json.loads((DATA_DIR / "gippet_meta.json").read_text(encoding="utf-8"))
    table = gippet.default()
    assert len({r.species for r in table.values()}) == meta["rows"] == 6596
    assert table["macaca fascicularis"].traded and table["panthera tigris"].zoonotic_pathogens == 20
    assert (DATA_DIR / gippet.FILE).stat().st_size < 200_000


def test_evaluate_reports_paired_differences_and_the_gippet_overlap(tmp_path: Path) -> None:
    idx = build.read_index(write_virion(tmp_path / "virion"), None, PRIORITIES, None, ORIGINS)
    g = {"panthera tigris": gippet.GippetRow("panthera tigris", ("panthera tigris",), "carnivora", "felidae",
                                             True, True, True, 20, 7, 8.67, 0.22)}
    report = holdout.evaluate(idx, 2002, n_boot=20, gippet=g)
    diffs = report["all_hosts"]["auc_differences"]
    assert set(diffs) >= {"profile_score - baseline_log_records", "effort_adjusted - baseline_log_records",
                          "profile_score - baseline_family_effort"}
    assert report["gippet_overlap_all"]["hosts"] == 1
    assert "gippet_pubmed_log" in report["gippet_overlap_all"]
