"""Features for the text model: hashed character and word n-grams of the normalised text.

Hashing keeps the featuriser stateless (nothing to fit, nothing to unpickle):
the saved model is plain arrays (IDF weights and coefficients) plus JSON.

- ``char``: character 2–5-grams inside word boundaries (as scikit-learn's
  ``char_wb``: each whitespace-separated word padded with one space on each
  side) of the normalised text, which folds case, diacritics, leetspeak and
  spacing tricks and converts traditional to simplified Chinese, so the same
  feature fires on ``Ivory``, ``1v0ry`` and ``i.v.o.r.y``. Works for any script.
- ``word``: word unigrams and bigrams (``\\w+`` tokens) of the same text.

The featuriser works on a whole chunk of texts at once, in numpy: the texts
are joined into one array of code points (a boundary after each text), the
character n-grams are hashed with rolling polynomial hashes (mod 2**64) for
n = 2..5, n-grams that cross a text boundary or a word boundary are masked
out, and ``np.unique`` of 32-bit (row, bucket) keys counts them into a CSR matrix.
Word tokens (``\\w+``, as Python's ``re``) are found on the same array and
hashed with the same polynomial, read off one prefix sum; bigrams combine the
two token hashes. ``word_ngrams`` computes the same indices in plain Python.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import scipy.sparse as sp

from wildtrace.scan.listing import TEXT_FIELDS, Listing
from wildtrace.text.normalize import normalize

CHAR_BITS = 20
WORD_BITS = 18
CHAR_FEATURES = 2**CHAR_BITS
WORD_FEATURES = 2**WORD_BITS
N_FEATURES = CHAR_FEATURES + WORD_FEATURES
CHAR_NGRAMS = (2, 5)
FEATURES_VERSION = "numpy-polyhash-charwb2-5-word1-2-v2"

_COL_BITS = 21  # a key is row << _COL_BITS | column, in 32 bits
_BLOCK = 2 ** (32 - _COL_BITS)  # rows featurised at once, so that keys fit
assert N_FEATURES <= 1 << _COL_BITS
_M64 = (1 << 64) - 1
_P = 0x100000001B3  # polynomial base (the FNV-1 64-bit prime; odd)
_SEED = 0x6A09E667F3BCC909  # start value, so a leading code point 0 still changes the hash
_MIX = 0x9E3779B97F4A7C15  # Fibonacci hashing: the top bits of h * _MIX are the bucket
_BIGRAM = 0xC2B2AE3D27D4EB4F
_TOKEN = re.compile(r"\w+")


def listing_text(listing: Listing) -> str:
    """The listing's text fields, joined and put in match form (``normalize``)."""
    raw = " ".join(v for v in (getattr(listing, f) for f in TEXT_FIELDS) if v)
    return normalize(raw, with_index=False)[0]


