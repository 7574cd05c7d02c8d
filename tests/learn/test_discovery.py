"""Review queue, more-like-this and code-word suggestions."""

from __future__ import annotations

import numpy as np

from wildtrace.learn import codewords, dataset, features, queue, similar, training
from wildtrace.scan.listing import Listing


def test_queue_uncertainty_and_diverse(listings: list[Listing], targets: dict[str, int]) -> None:
    ds, _ = dataset.build(listings, targets, group_by="seller")
    m = training.train(ds, folds=3)
    texts = ["rhino horn piece genuine", "garden hose 20m", "horn", "horn shaped vase", "horn shaped vase",
             "horn shaped vase!", "tiger", "old carving", "cotton horn"]
    ids = [f"u{i}" for i in range(len(texts))]
    x = features.counts(texts)
    p = m.probability(x)
    picked = queue.propose(m, ids, x, n=3, exclude={"u8"})
    assert len(picked) == 3 and "u8" not in {q.id for q in picked}
    gaps = sorted(abs(np.log(pi / (1 - pi)) - np.log(m.threshold / (1 - m.threshold))) for pi in p[:8])
    assert abs(np.log(picked[0].probability / (1 - picked[0].probability))
               - np.log(m.threshold / (1 - m.threshold))) <= gaps[0] + 1e-3
    diverse = queue.propose(m, ids, x, n=3, strategy="diverse")
    chosen = [texts[ids.index(q.id)].rstrip("!") for q in diverse]
    assert len(set(chosen)) == 3, chosen


def test_more_like_this_finds_obfuscated_look_alike() -> None:
    texts = ["genuine rhino horn cup old", "r h i n o h0rn cup genuine old", "oak table", "bike 29 inch",
             "rhino figurine resin", "garden hose"]
    ids = [str(i) for i in range(len(texts))]
    x = similar.vectors([features.listing_text(Listing(id=i, title=t)) for i, t in zip(ids, texts, strict=True)])
    out = similar.more_like_this(ids, x, ["0"], k=2)
    assert out[0].id == "1" and out[0].nearest_positive == "0", out
    assert "0" not in {n.id for n in out}


def test_suggest_ranks_planted_code_word() -> None:
    rng = np.random.default_rng(0)
    pos = [f"white jade bangle {w}" for w in rng.choice(["old", "carved", "cheap", "rare"], 30)]
    pos += [f"raw horn piece {w}" for w in rng.choice(["old", "cheap"], 10)]
    neg = [f"{w} bangle silver" for w in rng.choice(["old", "new", "cheap", "rare"], 80)]
    texts = pos + neg
    y = np.array([1] * len(pos) + [0] * len(neg))
    ids = [str(i) for i in range(len(texts))]
    hit = np.array(["horn" in t for t in texts])
    out = codewords.suggest(ids, texts, y, exclude={"horn", "raw horn"}, lexicon_hit=hit, top=5)
    terms = [c.term for c in out]
    assert terms[0] in ("white jade", "jade", "white", "jade bangle"), terms
    top = out[0]
    assert top.positives == 30 and top.negatives == 0 and top.keyword_free == 30 and len(top.examples) == 3
    assert "horn" not in terms
