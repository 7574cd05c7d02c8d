"""Evaluation metrics: the one definition of each figure wildtrace reports, and the one bootstrap.

Every function takes true labels ``y`` (0/1; for the top-k functions, any non-negative amounts such
as snares found in a patrol cell) and scores ``s`` (higher = more likely positive). Pure numpy.

Definitions (docs/learn.md, "Metric definitions"):

- precision, recall, F1 at a threshold: from the 0/1 predictions; 0.0 when undefined.
- ``average_precision`` (PR-AUC): step-wise average precision, ``sum_n (R_n - R_n-1) P_n`` over
  the distinct scores, no interpolation: scikit-learn's ``average_precision_score``.
- ``roc_auc``: trapezoidal area under the ROC curve; ties count half (Mann-Whitney U / n+ n-):
  scikit-learn's ``roc_auc_score``.
- top k: ``top_k(n, frac) = ceil(frac * n)``, at least 1 and at most n (a 1% budget of 150
  listings reviews 2, never 1). ``precision_at_k`` and ``recall_at_k`` share the rows tied at the
  k-th score: the expected value when ties are broken at random, so row order never matters.
- ``recall_at_precision`` / ``precision_at_recall``: the best recall with precision >= p (best
  precision with recall >= r) over the distinct score thresholds; 0.0 when no threshold qualifies.
- ``bootstrap``: percentile 95% intervals over ``reps`` resamples with replacement of whole groups
  (sellers, shipments, hosts) when groups are given, else of rows; seeded; replicates where a
  figure is undefined (NaN) are left out of that figure's interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

#: Review budgets (share of all items) in ``ranking`` and ``summary``.
BUDGETS = (0.01, 0.05)
#: The ranking figures of ``ranking``, in report order (tags from ``budget_tag``).
RANKING = ("pr_auc", "roc_auc", "precision_at_1pct", "precision_at_5pct", "recall_at_1pct",
           "recall_at_5pct", "recall_at_p90", "precision_at_r95")
#: The figures of ``summary`` that carry a bootstrap interval.
SUMMARY = ("precision", "recall", "f1", *RANKING)


def _arrays(y: ArrayLike, s: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(y, dtype=np.float64), np.asarray(s, dtype=np.float64)


def top_k(n: int, frac: float) -> int:
    """How many items a budget of ``frac`` of ``n`` reviews: ceil(frac * n), at least 1, at most n."""
    if n <= 0:
        return 0
    # the small tolerance keeps 0.07 * 100 (7.000000000000001) at 7
    return min(n, max(1, math.ceil(frac * n - 1e-9)))


def budget_tag(frac: float) -> str:
    """``0.01`` -> ``"1pct"``, ``0.005`` -> ``"0.5pct"``: the suffix of budget figures."""
    return f"{frac * 100:g}pct"


def precision_recall_f1(y: ArrayLike, pred: ArrayLike) -> tuple[float, float, float]:
    """Precision, recall and F1 of 0/1 predictions; 0.0 where a denominator is 0."""
    yy = np.asarray(y).astype(bool)
    pp = np.asarray(pred).astype(bool)
    tp, npred, pos = int((yy & pp).sum()), int(pp.sum()), int(yy.sum())
    precision = tp / npred if npred else 0.0
    recall = tp / pos if pos else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def _curve(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """True and false positives at or above each distinct score, highest score first."""
    order = np.argsort(-s, kind="mergesort")
    ys = y[order]
    tp = np.cumsum(ys)
    fp = np.arange(1, len(ys) + 1) - tp
    last = np.r_[np.nonzero(np.diff(s[order]))[0], len(ys) - 1]
    return tp[last], fp[last]


def average_precision(y: ArrayLike, s: ArrayLike) -> float:
    """Step-wise average precision (PR-AUC), as scikit-learn's; NaN with no positives."""
    yy, ss = _arrays(y, s)
    pos = yy.sum()
    if len(yy) == 0 or pos == 0:
        return math.nan
    tp, fp = _curve(yy, ss)
    return float(np.sum(np.diff(np.r_[0.0, tp / pos]) * tp / (tp + fp)))


