"""wildtrace.metrics: each figure against scikit-learn or a brute-force definition, and the bootstrap."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from sklearn.metrics import (
    average_precision_score,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)

from wildtrace import metrics


def _data(seed: int, n: int, *, ties: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < rng.uniform(0.05, 0.5)).astype(int)
    s = y * rng.uniform(0, 2) + rng.normal(0, 1, n)
    return y, np.round(s, 1) if ties else s


@pytest.mark.parametrize(("seed", "ties"), list(itertools.product(range(12), (False, True))))
def test_against_scikit_learn(seed: int, ties: bool) -> None:
    y, s = _data(seed, 50 + 37 * seed, ties=ties)
    pred = s >= np.median(s)
    assert metrics.average_precision(y, s) == pytest.approx(average_precision_score(y, s), abs=1e-12), (seed, ties)
    assert metrics.roc_auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12), (seed, ties)
    p, r, f = metrics.precision_recall_f1(y, pred)
    assert (p, r, f) == pytest.approx((precision_score(y, pred), recall_score(y, pred), f1_score(y, pred))), seed


def test_undefined_figures() -> None:
    y0, s = np.zeros(5, dtype=int), np.arange(5.0)
    assert math.isnan(metrics.average_precision(y0, s)) and math.isnan(metrics.roc_auc(y0, s))
    assert math.isnan(metrics.roc_auc(np.ones(5), s)) and math.isnan(metrics.recall_at(y0, s, 0.2))
    assert metrics.precision_at(y0, s, 0.2) == 0.0
    assert metrics.precision_recall_f1(y0, np.zeros(5)) == (0.0, 0.0, 0.0)
    assert all(math.isnan(v) for v in metrics.ranking(y0, s).values())
    assert math.isnan(metrics.precision_at_k(np.array([]), np.array([]), 3))


def _brute_top_k(y: np.ndarray, s: np.ndarray) -> np.ndarray:
    """For each k, the mean over every order of the tied rows of the positives in the first k."""
    totals = []
    order = np.argsort(-s, kind="stable")
    groups = [list(g) for _, g in itertools.groupby(order, key=lambda i: s[i])]
    for perm in itertools.product(*(itertools.permutations(g) for g in groups)):
        ranked = [i for g in perm for i in g]
        totals.append(np.cumsum(y[ranked]))
    return np.mean(totals, axis=0)


def test_top_k_shares_ties_as_the_mean_over_tie_orders() -> None:
    rng = np.random.default_rng(3)
    for _ in range(30):
        y = rng.integers(0, 2, 7)
        s = rng.integers(0, 3, 7).astype(float)
        brute = _brute_top_k(y, s)
        for k in range(1, 8):
            expected = brute[k - 1]
            assert metrics.precision_at_k(y, s, k) == pytest.approx(expected / k), (y, s, k)
            if y.sum():
                assert metrics.recall_at_k(y, s, k) == pytest.approx(expected / y.sum()), (y, s, k)
    # a row order never changes the figure
    y, s = _data(5, 300, ties=True)
    perm = rng.permutation(300)
    assert metrics.precision_at(y, s, 0.05) == metrics.precision_at(y[perm], s[perm], 0.05)


def test_precision_at_a_budget_uses_ceil() -> None:
    # 12% of 10 rows is 1.2: ceil reviews 2 rows (round would review 1)
    y = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 1])
    s = np.arange(10.0)[::-1]
    assert metrics.top_k(10, 0.12) == 2
    assert metrics.precision_at(y, s, 0.12) == 0.5  # round's rule would give 1.0
    assert metrics.recall_at(y, s, 0.12) == 0.5
    assert [metrics.top_k(n, 0.01) for n in (1, 99, 100, 101, 150, 7575)] == [1, 1, 1, 2, 2, 76]
    assert [metrics.top_k(n, 0.05) for n in (20, 60, 7575)] == [1, 3, 379]  # 0.05 * 60 is 3.0000000000000004
    assert metrics.top_k(0, 0.05) == 0 and metrics.top_k(10, 2.0) == 10


def test_recall_at_a_budget_counts_amounts() -> None:
    """A patrol's share of all snares found in the top 20% of cells: y may be counts."""
    snares = np.array([5, 0, 3, 0, 0, 1, 0, 0, 0, 1])
    risk = np.array([9.0, 8, 7, 6, 5, 4, 3, 2, 1, 0])
    assert metrics.recall_at(snares, risk, 0.2) == 0.5
    assert metrics.recall_at(snares, risk, 0.3) == 0.8


