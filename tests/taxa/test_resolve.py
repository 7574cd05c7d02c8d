"""Name -> taxon: exact matches only, accepted name over synonym over common name."""

from __future__ import annotations

import pytest

from wildtrace.taxa import refdata
from wildtrace.taxa.resolve import NameIndex


@pytest.fixture(scope="module")
def index() -> NameIndex:
    return NameIndex(refdata.load())


@pytest.mark.parametrize(("query", "expected", "how"), [
    ("Manidae", "Manidae", "accepted name"),
    ("  manidae ", "Manidae", "accepted name"),
    ("Manis tricuspis", "Phataginus tricuspis", "synonym Manis tricuspis"),
    ("trenggiling", "Manidae", "common name"),
    ("穿山甲", "Manidae", "common name"),
])
def test_names_resolve_to_one_taxon(index: NameIndex, query: str, expected: str, how: str) -> None:
    found = index.resolve(query)
    assert found.status == "resolved" and found.taxon is not None, found
    assert found.taxon.scientific_name == expected and found.via.startswith(how), found


def test_a_misspelling_is_never_an_answer_but_gives_candidates(index: NameIndex) -> None:
    found = index.resolve("Phataginus tricuspiss")
    assert found.status == "unresolved" and found.taxon is None
    assert "Phataginus tricuspis" in found.candidates


def test_an_empty_name_is_unresolved(index: NameIndex) -> None:
    assert index.resolve("   ").status == "unresolved"
