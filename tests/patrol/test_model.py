"""iWare-E (wildtrace.patrol.model) on a simulated park whose true risk is known.

The world (fixtures/model_world.py): risk near the edge and a road, ranger posts inside the park,
so patrols and detections concentrate where risk is low. A model that learns "detections" learns
the patrols; the effort-aware ensemble must recover the true risk much better.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from wildtrace import metrics
from wildtrace.errors import ConfigError, DataError
from wildtrace.patrol import model

from .fixtures.model_world import make_world


@pytest.fixture(scope="module")
def world() -> tuple[pd.DataFrame, pd.DataFrame]:
    return make_world(0, side=24, years=4)


@pytest.fixture(scope="module")
def split(world: tuple[pd.DataFrame, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    panel, _ = world
    return panel[panel["year"] < 2023], panel[panel["year"] == 2023].reset_index(drop=True)


@pytest.fixture(scope="module")
def fitted(split: tuple[pd.DataFrame, pd.DataFrame]) -> model.RiskModel:
    return model.fit(split[0])


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(pd.Series(a).rank(), pd.Series(b).rank())[0, 1])


def test_predict_shape_and_range(
    fitted: model.RiskModel, split: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    test = split[1]
    out = fitted.predict(test)
    assert list(out.columns) == ["cell_id", "period", "risk", "uncertainty"]
    assert (out["cell_id"].to_numpy() == test["cell_id"].to_numpy()).all()
    assert (out["period"].to_numpy() == test["period"].to_numpy()).all()
    assert out["risk"].between(0, 1).all() and (out["uncertainty"] >= 0).all()
    assert out["uncertainty"].max() > 0
    assert fitted.version.startswith("iware-e/1 ") and "platt(val=2022)" in fitted.version


def test_members_follow_effort_thresholds(
    fitted: model.RiskModel, split: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    train = split[0]
    eff, y = train["effort_km"].to_numpy(), train["label"].to_numpy()
    thetas = fitted.thresholds
    assert thetas == sorted(thetas) and len(thetas) == 6
    patrolled = eff[eff > 0]
    assert thetas[0] == pytest.approx(patrolled.min())
    for member in fitted.members:
        keep = ((eff >= member.threshold) & (eff > 0)) | (y == 1)
        assert member.rows == keep.sum() and member.positives == y[keep].sum()
    assert fitted.planned_effort == pytest.approx(float(np.median(patrolled)))
    assert fitted.calibration_year == 2022 and fitted.train_years == [2020, 2021, 2022]


def test_effort_aware_beats_unweighted_against_truth(
    world: tuple[pd.DataFrame, pd.DataFrame],
    fitted: model.RiskModel,
    split: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    _, truth = world
    test = split[1].merge(truth, on=["cell_id", "period"])
    ablation = model.fit_unweighted(split[0])
    assert len(ablation.members) == 1 and ablation.members[0].rows == len(split[0])
    aware, plain = (
        fitted.predict(test)["risk"].to_numpy(),
        ablation.predict(test)["risk"].to_numpy(),
    )
    p_true = test["p_true"].to_numpy()
    assert _spearman(aware, p_true) > _spearman(plain, p_true) + 0.3
    present = np.random.default_rng(1).random(len(test)) < p_true
    assert metrics.roc_auc(present, aware) > metrics.roc_auc(present, plain) + 0.1


def test_calibrated_on_the_last_training_year(
    fitted: model.RiskModel, split: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    """At each cell-month's own effort, mean risk is close to the detection rate of a later year."""
    test = split[1]
    patrolled = test[test["effort_km"] > 0]
    risk = fitted.predict(patrolled, effort="observed")["risk"]
    rate = patrolled["label"].mean()
    assert 0.7 * rate < risk.mean() < 1.4 * rate
    # a larger planned effort means a patrol is likelier to find what is there
    assert (
        fitted.predict(test, effort=6.0)["risk"].mean()
        > fitted.predict(test, effort=0.3)["risk"].mean()
    )


def test_calibration_sees_only_the_validation_year(
    split: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    """Changing the labels of the last training year changes the calibration, not the members'
    fit on the earlier years; rows of other years never reach it."""
    train = split[0]
    base = model.fit(train, config={"refit": False})
    flipped = train.copy()
    last = flipped["year"] == 2022
    flipped.loc[last, "label"] = 1 - flipped.loc[last, "label"]
    other = model.fit(flipped, config={"refit": False})
    assert base.calibration != other.calibration
    rows = split[1]
    assert np.array_equal(base.scores(rows)[0], other.scores(rows)[0])


def test_deterministic_for_a_seed(
    fitted: model.RiskModel, split: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    again = model.fit(split[0])
    pd.testing.assert_frame_equal(fitted.predict(split[1]), again.predict(split[1]))
    assert again.version == fitted.version


def test_baseline_is_smoothed_past_frequency() -> None:
    panel = pd.DataFrame(
        {
            "cell_id": [0, 0, 0, 1, 1, 2],
            "period": ["2020-01", "2020-02", "2020-03"] * 2,
            "year": 2020,
            "effort_km": [1.0, 2.0, 0.0, 1.0, 1.0, 0.0],
            "label": [1, 0, 0, 0, 0, 0],
        }
    )
    rows = pd.DataFrame({"cell_id": [0, 1, 2, 3], "period": "2021-01"})
    out = model.baseline(panel, rows, smoothing=2.0)
    rate = 1 / 4  # one detection in four patrolled cell-months
    assert out["risk"].tolist() == pytest.approx(
        [(1 + 2 * rate) / 4, (0 + 2 * rate) / 4, rate, rate]
    )
    assert list(out.columns) == ["cell_id", "period", "risk", "uncertainty"]


def test_bad_settings_and_data() -> None:
    panel, _ = make_world(1, side=8, years=2)
    with pytest.raises(ConfigError, match="unknown model setting"):
        model.fit(panel, config={"trees_": 3})
    with pytest.raises(ConfigError, match="two or more years"):
        model.fit(panel[panel["year"] == 2020])
    with pytest.raises(ConfigError, match="not in the panel"):
        model.fit(panel, features=["f_missing"])
    quiet = panel.assign(label=0)
    with pytest.raises(DataError, match="no training cell-month with a detection"):
        model.fit(quiet)
    fitted = model.fit(panel, config={"members": 3, "trees": 4})
    with pytest.raises(DataError, match="feature column"):
        fitted.predict(panel.drop(columns=["f_noise"]))