def roc_auc(y: ArrayLike, s: ArrayLike) -> float:
    """Area under the ROC curve, ties counted half; NaN unless both classes are present."""
    yy, ss = _arrays(y, s)
    pos = yy.sum()
    neg = len(yy) - pos
    if pos == 0 or neg == 0:
        return math.nan
    tp, fp = _curve(yy, ss)
    tpr, fpr = np.r_[0.0, tp / pos], np.r_[0.0, fp / neg]
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def _top_k_sum(y: np.ndarray, s: np.ndarray, k: int) -> float:
    """Expected sum of ``y`` over the k highest scores, ties at the cut broken at random."""
    threshold = -np.partition(-s, k - 1)[k - 1]
    above = s > threshold
    tied = s == threshold
    n_above = int(above.sum())
    return float(y[above].sum()) + (k - n_above) * float(y[tied].sum()) / int(tied.sum())


def precision_at_k(y: ArrayLike, s: ArrayLike, k: int) -> float:
    """Share of positives among the k highest scores (k capped at n); NaN when k or n is 0."""
    yy, ss = _arrays(y, s)
    k = min(k, len(yy))
    if k <= 0:
        return math.nan
    return _top_k_sum(yy, ss, k) / k


def recall_at_k(y: ArrayLike, s: ArrayLike, k: int) -> float:
    """Share of all positives (or of the total amount) found in the k highest scores; NaN if none."""
    yy, ss = _arrays(y, s)
    k = min(k, len(yy))
    total = float(yy.sum())
    if k <= 0 or total == 0:
        return math.nan
    return _top_k_sum(yy, ss, k) / total


def precision_at(y: ArrayLike, s: ArrayLike, frac: float) -> float:
    """Precision of the top ``top_k(n, frac)`` by score (precision at a review budget)."""
    return precision_at_k(y, s, top_k(len(np.asarray(y)), frac))


def recall_at(y: ArrayLike, s: ArrayLike, frac: float) -> float:
    """Share of positives found in the top ``top_k(n, frac)`` by score (recall at a review budget)."""
    return recall_at_k(y, s, top_k(len(np.asarray(y)), frac))