def test_summary_by_hand() -> None:
    y = np.array([1, 1, 0, 1, 0, 0, 0, 0, 0, 0])
    s = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0])
    m = metrics.summary(y, s, s >= 0.55)
    assert (m["n"], m["positives"], m["precision"], m["recall"]) == (10, 3, 0.75, 1.0)
    assert m["pr_auc"] == pytest.approx(1 / 3 + 1 / 3 + 1 / 3 * 0.75)
    assert m["roc_auc"] == pytest.approx(20 / 21)
    assert m["recall_at_p90"] == 2 / 3 and m["precision_at_r95"] == 0.75
    assert set(metrics.SUMMARY) <= set(m) and metrics.budget_tag(0.005) == "0.5pct"
    assert metrics.best_f1_threshold(y, s) == pytest.approx(0.55)


def test_grouped_resamples_draw_whole_groups() -> None:
    rng = np.random.default_rng(0)
    groups = np.repeat([f"seller{i}" for i in range(40)], rng.integers(1, 8, 40))
    rng.shuffle(groups)
    sizes = {g: int((groups == g).sum()) for g in set(groups)}
    for idx in metrics.resamples(len(groups), groups, reps=50, seed=1):
        counts = np.bincount(idx, minlength=len(groups))
        drawn = 0
        for g in sizes:
            c = counts[groups == g]
            assert (c == c[0]).all(), (g, c)  # every row of a group as often as the others
            drawn += int(c[0])
        assert drawn == len(sizes)  # as many groups drawn as there are
        assert len(idx) == sum(int(counts[groups == g][0]) * size for g, size in sizes.items())
    # without groups, rows are drawn one by one: some row of a group comes without its fellows
    split = False
    for idx in metrics.resamples(len(groups), None, reps=5, seed=1):
        counts = np.bincount(idx, minlength=len(groups))
        split |= any(len(set(counts[groups == g])) > 1 for g, size in sizes.items() if size > 1)
    assert split


def test_grouped_bootstrap_is_wider_for_clustered_labels() -> None:
    """Sellers with one label and one style each: resampling sellers must show the larger uncertainty."""
    rng = np.random.default_rng(2)
    groups = np.repeat(np.arange(30), 10)
    y = np.repeat(rng.random(30) < 0.4, 10).astype(int)
    s = y + np.repeat(rng.normal(0, 1, 30), 10) + rng.normal(0, 0.3, 300)
    rows = metrics.summary_ci(y, s, s > 0.5, reps=300, seed=0)
    sellers = metrics.summary_ci(y, s, s > 0.5, groups, reps=300, seed=0)
    width = {k: (v[1] - v[0], sellers[k][1] - sellers[k][0]) for k, v in rows.items()}
    for key in ("precision", "recall", "pr_auc", "roc_auc"):
        assert width[key][1] > 1.5 * width[key][0], (key, width)


@pytest.mark.parametrize("grouped", [False, True])
def test_interval_brackets_the_point_and_is_seeded(grouped: bool) -> None:
    rng = np.random.default_rng(1)
    y = (rng.random(400) < 0.2).astype(int)
    s = 0.8 * y + rng.normal(0, 1, 400)
    groups = np.arange(400) // 4 if grouped else None
    ci = metrics.summary_ci(y, s, s > 0.5, groups, reps=300, seed=4)
    point = metrics.summary(y, s, s > 0.5)
    for key in metrics.SUMMARY:
        lo, hi = ci[key]
        assert lo <= point[key] <= hi, (key, lo, point[key], hi)
        assert hi - lo > 0.005, (key, lo, hi)
    assert metrics.summary_ci(y, s, s > 0.5, groups, reps=300, seed=4) == ci
    assert metrics.summary_ci(y, s, s > 0.5, groups, reps=300, seed=5) != ci


def test_bootstrap_pairs_figures_and_drops_undefined_ones() -> None:
    y = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    s = np.arange(10.0)[::-1]

    def stat(idx: np.ndarray) -> dict[str, float]:
        a = metrics.roc_auc(y[idx], s[idx])
        return {"auc": a, "same": a - metrics.roc_auc(y[idx], s[idx])}

    ci = metrics.bootstrap(stat, 10, reps=200, seed=0)
    assert ci["auc"] == [1.0, 1.0] and ci["same"] == [0.0, 0.0]  # resamples without the positive left out
    assert metrics.interval([math.nan]) == [pytest.approx(math.nan, nan_ok=True)] * 2
    out = metrics.with_ci({"auc": 1.0, "n": 10.0}, ci)
    assert out == {"auc": {"value": 1.0, "ci95": [1.0, 1.0]}, "n": 10.0}
