"""The vectorised featuriser against a plain-Python reference of the same n-grams and hashes."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer

from wildtrace.learn import features, model, training

M64 = (1 << 64) - 1
TEXTS = ["ivory bangle carved old", "", "   ", "a", "ab c", "象牙 手镯 天然", "vay te te loai 1",
         "rhino  horn\tpiece\n genuine", "x\x00y", "ขาย นอแรด แท้", "__init__ 50 usd", "é" * 40,
         "a b c d e f g", "ship worldwide dm me rhino horn piece genuine " * 5,
         "emoji 🦏horn𠀀𠀁 e\u0301te ½ ²3 ٣٤ x\u200by", "\ud800 lone surrogate"]


def char_grams(text: str) -> list[str]:
    """scikit-learn's char_wb 2-5-grams, without its repeat of a padded word shorter than n."""
    out = []
    for word in text.split():
        padded = f" {word} "
        for n in range(2, 6):
            out += [padded[i:i + n] for i in range(len(padded) - n + 1)]
    return out


def char_index(gram: str) -> int:
    h = (ord(gram[0]) + 0x6A09E667F3BCC909) & M64
    for c in gram[1:]:
        h = (h * 0x100000001B3 + ord(c)) & M64
    return ((h * 0x9E3779B97F4A7C15) & M64) >> (64 - features.CHAR_BITS)


def reference_row(text: str) -> dict[int, float]:
    counts = Counter(char_index(g) for g in char_grams(text))
    counts.update(i for i, _ in features.word_ngrams(text))
    return {i: float(np.log1p(c)) for i, c in counts.items()}


def as_dict(x: sp.csr_matrix, row: int) -> dict[int, float]:
    lo, hi = x.indptr[row], x.indptr[row + 1]
    return dict(zip(x.indices[lo:hi].tolist(), x.data[lo:hi].tolist(), strict=True))


def test_counts_match_the_reference() -> None:
    x = features.counts(TEXTS)
    assert x.shape == (len(TEXTS), features.N_FEATURES) and x.has_canonical_format
    for row, text in enumerate(TEXTS):
        got, want = as_dict(x, row), reference_row(text)
        assert got.keys() == want.keys(), text
        assert np.allclose([got[k] for k in want], list(want.values())), text
    assert as_dict(x, 1) == {} and as_dict(x, 2) == {}


def test_char_grams_are_scikit_learns_char_wb() -> None:
    analyzer = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=False).build_analyzer()
    for text in TEXTS:
        assert set(char_grams(text)) == set(analyzer(text)), text


def test_word_grams_are_tokens_and_bigrams() -> None:
    grams = [g for _, g in features.word_ngrams("rhino horn, piece! 象牙")]
    assert grams == ["rhino", "horn", "piece", "象牙", "rhino horn", "horn piece", "piece 象牙"]
    for text in TEXTS:  # the vectorised tokens are Python's \w+ tokens, hashed as the plain-Python twin
        tokens, rows, first, is_bigram, column = features.word_grams([text, text])
        assert tokens == re.findall(r"\w+", text) * 2, text
        assert sorted(zip(column.tolist(), rows.tolist(), strict=True)) == \
            sorted((i, r) for r in (0, 1) for i, _ in features.word_ngrams(text)), text


def test_rows_do_not_depend_on_their_neighbours() -> None:
    together = features.counts(TEXTS)
    for row, text in enumerate(TEXTS):
        alone = features.counts([text])
        assert as_dict(alone, 0) == as_dict(together, row), text


def test_large_batches_are_split_in_blocks() -> None:
    texts = [f"listing {i} rhino horn {i % 7}" for i in range(features._BLOCK + 5)]
    x = features.counts(texts)
    assert x.shape[0] == len(texts)
    assert as_dict(x, len(texts) - 1) == as_dict(features.counts(texts[-1:]), 0)
    assert as_dict(x, 3) == as_dict(features.counts(texts[3:4]), 0)


def test_hashes_are_stable() -> None:
    # pinned values: if these change, every saved model's features change (bump FEATURES_VERSION)
    x = features.counts(["ivory 象牙"])
    assert len(x.indices) == 27 and x.indices[:4].tolist() == [1967, 79572, 87281, 95948]
    assert list(features.word_ngrams("ivory 象牙")) == [(1184905, "ivory"), (1266520, "象牙"), (1224106, "ivory 象牙")]


def test_weigh_normalises_rows() -> None:
    x = features.counts(["rhino horn", "", "garden hose 20m"])
    w = features.weigh(x, np.full(features.N_FEATURES, 2.0, dtype=np.float32))
    norms = np.sqrt(np.asarray(w.multiply(w).sum(axis=1)).ravel())
    assert np.allclose(norms, [1.0, 0.0, 1.0], atol=1e-6)


def test_models_of_the_old_featuriser_are_refused(listings: list, targets: dict[str, int], tmp_path: Path) -> None:
    from wildtrace.learn import dataset

    ds, _ = dataset.build(listings[:80], {k: targets[k] for k in list(targets)[:80]}, group_by="seller")
    training.train(ds, folds=2).save(tmp_path)
    meta = json.loads((tmp_path / "model.json").read_text())
    assert meta["features"] == features.FEATURES_VERSION
    (tmp_path / "model.json").write_text(json.dumps({**meta, "features": "hash-charwb2-5-word1-2-v1"}))
    with pytest.raises(model.ModelError, match="incompatible.*hash-charwb2-5-word1-2-v1.*retrain"):
        model.load(tmp_path)
