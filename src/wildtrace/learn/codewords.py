"""Code-word discovery: terms distinctive of confirmed positives against negatives.

Each word 1- and 2-gram of the normalised texts is scored by the log-odds
ratio of appearing in a positive vs a negative listing, with a +0.5 prior on
every cell, divided by its standard error (a z-score; Monroe, Colaresi & Quinn
2008, "Fightin' words"). Terms already in the lexicon are left out. Each
candidate comes with how many positives it finds that no lexicon term finds,
the term it most often appears with in positives, and example listing ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

PRIOR = 0.5


@dataclass
class Candidate:
    term: str
    z: float
    positives: int  # positive listings containing the term
    negatives: int
    precision: float  # positives / (positives + negatives)
    keyword_free: int  # positives containing it and no lexicon term
    cooccurs_with: str | None
    examples: list[str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _vectorise(texts: Sequence[str], ngrams: tuple[int, int], min_df: int) -> tuple[Any, np.ndarray]:
    vec = CountVectorizer(token_pattern=r"(?u)\b\w\w+\b", ngram_range=ngrams, binary=True, min_df=min_df,
                          lowercase=False)
    x = vec.fit_transform(texts).tocsc()
    return x, np.asarray(vec.get_feature_names_out())


def log_odds_z(x: Any, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """z-score of each column's log-odds ratio in positives vs negatives; and the document counts."""
    y = np.asarray(y).astype(bool)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    a = np.asarray(x[y].sum(axis=0)).ravel().astype(np.float64)
    b = np.asarray(x[~y].sum(axis=0)).ravel().astype(np.float64)
    delta = (np.log((a + PRIOR) / (n_pos - a + PRIOR)) - np.log((b + PRIOR) / (n_neg - b + PRIOR)))
    var = 1 / (a + PRIOR) + 1 / (n_pos - a + PRIOR) + 1 / (b + PRIOR) + 1 / (n_neg - b + PRIOR)
    return delta / np.sqrt(var), a, b


def top_terms(texts: Sequence[str], y: np.ndarray, k: int, *, min_count: int = 3,
              ngrams: tuple[int, int] = (1, 1)) -> list[str]:
    """The k terms most distinctive of positives (used by the keyword baseline too)."""
    x, names = _vectorise(texts, ngrams, min_df=min_count)
    if x.shape[1] == 0:
        return []
    z, _, _ = log_odds_z(x, y)
    return [str(names[i]) for i in np.argsort(-z)[:k] if z[i] > 0]


def suggest(ids: Sequence[str], texts: Sequence[str], y: np.ndarray, *, exclude: set[str] = frozenset(),  # type: ignore[assignment]
            lexicon_hit: np.ndarray | None = None, top: int = 30, min_positives: int = 3,
            examples: int = 3) -> list[Candidate]:
    """Rank candidate new terms (see the module docstring)."""
    y = np.asarray(y).astype(bool)
    if not y.any() or y.all():
        return []
    x, names = _vectorise(texts, (1, 2), min_df=min(min_positives, 2))
    if x.shape[1] == 0:
        return []
    z, a, b = log_odds_z(x, y)
    keep = (a >= min_positives) & (z > 0) & np.array([str(n) not in exclude for n in names])
    order = [i for i in np.argsort(-z) if keep[i]]
    chosen: list[tuple[int, str]] = []
    for i in order:  # drop a bigram when one of its words is already chosen with the same positives
        term = str(names[i])
        if " " in term and any(w in {c[1] for c in chosen} and a[j] == a[i]
                               for w, j in ((w, _index(names, w)) for w in term.split()) if j is not None):
            continue
        chosen.append((i, term))
        if len(chosen) == top:
            break
    pos_rows = np.nonzero(y)[0]
    xr = x.tocsr()
    out = []
    chosen_cols = [i for i, _ in chosen]
    sub = xr[pos_rows][:, chosen_cols].tocsc() if chosen_cols else None
    for slot, (i, term) in enumerate(chosen):
        rows = pos_rows[xr[pos_rows][:, i].nonzero()[0]]
        free = int((~lexicon_hit[rows]).sum()) if lexicon_hit is not None else 0
        co = None
        if sub is not None and len(chosen) > 1:
            together = np.asarray(sub[sub[:, slot].nonzero()[0]].sum(axis=0)).ravel()
            together[slot] = 0
            for other in np.argsort(-together):
                if together[other] > 0 and chosen[other][1] not in term and term not in chosen[other][1]:
                    co = chosen[other][1]
                    break
        out.append(Candidate(term, round(float(z[i]), 2), int(a[i]), int(b[i]),
                             round(float(a[i] / (a[i] + b[i])), 3), free, co,
                             [ids[r] for r in rows[:examples]]))
    return out


def _index(names: np.ndarray, term: str) -> int | None:
    hit = np.searchsorted(names, term)
    return int(hit) if hit < len(names) and names[hit] == term else None
