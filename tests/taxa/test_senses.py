"""Every example of every sense in data/senses.yaml is read in that sense (written examples: mechanics)."""

from __future__ import annotations

import pytest

from wildtrace.scan.result import ScanResult
from wildtrace.scan.scanner import Scanner
from wildtrace.settings import PACKAGE_DATA
from wildtrace.taxa import senses

ENTRIES = senses.load(PACKAGE_DATA / "senses.yaml")
CASES = [(e.terms[0], s, ex) for e in ENTRIES for s in e.senses for ex in s.examples]


def test_every_sense_has_an_example_and_every_entry_a_wildlife_sense() -> None:
    for e in ENTRIES:
        assert all(s.examples for s in e.senses), e.terms
        assert any(s.name == senses.WILDLIFE for s in e.senses), e.terms
        assert e.source


@pytest.mark.parametrize(("term", "sense", "example"), CASES, ids=[f"{t}:{s.name}:{i}" for i, (t, s, _) in enumerate(CASES)])
def test_example_is_read_in_its_sense(scanner: Scanner, term: str, sense: senses.Sense, example: str) -> None:
    (r,) = scanner.scan([{"id": "x", "title": example}])
    assert isinstance(r, ScanResult)
    not_counted = [x for x in r.reasons if "(not counted as wildlife)" in x or "innocent sense" in x]
    if sense.name == senses.WILDLIFE:
        # decided by its cues, or matched by a longer, unambiguous name ("Hammerhead shark")
        assert r.specimen["value"] in ("wildlife", "fossil"), (example, r.specimen, r.reasons)
        assert not not_counted, (example, r.reasons)
    else:
        assert r.verdict != "wildlife_offer", (example, r.reasons)
        # read in the other sense, or not a name at all in the listing's language ("Mako" is a
        # name of the shark only in Portuguese: an English watch listing does not count it)
        gated = not any(m.kind in ("taxon", "innocent") and m.matched == term for m in r.matches)
        assert not_counted or gated, (example, r.reasons)
        # real material of a domestic animal named beside it ("Puma suede sneakers") is a fact too
        expected = ("replica_or_depiction",) if sense.depicts else ("none", "unknown", "domestic_animal")
        assert r.specimen["value"] in expected, (example, r.specimen)


def test_no_cue_no_decision(scanner: Scanner) -> None:
    (r,) = scanner.scan([{"id": "x", "title": "Jaguar for sale, call me"}])
    assert isinstance(r, ScanResult)
    assert not any(" read as " in x for x in r.reasons), r.reasons
