"""The text model: TF-IDF over hashed n-grams, a linear classifier, calibrated, with provenance.

This module loads, applies, explains and saves a model with numpy alone (a scan that uses the
shipped model does not import scikit-learn, ~5 s of CPU at start-up); ``learn/training.py``
fits one. Saved as ``model.json`` (provenance, calibration, threshold, metrics, and the SHA-256
of the weights file) and ``weights.npz`` (plain arrays, no pickle).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from wildtrace.errors import DataError
from wildtrace.learn import features

FORMAT = "wildtrace-text-model"
FORMAT_VERSION = 1
DEFAULT_NAME = "wildtrace-text"


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
