"""Year-ahead evaluation (wildtrace.patrol.evaluate) on a simulated park with known risk.

Checks: the test year never reaches training or calibration; the iWare-E model beats the
past-activity baseline on the test year's observed labels and beats the unweighted ablation against
the true risk; every interval holds its point; the dict is JSON and deterministic for a seed.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest

from wildtrace.errors import ConfigError
from wildtrace.patrol import evaluate

from .fixtures.model_world import make_world

FIGURES = ("roc_auc", "pr_auc", "found_top_5pct", "found_top_10pct", "found_top_20pct")


@pytest.fixture(scope="module")
def world() -> tuple[pd.DataFrame, pd.DataFrame]:
    # 1,024 cells: the model-baseline margin on observed labels is clear of the bootstrap noise
    return make_world(3, side=32, years=4)


@pytest.fixture(scope="module")
def evaluation(world: tuple[pd.DataFrame, pd.DataFrame]) -> dict[str, Any]:
    panel, truth = world
    return evaluate.year_ahead(panel, 2023, reps=200, seed=0, truth=truth)


def test_shape_and_json(evaluation: dict[str, Any]) -> None:
    text = json.dumps(evaluation, allow_nan=False)
    assert json.loads(text) == evaluation
    assert evaluation["test_year"] == 2023 and evaluation["train_years"] == [2020, 2021, 2022]
    assert evaluation["calibration_year"] == 2022
    assert evaluation["n"] > 0 and 0 < evaluation["positives"] < evaluation["n"]
    for ranker in ("model", "model_planned", "baseline", "baseline_planned", "unweighted"):
        for fig in FIGURES:
            assert isinstance(evaluation[ranker][fig], float)
            assert len(evaluation[ranker][f"{fig}_ci"]) == 2
    for pair in ("model-baseline", "model_planned-baseline_planned", "model_planned-unweighted"):
        assert set(FIGURES) <= set(evaluation["differences"][pair])
    assert set(evaluation["truth"]["differences"]) == {"model-baseline", "model-unweighted"}
    assert evaluation["versions"]["model"].startswith("iware-e/1")
    assert evaluation["versions"]["unweighted"].startswith("unweighted/1")
    for ranker in ("model", "baseline", "unweighted"):
        assert set(FIGURES) | {"spearman"} <= set(evaluation["truth"][ranker])


def test_intervals_hold_their_point(evaluation: dict[str, Any]) -> None:
    tables = [evaluation[r] for r in ("model", "model_planned", "baseline", "baseline_planned", "unweighted")]
    tables += list(evaluation["differences"].values())
    tables += [evaluation["truth"][r] for r in ("model", "baseline", "unweighted")]
    tables += list(evaluation["truth"]["differences"].values())
    for table in tables:
        for fig, value in table.items():
            if fig.endswith("_ci"):
                continue
            lo, hi = table[f"{fig}_ci"]
            assert lo <= value <= hi, (fig, value, lo, hi)


def test_model_beats_baseline_year_ahead(evaluation: dict[str, Any]) -> None:
    diff = evaluation["differences"]["model-baseline"]
    assert evaluation["model"]["pr_auc"] > evaluation["baseline"]["pr_auc"]
    assert diff["roc_auc_ci"][0] > 0
    # also ex ante, at the planned effort, with nothing of the test year
    assert evaluation["differences"]["model_planned-baseline_planned"]["roc_auc_ci"][0] > 0
    assert evaluation["truth"]["differences"]["model-baseline"]["roc_auc_ci"][0] > 0


def test_effort_aware_beats_unweighted_against_truth(evaluation: dict[str, Any]) -> None:
    truth = evaluation["truth"]
    diff = truth["differences"]["model-unweighted"]
    assert diff["roc_auc_ci"][0] > 0.1
    assert diff["spearman"] > 0.3 and diff["spearman_ci"][0] > 0.2
    assert diff["found_top_10pct_ci"][0] > 0
    assert truth["n"] == 1024 * 12


def test_the_test_year_never_trains(world: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    """Scrambling the test year's (and a later year's) labels changes no prediction: neither the
    fit nor the calibration nor the planned effort sees them. Scrambling their effort too changes
    only ``model`` and ``baseline``, the risks at the effort each test cell-month received."""
    panel, _ = world
    rows, info = evaluate.predictions(panel, 2022, config={"trees": 8})
    rng = np.random.default_rng(9)
    noisy = panel.copy()
    later = noisy["year"] >= 2022
    noisy.loc[later, "label"] = rng.integers(0, 2, int(later.sum()))
    noisy.loc[later, "detections"] = noisy.loc[later, "label"] * 3
    again, info2 = evaluate.predictions(noisy, 2022, config={"trees": 8})
    for ranker in ("model", "model_planned", "baseline", "baseline_planned", "unweighted"):
        assert np.array_equal(rows[ranker].to_numpy(), again[ranker].to_numpy()), ranker
    noisy.loc[later, "effort_km"] = rng.random(int(later.sum())) * 10
    third, info3 = evaluate.predictions(noisy, 2022, config={"trees": 8})
    for ranker in ("model_planned", "baseline_planned", "unweighted"):
        assert np.array_equal(rows[ranker].to_numpy(), third[ranker].to_numpy()), ranker
    for ranker in ("model", "baseline"):  # the two told each test cell-month's effort
        assert not np.array_equal(rows[ranker].to_numpy(), third[ranker].to_numpy()), ranker
    assert info["model"]["calibration_year"] == 2021
    assert info["model"]["train_years"] == [2020, 2021]
    assert info["versions"] == info2["versions"] == info3["versions"]


def test_deterministic_for_a_seed(world: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    panel, truth = make_world(5, side=12, years=3)
    one = evaluate.year_ahead(panel, 2022, reps=50, seed=4, truth=truth, config={"trees": 8})
    two = evaluate.year_ahead(panel, 2022, reps=50, seed=4, truth=truth, config={"trees": 8})
    assert one == two
    other = evaluate.year_ahead(panel, 2022, reps=50, seed=5, truth=truth, config={"trees": 8})
    assert other["model"]["roc_auc_ci"] != one["model"]["roc_auc_ci"]
    assert "truth" not in evaluate.year_ahead(panel, 2022, reps=0, config={"trees": 8})


def test_bad_test_years(world: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    panel, truth = world
    with pytest.raises(ConfigError, match="not in the panel"):
        evaluate.year_ahead(panel, 2030, reps=0)
    with pytest.raises(ConfigError, match="two or more earlier years"):
        evaluate.year_ahead(panel, 2021, reps=0)
    with pytest.raises(ConfigError, match="truth covers"):
        evaluate.year_ahead(
            panel, 2023, reps=0, truth=truth[truth["cell_id"] < 10], config={"trees": 4}
        )


def test_synthetic_park_end_to_end() -> None:
    """SYNTHETIC park -> grid -> effort -> features -> panel -> year_ahead, against its truth.

    600 km2 over four years: in a 200 km2 park patrols reach most cells every month, so effort
    barely biases the labels and the effort-aware model has nothing to correct (it ties the
    ablation there); at this size patrols are uneven, as in real parks.
    """
    from wildtrace.patrol import effort, features, grid, panel, synthetic

    park = synthetic.make_park(12, area_km2=600, years=4)
    cells = grid.make_grid(park.boundary)
    spent = effort.effort_per_cell(cells, park.data)
    static, _ = features.static_features(cells, {"boundary": park.boundary, **park.layers})
    table = panel.build_panel(cells, spent, park.data.observations, static)
    test_year = int(table["year"].max())
    result = evaluate.year_ahead(table, test_year, reps=200, truth=park.truth_table(cells))
    assert result["lags"].startswith(f"f_past_* frozen at {test_year}-01")
    # year-ahead on the observed labels: the model beats past-activity frequency
    assert result["model"]["pr_auc"] > result["baseline"]["pr_auc"]
    assert result["differences"]["model-baseline"]["pr_auc_ci"][0] > 0
    # against the truth: effort awareness beats the same trees without it, and the baseline
    truth = result["truth"]["differences"]
    assert truth["model-unweighted"]["roc_auc_ci"][0] > 0
    assert truth["model-unweighted"]["spearman"] > 0.2
    assert truth["model-baseline"]["roc_auc_ci"][0] > 0
