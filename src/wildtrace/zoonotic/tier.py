"""The zoonotic tier rule: host evidence x trade context -> high / elevated / unknown / low.

Thresholds live in ``data/zoonotic/tier_rules.yaml``. The rule, step by step:

1. **Hazard** of the host, from its own records (or pooled over a higher taxon):
   - ``priority``: a priority pathogen (see ``priority_pathogens.csv``) with
     sequence, isolation or PCR evidence, or at least ``many_shared_strong``
     viruses shared with humans on such evidence;
   - ``shared``: at least ``shared_strong_min`` viruses shared with humans on
     sequence, isolation or PCR evidence, or a priority pathogen on literature or
     serology evidence only;
   - ``shared_few``: fewer viruses shared with humans than that on such evidence
     (one, or literature and serology only): weak evidence, which only high
     exposure lifts to ``elevated``;
   - ``none_sampled``: no shared virus although the host is not poorly sampled;
   - ``data_deficient``: no shared virus and poorly sampled, or no records;
   - ``inferred``: no records of its own, but at least ``rate_elevated`` of its
     sampled relatives (genus, else family) share a virus with humans;
   - ``plant``: a plant (out of scope of vertebrate virus datasets).
2. **Exposure** of the product form (``trade_context.csv``): ``high`` for live
   animals, meat, blood, organs and bile; ``medium`` for eggs, medicines,
   extracts or an unstated form; ``low`` for dried, tanned, carved or processed
   products.
3. **Tier** from the table ``TABLE`` below. Low exposure always gives ``low``;
   only high exposure can give ``high``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from wildtrace.zoonotic.hosts import HostRow

HIGH, ELEVATED, UNKNOWN, LOW = "high", "elevated", "unknown (data-deficient)", "low"
TIERS = (HIGH, ELEVATED, UNKNOWN, LOW)
HAZARDS = ("priority", "shared", "shared_few", "inferred", "none_sampled", "data_deficient", "plant")

#: hazard -> exposure -> tier
TABLE: dict[str, dict[str, str]] = {
    "priority": {"high": HIGH, "medium": ELEVATED, "low": LOW},
    "shared": {"high": ELEVATED, "medium": ELEVATED, "low": LOW},
    "shared_few": {"high": ELEVATED, "medium": LOW, "low": LOW},
    "inferred": {"high": ELEVATED, "medium": UNKNOWN, "low": LOW},
    "none_sampled": {"high": LOW, "medium": LOW, "low": LOW},
    "data_deficient": {"high": UNKNOWN, "medium": UNKNOWN, "low": LOW},
    "plant": {"high": LOW, "medium": LOW, "low": LOW},
}
#: rank order for sorting and for the holdout (higher = more concern)
TIER_RANK = {HIGH: 3, ELEVATED: 2, UNKNOWN: 1, LOW: 0}


@dataclass(frozen=True)
class Prior:
    """The taxonomic prior: how often sampled relatives share viruses with humans."""

    level: str  # genus or family
    name: str
    members: int
    rate: float
    priority_rate: float


def sampling(records: int, rules: dict[str, Any]) -> str:
    """Study effort in words; never "low": a host with few records is "poorly sampled"."""
    s = rules["sampling"]
    if records <= 0:
        return "no records"
    if records < int(s["poorly_sampled_below"]):
        return "poorly sampled"
    if records < int(s["well_sampled_from"]):
        return "moderately sampled"
    return "well sampled"


def prior_from(row: HostRow | None, rules: dict[str, Any]) -> Prior | None:
    """A prior from a genus or family row, when it has enough sampled members."""
    if row is None or row.members < int(rules["prior"]["min_members"]):
        return None
    return Prior(row.level, row.name, row.members, row.members_shared / row.members,
                 row.members_priority / row.members)


def hazard(row: HostRow | None, prior: Prior | None, rules: dict[str, Any], *, plant: bool = False) -> str:
    """The host's hazard class (see the module docstring)."""
    if plant:
        return "plant"
    if row is not None and (row.records > 0 or row.hp3_viruses > 0):
        if row.priority_strong or row.shared_strong >= int(rules["many_shared_strong"]):
            return "priority"
        if row.priority or row.shared_strong >= int(rules.get("shared_strong_min", 1)):
            return "shared"
        if row.shared_any > 0:
            return "shared_few"
        if sampling(row.records, rules) != "poorly sampled":
            return "none_sampled"
        return "data_deficient"
    if prior is not None and prior.rate >= float(rules["prior"]["rate_elevated"]):
        return "inferred"
    return "data_deficient"


def tier(hazard_class: str, exposure: str) -> str:
    return TABLE[hazard_class][exposure]


def score(row: HostRow | None, prior: Prior | None, rules: dict[str, Any]) -> float:
    """A continuous hazard score for ranking hosts; study effort is not an input.

    ``priority_strong`` (2) or ``priority_weak`` (1) for priority pathogens, plus
    ``log(1 + strong shared + 0.5 * weak shared)``; a host with no records gets
    ``prior_weight * (rate + priority rate) / 2`` from its relatives.
    """
    w = rules["score"]
    if row is not None and (row.records > 0 or row.hp3_viruses > 0):
        s = float(w["priority_strong"]) if row.priority_strong else (
            float(w["priority_weak"]) if row.priority else 0.0)
        strong = row.shared_strong
        weak = max(0, row.shared_any - strong)
        return s + math.log1p(strong + float(w["shared_weak_weight"]) * weak)
    if prior is not None:
        return float(w["prior_weight"]) * (prior.rate + prior.priority_rate) / 2
    return 0.0


def effort_adjusted(row: HostRow | None, family: HostRow | None, prior: Prior | None = None) -> float | None:
    """The ranking that beats study effort in the temporal holdout (``benchmarks/eval_zoonotic.py``).

    A host with records: ``log(1 + VIRION records) + log(1 + viruses shared with humans from natural
    records)``. A host with none: its family's study effort, ``log(1 + records / sampled species)``,
    plus the taxonomic prior's rate (share of sampled relatives sharing a virus with humans; 0 with
    no prior). None when neither is known. Effort is an input on purpose: new shared viruses are
    found where people look, and this says so instead of hiding it.
    """
    if row is not None and (row.records > 0 or row.hp3_viruses > 0):
        return math.log1p(row.records) + math.log1p(row.shared)
    if family is not None and family.members > 0:
        return math.log1p(family.records / family.members) + (prior.rate if prior is not None else 0.0)
    return None
