"""Word boundaries in Chinese and Thai text, which is written without spaces between words.

The automaton finds Chinese and Thai terms anywhere in a run of those scripts, so it finds words
inside other words: 象 (elephant) inside 现象 (phenomenon), 犀 inside 犀利 (sharp), กระ (hawksbill)
inside กระเบน (stingray), นอ (rhino horn) inside นอน (sleep), and longer ones too: ลิ่น (pangolin)
inside กลิ่น (smell), 红珊瑚 (red coral) across 玫瑰红|珊瑚色 (a rose-red, coral-coloured dress),
象牙 (ivory) inside 象牙色 (ivory, the colour). A Chinese term, and a Thai term of up to
``SHORT["thai"]`` characters, counts only when it starts and ends on a word boundary of the
segmented text (``is_wide``). Longer Thai terms are matched anywhere: Thai segmentation splits
compound names it does not know (ตัวนิ่ม, pangolin, in ขายตัว|นิ่ม), so a long Thai term would
be lost more often than it would be found inside another word. Segmenters: rjieba (jieba's dictionary in Rust; about
4 µs a sentence) for Chinese, pythainlp's ``newmm`` for Thai, reading pythainlp's word list
through ``ThaiWords`` (0.05 CPU-s to make, where pythainlp's own Trie took up to half a second).
Both are loaded on the first text that needs them, or by ``warm``. Only the runs around a span are
segmented (``aligned``), each run once (cached per run: the same phrases recur across listings);
``boundaries`` gives the same cuts for a whole text. A Thai run is segmented only as far as a
question needs (``_Run``): newmm gives its words left to right, each final when given, and
the normaliser joins a Thai listing's words into one run, so a term near its start no longer pays
for segmenting the whole listing.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_THAI = "\u0e00-\u0e7f"
_RUNS = re.compile(f"[{_CJK}]+|[{_THAI}]+")
_IS_CJK = re.compile(f"[{_CJK}]")
_IS_THAI = re.compile(f"[{_THAI}]")
#: the longest term that must fall on word boundaries, per script (Chinese: every term)
SHORT = {"cjk": 1, "thai": 3}
#: the longest Thai term checked against word boundaries (``is_wide``)
THAI_CHECKED = 5


def is_short(term: str) -> bool:
    """A Chinese or Thai term short enough to be found inside longer words."""
    if _IS_CJK.match(term):
        return len(term) <= SHORT["cjk"]
    if _IS_THAI.match(term):
        return len(term) <= SHORT["thai"]
    return False


def is_wide(term: str) -> bool:
    """A term that counts only on word boundaries: one that starts and ends in Chinese script, or a
    Thai one of up to ``THAI_CHECKED`` characters (both ends Thai)."""
    if not term:
        return False
    if _IS_CJK.match(term) and _IS_CJK.match(term[-1]):
        return True
    return bool(_IS_THAI.match(term) and _IS_THAI.match(term[-1])) and len(term) <= THAI_CHECKED


@lru_cache(maxsize=1)
def _jieba() -> Any:
    """rjieba, imported on the first Chinese text (its dictionary costs a tenth of a second to load)."""
    import rjieba  # type: ignore[import-not-found,import-untyped,unused-ignore]

    return rjieba


@lru_cache(maxsize=4096)
def boundaries(text: str) -> frozenset[int]:
    """Offsets in ``text`` where a Chinese or Thai word starts or ends (the ends of each run included)."""
    out: set[int] = set()
    for run in _RUNS.finditer(text):
        out.update(run.start() + cut for cut in _run_cuts(run.group()))
    return frozenset(out)


def _run_cuts(run: str) -> tuple[int, ...]:
    """Where words start or end in one run of Chinese or of Thai (0 and its length included), in
    order."""
    return tuple(_run(run).through(len(run)))


class _Run:
    """The cuts of one run of Chinese or of Thai, found left to right only as far as asked
    (``through``). Kept per run, not per text (``_run``): the same phrases recur across listings.

    Both segmenters give a run's words in order and never take one back: rjieba all at once,
    newmm (pythainlp's ``_onecut``, the generator behind ``word_tokenize(engine="newmm")``) one by
    one, so a Thai run is segmented only as far as a question needs, and the cuts up to a position
    are those of the whole run's segmentation. ``word_tokenize`` then rejoins formatted numbers and
    drops whitespace; a run holds only Thai-block characters (no space, none of the ``.,:`` a
    number is formatted with), so neither changes it (``tests/text/test_thai_words.py`` checks
    the cuts against ``word_tokenize``). A lock keeps one thread at a time on the words; a
    segmenter that fails midway is started again and brought back to the cuts already found."""

    __slots__ = ("_lock", "_run", "_words", "cuts", "length")

    def __init__(self, run: str) -> None:
        self._run = run
        self.length = len(run)
        self.cuts = [0]
        self._words: Iterator[str] | None = None
        self._lock = threading.Lock()

    def _restart(self) -> Iterator[str]:
        """The run's words again, past those already cut (the same words: both are deterministic)."""
        if _IS_THAI.match(self._run):
            from pythainlp.tokenize.newmm import _onecut  # type: ignore[import-not-found,import-untyped,unused-ignore]

            dictionary: Any = _thai_dictionary()  # newmm reads only its prefixes, whatever its type says
            words: Iterator[str] = _onecut(self._run, dictionary)
        else:
            words = iter(_jieba().cut(self._run))
        done = 0
        while done < self.cuts[-1]:
            done += len(next(words))
        return words

    def through(self, pos: int) -> list[int]:
        """The cuts found so far, segmenting on until one lies beyond ``pos`` (or the run ends)."""
        cuts = self.cuts
        if cuts[-1] > pos or cuts[-1] == self.length:
            return cuts
        with self._lock:
            try:
                words = self._words if self._words is not None else self._restart()
                while cuts[-1] <= pos and cuts[-1] < self.length:
                    word = next(words, None)
                    if word is None:
                        cuts.append(self.length)
                    elif word:
                        cuts.append(cuts[-1] + len(word))
            except BaseException:
                self._words = None  # a generator that raised is spent: the next question restarts it
                raise
            # the whole run cut: let the segmenter's state go
            self._words = None if cuts[-1] == self.length else words
        return cuts

    def is_cut(self, pos: int) -> bool:
        """Whether a word starts or ends at ``pos``."""
        cuts = self.through(pos)
        i = bisect_left(cuts, pos)
        return i < len(cuts) and cuts[i] == pos

    def next_cut(self, pos: int) -> int:
        """The first cut after ``pos`` (the run's length at the latest)."""
        cuts = self.through(pos)
        return cuts[bisect_right(cuts, pos)]


@lru_cache(maxsize=16384)
def _run(run: str) -> _Run:
    return _Run(run)


@lru_cache(maxsize=4096)
def _runs(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The starts and the ends of the text's runs of Chinese or Thai, in order."""
    spans = [m.span() for m in _RUNS.finditer(text)]
    return tuple(a for a, _ in spans), tuple(b for _, b in spans)


def _is_cut(text: str, pos: int) -> bool:
    """``pos in boundaries(text)``, segmenting only the runs that touch ``pos`` (at most two: one
    ending there, one starting there)."""
    starts, ends = _runs(text)
    i = bisect_right(starts, pos) - 1  # the last run starting at or before pos
    for j in (i, i - 1):
        if j >= 0 and pos <= ends[j]:
            a = starts[j]
            if pos in (a, ends[j]) or _run(text[a:ends[j]]).is_cut(pos - a):
                return True
    return False


def _next_cut(text: str, pos: int) -> int:
    """``min(c for c in boundaries(text) if c > pos)``, or the text's length when there is none."""
    starts, ends = _runs(text)
    i = bisect_right(starts, pos) - 1
    if i >= 0 and pos < ends[i]:  # inside a run: its next cut (its end at the latest)
        a = starts[i]
        return a + _run(text[a:ends[i]]).next_cut(pos - a)
    return starts[i + 1] if i + 1 < len(starts) else len(text)


#: the form of a material that a segmenter may join to its name as one word (酸枝|木 rosewood,
#: 檀香|扇 a sandalwood fan, 鹿茸|片 antler slices): a Chinese term of two characters or more may end
#: inside such a word. Colours, brands and other nouns (象牙|色, 珊瑚|绒, 羽毛|球) are not here.
MATERIAL_SUFFIXES = frozenset({"木", "片", "粉", "扇", "珠", "串", "料", "块", "条", "盏", "膏", "酒",
                               "手串", "手镯", "手链", "项链", "摆件", "雕件", "原木"})


def aligned(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` starts and ends on word boundaries (or, for a Chinese term of
    two characters or more, ends where only a material-form suffix is left of the word). Only the
    runs around ``start`` and ``end`` are segmented (a listing's other runs need not be)."""
    if not _is_cut(text, start):
        return False
    if _is_cut(text, end):
        return True
    if end - start < 2 or not _IS_CJK.match(text[start]):
        return False
    return text[end:_next_cut(text, end)] in MATERIAL_SUFFIXES


def warm() -> None:
    """Load both segmenters and their dictionaries now, not on the first Chinese or Thai text: for
    a process whose copies (forked workers) share them."""
    _jieba().cut("象牙")
    _run("งาช้าง").through(6)  # pythainlp's newmm and the dictionary


class ThaiWords:
    """pythainlp's Thai word list as its ``newmm`` segmenter reads a dictionary (``prefixes``: the
    words that start at a position, shortest first), made in a few hundredths of a second. The
    ``Trie`` pythainlp builds by default took about half a CPU-second, more than a one-listing
    scan; the words, and so the segmentation, are the same (``tests/text/test_thai_words.py``)."""

    #: words of up to this many characters are looked up one by one; longer ones only up to the
    #: longest word that starts with the same ``_KEY`` characters
    _KEY = 4

    def __init__(self, words: Any) -> None:
        self.words = frozenset(w for w in (word.strip() for word in words) if w)
        longest: dict[str, int] = {}  # the first _KEY characters -> the longest word starting so
        for word in self.words:
            if len(word) > longest.get(word[:self._KEY], self._KEY - 1):
                longest[word[:self._KEY]] = len(word)
        self._longest = longest

    def __len__(self) -> int:
        return len(self.words)

    def prefixes(self, text: str, start: int = 0) -> list[str]:
        words = self.words
        n = len(text)
        out = [text[start]] if start < n and text[start] in words else []
        key = self._KEY
        for end in range(start + 2, min(n, start + key - 1) + 1):
            if text[start:end] in words:
                out.append(text[start:end])
        stop = self._longest.get(text[start:start + key], 0)
        for end in range(start + key, min(n, start + stop) + 1):
            if text[start:end] in words:
                out.append(text[start:end])
        return out


@lru_cache(maxsize=1)
def _thai_dictionary() -> ThaiWords:
    from pythainlp.corpus import thai_words  # type: ignore[import-not-found,import-untyped,unused-ignore]

    return ThaiWords(thai_words())

