"""The shipped reference data: schema, sources, and the regex cues against their own examples."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from wildtrace import DataError
from wildtrace.scan.lexicon import Lexicon, needs_digit
from wildtrace.taxa import refdata
from wildtrace.text.normalize import fold

REF = refdata.load()


def test_every_row_has_a_source_and_a_date() -> None:
    rows = [*REF.taxa, *REF.products, *REF.codewords, *REF.cues, *REF.patterns]
    for row in rows:
        assert row.source.strip(), row
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row.verified_on), row


def test_taxa_cover_the_most_seized_groups() -> None:
    names = {t.scientific_name for t in REF.taxa}
    for required in ["Rhinocerotidae", "Manidae", "Phataginus tricuspis", "Smutsia gigantea", "Elephantidae",
                     "Panthera tigris", "Ursidae", "Moschus", "Saiga tatarica", "Hominidae", "Nycticebus",
                     "Macaca", "Rhinoplax vigil", "Psittaciformes", "Cacatuidae", "Crocodylia", "Pythonidae",
                     "Varanus", "Gekko gecko", "Testudinidae", "Cheloniidae", "Totoaba macdonaldi", "Hippocampus",
                     "Anguilla anguilla", "Selachimorpha", "Batoidea", "Tridacnidae", "Scleractinia", "Dalbergia",
                     "Pterocarpus santalinus", "Aquilaria", "Gyrinops"]:
        assert required in names, required
    assert len(REF.taxa) >= 60


def test_taxa_have_names_in_every_language_and_valid_parents() -> None:
    names = {t.scientific_name for t in REF.taxa}
    for t in REF.taxa:
        assert set(refdata.LANGS) <= set(t.names), t.scientific_name
        assert t.parent is None or t.parent in names, (t.scientific_name, t.parent)
        all_names = {n.casefold() for ns in [*t.names.values(), *t.trade_names.values()] for n in ns}
        assert t.ambiguous_names <= all_names, (t.scientific_name, t.ambiguous_names - all_names)


def test_eighteen_products_mapped_to_cites_terms() -> None:
    products = {p.product_type: p for p in REF.products}
    assert len(products) == 18
    term_codes = Path(__file__).resolve().parents[3] / "shared" / "data" / "cites_codes" / "sapi_term_codes.csv"
    known = set(re.findall(r"^([A-Z]{3}),", term_codes.read_text(encoding="utf-8"), re.M)) if term_codes.exists() else None
    for p in products.values():
        for lang in ("en", "fr", "es", "pt", "zh_hans", "vi", "th", "id"):
            assert p.words.get(lang), (p.product_type, lang)
        if known is not None:
            assert set(p.cites_terms) <= known, (p.product_type, set(p.cites_terms) - known)
        for taxon in p.implies.values():
            assert REF.taxon(taxon), taxon


def test_code_words_point_to_known_things() -> None:
    products = {p.product_type for p in REF.products}
    for cw in REF.codewords:
        assert cw.means_product is None or cw.means_product in products, cw
        assert cw.means_taxon is None or REF.taxon(cw.means_taxon), cw


def test_cues_in_every_language() -> None:
    for cue in refdata.CUE_KINDS:
        langs = {c.lang for c in REF.cues if c.cue == cue}
        assert {"en", "fr", "es", "pt", "zh_hans", "vi", "th", "id"} <= langs, (cue, langs)


@pytest.mark.parametrize("pattern", REF.patterns, ids=lambda p: p.name)
def test_regex_cues_match_their_examples(pattern: refdata.Pattern) -> None:
    regex = re.compile(pattern.pattern)
    assert pattern.examples, pattern.name
    for example in pattern.examples:
        assert regex.search(fold(example)), (pattern.name, example)
        if needs_digit(pattern.pattern):
            assert any(c.isdigit() for c in example), "digit-gated cues only run near digits"
    for counter in pattern.counter_examples:
        assert not regex.search(fold(counter)), (pattern.name, counter)


def test_lexicon_builds() -> None:
    lexicon = Lexicon(REF)
    assert lexicon.size > 2000


def test_bad_data_file_fails_loudly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "taxa").mkdir(parents=True)
    for name in ["products.yaml", "codewords.csv", "cues.csv", "patterns.yaml", "rules.yaml", "normalize.yaml"]:
        (data / name).write_bytes((refdata.DATA_DIR / name).read_bytes())
    bad = [{"scientific_name": "Foo bar", "rank": "species", "class": "X", "order": "Y", "family": "Z",
            "cites_appendix": "IV", "names": {lang: ["foo"] for lang in refdata.LANGS},
            "source": "test", "verified_on": "2026-11-26"}]
    (data / "taxa" / "bad.yaml").write_text(yaml.safe_dump(bad), encoding="utf-8")
    with pytest.raises(DataError, match="bad.yaml entry 1 \\(Foo bar\\): cites_appendix 'IV'"):
        refdata.load(data)


# Single words that are common in their language (Zipf frequency >= 3.5 in wordfreq) but whose
# everyday sense IS the animal or plant: reviewed by hand, each may stand alone as a name.
ANIMAL_WORDS = {
    ("en", "deer"), ("fr", "cerf"), ("id", "rusa"), ("ms", "rusa"), ("vi", "hươu"), ("vi", "nai"),
    ("ms", "beruk"), ("ms", "kelawar"), ("id", "kelelawar"), ("vi", "dơi"), ("pt", "morcego"),
    ("ms", "penyu"), ("id", "penyu"), ("pt", "tubarão"), ("es", "tiburón"), ("es", "tiburones"),
    ("fr", "requins"), ("ms", "jerung"), ("ms", "biawak"), ("vi", "vẹt"), ("vi", "hùm"),
    ("pt", "elefantes"), ("es", "elefantes"), ("fr", "éléphants"), ("id", "orangutan"), ("vi", "cầy"),
}


def test_no_taxon_name_is_an_everyday_word_without_context() -> None:
    """A one-word name that is common in its language must be in ``ambiguous_names`` (it then
    counts only beside other evidence) unless its everyday sense is the organism (ANIMAL_WORDS).
    "costo" (es: cost), "trắc" (vi: as in trắc nghiệm, a test) and "mara" (es: a gang) failed
    this before they were marked or dropped."""
    from wordfreq import zipf_frequency

    langs = {"en": "en", "fr": "fr", "es": "es", "pt": "pt", "id": "id", "ms": "ms", "vi": "vi"}
    offenders = []
    for t in REF.taxa:
        for lang, names in [*t.names.items(), *t.trade_names.items()]:
            if lang not in langs:
                continue  # wordfreq needs extra tokenizers for Chinese and Thai
            for name in names:
                if any(c in name for c in " -'’") or name.casefold() in t.ambiguous_names:
                    continue
                if (lang, name.casefold()) in ANIMAL_WORDS:
                    continue
                if zipf_frequency(name, langs[lang]) >= 3.5:
                    offenders.append((lang, name, t.scientific_name))
    assert offenders == []


def test_no_name_belongs_to_two_unrelated_taxa_among_the_traded_species_files() -> None:
    """The broadened taxa files (``*_traded.yaml``) never reuse a name another taxon has."""
    from collections import defaultdict

    owners: dict[str, set[str]] = defaultdict(set)
    for t in REF.taxa:
        for names in [*t.names.values(), *t.trade_names.values()]:
            for name in names:
                owners[fold(name)].add(t.scientific_name)
    traded = {row["scientific_name"] for p in sorted((refdata.DATA_DIR / "taxa").glob("*_traded.yaml"))
              for row in yaml.safe_load(p.read_text(encoding="utf-8"))}
    shared = {n: sorted(o) for n, o in owners.items() if len(o) > 1 and o & traded}
    assert shared == {}


def test_taxa_count_and_the_groups_named_in_the_reference_facts_issue() -> None:
    names = {t.scientific_name for t in REF.taxa}
    assert len(REF.taxa) >= 600
    for required in ["Anodorhynchus hyacinthinus", "Amazona auropalliata", "Cacatua leadbeateri",
                     "Ornithoptera priamus", "Troides helena", "Trogonoptera brookiana", "Tridacna derasa",
                     "Tridacna squamosa", "Hippopus hippopus", "Crocodylus porosus", "Crocodylus niloticus",
                     "Varanus salvator", "Moschus leucogaster", "Nautilus pompilius", "Scleropages formosus",
                     "Testudo graeca", "Cuora galbinifrons", "Swietenia macrophylla", "Panax ginseng",
                     "Struthio camelus", "Pteropus medius"]:
        assert required in names, required


# Names of four Latin letters or fewer whose everyday sense IS the animal: reviewed by hand
# (issue 14), each may stand alone. Any other short name must be in ``ambiguous_names``.
SHORT_ANIMAL_WORDS = {
    ("id", "kima"), ("ms", "kima"), ("fr", "vène"), ("en", "kuth"), ("vi", "hùm"), ("id", "owa"),
    ("es", "cuón"), ("id", "ajag"), ("pt", "anta"), ("pt", "teiú"), ("pt", "tiú"), ("en", "deer"),
    ("fr", "cerf"), ("vi", "hươu"), ("vi", "nai"), ("id", "rusa"), ("ms", "rusa"), ("vi", "dơi"),
    ("vi", "vẹt"), ("vi", "yểng"), ("vi", "cầy"),
}


def test_short_latin_names_need_context_unless_reviewed() -> None:
    """A one-word name of at most four Latin letters counts only beside other evidence unless it
    was reviewed as meaning the animal: French "daim" (fallow deer) is also suede, "cône" any cone,
    "raie" a parting, and each once made a suede jacket or a plastic cone a wildlife offer."""
    import re

    offenders = []
    for t in REF.taxa:
        for lang, names in [*t.names.items(), *t.trade_names.items()]:
            for name in names:
                if re.fullmatch(r"[^\W\d_]{1,4}", name) and not re.search(r"[\u0e00-\u0e7f\u3000-\u9fff]", name) \
                        and name.casefold() not in t.ambiguous_names and (lang, name.casefold()) not in SHORT_ANIMAL_WORDS:
                    offenders.append((lang, name, t.scientific_name))
    assert offenders == []