class _Encoded:
    """A chunk of texts as one array of code points: each text's words padded as ``char_wb`` does
    (`` w1 w2 ``, whitespace runs made one space), then one boundary slot."""

    def __init__(self, texts: Sequence[str]) -> None:
        padded = [" " + " ".join(words) + " " if (words := t.split()) else "" for t in texts]
        lengths = np.fromiter((len(p) + 1 for p in padded), dtype=np.int64, count=len(padded))
        self.n = len(padded)
        self.joined = "\x00".join(padded) + "\x00"
        self.codes = np.frombuffer(self.joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        self.row = np.repeat(np.arange(self.n, dtype=np.uint32), lengths)
        self.boundary = np.zeros(len(self.codes), dtype=bool)
        self.boundary[np.cumsum(lengths) - 1] = True  # the slot after each text (whatever it holds)


def _char_keys(enc: _Encoded) -> np.ndarray:
    """``row << _COL_BITS | column`` (uint32) for every char_wb n-gram of every text (with repeats)."""
    codes = enc.codes.astype(np.uint64)
    size = len(codes)
    row = enc.row << np.uint32(_COL_BITS)
    space = enc.codes == 32
    p, mix = np.uint64(_P), np.uint64(_MIX)
    shift = np.uint64(64 - CHAR_BITS)
    lo, hi = CHAR_NGRAMS
    keys = []
    with np.errstate(over="ignore"):
        h = codes + np.uint64(_SEED)
        bad = enc.boundary.copy()  # the n-gram starting here crosses a text boundary
        inner = np.zeros(size, dtype=bool)  # ... or has a space inside (not at its ends)
        for n in range(2, hi + 1):
            m = size - n + 1
            if m <= 0:
                break
            h = h[:m] * p + codes[n - 1:]
            bad = bad[:m] | enc.boundary[n - 1:]
            if n >= 3:
                inner = inner[:m] | space[n - 2:n - 2 + m]
            if n < lo:
                continue
            start = np.flatnonzero(~(bad | inner[:m]))
            keys.append(row[start] | ((h[start] * mix) >> shift).astype(np.uint32))
    return np.concatenate(keys) if keys else np.zeros(0, dtype=np.uint32)


_BMP_WORD: np.ndarray | None = None
_POWERS: tuple[np.ndarray, np.ndarray] = (np.ones(1, dtype=np.uint64), np.ones(1, dtype=np.uint64))


def _is_word_char(codes: np.ndarray) -> np.ndarray:
    """``\\w`` for each code point (``str.isalnum()`` or ``_``, as Python's ``re``)."""
    global _BMP_WORD
    if _BMP_WORD is None:
        _BMP_WORD = np.array([chr(i).isalnum() or i == 95 for i in range(0x10000)], dtype=bool)
    out = _BMP_WORD[np.minimum(codes, 0xFFFF)]
    astral = np.flatnonzero(codes > 0xFFFF)
    if len(astral):
        uniq, inverse = np.unique(codes[astral], return_inverse=True)
        out[astral] = np.array([chr(c).isalnum() for c in uniq.tolist()], dtype=bool)[inverse]
    return out


def _powers(size: int) -> tuple[np.ndarray, np.ndarray]:
    """P**i and P**-i mod 2**64 for i < size (P is odd, so it has an inverse mod 2**64)."""
    global _POWERS
    if len(_POWERS[0]) < size:
        n = max(size, 2 * len(_POWERS[0]))
        inverse = pow(_P, -1, 1 << 64)
        with np.errstate(over="ignore"):
            up = np.cumprod(np.r_[np.uint64(1), np.full(n - 1, _P, dtype=np.uint64)], dtype=np.uint64)
            down = np.cumprod(np.r_[np.uint64(1), np.full(n - 1, inverse, dtype=np.uint64)], dtype=np.uint64)
        _POWERS = (up, down)
    return _POWERS[0][:size], _POWERS[1][:size]


def _tokens(enc: _Encoded) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The ``\\w+`` tokens: start and end in ``enc.joined``, row, and polynomial hash of each.

    The hash of code points c0..ck is sum(ci * P**(k - i)) mod 2**64, read off a prefix sum.
    """
    word = _is_word_char(enc.codes)
    edges = np.diff(word.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if not len(starts):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.uint64)
    size = int(ends[-1])
    up, down = _powers(size + 1)
    with np.errstate(over="ignore"):
        # prefix[i] = sum_{j < i} c_j * P**(i - 1 - j) = P**(i - 1) * sum_{j < i} c_j * P**-j
        scaled = np.cumsum(enc.codes[:size].astype(np.uint64) * down[:size], dtype=np.uint64)
        prefix = np.r_[np.uint64(0), scaled * up[:size]]
        h = prefix[ends] - prefix[starts] * up[ends - starts]
    return starts, ends, enc.row[starts], h


def _bigrams(row: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first token of each pair of neighbouring tokens in one text, and the pair's hash."""
    pair = np.flatnonzero(row[:-1] == row[1:])
    with np.errstate(over="ignore"):
        return pair, (h[pair] * np.uint64(_P) + h[pair + 1]) ^ np.uint64(_BIGRAM)


def _bucket(h: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return ((h * np.uint64(_MIX)) >> np.uint64(64 - WORD_BITS)).astype(np.uint32) + np.uint32(CHAR_FEATURES)


def _word_keys(enc: _Encoded) -> np.ndarray:
    """``row << _COL_BITS | column`` (uint32) for every word 1-2-gram of every text (with repeats)."""
    _, _, row, h = _tokens(enc)
    pair, hb = _bigrams(row, h)
    row = row << np.uint32(_COL_BITS)
    return np.concatenate([row | _bucket(h), row[pair] | _bucket(hb)])


def word_grams(texts: Sequence[str]) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every word 1-2-gram of the texts, to explain scores: (tokens, row, first token, is bigram, column).

    A gram is ``tokens[first]``, or ``tokens[first] + " " + tokens[first + 1]`` for a bigram;
    its column is the one ``counts`` gives it.
    """
    enc = _Encoded(texts)
    starts, ends, row, h = _tokens(enc)
    joined = enc.joined
    flat = [joined[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]
    pair, hb = _bigrams(row, h)
    first = np.concatenate([np.arange(len(flat)), pair])
    is_bigram = np.concatenate([np.zeros(len(flat), dtype=bool), np.ones(len(pair), dtype=bool)])
    return (flat, np.concatenate([row, row[pair]]), first, is_bigram,
            np.concatenate([_bucket(h), _bucket(hb)]).astype(np.int64))


def counts(texts: Sequence[str]) -> sp.csr_matrix:
    """Raw n-gram counts (sublinear: 1 + log tf), one row per normalised text."""
    if len(texts) > _BLOCK:
        return sp.vstack([counts(texts[i:i + _BLOCK]) for i in range(0, len(texts), _BLOCK)], format="csr")
    n = len(texts)
    enc = _Encoded(texts)
    # one sort of 32-bit (row, column) keys: rows in order, columns sorted within each row
    keys, freq = np.unique(np.concatenate([_char_keys(enc), _word_keys(enc)]), return_counts=True)
    rows = keys >> np.uint32(_COL_BITS)
    cols = (keys & np.uint32((1 << _COL_BITS) - 1)).astype(np.int32)
    indptr = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return sp.csr_matrix((np.log1p(freq.astype(np.float32)), cols, indptr), shape=(n, N_FEATURES))


def fit_idf(x: sp.csr_matrix) -> np.ndarray:
    """Smoothed IDF from the training rows (as scikit-learn's TfidfTransformer)."""
    n = x.shape[0]
    df = np.bincount(x.indices, minlength=x.shape[1])
    return (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)


def weigh(x: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """TF-IDF with L2-normalised rows."""
    out = x.copy()
    out.data *= idf[out.indices]
    per_row = np.diff(out.indptr)
    row = np.repeat(np.arange(out.shape[0]), per_row)
    norms = np.sqrt(np.bincount(row, weights=out.data.astype(np.float64) ** 2, minlength=out.shape[0]))
    norms[norms == 0] = 1.0
    out.data /= np.repeat(norms, per_row).astype(np.float32)
    return out


def _word_index(h: int) -> int:
    return CHAR_FEATURES + (((h * _MIX) & _M64) >> (64 - WORD_BITS))


def _token_hash(token: str) -> int:
    h = 0
    for c in token:
        h = (h * _P + ord(c)) & _M64
    return h


def word_ngrams(text: str) -> Iterable[tuple[int, str]]:
    """(feature index, word n-gram) for each word 1-2-gram of a normalised text, in plain Python.

    The same indices as ``counts`` (a check on it, and a readable statement of the hashing).
    """
    words = _TOKEN.findall(text)
    hashes = [_token_hash(w) for w in words]
    for w, h in zip(words, hashes, strict=True):
        yield _word_index(h), w
    for i in range(len(words) - 1):
        yield _word_index(((hashes[i] * _P + hashes[i + 1]) & _M64) ^ _BIGRAM), f"{words[i]} {words[i + 1]}"
