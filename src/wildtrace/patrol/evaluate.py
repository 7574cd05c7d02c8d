"""Honest evaluation of the patrol risk models: year-ahead, never random splits.

``year_ahead(panel, Y)`` trains on the years before Y (the last of them is the validation slice:
it only calibrates, see ``model``), predicts every cell-month of year Y, and scores the rankers
with the project's one metrics module (``wildtrace.metrics``): the iWare-E model, the
past-activity ``baseline`` and the ``unweighted`` ablation (same trees, no effort awareness).
No label of year Y reaches a model. A forecast for Y is made before Y starts: the test rows'
lagged features (``f_past_*``, the panel module's) are recomputed from the months before Y only
(``freeze_lags``).

On the observed labels. Unit: the **patrolled cell-month** of the test year (effort > 0), as PAWS
evaluates: a label exists only where a patrol walked; a cell-month nobody visited says nothing
either way. A detection depends on the patrol as much as on the poachers, so ``model`` is the
iWare-E risk at the effort each cell-month really received (PAWS's protocol: the test effort picks
the voting members); ``model_planned`` is the same model at the planned effort for every cell,
nothing of year Y used at all. Each has a like-for-like baseline: ``baseline`` is past activity
told the same effort (``model.baseline_at_effort``), ``baseline_planned`` past activity alone (its
ranking is the same at any effort common to every cell). ``unweighted`` takes no effort. The pairs
that compare like with like are model - baseline and model_planned - baseline_planned. Figures:

- ``roc_auc`` and ``pr_auc`` (average precision) of the 0/1 label (a detection that month);
- ``found_top_5pct`` / ``10pct`` / ``20pct``: the share of the detections (counts) made in the top
  k % of the patrolled cell-months ranked by risk (``metrics.recall_at``, ties shared);
- each with a 95 % bootstrap interval (``<figure>_ci``) over resamples of whole **cells** (a cell's
  months are not independent), and the paired differences (``PAIRS``: model - baseline,
  model_planned - baseline_planned, model_planned - unweighted: each pair knows the same of year
  Y) on the same resamples (``differences``).

Against the truth (``truth``: the synthetic park's p_true per cell-month): observed labels are
effort-biased (detections follow patrols), so the fair test of effort awareness is the true risk,
known everywhere. Unit: **every** cell-month of the test year, patrolled or not; ``model`` is the
model at the planned effort (presence compared under equal patrolling). Figures: AUC and PR-AUC
against activity drawn from p_true (seeded), ``found_top_k``: the share of the expected true
activity (sum of p_true) in the top k % of cells, and ``spearman``: the rank correlation of risk
with p_true; same bootstrap over cells and paired differences.

Every figure is a plain number at ``[ranker][figure]`` (NaN as null) with its interval beside it at
``[ranker][figure + "_ci"]``: ``evaluation["model"]["pr_auc"]`` is the point value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from wildtrace import metrics
from wildtrace.errors import ConfigError
from wildtrace.patrol import model as model_mod

#: Patrol budgets: share of the cells a ranger team patrols.
BUDGETS = (0.05, 0.10, 0.20)
#: The rankers scored on the observed labels, and the paired differences reported.
RANKERS = ("model", "model_planned", "baseline", "baseline_planned", "unweighted")
PAIRS = (("model", "baseline"), ("model_planned", "baseline_planned"), ("model_planned", "unweighted"))
#: The rankers scored against the truth ("model" there is the model at the planned effort).
TRUTH_RANKERS = ("model", "baseline", "unweighted")
TRUTH_PAIRS = (("model", "baseline"), ("model", "unweighted"))


def _found(frac: float) -> str:
    return f"found_top_{metrics.budget_tag(frac)}"


def split(panel: pd.DataFrame, test_year: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(training rows: years < test_year, test rows: year == test_year); later years are unused."""
    years = sorted(int(y) for y in pd.unique(panel["year"]))
    if test_year not in years:
        raise ConfigError(f"test year {test_year} is not in the panel ({years[0]}-{years[-1]})")
    train = panel[panel["year"] < test_year]
    if train["year"].nunique() < 2:
        raise ConfigError(
            f"test year {test_year}: the year-ahead test needs two or more earlier years "
            "(one to fit, the last to calibrate)"
        )
    return train, panel[panel["year"] == test_year].reset_index(drop=True)


