"""The HP3/VIRION summary build and the temporal holdout, on small files in the real formats and on the real data."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from wildtrace import metrics
from wildtrace.zoonotic import build, holdout, origin, summary
from wildtrace.zoonotic.hosts import DATA_DIR

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
PRIORITIES = summary.load_priority(DATA_DIR / "priority_pathogens.csv")
LINEAGE = summary.load_lineage(DATA_DIR / "virus_lineage.csv")


def write_virion(d: Path) -> Path:
    d.mkdir()
    (d / "TaxonomyHost.csv").write_text(
        "HostTaxID,Host,HostGenus,HostFamily,HostOrder,HostClass,HostNCBIResolved\n"
        "9606,homo sapiens,homo,hominidae,primates,mammalia,TRUE\n"
        "9675,paguma larvata,paguma,viverridae,carnivora,mammalia,TRUE\n"
        "9676,paguma other,paguma,viverridae,carnivora,mammalia,TRUE\n"
        "100,rattus testus,rattus,muridae,rodentia,mammalia,TRUE\n"
        "101,NA,rattus,muridae,rodentia,mammalia,TRUE\n", encoding="utf-8")
    (d / "TaxonomyVirus.csv").write_text(
        "VirusTaxID,Virus,VirusGenus,VirusFamily,VirusOrder,VirusClass,VirusNCBIResolved,ICTVRatified\n"
        "694009,severe acute respiratory syndrome-related coronavirus,betacoronavirus,coronaviridae,x,y,TRUE,TRUE\n"
        "5,some parvovirus,NA,parvoviridae,NA,NA,TRUE,FALSE\n"
        "6,a late virus,NA,picornaviridae,NA,NA,TRUE,FALSE\n", encoding="utf-8")
    (d / "Edgelist.csv").write_text(
        "HostTaxID,VirusTaxID,AssocID\n"
        '9606,694009,"1, 2"\n'   # humans: SARS 2003
        "9606,5,3\n"             # humans: parvovirus, one undated record: not enough to count
        "9606,6,4\n"             # humans: late virus 2015
        '9675,694009,"5, 6"\n'   # civet SARS: GenBank 2004 + paper 2005
        "9675,5,7\n"             # civet parvo: paper 2008
        "9675,6,8\n"             # civet late virus: 2016
        "100,5,9\n"              # rat parvo: paper 2001
        "101,6,10\n", encoding="utf-8")  # genus-level rat record
    rows = ["AssocID\tPublicationYear\tReleaseYear\tReleaseMonth\tReleaseDay\tCollectionYear\tCollectionMonth\tCollectionDay",
            "1\t2003\tNA\tNA\tNA\tNA\tNA\tNA", "2\tNA\t2004\t1\t1\t2003\tNA\tNA", "3\tNA\tNA\tNA\tNA\tNA\tNA\tNA",
            "4\t2015\tNA\tNA\tNA\tNA\tNA\tNA", "5\tNA\t2004\t1\t1\tNA\tNA\tNA", "6\t2005\tNA\tNA\tNA\tNA\tNA\tNA",
            "7\t2008\tNA\tNA\tNA\tNA\tNA\tNA", "8\t2016\tNA\tNA\tNA\tNA\tNA\tNA", "9\t2001\tNA\tNA\tNA\tNA\tNA\tNA",
            "10\t2002\tNA\tNA\tNA\tNA\tNA\tNA"]
    with gzip.open(d / "Temporal.csv.gz", "wt", encoding="utf-8") as fh:
        fh.write("\n".join(rows) + "\n")
    return d


def write_hp3(d: Path) -> Path:
    d.mkdir()
    (d / "viruses.csv").write_text(
        "vVirusNameCorrected,vOrder,vFamily,vSubfamily,vGenus,IsZoonotic\n"
        "Rabies_virus,Mononegavirales,Rhabdoviridae,NA,Lyssavirus,1\n"
        "Canine_thing,NA,Parvoviridae,NA,NA,0\n", encoding="utf-8")
    (d / "hosts.csv").write_bytes(
        "hHostNameFinal,hOrder,hFamily,hGenus,hSpecies,hAllZACites,Synonyms\n"
        "Paguma_larvata,CARNIVORA,VIVERRIDAE,Paguma,larvata,127,\n"
        "Vulpes_caf\u00e9,CARNIVORA,CANIDAE,Vulpes,caf\u00e9,12,\n".encode("latin-1"))
    (d / "associations.csv").write_text(
        "vVirusNameCorrected,hHostNameFinal,WildDomInReference,DetectionMethod,DetectionQuality,Reference\n"
        "Rabies_virus,Paguma_larvata,wild,Antibodies,0,A 2001\n"
        "Rabies_virus,Paguma_larvata,wild,Isolation,2,B 2002\n"
        "Canine_thing,Vulpes_caf\u00e9,wild,PCR,2,C 2003\n", encoding="utf-8")
    return d


@pytest.fixture
def index(tmp_path: Path) -> build.Index:
    return build.read_index(write_virion(tmp_path / "virion"), write_hp3(tmp_path / "hp3"), PRIORITIES)


def rows_by_key(rows: list[dict[str, str]]) -> dict[tuple[str, str], dict[str, str]]:
    return {(r["level"], r["name"]): r for r in rows}


def test_summary_counts_and_evidence_strength(index: build.Index) -> None:
    rows = rows_by_key(build.summarise(index))
    civet = rows[("species", "paguma larvata")]
    assert (civet["taxid"], civet["sources"], civet["records"]) == ("9675", "HP3+VIRION", "4")
    # parvovirus: its only human record is one undated record, so it is not counted as shared
    assert (civet["viruses"], civet["shared"], civet["shared_seq"], civet["shared_lit"]) == ("3", "2", "1", "1")
    assert (civet["hp3_zoonotic"], civet["hp3_z_q2"], civet["hp3_z_q0"]) == ("1", "1", "0")  # best quality kept
    assert civet["priority"] == "lyssavirus;sars_related_cov"
    assert civet["priority_strong"] == "lyssavirus;sars_related_cov"  # GenBank record; HP3 isolation
    assert civet["families"] == "coronaviridae;parvoviridae;picornaviridae;rhabdoviridae"
    assert civet["hp3_cites"] == "127"
    assert ("species", "homo sapiens") not in rows  # humans are the reference, not a host row
    fox = rows[("species", "vulpes café")]  # latin-1 host file; HP3-only host
    assert fox["sources"] == "HP3" and fox["taxid"] == "" and fox["hp3_zoonotic"] == "0"
    genus = rows[("genus", "rattus")]  # the genus-level record counts for the genus only
    assert (genus["records"], genus["members"], genus["viruses"]) == ("2", "1", "2")
    fam = rows[("family", "viverridae")]
    assert (fam["members"], fam["members_shared"], fam["members_priority"]) == ("1", "1", "1")


def test_cutoff_keeps_only_dated_records_up_to_the_year(index: build.Index) -> None:
    rows = rows_by_key(build.summarise(index, cutoff=2010))
    civet = rows[("species", "paguma larvata")]
    # late virus (2016) dropped; parvovirus kept but its human record is undated -> not shared
    assert (civet["records"], civet["viruses"], civet["shared"]) == ("3", "2", "1")
    assert civet["sources"] == "VIRION" and civet["hp3_viruses"] == "0"
    rows = rows_by_key(build.summarise(index, cutoff=2003))
    assert ("species", "paguma larvata") not in rows  # nothing dated by 2003


def test_holdout_labels_and_scores(index: build.Index) -> None:
    s = holdout.host_scores(index, 2010)
    by = dict(zip(s.names, range(len(s.names)), strict=True))
    assert set(by) == {"paguma larvata", "rattus testus"}  # "paguma other" has no records at all
    civet, rat = by["paguma larvata"], by["rattus testus"]
    assert s.label[civet] == 1  # the 2015/2016 virus became shared after 2010
    assert s.label[rat] == 0
    assert s.effort[civet] == pytest.approx(np.log1p(3)) and s.known[civet]
    assert s.score[civet] > s.score[rat]


def test_auc_and_precision_at_k() -> None:
    label = np.array([1, 0, 1, 0])
    assert metrics.roc_auc(label, np.array([4.0, 3.0, 2.0, 1.0])) == 0.75
    assert metrics.roc_auc(label, np.array([1.0, 1.0, 1.0, 1.0])) == 0.5  # ties count half
    assert metrics.precision_at_k(label, np.array([4.0, 3.0, 2.0, 1.0]), 1) == 1.0
    # the top 2 cut through a tie of three hosts holding one positive: 1 + 1/3, over 2
    assert metrics.precision_at_k(np.array([1, 1, 0, 0]), np.array([5.0, 2.0, 2.0, 2.0]), 2) == pytest.approx(2 / 3)


def test_missing_input_is_a_data_error(tmp_path: Path) -> None:
    from wildtrace.errors import DataError
    with pytest.raises(DataError, match="missing VIRION file"):
        build.read_index(tmp_path, None, PRIORITIES)


def test_shipped_summary_matches_a_rebuild_from_shared_data(tmp_path: Path) -> None:
    """The summary in the package is exactly what scripts/build_zoonotic.py makes from ../shared/data."""
    idx = build.read_index(SHARED / "virion", SHARED / "hp3", PRIORITIES, LINEAGE, origin.load(DATA_DIR))
    build.write_summary(build.summarise(idx), tmp_path / "summary.csv.gz")
    shipped = gzip.decompress((DATA_DIR / "summary.csv.gz").read_bytes())
    assert gzip.decompress((tmp_path / "summary.csv.gz").read_bytes()) == shipped
    assert (DATA_DIR / "summary.csv.gz").stat().st_size < 1_000_000


def test_lineage_puts_a_strain_named_virus_in_its_priority_group(tmp_path: Path) -> None:
    """"pangolin coronavirus" has no SARS in its name; its NCBI lineage (Sarbecovirus) decides."""
    d = write_virion(tmp_path / "virion")
    with open(d / "TaxonomyVirus.csv", "a", encoding="utf-8") as fh:
        fh.write("2708335,pangolin coronavirus,betacoronavirus,coronaviridae,x,y,TRUE,FALSE\n")
    with open(d / "Edgelist.csv", "a", encoding="utf-8") as fh:
        fh.write("100,2708335,11\n")
    without = rows_by_key(build.summarise(build.read_index(d, None, PRIORITIES)))
    assert "sars_related_cov" not in without[("species", "rattus testus")]["priority"]
    with_lineage = rows_by_key(build.summarise(build.read_index(d, None, PRIORITIES, LINEAGE)))
    assert "sars_related_cov" in with_lineage[("species", "rattus testus")]["priority"]


def test_hp3_records_from_captive_or_laboratory_animals_are_marked_not_counted(tmp_path: Path) -> None:
    d = write_hp3(tmp_path / "hp3")
    (d / "viruses.csv").write_text(
        "vVirusNameCorrected,vOrder,vFamily,vSubfamily,vGenus,IsZoonotic\n"
        "Lassa_virus,NA,Arenaviridae,NA,Mammarenavirus,1\n"
        "Rabies_virus,Mononegavirales,Rhabdoviridae,NA,Lyssavirus,1\n", encoding="utf-8")
    (d / "hosts.csv").write_bytes(
        b"hHostNameFinal,hOrder,hFamily,hGenus,hSpecies,hWildDomFAO,hAllZACites,Synonyms\n"
        b"Macaca_testa,PRIMATES,CERCOPITHECIDAE,Macaca,testa,wild,10,\n"
        b"Sus_scrofa,CETARTIODACTYLA,SUIDAE,Sus,scrofa,domestic,10,\n")
    (d / "associations.csv").write_text(
        "vVirusNameCorrected,hHostNameFinal,WildDomInReference,DetectionMethod,DetectionQuality,Reference\n"
        "Lassa_virus,Macaca_testa,domestic,Isolation,2,Lab 1975\n"      # a laboratory macaque
        "Rabies_virus,Macaca_testa,captive,Isolation,2,Zoo 2000\n"
        "Rabies_virus,Macaca_testa,wild,Antibodies,0,Field 2001\n"      # also found in the wild: counted
        "Rabies_virus,Sus_scrofa,domestic,Isolation,2,Farm 2002\n", encoding="utf-8")  # a domestic species
    rows = rows_by_key(build.summarise(build.read_index(write_virion(tmp_path / "virion"), d, PRIORITIES)))
    macaque = rows[("species", "macaca testa")]
    assert macaque["priority_not_natural"] == "lassa"
    assert macaque["priority"] == "lyssavirus"
    assert rows[("species", "sus scrofa")]["priority"] == "lyssavirus"  # domestic species: a natural host
