from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from wildtrace.errors import DataError
from wildtrace.learn import dataset, model, training
from wildtrace.scan.listing import Listing


@pytest.fixture(scope="module")
def trained(listings: list[Listing], targets: dict[str, int]) -> tuple[dataset.Dataset, model.TextModel]:
    ds, unknown = dataset.build(listings, targets, group_by="seller")
    assert unknown == []
    return ds, training.train(ds, folds=3)


def test_provenance_and_round_trip(trained: tuple[dataset.Dataset, model.TextModel], tmp_path: Path) -> None:
    ds, m = trained
    m.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    for key in ("name", "version", "training_data_sha256", "trained_at", "validation", "threshold"):
        assert meta[key] not in (None, ""), key
    assert meta["training_data_sha256"] == ds.sha256
    assert set(meta["validation"]) >= {"precision", "recall", "f1", "pr_auc"}
    loaded = model.load(tmp_path / "m")
    assert np.allclose(loaded.probability(ds.x), m.probability(ds.x))
    p = loaded.probability(ds.x)
    assert ((p >= loaded.threshold) == ds.y.astype(bool)).mean() > 0.95
    assert 0.0 <= p.min() and p.max() <= 1.0


def test_calibration_is_not_saturated_on_separable_labels(trained: tuple[dataset.Dataset, model.TextModel]) -> None:
    _, m = trained  # these written listings separate perfectly: Platt's smoothed targets keep p off 0 and 1
    p = m.predict_texts(["rhino horn piece genuine", "garden hose 20m"])
    assert 0.8 < p[0] < 0.9999 and 0.0001 < p[1] < 0.2, p


def test_bad_training_sets(listings: list[Listing], targets: dict[str, int]) -> None:
    with pytest.raises(DataError, match="no labelled listings"):
        dataset.build(listings, {"missing": 1})
    ds, _ = dataset.build(listings[:30], {k: 0 for k in list(targets)[:30]})
    with pytest.raises(DataError, match="one-class"):
        training.train(ds)
    with pytest.raises(DataError, match="empty"):
        training.check_trainable(np.array([], dtype=np.int8), np.array([], dtype=object), 5)


def test_unknown_label_ids_are_reported(listings: list[Listing], targets: dict[str, int]) -> None:
    _, unknown = dataset.build(listings, {**targets, "ghost-1": 1, "ghost-2": 0})
    assert unknown == ["ghost-1", "ghost-2"]


def test_incompatible_and_corrupted_models(trained: tuple[dataset.Dataset, model.TextModel], tmp_path: Path) -> None:
    _, m = trained
    d = tmp_path / "m"
    m.save(d)
    meta = json.loads((d / "model.json").read_text())
    (d / "model.json").write_text(json.dumps({**meta, "format_version": 99}))
    with pytest.raises(model.ModelError, match="incompatible"):
        model.load(d)
    (d / "model.json").write_text("{not json")
    with pytest.raises(model.ModelError, match="corrupted"):
        model.load(d)
    (d / "model.json").write_text(json.dumps(meta))
    raw = bytearray((d / "weights.npz").read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    (d / "weights.npz").write_bytes(bytes(raw))
    with pytest.raises(model.ModelError, match="corrupted"):
        model.load(d)
    with pytest.raises(model.ModelError, match="not a model directory"):
        model.load(tmp_path)


def test_empty_texts_score_the_intercept(trained: tuple[dataset.Dataset, model.TextModel]) -> None:
    from wildtrace.learn import features

    _, m = trained
    assert np.allclose(m.decision(features.counts(["", "   ", "!!"])), m.intercept)


def test_explanations_for_many_texts_match_one_at_a_time(trained: tuple[dataset.Dataset, model.TextModel]) -> None:
    from wildtrace.learn import features

    _, m = trained
    texts = ["rhino horn piece genuine rhino horn", "", "garden hose 20m", "ivory bangle carved old, pick up only",
             "pangolin scales for medicine ship worldwide dm me"]
    many = m.explain_many(texts)
    assert many == [m.explain(t) for t in texts]
    for text, picked in zip(texts, many, strict=True):
        # reference: the highest-weighted positive grams, each once, none inside one picked before
        weights: dict[str, float] = {}
        for index, gram in features.word_ngrams(text):
            w = float(m.coef[index] * m.idf[index])
            if w > 0:
                weights[gram] = max(w, weights.get(gram, 0.0))
        want: list[str] = []
        for gram in sorted(weights, key=lambda g: -weights[g]):
            if not any(gram in p for p in want) and len(want) < 3:
                want.append(gram)
        assert picked == want, (text, picked, want)
    assert many[0] and all(w in texts[0] for w in many[0])
    assert many[1] == []
