"""Train the text model that ships in the package: python scripts/train_shipped_model.py [--out DIR].

Generates the self-written training listings (``wildtrace.learn.synthetic``), featurises them
with the rules' scores (so the model learns how to combine with the rules), trains and
calibrates with frame-grouped folds (``wildtrace.learn.training.train``) and saves to
``src/wildtrace/data/model`` (or ``--out``). Deterministic for a given seed and reference data.
"""

from __future__ import annotations

import argparse
import collections
from pathlib import Path

from wildtrace.learn import dataset, synthetic, training
from wildtrace.learn.shipped import MODEL_DIR
from wildtrace.scan.detect import Detector
from wildtrace.scan.lexicon import Lexicon
from wildtrace.taxa import refdata


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    ref = refdata.load()
    detector = Detector(Lexicon(ref))
    examples = synthetic.generate(ref, seed=args.seed)
    listings = [e.listing for e in examples]
    targets = {e.listing.id: e.label for e in examples}
    ds, _ = dataset.build(listings, targets, group_by="frame", detector=detector)
    families = collections.Counter(e.family for e in examples)
    model = training.train(ds, seed=args.seed, name="wildtrace-shipped", extra_meta={
        "training_data": "self-generated listings (wildtrace.learn.synthetic, data/synthetic.yaml + the reference data); "
                         "no real listing; WildTrace project, same licence as the package",
        "training_families": dict(families), "rules": detector.model,
        "validation_note": "out-of-fold over whole frames of synthetic text: not a measure of quality on real text "
                           "(docs/evaluation.md has the real-text figures)"})
    model.save(args.out)
    v = model.meta["validation"]
    print(f"{len(ds)} examples ({int(ds.y.sum())} positive) -> {args.out}; threshold {model.threshold:.3f}; "
          f"validation F1 {v.get('f1', float('nan')):.3f}")
    print("The README example shows this model's scores: run tests/test_readme.py and update the example if it fails.")


if __name__ == "__main__":
    main()
