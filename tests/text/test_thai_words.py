"""``segment.ThaiWords``: pythainlp's word list read the way its ``newmm`` segmenter reads its
``Trie``, made in a few hundredths of a second instead of about half a CPU-second. The segmentation
must be the Trie's, word for word."""

from __future__ import annotations

import random
import re

import pytest
from pythainlp.corpus import thai_words
from pythainlp.tokenize import word_dict_trie, word_tokenize

from wildtrace.text import segment
from wildtrace.text.segment import ThaiWords


def _texts(n: int) -> list[str]:
    """Dictionary words run together, with misspellings, digits, Latin letters and spaces among them."""
    words = sorted(thai_words())
    rng = random.Random(27)
    junk = "กขคงจฉชซญดตถทนบปผพฟมยรลวสหอะาิีุูเแโใไ่้๊๋็์ 0123456789abc.,"
    out = []
    for _ in range(n):
        parts = [rng.choice(words) if rng.random() < 0.8 else
                 "".join(rng.choice(junk) for _ in range(rng.randint(1, 6))) for _ in range(rng.randint(1, 12))]
        out.append(("" if rng.random() < 0.5 else " ").join(parts))
    return out + ["ขายงาช้างแท้ ราคาถูก ติดต่อไลน์", "นอแรด", "งา", "ก", ""]


def test_prefixes_are_the_tries() -> None:
    trie, mine = word_dict_trie(), ThaiWords(thai_words())
    assert len(mine) == len(trie)
    for text in _texts(300):
        for start in range(len(text)):
            assert mine.prefixes(text, start) == trie.prefixes(text, start), (text, start)


def test_segmentation_is_the_default_dictionarys() -> None:
    mine = ThaiWords(thai_words())
    for text in _texts(3000):
        assert word_tokenize(text, engine="newmm", keep_whitespace=False, custom_dict=mine) == \
            word_tokenize(text, engine="newmm", keep_whitespace=False), text
    cuts = [0]
    for word in word_tokenize("ขายงาช้างแท้", engine="newmm", keep_whitespace=False):
        cuts.append(cuts[-1] + len(word))
    assert list(segment._run_cuts("ขายงาช้างแท้")) == cuts


def test_a_thai_run_segmented_as_far_as_asked_has_the_whole_runs_cuts() -> None:
    """``segment._Run`` segments a run only up to the position asked about; asked in any order,
    its answers are those of ``word_tokenize`` on the whole run."""
    thai = re.compile("[\u0e00-\u0e7f]+")
    runs = sorted({m.group() for text in _texts(1500) for m in thai.finditer(text.replace(" ", ""))})
    rng = random.Random(5)
    for run in runs:
        cuts = [0]
        for word in word_tokenize(run, engine="newmm", keep_whitespace=False):
            cuts.append(cuts[-1] + len(word))
        whole = set(cuts)
        lazy = segment._Run(run)
        for pos in rng.sample(range(len(run) + 1), len(run) + 1):
            assert lazy.is_cut(pos) == (pos in whole), (run, pos)
            if pos < len(run):
                assert lazy.next_cut(pos) == min(c for c in whole if c > pos), (run, pos)
        assert segment._Run(run).through(len(run)) == sorted(whole)


def test_a_thai_run_whose_segmenter_fails_midway_starts_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """A failure inside newmm (an interrupt, memory) leaves the run's cuts as they were: the next
    question segments it again, and the cuts are the whole run's."""
    run = "ขายงาช้างแท้ราคาถูกส่งฟรีทั่วประเทศ"
    cuts = [0]
    for word in word_tokenize(run, engine="newmm", keep_whitespace=False):
        cuts.append(cuts[-1] + len(word))
    real = segment._thai_dictionary()

    class Failing:
        calls = 0

        def prefixes(self, text: str, start: int = 0) -> list[str]:
            Failing.calls += 1
            if Failing.calls == 6:
                raise KeyboardInterrupt
            return real.prefixes(text, start)

    monkeypatch.setattr(segment, "_thai_dictionary", Failing)
    lazy = segment._Run(run)
    lazy.through(2)  # the first words: no failure yet
    with pytest.raises(KeyboardInterrupt):
        lazy.through(len(run))
    assert Failing.calls == 6
    assert lazy.through(len(run)) == cuts  # started again (the sixth call has passed)
    assert [lazy.is_cut(p) for p in range(len(run) + 1)] == [p in cuts for p in range(len(run) + 1)]
