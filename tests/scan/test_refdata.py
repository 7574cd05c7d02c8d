"""The shipped reference data: schema, sources, and the regex cues against their own examples."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from wildtrace import DataError
from wildtrace.scan import refdata
from wildtrace.scan.lexicon import Lexicon, needs_digit
from wildtrace.scan.normalize import fold

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
