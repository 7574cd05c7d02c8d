from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from wildtrace import metrics
from wildtrace.learn import evaluate, features
from wildtrace.learn.dataset import Dataset, near_duplicate_groups


def test_metrics_by_hand() -> None:
    y = np.array([1, 1, 0, 1, 0, 0, 0, 0, 0, 0])
    s = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0])
    m = metrics.summary(y, s, s >= 0.55)
    assert (m["precision"], m["recall"]) == (0.75, 1.0)
    assert abs(m["f1"] - 6 / 7) < 1e-9
    assert abs(m["pr_auc"] - (1 / 3 + 1 / 3 + 1 / 3 * 0.75)) < 1e-9
    assert abs(m["roc_auc"] - 20 / 21) < 1e-9
    assert m["precision_at_1pct"] == 1.0 and m["recall_at_5pct"] == 1 / 3
    assert m["recall_at_p90"] == 2 / 3 and m["precision_at_r95"] == 0.75
    assert metrics.best_f1_threshold(y, s) == 0.65 or abs(metrics.best_f1_threshold(y, s) - 0.55) < 1e-9


def test_bootstrap_interval_brackets_the_point() -> None:
    rng = np.random.default_rng(1)
    y = rng.random(400) < 0.2
    s = y + rng.normal(0, 0.7, 400)
    ci = metrics.summary_ci(y, s, s > 0.5, reps=300)
    point = metrics.summary(y, s, s > 0.5)
    for key in ("f1", "pr_auc", "recall_at_p90"):
        lo, hi = ci[key]
        assert lo <= point[key] <= hi and hi - lo > 0.01, (key, lo, point[key], hi)


def _leaky(groups_apart: bool) -> Dataset:
    """Each seller has a private word and one label: a model can only memorise sellers."""
    rng = np.random.default_rng(0)
    texts, y, groups = [], [], []
    for g in range(60):
        label = int(rng.random() < 0.4)
        for _ in range(5):
            texts.append(f"seller{g}x item {rng.integers(1000)}")
            y.append(label)
            groups.append(f"s{g}")
    ids = [str(i) for i in range(len(texts))]
    grp = np.array(groups if groups_apart else ids, dtype=object)
    x: sp.csr_matrix = features.counts(texts)
    return Dataset(ids, texts, np.array(y, dtype=np.int8), grp, ["en"] * len(ids), ["x"] * len(ids), None, x, "h")


def test_group_aware_split_exposes_seller_memorisation() -> None:
    random_split = evaluate.cross_validate(_leaky(False), folds=3, inner_folds=3, reps=50).report()
    grouped = evaluate.cross_validate(_leaky(True), folds=3, inner_folds=3, reps=50).report()
    assert random_split["model"]["pr_auc"]["value"] > 0.95, random_split["model"]
    assert grouped["model"]["pr_auc"]["value"] < 0.7, grouped["model"]
    assert len(grouped["thresholds"]) == 3


def test_near_duplicate_groups() -> None:
    g = near_duplicate_groups(["blue parrot for sale cheap", "blue parrot for sale cheap!", "oak table"] * 1
                              + ["rusty cage with perches"])
    assert g[0] == g[1] and g[0] != g[2] and g[2] != g[3]
