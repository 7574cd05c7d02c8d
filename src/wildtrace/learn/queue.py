"""Review queue (active learning): which unlabelled listings to label next.

- ``uncertainty``: the listings whose calibrated probability is closest to the
  model's operating threshold (measured in log-odds), where a label teaches
  the model the most.
- ``diverse``: from the 10·N most uncertain, a greedy farthest-first pick on
  n-gram cosine distance, so one batch does not spend the budget on near-copies
  of one seller's post.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from wildtrace.errors import ConfigError
from wildtrace.learn import features
from wildtrace.learn.model import TextModel

STRATEGIES = ("uncertainty", "diverse")


@dataclass
class Proposal:
    id: str
    probability: float
    uncertainty: float  # 1 at the threshold, towards 0 far from it
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _logit(p: np.ndarray | float) -> np.ndarray:
    q = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    return np.log(q / (1 - q))


def propose(model: TextModel, ids: Sequence[str], x: sp.csr_matrix, *, strategy: str = "uncertainty",
            n: int = 20, rule_logit: np.ndarray | None = None, exclude: set[str] | None = None) -> list[Proposal]:
    if strategy not in STRATEGIES:
        raise ConfigError(f"unknown strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")
    keep = np.array([i not in (exclude or set()) for i in ids], dtype=bool)
    rows = np.nonzero(keep)[0]
    if len(rows) == 0 or n <= 0:
        return []
    p = model.probability(x[rows], None if rule_logit is None else rule_logit[rows])
    distance = np.abs(_logit(p) - _logit(model.threshold))
    order = np.argsort(distance, kind="stable")
    if strategy == "uncertainty":
        picked = list(order[:n])
        why = "closest to the threshold"
    else:
        pool = order[: min(len(order), 10 * n)]
        v = features.weigh(x[rows[pool]], model.idf)
        chosen = [0]
        nearest = (v @ v[0].T).toarray().ravel()
        while len(chosen) < min(n, len(pool)):
            nxt = int(np.argmin(nearest + 1e-9 * np.arange(len(pool))))  # least similar to any chosen
            if nxt in chosen:
                break
            chosen.append(nxt)
            nearest = np.maximum(nearest, (v @ v[nxt].T).toarray().ravel())
        picked = [pool[i] for i in chosen]
        why = "uncertain and unlike the others picked"
    return [Proposal(ids[rows[i]], round(float(p[i]), 4), round(float(np.exp(-distance[i])), 4),
                     f"{why}: p={p[i]:.2f}, threshold {model.threshold:.2f}") for i in picked]
