"""Zoonotic profiles over the shipped HP3/VIRION summary: resolution, profiles, the scan enricher, the CLI."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from wildtrace import Scanner, plugins
from wildtrace.cli import cli, load_commands
from wildtrace.scan.result import ScanResult
from wildtrace.taxa import refdata
from wildtrace.zoonotic import tier as t
from wildtrace.zoonotic.profile import DISCLAIMER, Profiler, default, exposure_of
from wildtrace.zoonotic.profile import enrich as zoonotic_enrich
from wildtrace.zoonotic.species import species_profile


@pytest.fixture(scope="module")
def profiler() -> Profiler:
    return default()


# -- resolution -----------------------------------------------------------------

@pytest.mark.parametrize(("query", "name", "via"), [
    ("Manis tricuspis", "Phataginus tricuspis", "synonym Manis tricuspis"),
    ("phataginus   TRICUSPIS", "Phataginus tricuspis", "accepted name"),
    ("Python reticulatus", "Malayopython reticulatus", "synonym Python reticulatus"),
    ("Manis gigantea", "Smutsia gigantea", "synonym Manis gigantea"),
    ("Python molurus bivittatus", "Python bivittatus", "synonym Python molurus bivittatus"),
    ("Holothuria nobilis", "Holothuria (Microthele) nobilis", "accepted name"),  # subgenus dropped
    ("Sunda pangolin", "Manis javanica", "common name 'Sunda pangolin'"),
    ("Myotis lucifugus", "Myotis lucifugus", "species name in VIRION/HP3 (NCBI)"),
])
def test_resolves_names(profiler: Profiler, query: str, name: str, via: str) -> None:
    res = profiler.resolver.name(query)
    assert (res.status, res.name, res.via) == ("resolved", name, via), res


def test_unknown_name_is_unresolved_with_candidates(profiler: Profiler) -> None:
    res = profiler.resolver.name("Pagma larvata")
    assert res.status == "unresolved" and res.taxon is None and res.host is None
    assert "Paguma larvata" in res.candidates
    assert profiler.resolver.name("<script>alert(1)</script>").status == "unresolved"
    assert profiler.resolver.name("   ").status == "unresolved"


def test_ambiguous_name_is_unresolved_not_guessed() -> None:
    ref = refdata.load()
    a = ref.taxon("Manis javanica")
    b = ref.taxon("Manis culionensis")
    assert a is not None and b is not None
    # two taxa sharing one synonym: neither may be picked
    clash = refdata.ReferenceData(
        taxa=(a.__class__(**{**a.__dict__, "synonyms": ("Manis ambigua",)}),
              b.__class__(**{**b.__dict__, "synonyms": ("Manis ambigua",)})),
        products=ref.products, codewords=(), cues=(), patterns=(), rules=ref.rules, sha256="x")
    res = Profiler(clash, default().ev).resolver.name("Manis ambigua")
    assert res.status == "unresolved"
    assert res.candidates == ("Manis culionensis", "Manis javanica")


def test_renamed_genera_join_virion_through_synonyms(profiler: Profiler) -> None:
    # VIRION files the reticulated python under its current genus; the pangolins of
    # Phataginus/Smutsia have no records at all (family Manidae has too few for a prior)
    b = profiler.resolver.evidence("Malayopython reticulatus")
    assert b.basis == "species" and b.row is not None and b.row.taxid == "1496311"
    b = profiler.resolver.evidence("Phataginus tricuspis")
    assert b.basis == "none" and b.row is None


def test_trinomial_falls_back_to_its_species(profiler: Profiler) -> None:
    b = profiler.resolver.evidence("Python molurus molurus", "subspecies")
    assert b.row is not None and b.row.name == "python molurus"
    assert "trinomial" in b.via


def test_higher_taxa_use_pooled_rows_labelled(profiler: Profiler) -> None:
    z = profiler.zoonotic("Manidae", "family", "high", ["live"])
    assert z["basis"] == "family" and "pooled over family Manidae" in z["reasons"][0]
    z = profiler.zoonotic("Selachimorpha", "superorder", "medium", class_="Elasmobranchii")
    assert z["basis"] == "class" and "Chondrichthyes" in z["reasons"][0]
    z = profiler.zoonotic("Lutrinae", "group", "medium")
    assert z["basis"] == "family" and "Mustelidae" in z["reasons"][0]


# -- profiles -------------------------------------------------------------------

def test_civet_live_is_high_with_sars_flag(profiler: Profiler) -> None:
    z = profiler.zoonotic("Paguma larvata", "species", "high", ["live"])
    assert z["tier"] == t.HIGH and z["hazard"] == "priority"
    assert "sars_related_cov" in z["priority_pathogens"]
    assert any("SARS-related" in r for r in z["reasons"])
    assert z["disclaimer"] == DISCLAIMER
    assert "HP3" in z["credits"] and "VIRION" in z["credits"]
    assert z["provenance"]["rules_version"] == "zoonotic-tier-3" and z["provenance"]["records"] == 72
    assert z["provenance"]["sources"] == "HP3+VIRION"


def test_trade_form_changes_the_tier(profiler: Profiler) -> None:
    tiers = {e: profiler.zoonotic("Panthera tigris", "species", e)["tier"] for e in ("high", "medium", "low")}
    assert tiers == {"high": t.HIGH, "medium": t.ELEVATED, "low": t.LOW}


def test_poorly_sampled_host_is_unknown_not_low(profiler: Profiler) -> None:
    z = profiler.zoonotic("Malayopython reticulatus", "species", "high", ["live"])
    assert z["tier"] == t.UNKNOWN and z["sampling"] == "poorly sampled"
    assert any("not evidence of absence" in r for r in z["reasons"])


def test_prior_is_labelled_inferred(profiler: Profiler) -> None:
    # a made-up Rousettus species: no records, but its genus is well sampled
    z = profiler.zoonotic("Rousettus nonexistens", "species", "high", ["live"])
    assert z["basis"] == "inferred" and z["hazard"] == "inferred" and z["tier"] == t.ELEVATED
    assert z["reasons"][0].startswith("Inferred, not observed")


def test_plants_are_low(profiler: Profiler) -> None:
    assert profiler.zoonotic("Dalbergia cochinchinensis", "species", "high")["tier"] == t.LOW


def test_exposure_of_products(profiler: Profiler) -> None:
    ev = profiler.ev
    assert exposure_of([], ev) == ("medium", [])
    assert exposure_of(["scales or spines"], ev) == ("low", ["scales or spines"])
    assert exposure_of(["scales or spines", "live"], ev) == ("high", ["live"])
    assert exposure_of(["no such type"], ev) == ("medium", [])
    # every product type of the scanner has a trade context
    assert {p.product_type for p in refdata.load().products} <= set(ev.exposure)


def test_cached_objects_are_not_shared(profiler: Profiler) -> None:
    a = profiler.zoonotic("Paguma larvata", "species", "high", ["live"])
    a["reasons"].append("tampered")
    b = profiler.zoonotic("Paguma larvata", "species", "high", ["live"])
    assert "tampered" not in b["reasons"]


def test_species_profile(profiler: Profiler) -> None:
    p = species_profile("pangolin", profiler)
    assert p["status"] == "resolved" and p["scientific_name"] == "Manidae" and p["cites_appendix"] == "I"
    assert "scales or spines" in p["products"]
    z = p["zoonotic"]
    assert z["tier_by_exposure"]["low"] == t.LOW and z["matched"]["level"] == "family"
    assert z["evidence"]["members_with_records"] >= 2
    p = species_profile("Pagma larvata", profiler)
    assert p == {"query": "Pagma larvata", "status": "unresolved", "reason": "no taxon or host has this name",
                 "candidates": ["Paguma larvata"]}


# -- the scan enricher ----------------------------------------------------------

def test_enricher_is_registered() -> None:
    assert plugins.enrichers.get("zoonotic") is zoonotic_enrich


def test_scan_adds_zoonotic_objects(scanner: Scanner) -> None:
    live, scales = list(scanner.scan([
        {"id": "1", "title": "Live tiger cub for sale, WhatsApp me"},
        {"id": "2", "title": "Pangolin scales 1kg for sale, DM me"},
    ]))
    assert isinstance(live, ScanResult) and isinstance(scales, ScanResult)
    tiger = live.taxa[0]
    assert tiger["scientific_name"] == "Panthera tigris" and tiger["zoonotic"]["tier"] == t.HIGH
    assert any(r.startswith("Zoonotic concern: offers Panthera tigris as live") for r in live.reasons), live.reasons
    pangolin = scales.taxa[0]
    assert pangolin["zoonotic"]["tier"] == t.LOW and pangolin["zoonotic"]["exposure"] == "low"
    assert not any(r.startswith("Zoonotic concern") for r in scales.reasons)
    json.dumps(live.to_dict())  # the output stays JSON


# -- the command ----------------------------------------------------------------

def test_cli_species(tmp_path: object) -> None:
    load_commands()
    runner = CliRunner()
    env = {"WILDTRACE_DATA_DIR": str(tmp_path)}
    out = runner.invoke(cli, ["species", "Manis", "tricuspis", "--json"], env=env)
    assert out.exit_code == 0, out.output
    body = json.loads(out.output)
    assert body["scientific_name"] == "Phataginus tricuspis" and body["zoonotic"]["tier"] == t.UNKNOWN
    out = runner.invoke(cli, ["species", "Paguma larvata", "--product", "live"], env=env)
    assert out.exit_code == 0 and "Zoonotic tier: high" in out.output and "Not a diagnosis" in out.output
    out = runner.invoke(cli, ["species", "Pagma larvata"], env=env)
    assert out.exit_code == 1 and "Did you mean: Paguma larvata" in out.output


def test_docs_example_matches_a_real_run(tmp_path: object) -> None:
    from pathlib import Path
    doc = (Path(__file__).resolve().parents[2] / "docs" / "zoonotic.md").read_text(encoding="utf-8")
    block = doc.split('$ wildtrace species "Paguma larvata" --product live\n', 1)[1].split("```", 1)[0]
    load_commands()
    out = CliRunner().invoke(cli, ["species", "Paguma larvata", "--product", "live"],
                             env={"WILDTRACE_DATA_DIR": str(tmp_path)})
    assert out.exit_code == 0
    for line in block.strip().splitlines():
        assert line in out.output.splitlines(), line


def test_profiles_state_their_scope_and_take_an_explicit_exposure() -> None:
    from wildtrace.errors import Invalid
    from wildtrace.zoonotic.profile import SCOPE
    from wildtrace.zoonotic.species import species_profile

    p = species_profile("Manis javanica")
    z = p["zoonotic"]
    assert z["scope"] == SCOPE and "psittacosis" in SCOPE
    assert z["exposure"] == "medium" and any("Exposure medium" in r for r in z["reasons"]), "the default is stated"
    high = species_profile("Manis javanica", exposure="high")["zoonotic"]
    assert high["exposure"] == "high" and high["tier"] == high["tier_by_exposure"]["high"]
    assert species_profile("Manis javanica", product_types=["live"], exposure="low")["zoonotic"]["exposure"] == "low"
    with pytest.raises(Invalid):
        species_profile("Manis javanica", exposure="extreme")


def test_a_parrot_found_through_virion_has_its_cites_status() -> None:
    from wildtrace.zoonotic.species import species_profile

    p = species_profile("Amazona aestiva")
    assert p["status"] == "resolved" and p["cites_appendix"] == "II"


def test_profiles_of_the_species_named_in_the_reference_facts_issue() -> None:
    """Pangolin CoV by lineage; one undated human record is not enough; lab infections marked;
    Pteropus medius through its old name; hosts resolve with a CITES status."""
    pangolin = species_profile("Manis javanica", exposure="high")["zoonotic"]
    assert pangolin["tier"] == t.HIGH and "sars_related_cov" in pangolin["priority_pathogens"]
    assert any("SARS-related" in r and "sequence, isolation or PCR" in r for r in pangolin["reasons"])
    python = species_profile("Python regius", exposure="high")["zoonotic"]
    assert python["tier"] == t.LOW and python["hazard"] == "none_sampled"
    macaque = species_profile("Macaca fascicularis", exposure="high")["zoonotic"]
    assert "herpes_b" in macaque["priority_pathogens"]
    lassa = [r for r in macaque["reasons"] if "Lassa" in r]
    assert lassa and all("(sequence, isolation or PCR evidence)" not in r.split("Lassa")[1].split(";")[0]
                         for r in lassa)
    bat = species_profile("Pteropus medius", exposure="high")
    assert bat["cites_appendix"] == "II" and bat["zoonotic"]["tier"] == t.HIGH
    assert "henipavirus" in bat["zoonotic"]["priority_pathogens"]
    assert species_profile("Amazona aestiva")["cites_appendix"] == "II"
    # the default exposure is medium and the profile says so
    parrot = species_profile("Amazona aestiva")["zoonotic"]
    assert parrot["exposure"] == "medium" and any(r.startswith("Exposure medium") for r in parrot["reasons"])


def test_a_host_found_only_in_virion_gets_the_cites_status_of_its_enclosing_taxon() -> None:
    bat = species_profile("Pteropus alecto")  # a VIRION host; the genus Pteropus is a WildTrace taxon
    assert bat["resolved_via"].startswith("species name in VIRION")
    assert bat["cites_appendix"] == "I/II"
    assert bat["cites_annotation"].startswith("from the enclosing genus Pteropus")
    assert species_profile("Homo sapiens")["cites_appendix"] is None
