"""Fitting the text model (scikit-learn), group-aware and calibrated.

``train``:

1. out-of-fold decision values from K group-aware folds (``StratifiedGroupKFold``);
2. calibration on those out-of-fold values (Platt scaling): a one-input
   logistic map for the text alone, and a two-input one (text, rules' logit)
   when the rules' scores are given, which is how the scan combines them;
3. the operating threshold: the one that maximises F1 on the out-of-fold
   calibrated probabilities (validation data only), and validation metrics there;
4. the final classifier on all rows.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold

from wildtrace import __version__, clock, metrics
from wildtrace.errors import DataError
from wildtrace.learn import features
from wildtrace.learn.dataset import Dataset
from wildtrace.learn.model import DEFAULT_NAME, FORMAT_VERSION, TextModel, _sigmoid

#: Inverse regularisation strength; fixed in advance, not tuned on reported data.
DEFAULT_C = 10.0


def _fit(x: sp.csr_matrix, y: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray, float]:
    idf = features.fit_idf(x)
    clf = LogisticRegression(C=c, solver="liblinear", dual=True, max_iter=1000)
    clf.fit(features.weigh(x, idf), y)
    return idf, clf.coef_.ravel().astype(np.float32), float(clf.intercept_[0])


def _platt(z: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Platt scaling with Platt's smoothed targets ((N+ + 1)/(N+ + 2), 1/(N- + 2)).

    The smoothing keeps the slope finite when validation scores separate the
    classes, so no probability is pinned at 0 or 1 by a small label set.
    """
    pos, neg = int(y.sum()), int(len(y) - y.sum())
    target = np.where(y == 1, (pos + 1) / (pos + 2), 1 / (neg + 2))
    lr = LogisticRegression(C=1e4, solver="lbfgs", max_iter=1000)
    lr.fit(np.r_[z, z], np.r_[np.ones(len(y)), np.zeros(len(y))], sample_weight=np.r_[target, 1 - target])
    return lr.coef_.ravel(), float(lr.intercept_[0])


def check_trainable(y: np.ndarray, groups: np.ndarray, folds: int) -> int:
    """The number of folds usable, or a ``DataError`` that says why training cannot start."""
    n, pos = len(y), int(np.sum(y))
    if n == 0:
        raise DataError("empty training set: no labelled listings")
    if pos == 0 or pos == n:
        only = "positive (wildlife_offer)" if pos else "negative"
        raise DataError(f"one-class training set: all {n} labelled listings are {only}; "
                        "label examples of both classes")
    k = min(folds, pos, n - pos, len(set(groups.tolist())))
    if k < 2:
        raise DataError(f"too few labelled listings to validate: {pos} positive, {n - pos} negative "
                        f"(need at least 2 of each, in at least 2 groups)")
    return k


def out_of_fold(ds: Dataset, folds: int, seed: int, c: float,
                progress: Callable[[], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Decision values for each row from a model that did not see its group; and the fold of each row."""
    k = check_trainable(ds.y, ds.groups, folds)
    decision = np.zeros(len(ds), dtype=np.float64)
    fold_of = np.zeros(len(ds), dtype=np.int32)
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    for i, (tr, te) in enumerate(splitter.split(np.zeros(len(ds)), ds.y, ds.groups.astype(str))):
        if ds.y[tr].min() == ds.y[tr].max():
            raise DataError("a training fold has one class only: label more examples of the rarer class")
        idf, coef, b = _fit(ds.x[tr], ds.y[tr], c)
        decision[te] = features.weigh(ds.x[te], idf) @ coef + b
        fold_of[te] = i
        if progress is not None:
            progress()
    return decision, fold_of


def train(ds: Dataset, *, folds: int = 5, seed: int = 0, c: float = DEFAULT_C, name: str = DEFAULT_NAME,
          target: str = "wildlife_offer", extra_meta: dict[str, Any] | None = None,
          progress: Callable[[], None] | None = None) -> TextModel:
    """Fit, calibrate and validate a model on a labelled data set (see the module docstring).
    ``progress`` is called after each fit: one per validation fold, then the final one."""
    decision, _ = out_of_fold(ds, folds, seed, c, progress)
    (a,), b = _platt(decision[:, None], ds.y)
    combo: tuple[float, float, float] | None = None
    if ds.rule_logit is not None:
        (ca, cc), cb = _platt(np.c_[decision, ds.rule_logit], ds.y)
        combo = (float(ca), float(cc), float(cb))
        p_val = _sigmoid(ca * decision + cc * ds.rule_logit + cb)
    else:
        p_val = _sigmoid(a * decision + b)
    threshold = metrics.best_f1_threshold(ds.y, p_val)
    validation = metrics.summary(ds.y, p_val, p_val >= threshold)
    idf, coef, intercept = _fit(ds.x, ds.y, c)
    if progress is not None:
        progress()
    trained_at = clock.stamp()
    meta: dict[str, Any] = {
        "name": name, "target": target, "trained_at": trained_at, "wildtrace_version": __version__,
        "training_data_sha256": ds.sha256, "n_train": len(ds), "n_positive": int(ds.y.sum()),
        "folds": int(check_trainable(ds.y, ds.groups, folds)), "seed": seed, "C": c,
        "uses_rules": combo is not None,
        "validation": {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in validation.items()},
        "validation_note": "out-of-fold (group-aware) calibrated predictions; threshold chosen on them",
    }
    meta.update(extra_meta or {})
    model = TextModel(idf, coef, intercept, (float(a), float(b)), combo, threshold, meta)
    weights_digest = hashlib.sha256(coef.tobytes() + idf.tobytes()).hexdigest()
    model.meta["version"] = f"{FORMAT_VERSION}.{weights_digest[:10]}"
    return model
