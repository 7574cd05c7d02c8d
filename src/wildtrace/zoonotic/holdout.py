"""Temporal holdout of the zoonotic profile on VIRION (issue 6, "honest evaluation").

Build the summary from VIRION records dated (published, or released to
GenBank) up to ``cutoff``; score every host species; ask which hosts gained a
virus shared with humans after ``cutoff`` (a host-virus or human-virus record
dated after it that makes a pair shared that was not shared by then). Compare
the profile's score and tier with the study-effort baseline
``log(1 + records up to cutoff)``: ROC-AUC and precision in the top k (``wildtrace.metrics``),
with 95% bootstrap intervals (hosts resampled; the AUC difference is paired).
Undated records are left out on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from wildtrace import metrics as m
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


def _r3(interval: list[float]) -> list[float]:
    return [round(v, 3) for v in interval]


def metrics(s: HostScores, ks: tuple[int, ...] = (50, 100, 200), n_boot: int = 1000,
            seed: int = 7) -> dict[str, Any]:
    """Point estimates and 95% bootstrap intervals (hosts resampled) for the three rankers.

    ROC-AUC and precision at k are ``wildtrace.metrics``'s (ties count half; ties at the k-th
    score shared); the AUC difference is paired: both AUCs come from the same resample.
    """
    rankers = {"profile_score": s.score, "profile_tier": s.tier, "baseline_log_records": s.effort}

    def figures(idx: np.ndarray) -> dict[str, float]:
        label = s.label[idx]
        out = {}
        for name, sc in rankers.items():
            out[f"{name}.roc_auc"] = m.roc_auc(label, sc[idx])
            for k in ks:
                out[f"{name}.precision_at_{k}"] = m.precision_at_k(label, sc[idx], k)
        out["difference"] = out["profile_score.roc_auc"] - out["baseline_log_records.roc_auc"]
        return out

    n = len(s.label)
    point = figures(np.arange(n))
    ci = m.bootstrap(figures, n, reps=n_boot, seed=seed)
    out: dict[str, Any] = {"hosts": n, "positives": int(s.label.sum())}
    for name in rankers:
        entry: dict[str, Any] = {"roc_auc": round(point[f"{name}.roc_auc"], 3),
                                 "roc_auc_ci95": _r3(ci[f"{name}.roc_auc"])}
        for k in ks:
            entry[f"precision_at_{k}"] = round(point[f"{name}.precision_at_{k}"], 3)
            entry[f"precision_at_{k}_ci95"] = _r3(ci[f"{name}.precision_at_{k}"])
        out[name] = entry
    out["auc_difference_score_minus_baseline"] = round(point["difference"], 3)
    out["auc_difference_ci95"] = _r3(ci["difference"])
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