def predictions(
    panel: pd.DataFrame,
    test_year: int,
    *,
    features: Sequence[str] | None = None,
    config: model_mod.ModelConfig | Mapping[str, Any] | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Test-year rows with each ranker's risk (``model``: at the effort spent, ``model_planned``:
    at the planned effort, ``baseline``, ``unweighted``) and
    the fitted models' descriptions; fitted on the years before ``test_year`` only. The test rows'
    lagged features are frozen at the test year's start (``freeze_lags``)."""
    train, test = split(panel, test_year)
    test, lags = freeze_lags(panel, test, test_year)
    cfg = model_mod.ModelConfig.of(config)
    fitted = model_mod.fit(train, features=features, config=cfg)
    ablation = model_mod.fit_unweighted(train, features=features, config=cfg)
    out = test[["cell_id", "period", "effort_km", "label", "detections"]].copy()
    out["model"] = fitted.predict(test, effort="observed")["risk"].to_numpy()
    out["model_planned"] = fitted.predict(test)["risk"].to_numpy()
    out["baseline"] = model_mod.baseline_at_effort(train, test, smoothing=cfg.smoothing)["risk"].to_numpy()
    out["baseline_planned"] = model_mod.baseline(train, test, smoothing=cfg.smoothing)["risk"].to_numpy()
    out["unweighted"] = ablation.predict(test)["risk"].to_numpy()
    patrolled = test["effort_km"].to_numpy() > 0
    at_effort = out["model"].to_numpy()[patrolled]
    info = {
        "lags": lags,
        "versions": {
            "model": fitted.version,
            "unweighted": ablation.version,
            "baseline": model_mod.BASELINE_AT_EFFORT_VERSION,
            "baseline_planned": model_mod.BASELINE_VERSION,
        },
        "model": model_mod.describe(fitted),
        "unweighted": model_mod.describe(ablation),
        "calibration": {
            "unit": "patrolled test cell-months, risk at their observed effort",
            "mean_risk": float(at_effort.mean()) if len(at_effort) else math.nan,
            "observed_rate": float(test.loc[patrolled, "label"].mean())
            if patrolled.any()
            else math.nan,
        },
    }
    return out, info


def freeze_lags(
    panel: pd.DataFrame, test: pd.DataFrame, test_year: int
) -> tuple[pd.DataFrame, str]:
    """The test rows with their lagged ``f_past_*`` features recomputed from the 12 months before
    the test year only (``panel.add_lag_features(cutoff=...)``): a forecast made on 1 January
    knows nothing of the year's own patrols, so no detection of the test year feeds a prediction
    in it. Panels without the panel module's lag columns are returned as they are."""
    lagged = [c for c in panel.columns if str(c).startswith("f_past_")]
    needed = {"row", "col", "detections", "effort_km", "coverage"}
    if not lagged or not needed <= set(panel.columns):
        return test, "none: the panel has no f_past_* features"
    from wildtrace.patrol import panel as panel_mod

    cutoff = f"{test_year}-01"
    frozen = panel_mod.add_lag_features(panel[panel["year"] <= test_year], cutoff=cutoff)
    keys = test[["cell_id", "period"]].astype({"period": str})
    lags = frozen[["cell_id", "period", *[c for c in lagged if c in frozen]]]
    lags = lags.astype({"period": str})
    fresh = keys.merge(lags, on=["cell_id", "period"], how="left")
    out = test.copy()
    for col in lagged:
        if col in fresh:  # a lag window the panel module does not make stays as it was
            out[col] = fresh[col].to_numpy()
    return out, f"f_past_* frozen at {cutoff}: the test year's rows see only the months before it"


def _ranks(a: np.ndarray) -> np.ndarray:
    """Ranks with ties averaged (Spearman's convention)."""
    return pd.Series(a).rank().to_numpy()