def _pr_points(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    tp, fp = _curve(y, s)
    return tp / (tp + fp), tp / y.sum()


def recall_at_precision(y: ArrayLike, s: ArrayLike, min_precision: float) -> float:
    """Best recall over thresholds whose precision is at least ``min_precision``; NaN with no positives."""
    return _best_where(y, s, min_precision, best="recall")


def precision_at_recall(y: ArrayLike, s: ArrayLike, min_recall: float) -> float:
    """Best precision over thresholds whose recall is at least ``min_recall``; NaN with no positives."""
    return _best_where(y, s, min_recall, best="precision")


def _best_where(y: ArrayLike, s: ArrayLike, minimum: float, *, best: str) -> float:
    """The best of one figure (``best``) over the thresholds where the other reaches ``minimum``."""
    yy, ss = _arrays(y, s)
    if yy.sum() == 0:
        return math.nan
    prec, rec = _pr_points(yy, ss)
    wanted, held = (rec, prec) if best == "recall" else (prec, rec)
    ok = held >= minimum
    return float(wanted[ok].max()) if ok.any() else 0.0


def best_f1_threshold(y: ArrayLike, s: ArrayLike) -> float:
    """The score cut that maximises F1 (midway to the next lower distinct score); 0.5 with no positives."""
    yy, ss = _arrays(y, s)
    pos = yy.sum()
    if len(yy) == 0 or pos == 0:
        return 0.5
    tp, fp = _curve(yy, ss)
    i = int(np.argmax(2 * tp / (tp + fp + pos)))
    distinct = np.unique(ss)[::-1]
    return float(distinct[i] if i + 1 >= len(distinct) else (distinct[i] + distinct[i + 1]) / 2)


def ranking(y: ArrayLike, s: ArrayLike, budgets: tuple[float, ...] = BUDGETS) -> dict[str, float]:
    """The ranking figures (``RANKING`` for the default budgets); all NaN unless y has both classes."""
    yy, ss = _arrays(y, s)
    keys = ["pr_auc", "roc_auc", *(f"precision_at_{budget_tag(b)}" for b in budgets),
            *(f"recall_at_{budget_tag(b)}" for b in budgets), "recall_at_p90", "precision_at_r95"]
    pos = yy.sum()
    if pos == 0 or pos == len(yy):
        return dict.fromkeys(keys, math.nan)
    out = {"pr_auc": average_precision(yy, ss), "roc_auc": roc_auc(yy, ss)}
    for b in budgets:
        out[f"precision_at_{budget_tag(b)}"] = precision_at(yy, ss, b)
    for b in budgets:
        out[f"recall_at_{budget_tag(b)}"] = recall_at(yy, ss, b)
    out["recall_at_p90"] = recall_at_precision(yy, ss, 0.90)
    out["precision_at_r95"] = precision_at_recall(yy, ss, 0.95)
    return out


def summary(y: ArrayLike, s: ArrayLike, pred: ArrayLike) -> dict[str, float]:
    """n, positives, precision/recall/F1 at the operating threshold (``pred``), and ``ranking``."""
    yy = np.asarray(y).astype(np.int64)
    precision, recall, f1 = precision_recall_f1(yy, pred)
    return {"n": float(len(yy)), "positives": float(yy.sum()), "precision": precision, "recall": recall,
            "f1": f1, **ranking(yy, s)}


def resamples(n: int, groups: ArrayLike | None = None, *, reps: int = 1000,
              seed: int = 0) -> Iterator[np.ndarray]:
    """Row indices of ``reps`` bootstrap resamples: whole groups drawn with replacement (every row
    of a group drawn m times appears m times), or rows when ``groups`` is None. Rows keep their order."""
    rng = np.random.default_rng(seed)
    if groups is None:
        gid = np.arange(n)
    else:
        _, gid = np.unique(np.asarray(groups).astype(str), return_inverse=True)
        gid = gid.ravel()
    n_groups = int(gid.max()) + 1 if len(gid) else 0
    rows = np.arange(n)
    for _ in range(reps):
        drawn = rng.integers(0, n_groups, n_groups)
        yield np.repeat(rows, np.bincount(drawn, minlength=n_groups)[gid])


def interval(values: ArrayLike) -> list[float]:
    """The 2.5th and 97.5th percentiles of the non-NaN values; [nan, nan] when there are none."""
    arr = np.asarray(values, dtype=np.float64)
    arr = arr[~np.isnan(arr)]
    if not len(arr):
        return [math.nan, math.nan]
    return [float(np.percentile(arr, 2.5)), float(np.percentile(arr, 97.5))]


def bootstrap(statistic: Callable[[np.ndarray], Mapping[str, float]], n: int,
              groups: ArrayLike | None = None, *, reps: int = 1000, seed: int = 0) -> dict[str, list[float]]:
    """95% percentile intervals of each figure ``statistic(rows)`` returns, over ``resamples``.

    ``statistic`` gets the row indices of one resample; figures computed in one call share the
    resample, so a difference between two rankers is a paired interval.
    """
    samples: dict[str, list[float]] = {}
    for idx in resamples(n, groups, reps=reps, seed=seed):
        for key, value in statistic(idx).items():
            samples.setdefault(key, []).append(value)
    return {key: interval(values) for key, values in samples.items()}


def summary_ci(y: ArrayLike, s: ArrayLike, pred: ArrayLike, groups: ArrayLike | None = None, *,
               reps: int = 1000, seed: int = 0) -> dict[str, list[float]]:
    """``bootstrap`` intervals of the ``SUMMARY`` figures of ``summary``."""
    yy, ss, pp = np.asarray(y), np.asarray(s, dtype=np.float64), np.asarray(pred)

    def stat(idx: np.ndarray) -> dict[str, float]:
        m = summary(yy[idx], ss[idx], pp[idx])
        return {k: m[k] for k in SUMMARY}

    return bootstrap(stat, len(yy), groups, reps=reps, seed=seed)


def with_ci(point: Mapping[str, float], ci: Mapping[str, list[float]] | None) -> dict[str, Any]:
    """Each figure that has an interval as ``{"value", "ci95"}``; the others as they are."""
    return {key: {"value": value, "ci95": ci[key]} if ci and key in ci else value for key, value in point.items()}
