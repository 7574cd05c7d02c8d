"""Where illegal activity is likely next month: iWare-E, its ablation, and a past-activity baseline.

Why effort matters. A ranger finds a snare only where a patrol walked, so a cell-month's label is
"activity there AND a patrol detected it". "Nothing found" in a barely patrolled cell is not a
negative; a cell never patrolled is not a safe cell. iWare-E (Gholami et al. 2018, "Adversary
models account for imperfect crime data", AAMAS; the PAWS-public code, ``iware/iware.py``, MIT)
answers with an ensemble whose members see only cell-months patrolled enough for their labels
to be trusted:

- **Thresholds.** ``members`` effort thresholds at evenly spaced percentiles (0, 100/K, ...) of the
  effort of the *patrolled* training cell-months, as PAWS sets them from the training effort.
  Member i trains on the cell-months with ``effort_km >= theta_i``, plus every positive (a detection
  is reliable however little effort found it: PAWS keeps them too). Never-patrolled cell-months
  (effort 0: label 0 by construction) train no member. Repeated thresholds and members without both
  classes are dropped, as in PAWS.
- **Classifier.** Each member is bagged, randomised decision trees (scikit-learn ``ExtraTrees`` with
  bootstrap: 32 trees, ``max_samples`` 0.8, ``max_features`` 0.5, PAWS's bagging parameters).
  PAWS's best classifiers were bagged decision trees and Gaussian processes; GPs do not scale to a
  park of 2,000 cells x 60 months, and randomised splits make bagged trees ten times faster than
  exhaustive ones (about a second for 120k cell-months) for the same model family. The spread of
  the trees is the uncertainty (PAWS used GP variance / forest variance for the same purpose).
- **Features.** The panel's ``f_*`` columns (static and lagged), plus the cell-month's patrol effort
  (``effort_km``) when ``effort_feature`` is on: the members then learn detection as a function of
  effort too, and a prediction is made *for a planned effort*.
- **Weights by effort.** Predicting for effort e, the members qualified for it (``theta_i <= e``)
  vote with equal weight (the "lower triangle" vote matrix of the PAWS code; its default identity
  matrix lets only the highest qualified member vote, which throws away most trees). The effort of
  a cell-month to come is unknown, so ``predict`` uses a **planned effort**: by default the median
  effort of the patrolled training cell-months (``RiskModel.planned_effort``), the same for every
  cell, so the ranking compares cells under equal patrolling.
- **Calibration.** Platt scaling (a logistic fit on the logit of the ensemble's score) on a
  validation slice that is the last training year, never a test year: the members are fitted on the
  earlier years, scored on the last one at each cell-month's own effort, the two-parameter map is
  fitted on its patrolled cell-months, then the members are refitted on all training years and the
  map kept (scikit-learn's ``CalibratedClassifierCV(ensemble=False)`` does the same). Platt, not
  isotonic: it is strictly increasing, so it keeps the ranking (isotonic steps tie cells and cost
  AUC), and two parameters stay stable with the few positives a year of patrols yields. ``risk`` is
  then the probability that a patrol with the planned effort finds illegal activity in the cell that
  month.

``fit_unweighted`` is the ablation: the same trees on every training cell-month, patrolled or not,
without effort as a feature, thresholds or votes, calibrated the same way. ``baseline`` is the plain
past-activity frequency per cell. All three return a ``RiskModel``-like table:
``DataFrame[cell_id, period, risk, uncertainty]``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from wildtrace.errors import ConfigError, DataError

#: Version of the past-activity baseline (provenance).
BASELINE_VERSION = "past-frequency/1 (share of patrolled months with a detection, beta-smoothed)"
_EPS = 1e-6


@dataclass(frozen=True)
class ModelConfig:
    """The iWare-E settings; ``ModelConfig.of`` accepts a mapping of these names or None."""

    members: int = 6  # effort thresholds (ensemble members)
    trees: int = 32  # trees per member (PAWS: 32 estimators)
    max_depth: int | None = 12
    min_samples_leaf: int = 10
    max_features: float = 0.5  # PAWS MAX_FEATURES
    max_samples: float = 0.8  # PAWS MAX_SAMPLES
    keep_positives: bool = True  # PAWS keeps detections below the threshold
    effort_feature: bool = True  # effort_km is an input of the members
    planned_effort: float | None = None  # None: the median effort of patrolled training cell-months
    refit: bool = True  # refit on all training years after calibrating on the last
    smoothing: float = 2.0  # baseline: prior strength in months at the park-wide rate
    seed: int = 0

    @classmethod
    def of(cls, config: ModelConfig | Mapping[str, Any] | None) -> ModelConfig:
        """The config itself, one built from a mapping (unknown names: ConfigError), or defaults."""
        if config is None:
            return cls()
        if isinstance(config, ModelConfig):
            return config
        unknown = set(config) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"unknown model setting(s): {', '.join(sorted(unknown))}")
        made = cls(**dict(config))
        if made.members < 1 or made.trees < 1:
            raise ConfigError("model members and trees must be at least 1")
        return made


@dataclass
class _Member:
    threshold: float
    trees: Any  # a fitted ExtraTreesClassifier
    rows: int
    positives: int


@dataclass
class RiskModel:
    """A fitted ensemble: ``predict(rows, effort=None)`` gives calibrated risk and uncertainty."""

    features: list[str]
    members: list[_Member]
    calibration: tuple[float, float]  # Platt (a, b): risk = sigmoid(a * logit(score) + b)
    planned_effort: float
    effort_aware: bool
    config: ModelConfig
    train_years: list[int]
    calibration_year: int
    notes: list[str] = field(default_factory=list)

    @property
    def thresholds(self) -> list[float]:
        """The effort threshold (km) of each member, ascending."""
        return [m.threshold for m in self.members]

    @property
    def version(self) -> str:
        """The method and its parameters, for provenance."""
        c = self.config
        kind = "iware-e" if self.effort_aware else "unweighted"
        thetas = ",".join(f"{t:.3g}" for t in self.thresholds)
        return (
            f"{kind}/1 extratrees(trees={c.trees},depth={c.max_depth},leaf={c.min_samples_leaf},"
            f"features={c.max_features},samples={c.max_samples}) thresholds_km=[{thetas}] "
            f"effort_feature={self.effort_aware and c.effort_feature} "
            f"planned_effort_km={self.planned_effort:.3g} platt(val={self.calibration_year}) "
            f"train={self.train_years[0]}-{self.train_years[-1]} features={len(self.features)} "
            f"seed={c.seed}"
        )

    def _effort(self, rows: pd.DataFrame, effort: float | str | None) -> np.ndarray:
        if effort is None:
            return np.full(len(rows), self.planned_effort)
        if isinstance(effort, str):
            if effort != "observed":
                raise ConfigError(
                    f"effort must be a number of km, 'observed' or None, not {effort!r}"
                )
            if "effort_km" not in rows:
                raise DataError("effort='observed' needs an effort_km column")
            return rows["effort_km"].to_numpy(dtype=np.float64)
        return np.full(len(rows), float(effort))

    def _matrix(self, rows: pd.DataFrame, eff: np.ndarray) -> np.ndarray:
        missing = [f for f in self.features if f not in rows]
        if missing:
            raise DataError(f"rows lack the model's feature column(s): {', '.join(missing)}")
        x = rows[self.features].to_numpy(dtype=np.float32)
        if self.effort_aware and self.config.effort_feature:
            x = np.column_stack([x, eff.astype(np.float32)])
        return np.nan_to_num(x, nan=0.0)

    def _weights(self, eff: np.ndarray) -> np.ndarray:
        """rows x members: equal votes of the members qualified for each row's effort."""
        thetas = np.asarray(self.thresholds)
        qualified = (eff[:, None] >= thetas[None, :] - 1e-12).astype(np.float64)
        qualified[:, 0] = 1.0  # the lowest threshold always votes (efforts below every threshold)
        return qualified / qualified.sum(axis=1, keepdims=True)

    def scores(
        self, rows: pd.DataFrame, effort: float | str | None = None, *, per_tree: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Uncalibrated ensemble score per row and, with ``per_tree``, the first and second
        moments of the voting trees' calibrated predictions (for the uncertainty)."""
        eff = self._effort(rows, effort)
        x = self._matrix(rows, eff)
        w = self._weights(eff)
        score, first, second = np.zeros(len(rows)), np.zeros(len(rows)), np.zeros(len(rows))
        for i, member in enumerate(self.members):
            if not w[:, i].any():
                continue
            if per_tree:
                tree_p = np.stack([t.predict_proba(x)[:, 1] for t in member.trees.estimators_])
                score += w[:, i] * tree_p.mean(axis=0)
                cal = self._calibrate(tree_p)
                first += w[:, i] * cal.mean(axis=0)
                second += w[:, i] * (cal**2).mean(axis=0)
            else:
                score += w[:, i] * member.trees.predict_proba(x)[:, 1]
        return score, first, second

    def _calibrate(self, score: np.ndarray) -> np.ndarray:
        a, b = self.calibration
        s = np.clip(score, _EPS, 1 - _EPS)
        return 1.0 / (1.0 + np.exp(-(a * np.log(s / (1 - s)) + b)))

    def predict(self, rows: pd.DataFrame, effort: float | str | None = None) -> pd.DataFrame:
        """``DataFrame[cell_id, period, risk, uncertainty]`` for these rows (same order).

        ``effort``: None = the planned effort (``planned_effort``), a number of km, or
        ``"observed"`` (each row's own ``effort_km``). ``uncertainty`` is the standard deviation of
        the calibrated predictions of the voting trees around ``risk``.
        """
        score, first, second = self.scores(rows, effort, per_tree=True)
        risk = self._calibrate(score)
        # E[(c - risk)^2] over the voting trees' calibrated predictions c
        spread = np.sqrt(np.clip(second - 2 * risk * first + risk**2, 0.0, None))
        return pd.DataFrame(
            {
                "cell_id": rows["cell_id"].to_numpy(),
                "period": rows["period"].to_numpy(),
                "risk": risk,
                "uncertainty": spread,
            }
        )


def feature_columns(panel: pd.DataFrame, features: Sequence[str] | None = None) -> list[str]:
    """The given feature names (checked), or every ``f_*`` column of the panel, sorted."""
    cols = (
        sorted(c for c in panel.columns if str(c).startswith("f_"))
        if features is None
        else list(features)
    )
    missing = [c for c in cols if c not in panel]
    if missing:
        raise ConfigError(f"feature column(s) not in the panel: {', '.join(missing)}")
    text = [c for c in cols if not pd.api.types.is_numeric_dtype(panel[c])]
    if text:
        raise DataError(f"feature column(s) not numeric: {', '.join(text)} (encode them first)")
    return cols


def _years(panel: pd.DataFrame) -> list[int]:
    years = sorted(int(y) for y in pd.unique(panel["year"]))
    if len(years) < 2:
        raise ConfigError(f"training needs two or more years (the last calibrates); got {years}")
    return years


def _trees(config: ModelConfig, seed: int) -> Any:
    from sklearn.ensemble import ExtraTreesClassifier

    return ExtraTreesClassifier(
        n_estimators=config.trees,
        max_depth=config.max_depth,
        min_samples_leaf=config.min_samples_leaf,
        max_features=config.max_features,
        bootstrap=True,
        max_samples=config.max_samples,
        random_state=seed,
        n_jobs=1,
    )


def _thresholds(effort: np.ndarray, members: int) -> list[float]:
    patrolled = effort[effort > 0]
    if not len(patrolled):
        raise ConfigError("no patrolled cell-month in the training years: nothing to learn from (do the "
                          "records' patrols fall in the park in those years?)")
    qs = np.percentile(patrolled, np.linspace(0, 100, members, endpoint=False))
    out: list[float] = []
    for q in qs:
        if not out or q > out[-1]:
            out.append(float(q))
    return out


def _fit_members(
    train: pd.DataFrame, features: list[str], config: ModelConfig, *, effort_aware: bool
) -> tuple[list[_Member], list[str]]:
    eff = train["effort_km"].to_numpy(dtype=np.float64)
    y = train["label"].to_numpy(dtype=np.int64)
    x = train[features].to_numpy(dtype=np.float32)
    if effort_aware and config.effort_feature:
        x = np.column_stack([x, eff.astype(np.float32)])
    x = np.nan_to_num(x, nan=0.0)
    thetas = _thresholds(eff, config.members) if effort_aware else [0.0]
    members: list[_Member] = []
    notes: list[str] = []
    for i, theta in enumerate(thetas):
        keep = (eff >= theta) & (eff > 0) if effort_aware else np.ones(len(y), bool)
        if effort_aware and config.keep_positives:
            keep |= y == 1
        pos = int(y[keep].sum())
        if pos == 0 or pos == int(keep.sum()):
            notes.append(
                f"member at effort >= {theta:.3g} km skipped: its cell-months hold one class only"
            )
            continue
        trees = _trees(config, config.seed + i).fit(x[keep], y[keep])
        members.append(_Member(threshold=theta, trees=trees, rows=int(keep.sum()), positives=pos))
    if not members:
        raise DataError(
            "no training cell-month with a detection: the model has nothing to learn from"
        )
    return members, notes


def _platt(score: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt's two parameters on logit(score); the identity map when a class is missing."""
    if y.sum() == 0 or y.sum() == len(y):
        return 1.0, 0.0
    from sklearn.linear_model import LogisticRegression

    s = np.clip(score, _EPS, 1 - _EPS)
    z = np.log(s / (1 - s)).reshape(-1, 1)
    lr = LogisticRegression(C=1e4).fit(z, y)
    a = float(lr.coef_[0, 0])
    if a <= 0:  # a decreasing map would invert the ranking: keep the ensemble's order
        return 1.0, 0.0
    return a, float(lr.intercept_[0])


def _fit(
    panel_train: pd.DataFrame,
    features: Sequence[str] | None,
    config: ModelConfig | Mapping[str, Any] | None,
    *,
    effort_aware: bool,
) -> RiskModel:
    cfg = ModelConfig.of(config)
    cols = feature_columns(panel_train, features)
    years = _years(panel_train)
    val_year = years[-1]
    early = panel_train[panel_train["year"] < val_year]
    val = panel_train[(panel_train["year"] == val_year) & (panel_train["effort_km"] > 0)]
    eff_all = panel_train["effort_km"].to_numpy(dtype=np.float64)
    patrolled = eff_all[eff_all > 0]
    planned = (
        cfg.planned_effort
        if cfg.planned_effort is not None
        else (float(np.median(patrolled)) if len(patrolled) else 0.0)
    )
    members, notes = _fit_members(early, cols, cfg, effort_aware=effort_aware)
    probe = RiskModel(cols, members, (1.0, 0.0), planned, effort_aware, cfg, years[:-1], val_year)
    y_val = val["label"].to_numpy(dtype=np.int64)
    score = probe.scores(val, "observed")[0] if len(val) else np.zeros(0)
    calibration = _platt(score, y_val)
    if y_val.sum() == 0:
        notes.append(
            f"no detection in the validation year {val_year}: probabilities left uncalibrated"
        )
    if cfg.refit:
        members, more = _fit_members(panel_train, cols, cfg, effort_aware=effort_aware)
        notes.extend(more)
    return RiskModel(cols, members, calibration, planned, effort_aware, cfg, years, val_year, notes)


def fit(
    panel_train: pd.DataFrame,
    *,
    features: Sequence[str] | None = None,
    config: ModelConfig | Mapping[str, Any] | None = None,
) -> RiskModel:
    """iWare-E on these training cell-months (every year of ``panel_train``; the last calibrates).

    ``panel_train``: the panel's columns (cell_id, period, year, effort_km, label, f_*...);
    ``features``: the feature columns (default: every ``f_*``); ``config``: ``ModelConfig`` or a
    mapping of its fields.
    """
    return _fit(panel_train, features, config, effort_aware=True)


def fit_unweighted(
    panel_train: pd.DataFrame,
    *,
    features: Sequence[str] | None = None,
    config: ModelConfig | Mapping[str, Any] | None = None,
) -> RiskModel:
    """The ablation: the same trees on every training cell-month, no effort threshold or vote."""
    cfg = replace(ModelConfig.of(config), effort_feature=False)
    return _fit(panel_train, features, cfg, effort_aware=False)


def baseline(
    panel_train: pd.DataFrame, rows: pd.DataFrame, *, smoothing: float = 2.0
) -> pd.DataFrame:
    """Past-activity frequency per cell: the share of its patrolled months with a detection.

    Smoothed towards the park-wide rate r with a prior worth ``smoothing`` months:
    ``(detected + smoothing * r) / (patrolled + smoothing)``; a never-patrolled cell gets r.
    ``uncertainty`` is the standard deviation of that beta posterior.
    """
    patrolled = panel_train[panel_train["effort_km"] > 0]
    rate = float(patrolled["label"].mean()) if len(patrolled) else 0.0
    per_cell = patrolled.groupby("cell_id")["label"].agg(["sum", "count"])
    hits = rows["cell_id"].map(per_cell["sum"]).fillna(0.0).to_numpy(dtype=np.float64)
    months = rows["cell_id"].map(per_cell["count"]).fillna(0.0).to_numpy(dtype=np.float64)
    alpha = hits + smoothing * rate
    total = months + smoothing
    risk = alpha / total
    sd = np.sqrt(risk * (1 - risk) / (total + 1))
    return pd.DataFrame(
        {
            "cell_id": rows["cell_id"].to_numpy(),
            "period": rows["period"].to_numpy(),
            "risk": risk,
            "uncertainty": sd,
        }
    )


BASELINE_AT_EFFORT_VERSION = ("past-frequency-at-effort/1 (logistic on logit(past frequency) and "
                              "log(1 + effort km), fitted on the last training year)")


def baseline_at_effort(
    panel_train: pd.DataFrame, rows: pd.DataFrame, *, smoothing: float = 2.0
) -> pd.DataFrame:
    """The past-activity baseline told the same effort the model is told: the chance a patrol
    with each row's ``effort_km`` finds activity in a cell with that past frequency.

    A two-feature logistic regression (logit of the past frequency, log(1 + effort km)) fitted on
    the last training year's patrolled cell-months, their past frequency taken from the years
    before it (as the model's calibration slice), then applied to ``rows`` with the frequency of
    every training year. Where that slice has one class only, the plain baseline is returned.
    Without it, a model scored at the effort each test cell-month received would be compared
    with a baseline that knows nothing of where the patrols went.
    """
    from sklearn.linear_model import LogisticRegression

    plain = baseline(panel_train, rows, smoothing=smoothing)
    last = int(panel_train["year"].max())
    earlier, slice_ = panel_train[panel_train["year"] < last], panel_train[panel_train["year"] == last]
    slice_ = slice_[slice_["effort_km"] > 0]
    if earlier.empty or slice_["label"].nunique() < 2:
        return plain

    def x(p: np.ndarray, effort: np.ndarray) -> np.ndarray:
        p = np.clip(p, _EPS, 1 - _EPS)
        return np.column_stack([np.log(p / (1 - p)), np.log1p(np.nan_to_num(effort, nan=0.0))])

    prior = baseline(earlier, slice_, smoothing=smoothing)["risk"].to_numpy(dtype=np.float64)
    fit = LogisticRegression(C=1e4).fit(x(prior, slice_["effort_km"].to_numpy(dtype=np.float64)),
                                        slice_["label"].to_numpy())
    risk = fit.predict_proba(x(plain["risk"].to_numpy(dtype=np.float64),
                               rows["effort_km"].to_numpy(dtype=np.float64)))[:, 1]
    return plain.assign(risk=risk)


def describe(model: RiskModel) -> dict[str, Any]:
    """A JSON-ready summary of a fitted model: members, thresholds, calibration, notes."""
    return {
        "version": model.version,
        "planned_effort_km": model.planned_effort,
        "calibration_year": model.calibration_year,
        "train_years": model.train_years,
        "platt": list(model.calibration),
        "features": model.features,
        "members": [
            {"threshold_km": m.threshold, "rows": m.rows, "positives": m.positives}
            for m in model.members
        ],
        "config": asdict(model.config),
        "notes": list(model.notes),
    }
