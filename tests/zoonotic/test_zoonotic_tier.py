"""The tier rule (wildtrace.zoonotic.tier) on hand-made evidence rows: every branch of the table."""

from __future__ import annotations

import pytest

from wildtrace.zoonotic import tier as t
from wildtrace.zoonotic.hosts import HostRow, default, row_from_dict

RULES = default().rules


def row(**kw: object) -> HostRow:
    base = {"level": "species", "name": "x y", "records": "20"}
    base.update({k: str(v) for k, v in kw.items()})
    return row_from_dict(base)


@pytest.mark.parametrize(("evidence", "hazard"), [
    (row(priority="sars_related_cov", priority_strong="sars_related_cov", shared="1", shared_seq="1"), "priority"),
    (row(shared="6", shared_seq="5"), "priority"),  # many shared viruses on strong evidence
    (row(hp3_zoonotic="5", hp3_z_q2="5", hp3_viruses="5"), "priority"),  # HP3 isolation/PCR counts too
    (row(shared="6", shared_seq="4", shared_lit="2"), "shared"),  # 4 strong < 5
    (row(priority="lassa", shared="1", shared_lit="1"), "shared"),  # priority on literature only
    (row(records="3", hp3_viruses="1", hp3_zoonotic="1", hp3_z_q0="1"), "shared_few"),  # serology only
    (row(shared="2", shared_seq="2"), "shared"),  # two shared viruses on sequence evidence
    (row(shared="1", shared_seq="1"), "shared_few"),  # one is few
    (row(shared="3", shared_lit="3"), "shared_few"),  # literature only
    (row(records="50", viruses="4"), "none_sampled"),
    (row(records="3", viruses="2"), "data_deficient"),  # poorly sampled: never "low" hazard
])
def test_hazard_classes(evidence: HostRow, hazard: str) -> None:
    assert t.hazard(evidence, None, RULES) == hazard, evidence


def test_prior_only_without_records() -> None:
    strong_prior = t.Prior("genus", "rousettus", 6, 0.83, 0.5)
    weak_prior = t.Prior("genus", "foo", 6, 0.2, 0.0)
    assert t.hazard(None, strong_prior, RULES) == "inferred"
    assert t.hazard(None, weak_prior, RULES) == "data_deficient"
    assert t.hazard(None, None, RULES) == "data_deficient"
    # a host with records of its own ignores the prior, even a strong one
    assert t.hazard(row(records="3", viruses="1"), strong_prior, RULES) == "data_deficient"
    assert t.hazard(None, strong_prior, RULES, plant=True) == "plant"


def test_prior_needs_enough_members() -> None:
    few = row_from_dict({"level": "genus", "name": "g", "members": "2", "members_shared": "2"})
    many = row_from_dict({"level": "genus", "name": "g", "members": "4", "members_shared": "3",
                          "members_priority": "1"})
    assert t.prior_from(few, RULES) is None
    p = t.prior_from(many, RULES)
    assert p is not None and p.rate == 0.75 and p.priority_rate == 0.25


@pytest.mark.parametrize(("hazard", "exposure", "tier"), [
    ("priority", "high", t.HIGH), ("priority", "medium", t.ELEVATED), ("priority", "low", t.LOW),
    ("shared", "high", t.ELEVATED), ("shared", "medium", t.ELEVATED), ("shared", "low", t.LOW),
    ("shared_few", "high", t.ELEVATED), ("shared_few", "medium", t.LOW), ("shared_few", "low", t.LOW),
    ("inferred", "high", t.ELEVATED), ("inferred", "medium", t.UNKNOWN), ("inferred", "low", t.LOW),
    ("none_sampled", "high", t.LOW), ("data_deficient", "high", t.UNKNOWN),
    ("data_deficient", "medium", t.UNKNOWN), ("data_deficient", "low", t.LOW), ("plant", "high", t.LOW),
])
def test_tier_table(hazard: str, exposure: str, tier: str) -> None:
    assert t.tier(hazard, exposure) == tier


def test_table_is_complete_and_only_high_exposure_gives_high() -> None:
    for hazard in t.HAZARDS:
        assert set(t.TABLE[hazard]) == {"high", "medium", "low"}, hazard
        assert t.TABLE[hazard]["low"] == t.LOW
        assert t.HIGH not in (t.TABLE[hazard]["medium"], t.TABLE[hazard]["low"])


def test_sampling_words_never_say_low() -> None:
    assert t.sampling(0, RULES) == "no records"
    assert t.sampling(3, RULES) == "poorly sampled"
    assert t.sampling(10, RULES) == "moderately sampled"
    assert t.sampling(500, RULES) == "well sampled"


def test_score_orders_evidence_and_ignores_effort() -> None:
    strong = t.score(row(priority="mpox", priority_strong="mpox", shared="2", shared_seq="2"), None, RULES)
    weak = t.score(row(priority="mpox", shared="2", shared_lit="2"), None, RULES)
    shared = t.score(row(shared="2", shared_seq="2"), None, RULES)
    none = t.score(row(records="500", viruses="30"), None, RULES)
    assert strong > weak > shared > none == 0.0
    # the same evidence with ten times the records scores the same
    assert t.score(row(records="2000", shared="2", shared_seq="2"), None, RULES) == shared
    assert 0 < t.score(None, t.Prior("genus", "g", 5, 0.8, 0.4), RULES) < shared
