"""Temporal holdout of the zoonotic profile on VIRION (issue 6, "honest evaluation").

Build the summary from VIRION records dated (published, or released to
GenBank) up to ``cutoff``; score every host species; ask which hosts gained a
virus shared with humans after ``cutoff`` (a host-virus or human-virus record
dated after it that makes a pair shared that was not shared by then). Compare
the profile's score and tier with the study-effort baseline
``log(1 + records up to cutoff)``: ROC-AUC and precision in the top k, with
95% bootstrap intervals (hosts resampled; the AUC difference is paired).
Undated records are left out on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import rankdata

from wildtrace.zoonotic import tier as tiers
from wildtrace.zoonotic.build import Index, host_records, summarise
from wildtrace.zoonotic.hosts import load as load_evidence
from wildtrace.zoonotic.hosts import row_from_dict


@dataclass
class HostScores:
    names: list[str]
    label: np.ndarray  # 1 = gained a new human-shared virus after the cut-off
    score: np.ndarray  # profile score
    tier: np.ndarray  # tier rank at high exposure (3 high .. 0 low)
    effort: np.ndarray  # log(1 + records up to the cut-off)
    known: np.ndarray  # host had records up to the cut-off


def auc(label: np.ndarray, score: np.ndarray) -> float:
    """ROC-AUC with ties counted half (Mann-Whitney)."""
    pos = label.astype(bool)
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def precision_at(label: np.ndarray, score: np.ndarray, k: int) -> float:
    """Expected precision of the top k when ties are broken at random."""
    k = min(k, len(score))
    if k <= 0:
        return float("nan")
    threshold = np.sort(score)[::-1][k - 1]
    above = score > threshold
    tied = score == threshold
    n_above = int(above.sum())
    pos_tied = float(label[tied].sum()) / max(1, int(tied.sum()))
    return (float(label[above].sum()) + (k - n_above) * pos_tied) / k


def host_scores(idx: Index, cutoff: int) -> HostScores:
    rows = {(r["level"], r["name"]): row_from_dict(r) for r in summarise(idx, cutoff)}
    ev = load_evidence(rows=rows, meta={"datasets": idx.versions})
    rules = ev.rules
    by_name: dict[str, list[Any]] = {}
    for host in idx.hosts.values():
        if " " not in host.name:
            continue
        by_name.setdefault(host.name, []).append(host)
    names, label, score, tier_rank, effort, known = [], [], [], [], [], []
    for name, hosts in sorted(by_name.items()):
        positive = False
        any_dated = False
        prior_records = 0
        for host in hosts:
            _, _, n = host_records(idx, host, cutoff)
            prior_records += n
            for vid, recs in host.virion.items():
                years = [y for y, _ in recs if y]
                if not years:
                    continue
                any_dated = True
                hu = idx.human_first_year.get(vid, 0)
                if hu and max(min(years), hu) > cutoff:
                    positive = True
        if not any_dated:
            continue
        row = ev.row("species", name)
        prior = None
        if row is None:
            h = hosts[0]
            prior = tiers.prior_from(ev.row("genus", h.genus), rules) or tiers.prior_from(
                ev.row("family", h.family), rules)
        haz = tiers.hazard(row, prior, rules)
        names.append(name)
        label.append(positive)
        score.append(tiers.score(row, prior, rules))
        tier_rank.append(tiers.TIER_RANK[tiers.tier(haz, "high")])
        effort.append(np.log1p(prior_records))
        known.append(prior_records > 0)
    return HostScores(names, np.array(label, dtype=int), np.array(score), np.array(tier_rank, dtype=float),
                      np.array(effort), np.array(known, dtype=bool))


def _ci(values: list[float]) -> list[float]:
    arr = np.array([v for v in values if not np.isnan(v)])
    return [round(float(np.percentile(arr, 2.5)), 3), round(float(np.percentile(arr, 97.5)), 3)]


def metrics(s: HostScores, ks: tuple[int, ...] = (50, 100, 200), n_boot: int = 1000,
            seed: int = 7) -> dict[str, Any]:
    """Point estimates and 95% bootstrap intervals for the three rankers."""
    rankers = {"profile_score": s.score, "profile_tier": s.tier, "baseline_log_records": s.effort}
    n = len(s.label)
    out: dict[str, Any] = {"hosts": n, "positives": int(s.label.sum())}
    rng = np.random.default_rng(seed)
    boots = [rng.integers(0, n, n) for _ in range(n_boot)]
    for name, sc in rankers.items():
        entry: dict[str, Any] = {"roc_auc": round(auc(s.label, sc), 3),
                                 "roc_auc_ci95": _ci([auc(s.label[b], sc[b]) for b in boots])}
        for k in ks:
            entry[f"precision_at_{k}"] = round(precision_at(s.label, sc, k), 3)
            entry[f"precision_at_{k}_ci95"] = _ci([precision_at(s.label[b], sc[b], k) for b in boots])
        out[name] = entry
    diff = [auc(s.label[b], s.score[b]) - auc(s.label[b], s.effort[b]) for b in boots]
    out["auc_difference_score_minus_baseline"] = round(auc(s.label, s.score) - auc(s.label, s.effort), 3)
    out["auc_difference_ci95"] = _ci(diff)
    return out


def evaluate(idx: Index, cutoff: int, n_boot: int = 1000, seed: int = 7) -> dict[str, Any]:
    s = host_scores(idx, cutoff)
    report: dict[str, Any] = {
        "cutoff": cutoff,
        "target": f"host species gaining a virus shared with humans from records dated after {cutoff}",
        "population": "VIRION host species (non-human) with at least one dated record",
        "all_hosts": metrics(s, n_boot=n_boot, seed=seed),
    }
    for label, mask in (("hosts_with_records_by_cutoff", s.known), ("hosts_new_after_cutoff", ~s.known)):
        sub = HostScores([n for n, m in zip(s.names, mask, strict=True) if m], s.label[mask], s.score[mask],
                         s.tier[mask], s.effort[mask], s.known[mask])
        report[label] = metrics(sub, n_boot=n_boot, seed=seed)
    return report