def _spearman(a: np.ndarray, ranks_b: np.ndarray) -> float:
    """Spearman's rank correlation of ``a`` with the already ranked ``ranks_b``; NaN if constant."""
    if len(a) < 2:
        return math.nan
    ra = _ranks(a)
    if ra.std() == 0 or ranks_b.std() == 0:
        return math.nan
    return float(np.corrcoef(ra, ranks_b)[0, 1])


Figures = Callable[[np.ndarray], dict[str, float]]


def _observed_figures(
    y: np.ndarray, amount: np.ndarray, scores: Mapping[str, np.ndarray]
) -> Figures:
    """Each ranker's figures on the observed labels of one resample, and the PAIRS' differences."""

    def stat(idx: np.ndarray) -> dict[str, float]:
        out: dict[str, float] = {}
        for name, s in scores.items():
            out[f"{name}.roc_auc"] = metrics.roc_auc(y[idx], s[idx])
            out[f"{name}.pr_auc"] = metrics.average_precision(y[idx], s[idx])
            for frac in BUDGETS:
                out[f"{name}.{_found(frac)}"] = metrics.recall_at(amount[idx], s[idx], frac)
        return _with_differences(out, PAIRS)

    return stat


def _truth_figures(
    present: np.ndarray, p_true: np.ndarray, scores: Mapping[str, np.ndarray]
) -> Figures:
    """Each ranker's figures against the truth in one resample, and the TRUTH_PAIRS' differences."""

    def stat(idx: np.ndarray) -> dict[str, float]:
        out: dict[str, float] = {}
        true_ranks = _ranks(p_true[idx])  # once per resample, shared by the rankers
        for name, s in scores.items():
            out[f"{name}.roc_auc"] = metrics.roc_auc(present[idx], s[idx])
            out[f"{name}.pr_auc"] = metrics.average_precision(present[idx], s[idx])
            for frac in BUDGETS:
                out[f"{name}.{_found(frac)}"] = metrics.recall_at(p_true[idx], s[idx], frac)
            out[f"{name}.spearman"] = _spearman(s[idx], true_ranks)
        return _with_differences(out, TRUTH_PAIRS)

    return stat


def _with_differences(
    out: dict[str, float], pairs: Sequence[tuple[str, str]]
) -> dict[str, float]:
    for a, b in pairs:
        for key in [k for k in out if k.startswith(f"{a}.")]:
            fig = key.split(".", 1)[1]
            out[f"{a}-{b}.{fig}"] = out[key] - out[f"{b}.{fig}"]
    return out


def _num(v: float) -> float | None:
    return None if v is None or not math.isfinite(v) else float(v)


def _table(
    stat: Figures, n: int, groups: np.ndarray, rankers: Sequence[str], *, reps: int, seed: int
) -> dict[str, Any]:
    """{ranker or pair: {figure: point, figure_ci: [lo, hi]}} from one statistic."""
    point = stat(np.arange(n))
    ci = metrics.bootstrap(stat, n, groups, reps=reps, seed=seed) if reps > 0 and n else {}
    table: dict[str, dict[str, Any]] = {}
    for key, value in point.items():
        who, fig = key.split(".", 1)
        row = table.setdefault(who, {})
        row[fig] = _num(value)
        row[f"{fig}_ci"] = [_num(v) for v in ci.get(key, [math.nan, math.nan])]
    return {
        "rankers": {k: v for k, v in table.items() if k in rankers},
        "differences": {k: v for k, v in table.items() if k not in rankers},
    }


