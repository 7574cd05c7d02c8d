"""A labelled data set, featurised once: texts, targets, groups and rule scores."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from wildtrace.errors import DataError
from wildtrace.learn import features
from wildtrace.scan.detect import Detector
from wildtrace.scan.listing import FIELDS, Listing
from wildtrace.text import lang as langid


@dataclass
class Dataset:
    ids: list[str]
    texts: list[str]  # normalised
    y: np.ndarray  # 0/1 int8
    groups: np.ndarray  # group label per row (str)
    langs: list[str]
    platforms: list[str]
    rule_logit: np.ndarray | None  # logit of the rules' wildlife_score, when computed
    x: sp.csr_matrix  # sublinear n-gram counts
    sha256: str  # training data hash: ids, content hashes and labels

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, idx: np.ndarray) -> Dataset:
        pick = idx.tolist()
        return Dataset([self.ids[i] for i in pick], [self.texts[i] for i in pick], self.y[idx],
                       self.groups[idx], [self.langs[i] for i in pick], [self.platforms[i] for i in pick],
                       None if self.rule_logit is None else self.rule_logit[idx], self.x[idx],
                       self.sha256)


def rule_logit(score: float) -> float:
    s = min(max(score, 1e-4), 1 - 1e-4)
    return math.log(s / (1 - s))


def build(listings: Sequence[Listing], targets: Mapping[str, int], *, group_by: str | None = None,
          detector: Detector | None = None, detect_lang: bool = True,
          progress: Callable[[], None] | None = None) -> tuple[Dataset, list[str]]:
    """Featurise the labelled listings. Returns the data set and the label ids with no listing.

    ``group_by``: a listing field or extra column (``seller``, ``platform``...);
    listings without a value form a group of their own. None: one group per listing.
    ``progress`` is called once per listing the rules score (the slow part).
    """
    by_id: dict[str, Listing] = {}
    for listing in listings:
        by_id.setdefault(listing.id, listing)
    unknown = sorted(i for i in targets if i not in by_id)
    chosen = [by_id[i] for i in targets if i in by_id]
    if not chosen:
        raise DataError("no labelled listings: none of the label ids is among the listings"
                        + (f" (e.g. {', '.join(unknown[:3])})" if unknown else ""))
    texts = [features.listing_text(x) for x in chosen]
    y = np.array([1 if targets[x.id] else 0 for x in chosen], dtype=np.int8)
    groups = np.array([_group(x, group_by) for x in chosen], dtype=object)
    langs = [langid.detect(t, x.lang) if detect_lang else (x.lang or "und") for t, x in zip(texts, chosen, strict=True)]
    platforms = [x.platform or "unknown" for x in chosen]
    rules = None
    if detector is not None:
        logits = []
        for x in chosen:
            logits.append(rule_logit(detector.detect(x).wildlife_score))
            if progress is not None:
                progress()
        rules = np.array(logits, dtype=np.float64)
    digest = hashlib.sha256()
    for x, target in zip(chosen, y, strict=True):
        digest.update(f"{x.id}\t{x.input_sha256}\t{int(target)}\n".encode())
    return Dataset([x.id for x in chosen], texts, y, groups, langs, platforms, rules,
                   features.counts(texts), digest.hexdigest()), unknown


def _group(listing: Listing, group_by: str | None) -> str:
    if not group_by:
        return f"id:{listing.id}"
    value = getattr(listing, group_by) if group_by in FIELDS else listing.extra.get(group_by)
    return f"{group_by}:{value}" if value not in (None, "") else f"id:{listing.id}"


def near_duplicate_groups(texts: Iterable[str], threshold: float = 0.8) -> np.ndarray:
    """Cluster texts whose word TF-IDF cosine is >= threshold (connected components).

    For data with no seller column: one seller's repeated, lightly edited ads
    end up in one group, so a split cannot put them on both sides.
    """
    # imported here: scikit-learn's text module costs ~3.5 s of CPU to import on this 2-core machine, and
    # ``label import`` / ``label list`` import this module without needing it
    from scipy.sparse.csgraph import connected_components
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = list(texts)
    x = TfidfVectorizer(token_pattern=r"(?u)\b\w+\b", sublinear_tf=True).fit_transform(texts)
    n = x.shape[0]
    rows, cols = [], []
    step = 2000
    for start in range(0, n, step):
        sims = (x[start:start + step] @ x.T).tocoo()
        keep = sims.data >= threshold
        rows.append(sims.row[keep] + start)
        cols.append(sims.col[keep])
    r, c = np.concatenate(rows), np.concatenate(cols)
    graph = sp.coo_matrix((np.ones(len(r), dtype=np.int8), (r, c)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return np.array([f"dup:{g}" for g in labels], dtype=object)
