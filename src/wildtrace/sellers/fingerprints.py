"""Near-duplicate search over 64-bit fingerprints (image pHash, text SimHash).

``near_pairs(items, max_distance)`` finds every pair of fingerprints within
``max_distance`` bits (Hamming) without comparing all pairs: the 64 bits are cut
into ``max_distance + 1`` bands, and two fingerprints that differ in at most
``max_distance`` bits agree exactly on at least one band (pigeonhole), so only
fingerprints sharing a band value are compared.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator

import numpy as np

BITS = 64


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def _bands(max_distance: int) -> list[tuple[int, int]]:
    n = max_distance + 1
    edges = [round(i * BITS / n) for i in range(n + 1)]
    return [(edges[i], edges[i + 1]) for i in range(n)]


def near_pairs(items: Iterable[tuple[str, int]], max_distance: int,
               max_bucket: int = 5000) -> Iterator[tuple[str, str, int]]:
    """Pairs ``(key_a, key_b, distance)`` of fingerprints within ``max_distance`` bits, each pair once.

    Buckets larger than ``max_bucket`` (a fingerprint shared by thousands of items,
    such as a blank image) are skipped: they link everything and explain nothing.
    """
    items = list(items)
    bands = _bands(max_distance)
    seen: set[tuple[int, int]] = set()
    for lo, hi in bands:
        mask = (1 << (hi - lo)) - 1
        buckets: dict[int, list[int]] = defaultdict(list)
        for idx, (_, fp) in enumerate(items):
            buckets[(fp >> lo) & mask].append(idx)
        for members in buckets.values():
            if len(members) < 2 or len(members) > max_bucket:
                continue
            for i, a in enumerate(members):
                for b in members[i + 1:]:
                    pair = (a, b) if a < b else (b, a)
                    if pair in seen:
                        continue
                    dist = hamming(items[a][1], items[b][1])
                    if dist <= max_distance:
                        seen.add(pair)
                        yield items[pair[0]][0], items[pair[1]][0], dist


_WORD = re.compile(r"\w+")
_SHIFTS = np.arange(BITS, dtype=np.uint64)


def simhash(text: str, shingle: int = 3) -> int:
    """64-bit SimHash of word shingles (character 4-grams for text without spaces, e.g. Chinese)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    words = _WORD.findall(folded)
    if len(words) < 4:
        joined = "".join(words)
        tokens = [joined[i:i + 4] for i in range(max(1, len(joined) - 3))]
    else:
        tokens = [" ".join(words[i:i + shingle]) for i in range(max(1, len(words) - shingle + 1))]
    hashes = np.array([int.from_bytes(hashlib.blake2b(t.encode(), digest_size=8).digest(), "big")
                       for t in tokens], dtype=np.uint64)
    bits = (hashes[:, None] >> _SHIFTS) & np.uint64(1)
    votes = bits.sum(axis=0) * 2 > len(tokens)
    return int(sum(1 << int(b) for b in np.flatnonzero(votes)))