def year_ahead(
    panel: pd.DataFrame,
    test_year: int,
    *,
    features: Sequence[str] | None = None,
    config: model_mod.ModelConfig | Mapping[str, Any] | None = None,
    reps: int = 1000,
    seed: int = 0,
    truth: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """Train on the years before ``test_year``, test on it; a JSON-ready dict (see the module doc).

    ``truth`` (synthetic parks only): DataFrame[cell_id, period, p_true] covering the test year
    (a ``truth`` column, as ``SyntheticPark.truth_table`` names it, is read as p_true).
    """
    rows, info = predictions(panel, test_year, features=features, config=config)
    patrolled = rows[rows["effort_km"] > 0].reset_index(drop=True)
    names = list(RANKERS)
    y = patrolled["label"].to_numpy(dtype=np.float64)
    amount = patrolled["detections"].to_numpy(dtype=np.float64)
    scores = {k: patrolled[k].to_numpy(dtype=np.float64) for k in names}
    observed = _table(
        _observed_figures(y, amount, scores),
        len(patrolled),
        patrolled["cell_id"].to_numpy(),
        RANKERS,
        reps=reps,
        seed=seed,
    )
    result: dict[str, Any] = {
        "test_year": int(test_year),
        "train_years": [
            int(v) for v in sorted(pd.unique(panel.loc[panel["year"] < test_year, "year"]))
        ],
        "calibration_year": info["model"]["calibration_year"],
        "lags": info["lags"],
        "unit": "patrolled cell-month of the test year (effort_km > 0); bootstrap resamples cells",
        "effort": "model: the risk of finding activity with the effort each test cell-month "
        "received (PAWS's protocol: a detection depends on the patrol); model_planned: at the "
        f"planned {info['model']['planned_effort_km']:.3g} km for every cell (the median effort "
        "of the patrolled training cell-months), nothing of the test year used; baseline: past "
        "activity told the same effort as model (a logistic fit on the last training year), so "
        "model - baseline compares like with like; baseline_planned: past activity alone, the "
        "ahead-of-time twin of model_planned; unweighted takes no effort",
        "n": int(len(patrolled)),
        "cells": int(patrolled["cell_id"].nunique()),
        "positives": int(y.sum()),
        "detections": int(amount.sum()),
        "reps": int(reps),
        "seed": int(seed),
        "budgets": [metrics.budget_tag(b) for b in BUDGETS],
        **observed["rankers"],
        "differences": observed["differences"],
        "calibration": {
            k: _num(v) if isinstance(v, float) else v for k, v in info["calibration"].items()
        },
        "versions": info["versions"],
        "models": {"model": info["model"], "unweighted": info["unweighted"]},
    }
    if truth is not None:
        result["truth"] = _against_truth(rows, truth, reps=reps, seed=seed)
    return result


def _against_truth(
    rows: pd.DataFrame, truth: pd.DataFrame, *, reps: int, seed: int
) -> dict[str, Any]:
    if "p_true" not in truth and "truth" in truth:  # SyntheticPark.truth_table's column name
        truth = truth.rename(columns={"truth": "p_true"})
    if "p_true" not in truth:
        raise ConfigError("the truth table needs the columns cell_id, period, p_true")
    merged = rows.merge(
        truth[["cell_id", "period", "p_true"]], on=["cell_id", "period"], how="inner"
    )
    if len(merged) < len(rows):
        raise ConfigError(f"the truth covers {len(merged)} of the {len(rows)} test cell-months")
    p_true = merged["p_true"].to_numpy(dtype=np.float64)
    present = (np.random.default_rng(seed).random(len(merged)) < p_true).astype(np.float64)
    columns = {"model": "model_planned", "baseline": "baseline_planned", "unweighted": "unweighted"}
    scores = {k: merged[columns[k]].to_numpy(dtype=np.float64) for k in TRUTH_RANKERS}
    table = _table(
        _truth_figures(present, p_true, scores),
        len(merged),
        merged["cell_id"].to_numpy(),
        TRUTH_RANKERS,
        reps=reps,
        seed=seed,
    )
    return {
        "unit": "every cell-month of the test year, patrolled or not; activity drawn from p_true "
        "(seeded) for AUC/PR-AUC, expected activity (sum of p_true) for found_top_k; the model "
        "at the planned effort for every cell",
        "n": int(len(merged)),
        "present": int(present.sum()),
        "expected_activity": float(p_true.sum()),
        **table["rankers"],
        "differences": table["differences"],
    }
