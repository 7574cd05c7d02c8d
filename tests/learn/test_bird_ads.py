"""Quality check on a small sample of real data: Stringham et al. 2021 pet-bird ads (label2).

The full run is benchmarks/bench_learn.py. The file has no seller column, so
listings are grouped by near-duplicate text (word TF-IDF cosine >= 0.8).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from wildtrace.learn import dataset, evaluate, stringham

BIRDS = Path(__file__).resolve().parents[3] / "shared" / "data" / "bird_ads_stringham2021.csv"


@pytest.fixture(scope="module")
def report() -> dict:  # type: ignore[type-arg]
    listings, targets = stringham.read(BIRDS, "label2")
    assert len(listings) == 16_446 and sum(targets.values()) == 3_615
    pick = np.random.default_rng(42).choice(len(listings), 1500, replace=False)
    sample = [listings[i] for i in sorted(pick)]
    ds, unknown = dataset.build(sample, {x.id: targets[x.id] for x in sample}, detect_lang=False)
    assert unknown == []
    ds.groups = dataset.near_duplicate_groups(ds.texts)
    return evaluate.cross_validate(ds, folds=3, inner_folds=3, reps=200).report()


def test_beats_published_f1_and_keyword_baseline(report: dict) -> None:  # type: ignore[type-arg]
    m, kw = report["model"], report["baselines"]["keywords"]
    assert m["f1"]["value"] >= 0.77, m["f1"]
    assert m["roc_auc"]["value"] >= 0.95, m["roc_auc"]
    assert m["pr_auc"]["ci95"][0] > kw["pr_auc"]["ci95"][1], (m["pr_auc"], kw["pr_auc"])
    assert m["f1"]["ci95"][0] > kw["f1"]["ci95"][1], (m["f1"], kw["f1"])


def test_thresholds_come_from_training_folds(report: dict) -> None:  # type: ignore[type-arg]
    assert len(report["thresholds"]) == 3 and len(set(report["thresholds"])) == 3, report["thresholds"]
    assert report["setting"]["groups"] < 1500
