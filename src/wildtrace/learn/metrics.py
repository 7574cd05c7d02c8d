"""Ranking and threshold metrics for rare positives, and group bootstrap intervals.

All metrics take true labels ``y`` (0/1), scores (higher = more likely
positive) and the predictions at the operating threshold.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

#: Review budgets (share of all listings) for precision@k and recall@budget.
BUDGETS = (0.01, 0.05)
METRICS = ("precision", "recall", "f1", "pr_auc", "roc_auc", "precision_at_1pct", "precision_at_5pct",
           "recall_at_1pct", "recall_at_5pct", "recall_at_p90", "precision_at_r95")


def _curve(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cumulative true/false positives in score order, and at each distinct score."""
    order = np.argsort(-s, kind="mergesort")
    ys = y[order].astype(np.int64)
    tp = np.cumsum(ys)
    fp = np.arange(1, len(ys) + 1) - tp
    last = np.r_[np.nonzero(np.diff(s[order]))[0], len(ys) - 1]
    return tp, fp, tp[last], fp[last]


def best_f1_threshold(y: np.ndarray, s: np.ndarray) -> float:
    """The score cut that maximises F1 (the midpoint to the next lower score)."""
    order = np.argsort(-s, kind="mergesort")
    ss = s[order]
    _, _, tp, fp = _curve(y, s)
    pos = tp[-1] if len(tp) else 0
    if pos == 0:
        return 0.5
    f1 = 2 * tp / (tp + fp + pos)
    i = int(np.argmax(f1))
    distinct = ss[np.r_[np.nonzero(np.diff(ss))[0], len(ss) - 1]]
    return float(distinct[i] if i + 1 >= len(distinct) else (distinct[i] + distinct[i + 1]) / 2)


def compute(y: np.ndarray, s: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    y = np.asarray(y).astype(np.int64)
    s = np.asarray(s, dtype=np.float64)
    pred = np.asarray(pred).astype(bool)
    n, pos = len(y), int(y.sum())
    out: dict[str, float] = {"n": float(n), "positives": float(pos)}
    tp_at = int((pred & (y == 1)).sum())
    npred = int(pred.sum())
    precision = tp_at / npred if npred else 0.0
    recall = tp_at / pos if pos else 0.0
    out["precision"] = precision
    out["recall"] = recall
    out["f1"] = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    if n == 0 or pos == 0 or pos == n:
        for key in METRICS[3:]:
            out[key] = math.nan
        return out
    tp, _, tp_d, fp_d = _curve(y, s)
    prec = tp_d / (tp_d + fp_d)
    rec = tp_d / pos
    out["pr_auc"] = float(np.sum(np.diff(np.r_[0.0, rec]) * prec))
    tpr, fpr = np.r_[0.0, rec], np.r_[0.0, fp_d / (n - pos)]
    out["roc_auc"] = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))
    for budget in BUDGETS:
        k = max(1, math.ceil(budget * n))
        tag = f"{round(budget * 100)}pct"
        out[f"precision_at_{tag}"] = float(tp[k - 1] / k)
        out[f"recall_at_{tag}"] = float(tp[k - 1] / pos)
    ok = prec >= 0.90
    out["recall_at_p90"] = float(rec[ok].max()) if ok.any() else 0.0
    ok = rec >= 0.95
    out["precision_at_r95"] = float(prec[ok].max()) if ok.any() else 0.0
    return out


def bootstrap(y: np.ndarray, s: np.ndarray, pred: np.ndarray, groups: np.ndarray | None = None, *,
              reps: int = 1000, seed: int = 0) -> dict[str, list[float]]:
    """95% percentile intervals, resampling whole groups (sellers, clusters) with replacement."""
    rng = np.random.default_rng(seed)
    if groups is None:
        gid = np.arange(len(y))
    else:
        _, gid = np.unique(groups.astype(str), return_inverse=True)
    n_groups = int(gid.max()) + 1 if len(gid) else 0
    rows = np.arange(len(y))
    samples: dict[str, list[float]] = {k: [] for k in METRICS}
    for _ in range(reps):
        weight = np.bincount(rng.integers(n_groups, size=n_groups), minlength=n_groups)[gid]
        idx = np.repeat(rows, weight)
        m = compute(y[idx], s[idx], pred[idx])
        for key in METRICS:
            samples[key].append(m[key])
    out = {}
    for key, values in samples.items():
        arr = np.array(values, dtype=np.float64)
        arr = arr[~np.isnan(arr)]
        out[key] = [float(np.percentile(arr, 2.5)), float(np.percentile(arr, 97.5))] if len(arr) else [math.nan, math.nan]
    return out


def with_ci(point: dict[str, float], ci: dict[str, list[float]] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in point.items():
        out[key] = {"value": value, "ci95": ci[key]} if ci and key in ci else value
    return out
