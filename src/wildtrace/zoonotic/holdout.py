"""Temporal holdout of the zoonotic profile on VIRION (issue 6, "honest evaluation").

Build the summary from VIRION records dated (published, or released to
GenBank) up to ``cutoff``; score every host species; ask which hosts gained a
virus shared with humans after ``cutoff`` (a host-virus or human-virus record
dated after it that makes a pair shared that was not shared by then; only natural records count,
as in the profile: ``build.record_origin``). Compare
the profile's score and tier with the study-effort baselines (``log(1 + records up to cutoff)``;
for hosts with no records, their family's) and with ``tier.effort_adjusted``, the ranking that
adds the natural shared viruses to effort: ROC-AUC and precision in the top k (``wildtrace.metrics``),
with 95% bootstrap intervals (hosts resampled; the AUC difference is paired).
Undated records are left out on both sides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from wildtrace import metrics as m
from wildtrace.zoonotic import origin
from wildtrace.zoonotic import tier as tiers
from wildtrace.zoonotic.build import Index, host_records, record_origin, summarise
from wildtrace.zoonotic.hosts import load as load_evidence
from wildtrace.zoonotic.hosts import row_from_dict


@dataclass
class HostScores:
    names: list[str]
    label: np.ndarray  # 1 = gained a new human-shared virus (natural records) after the cut-off
    score: np.ndarray  # profile score
    tier: np.ndarray  # tier rank at high exposure (3 high .. 0 low)
    effort: np.ndarray  # log(1 + records up to the cut-off)
    known: np.ndarray  # host had records up to the cut-off
    family_effort: np.ndarray  # effort, or for a host with no records its family's (tier.effort_adjusted)
    adjusted: np.ndarray  # tier.effort_adjusted: effort + log(1 + natural shared); family effort + rate if new

    def subset(self, mask: np.ndarray) -> HostScores:
        return HostScores([n for n, k in zip(self.names, mask, strict=True) if k], self.label[mask],
                          self.score[mask], self.tier[mask], self.effort[mask], self.known[mask],
                          self.family_effort[mask], self.adjusted[mask])


def host_scores(idx: Index, cutoff: int) -> HostScores:
    rows = {(r["level"], r["name"]): row_from_dict(r) for r in summarise(idx, cutoff)}
    ev = load_evidence(rows=rows, meta={"datasets": idx.versions})
    rules = ev.rules
    by_name: dict[str, list[Any]] = {}
    for host in idx.hosts.values():
        if " " not in host.name:
            continue
        by_name.setdefault(host.name, []).append(host)
    names, label, score, tier_rank, effort, known, fam_effort, adjusted = [], [], [], [], [], [], [], []
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
                if hu and max(min(years), hu) > cutoff and record_origin(
                        idx, host, idx.virus_name.get(vid, "")) == origin.NATURAL:
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
        fam = ev.row("family", hosts[0].family) if hosts[0].family else None
        adj = tiers.effort_adjusted(row if prior_records > 0 else None, fam, prior)
        adjusted.append(adj if adj is not None else 0.0)
        fam_only = tiers.effort_adjusted(None, fam)
        fam_effort.append(np.log1p(prior_records) if prior_records > 0 else (fam_only or 0.0))
    return HostScores(names, np.array(label, dtype=int), np.array(score), np.array(tier_rank, dtype=float),
                      np.array(effort), np.array(known, dtype=bool), np.array(fam_effort), np.array(adjusted))


def _r3(interval: list[float]) -> list[float]:
    return [round(v, 3) for v in interval]


#: ranker -> what it is (the report's legend)
RANKERS = {
    "profile_score": "the profile's hazard score (tier.score; study effort is not an input)",
    "profile_tier": "the tier at high exposure (3 high .. 0 low)",
    "baseline_log_records": "the host's own study effort, log(1 + VIRION records up to the cut-off)",
    "baseline_family_effort": "own study effort; a host with no records gets its family's, "
                              "log(1 + family records / sampled species)",
    "effort_adjusted": "tier.effort_adjusted: own effort + log(1 + viruses shared with humans from natural "
                       "records); for a host with no records, family effort + the prior's rate",
}
#: (a, b): the paired AUC difference a - b reported
DIFFERENCES = (("profile_score", "baseline_log_records"), ("profile_score", "baseline_family_effort"),
               ("effort_adjusted", "baseline_log_records"), ("effort_adjusted", "baseline_family_effort"),
               ("effort_adjusted", "profile_score"))


def metrics(s: HostScores, ks: tuple[int, ...] = (50, 100, 200), n_boot: int = 1000, seed: int = 7,
            extra: dict[str, np.ndarray] | None = None,
            differences: tuple[tuple[str, str], ...] = DIFFERENCES) -> dict[str, Any]:
    """Point estimates and 95% bootstrap intervals (hosts resampled) for the rankers.

    ROC-AUC and precision at k are ``wildtrace.metrics``'s (ties count half; ties at the k-th
    score shared); the AUC differences are paired: both AUCs come from the same resample.
    ``extra`` adds rankers (e.g. Gippet et al.'s research effort) over the same hosts.
    """
    rankers = {"profile_score": s.score, "profile_tier": s.tier, "baseline_log_records": s.effort,
               "baseline_family_effort": s.family_effort, "effort_adjusted": s.adjusted, **(extra or {})}

    def figures(idx: np.ndarray) -> dict[str, float]:
        label = s.label[idx]
        out = {}
        for name, sc in rankers.items():
            out[f"{name}.roc_auc"] = m.roc_auc(label, sc[idx])
            for k in ks:
                out[f"{name}.precision_at_{k}"] = m.precision_at_k(label, sc[idx], k)
        for a, b in differences:
            out[f"{a}-{b}"] = out[f"{a}.roc_auc"] - out[f"{b}.roc_auc"]
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
    out["auc_differences"] = {f"{a} - {b}": {"value": round(point[f"{a}-{b}"], 3),
                                             "ci95": _r3(ci[f"{a}-{b}"])} for a, b in differences}
    main = out["auc_differences"].get("profile_score - baseline_log_records")
    if main is not None:  # the figure earlier reports quote
        out["auc_difference_score_minus_baseline"], out["auc_difference_ci95"] = main["value"], main["ci95"]
    return out


def evaluate(idx: Index, cutoff: int, n_boot: int = 1000, seed: int = 7,
             gippet: dict[str, Any] | None = None) -> dict[str, Any]:
    """The holdout report: all hosts, hosts with records by the cut-off, hosts new after it, and
    (with ``gippet``, ``gippet.load()``) the mammals Gippet et al. also list, against their
    research effort (PubMed counts up to about 2023: it knows the future the holdout hides)."""
    s = host_scores(idx, cutoff)
    report: dict[str, Any] = {
        "cutoff": cutoff,
        "target": f"host species gaining a virus shared with humans (natural records) from records dated "
                  f"after {cutoff}",
        "population": "VIRION host species (non-human) with at least one dated record",
        "rankers": RANKERS,
        "all_hosts": metrics(s, n_boot=n_boot, seed=seed),
    }
    for label, mask in (("hosts_with_records_by_cutoff", s.known), ("hosts_new_after_cutoff", ~s.known)):
        report[label] = metrics(s.subset(mask), n_boot=n_boot, seed=seed)
    if gippet:
        mask = np.array([n in gippet for n in s.names], dtype=bool)
        for label, sub_mask in (("gippet_overlap_all", mask), ("gippet_overlap_with_records", mask & s.known)):
            sub = s.subset(sub_mask)
            rows = [gippet[n] for n in sub.names]
            extra = {"gippet_pubmed_log": np.array([r.pubmed_log for r in rows]),
                     "gippet_research_effort_index": np.array([r.research_effort_index for r in rows])}
            diffs = (("profile_score", "baseline_log_records"), ("effort_adjusted", "baseline_log_records"),
                     ("profile_score", "gippet_pubmed_log"), ("effort_adjusted", "gippet_pubmed_log"),
                     ("baseline_log_records", "gippet_pubmed_log"),
                     ("effort_adjusted", "gippet_research_effort_index"))
            report[label] = metrics(sub, n_boot=n_boot, seed=seed, extra=extra, differences=diffs)
    return report
