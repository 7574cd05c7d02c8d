"""What to review next: the active-learning queue, more-like-this, and code-word suggestions,
each over listings and labels from files or the store (``learn.sources``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from wildtrace import plugins
from wildtrace.errors import DataError
from wildtrace.learn import codewords, dataset, features, similar, sources
from wildtrace.learn import model as learn_model
from wildtrace.learn import queue as q
from wildtrace.learn.codewords import Candidate
from wildtrace.learn.queue import Proposal
from wildtrace.learn.similar import Neighbour
from wildtrace.scan.scanner import Scanner
from wildtrace.settings import Settings
from wildtrace.text.normalize import normalize_term


def propose(settings: Settings, listings_path: Path | None, labels_path: Path | None, model_dir: Path, *,
            strategy: str, n: int, loaded: sources.Loaded) -> list[Proposal]:
    """The next unlabelled listings to label, by the model's uncertainty or diversity."""
    m = learn_model.load(model_dir)
    items = sources.listings(settings, listings_path, loaded)
    rule_logit = None
    if m.combo is not None:
        detector = Scanner(settings, scorer=None).detector
        rule_logit = np.array([dataset.rule_logit(detector.detect(x).wildlife_score) for x in items])
    x = features.counts([features.listing_text(i) for i in items])
    done = set(sources.labelled_ids(settings, labels_path))
    return q.propose(m, [i.id for i in items], x, strategy=strategy, n=n, rule_logit=rule_logit, exclude=done)


def more_like_this(settings: Settings, listings_path: Path | None, labels_path: Path | None,
                   seeds: tuple[str, ...], *, k: int, loaded: sources.Loaded) -> list[Neighbour]:
    """Unlabelled listings nearest to the seeds (default: every confirmed positive)."""
    items = sources.listings(settings, listings_path, loaded)
    known = sources.labelled_ids(settings, labels_path)
    chosen = list(seeds) or [i for i, y in known.items() if y]
    if not chosen:
        raise DataError("no seeds: give --to ID or label some listings as wildlife_offer")
    ids = [i.id for i in items]
    missing = [s for s in chosen if s not in set(ids)]
    if seeds and missing:
        raise DataError(f"unknown listing id(s): {', '.join(missing[:5])}")
    x = similar.vectors([features.listing_text(i) for i in items])
    return similar.more_like_this(ids, x, chosen, k=k, exclude=set(known))


def suggest_codewords(settings: Settings, listings_path: Path | None, labels_path: Path | None, *,
                      top: int, loaded: sources.Loaded) -> list[Candidate]:
    """Terms distinctive of confirmed positives that no lexicon knows yet."""
    items = sources.listings(settings, listings_path, loaded)
    targets = sources.targets(settings, labels_path, loaded)
    chosen = [x for x in items if x.id in targets]
    if not chosen:
        raise DataError("none of the labelled ids is among the listings")
    scanner = Scanner(settings, scorer=None)  # the rules only: no text model needed here
    hit = np.array([any(m.kind in ("taxon", "product", "code_word") for m in scanner.detector.matches(x))
                    for x in chosen])
    exclude = {normalize_term(e.term) for e in plugins.lexicons.get("local")(settings)[0]}
    exclude |= {normalize_term(cw) for cw in scanner.lexicon.codewords}
    exclude |= {normalize_term(n) for t in scanner.ref.taxa for ns in t.names.values() for n in ns}
    return codewords.suggest([x.id for x in chosen], [features.listing_text(x) for x in chosen],
                             np.array([targets[x.id] for x in chosen]), exclude=exclude, lexicon_hit=hit, top=top)
