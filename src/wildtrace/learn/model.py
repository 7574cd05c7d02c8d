"""The text model: TF-IDF over hashed n-grams, logistic regression, calibrated, with provenance.

Training (``train``):

1. out-of-fold decision values from K group-aware folds (``StratifiedGroupKFold``);
2. calibration on those out-of-fold values (Platt scaling): a one-input
   logistic map for the text alone, and a two-input one (text, rules' logit)
   when the rules' scores are given, which is how ``scan --model`` combines them;
3. the operating threshold: the one that maximises F1 on the out-of-fold
   calibrated probabilities (validation data only), and validation metrics there;
4. the final classifier on all rows.

Saved as ``model.json`` (provenance, calibration, threshold, metrics, and the
SHA-256 of the weights file) and ``weights.npz`` (plain arrays, no pickle).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold

from wildtrace import __version__
from wildtrace.errors import DataError
from wildtrace.learn import features, metrics
from wildtrace.learn.dataset import Dataset

FORMAT = "wildtrace-text-model"
FORMAT_VERSION = 1
DEFAULT_NAME = "wildtrace-text"
#: Inverse regularisation strength; fixed in advance, not tuned on reported data.
DEFAULT_C = 10.0


class ModelError(DataError):
    """A model directory that cannot be used (missing, corrupted, incompatible)."""


@dataclass
class TextModel:
    idf: np.ndarray
    coef: np.ndarray
    intercept: float
    text_cal: tuple[float, float]  # p = sigmoid(a * decision + b)
    combo: tuple[float, float, float] | None  # p = sigmoid(a * decision + c * rule_logit + b)
    threshold: float
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.meta.get("name", DEFAULT_NAME))

    @property
    def version(self) -> str:
        return str(self.meta.get("version", ""))

    def decision(self, x: sp.csr_matrix) -> np.ndarray:
        return np.asarray(features.weigh(x, self.idf) @ self.coef, dtype=np.float64) + self.intercept

    def probability(self, x: sp.csr_matrix, rule_logit: np.ndarray | None = None) -> np.ndarray:
        """Calibrated probability of a positive; combined with the rules when their logits are given."""
        d = self.decision(x)
        if rule_logit is not None and self.combo is not None:
            a, c, b = self.combo
            return _sigmoid(a * d + c * rule_logit + b)
        a, b = self.text_cal
        return _sigmoid(a * d + b)

    def predict_texts(self, texts: list[str], rule_logit: np.ndarray | None = None) -> np.ndarray:
        return self.probability(features.counts(texts), rule_logit)

    def explain(self, text: str, top: int = 3) -> list[str]:
        """The word n-grams of a normalised text that push its score up the most."""
        return self.explain_many([text], top)[0]

    def explain_many(self, texts: list[str], top: int = 3) -> list[list[str]]:
        """``explain`` for each text, hashed and weighed for all of them at once.

        Per text: its word 1-2-grams with a positive weight (coefficient x IDF),
        highest first, each gram once, skipping a gram inside one already picked.
        """
        words, rows, first, is_bigram, index = features.word_grams(texts)
        out: list[list[str]] = [[] for _ in texts]
        if not len(index):
            return out
        weight = self.coef[index] * self.idf[index]
        keep = np.flatnonzero(weight > 0)
        order = keep[np.lexsort((-weight[keep], rows[keep]))]
        bounds = np.searchsorted(rows[order], np.arange(len(texts) + 1)).tolist()
        order_list, first_list, bigram_list = order.tolist(), first.tolist(), is_bigram.tolist()
        for t in range(len(texts)):
            picked = out[t]
            for k in order_list[bounds[t]:bounds[t + 1]]:
                i = first_list[k]
                gram = f"{words[i]} {words[i + 1]}" if bigram_list[k] else words[i]
                if not any(gram in p for p in picked):  # also skips a gram already picked
                    picked.append(gram)
                    if len(picked) == top:
                        break
        return out

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        weights = directory / "weights.npz"
        np.savez_compressed(weights, idf=self.idf.astype(np.float32), coef=self.coef.astype(np.float32),
                            intercept=np.array([self.intercept]))
        meta = dict(self.meta)
        meta.update(format=FORMAT, format_version=FORMAT_VERSION, features=features.FEATURES_VERSION,
                    threshold=self.threshold, text_calibration=list(self.text_cal),
                    combiner=list(self.combo) if self.combo else None,
                    files={"weights.npz": _sha256(weights)})
        (directory / "model.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load(directory: Path) -> TextModel:
    """Load a saved model; raises ``ModelError`` for a missing, corrupted or incompatible one."""
    manifest = directory / "model.json"
    weights = directory / "weights.npz"
    if not manifest.is_file():
        raise ModelError(f"{directory}: not a model directory (no model.json)")
    try:
        meta = json.loads(manifest.read_text())
        assert isinstance(meta, dict)
    except (ValueError, AssertionError, UnicodeDecodeError) as exc:
        raise ModelError(f"{manifest}: corrupted model file (not a JSON object)") from exc
    if meta.get("format") != FORMAT or meta.get("format_version") != FORMAT_VERSION \
            or meta.get("features") != features.FEATURES_VERSION:
        raise ModelError(f"{directory}: incompatible model (format {meta.get('format')!r} version "
                         f"{meta.get('format_version')!r}, features {meta.get('features')!r}); this WildTrace "
                         f"reads {FORMAT} version {FORMAT_VERSION} with {features.FEATURES_VERSION}: retrain it")
    if not weights.is_file():
        raise ModelError(f"{directory}: corrupted model: weights.npz is missing")
    if _sha256(weights) != meta.get("files", {}).get("weights.npz"):
        raise ModelError(f"{weights}: corrupted model file (SHA-256 does not match model.json)")
    try:
        with np.load(weights, allow_pickle=False) as arrays:
            idf, coef, intercept = arrays["idf"], arrays["coef"], float(arrays["intercept"][0])
        threshold = float(meta["threshold"])
        a, b = (float(v) for v in meta["text_calibration"])
        combo = tuple(float(v) for v in meta["combiner"]) if meta.get("combiner") else None
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:
        raise ModelError(f"{directory}: corrupted model file ({exc})") from exc
    if idf.shape != (features.N_FEATURES,) or coef.shape != (features.N_FEATURES,):
        raise ModelError(f"{weights}: corrupted model file (arrays of the wrong shape)")
    return TextModel(idf, coef, intercept, (a, b), combo, threshold, meta)  # type: ignore[arg-type]


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


def out_of_fold(ds: Dataset, folds: int, seed: int, c: float) -> tuple[np.ndarray, np.ndarray]:
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
    return decision, fold_of


def train(ds: Dataset, *, folds: int = 5, seed: int = 0, c: float = DEFAULT_C, name: str = DEFAULT_NAME,
          target: str = "wildlife_offer", extra_meta: dict[str, Any] | None = None) -> TextModel:
    """Fit, calibrate and validate a model on a labelled data set (see the module docstring)."""
    decision, _ = out_of_fold(ds, folds, seed, c)
    (a,), b = _platt(decision[:, None], ds.y)
    combo: tuple[float, float, float] | None = None
    if ds.rule_logit is not None:
        (ca, cc), cb = _platt(np.c_[decision, ds.rule_logit], ds.y)
        combo = (float(ca), float(cc), float(cb))
        p_val = _sigmoid(ca * decision + cc * ds.rule_logit + cb)
    else:
        p_val = _sigmoid(a * decision + b)
    threshold = metrics.best_f1_threshold(ds.y, p_val)
    validation = metrics.compute(ds.y, p_val, p_val >= threshold)
    idf, coef, intercept = _fit(ds.x, ds.y, c)
    trained_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
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
