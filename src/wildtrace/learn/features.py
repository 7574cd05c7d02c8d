"""Features for the text model: hashed character and word n-grams of the normalised text.

Hashing keeps the featuriser stateless (nothing to fit, nothing to unpickle):
the saved model is plain arrays (IDF weights and coefficients) plus JSON.

- ``char``: character 2–5-grams inside word boundaries (``char_wb``) of the
  normalised text, which folds case, diacritics, leetspeak and spacing tricks
  and converts traditional to simplified Chinese, so the same feature fires on
  ``Ivory``, ``1v0ry`` and ``i.v.o.r.y``. Works for any script.
- ``word``: word unigrams and bigrams of the same text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer

from ..listing import TEXT_FIELDS, Listing
from ..normalize import normalize

CHAR_FEATURES = 2**20
WORD_FEATURES = 2**18
N_FEATURES = CHAR_FEATURES + WORD_FEATURES
FEATURES_VERSION = "hash-charwb2-5-word1-2-v1"

_CHAR = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), n_features=CHAR_FEATURES,
                          alternate_sign=False, norm=None, lowercase=False, dtype=np.float32)
_WORD = HashingVectorizer(analyzer="word", ngram_range=(1, 2), n_features=WORD_FEATURES,
                          alternate_sign=False, norm=None, lowercase=False,
                          token_pattern=r"(?u)\b\w+\b", dtype=np.float32)
_WORD_ANALYZER = _WORD.build_analyzer()


def listing_text(listing: Listing) -> str:
    """The listing's text fields, joined and put in match form (``normalize``)."""
    raw = " ".join(v for v in (getattr(listing, f) for f in TEXT_FIELDS) if v)
    return normalize(raw, with_index=False)[0]


def counts(texts: Sequence[str]) -> sp.csr_matrix:
    """Raw n-gram counts (sublinear: 1 + log tf), one row per normalised text."""
    x = sp.hstack([_CHAR.transform(texts), _WORD.transform(texts)], format="csr", dtype=np.float32)
    np.log1p(x.data, out=x.data)
    return x


def fit_idf(x: sp.csr_matrix) -> np.ndarray:
    """Smoothed IDF from the training rows (as scikit-learn's TfidfTransformer)."""
    n = x.shape[0]
    df = np.bincount(x.indices, minlength=x.shape[1])
    return (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)


def weigh(x: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """TF-IDF with L2-normalised rows."""
    out = x.copy()
    out.data *= idf[out.indices]
    norms = np.sqrt(np.asarray(out.multiply(out).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    out.data /= np.repeat(norms, np.diff(out.indptr)).astype(np.float32)
    return out


def word_ngrams(text: str) -> Iterable[tuple[int, str]]:
    """(feature index, word n-gram) for each word 1-2-gram of a normalised text: to explain a score.

    Only word n-grams: they read well in a reason and are cheap to hash again.
    """
    from sklearn.utils.murmurhash import murmurhash3_32

    for gram in _WORD_ANALYZER(text):
        yield CHAR_FEATURES + abs(int(murmurhash3_32(gram, seed=0))) % WORD_FEATURES, gram
