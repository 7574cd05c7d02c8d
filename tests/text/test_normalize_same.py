"""The fast normaliser (issue 27) gives exactly the output of the one it replaced: the same match
form and the same index, with and without the index, for any text.

The old ``normalize``, ``_fix_up`` and pre-checks are kept here verbatim in what they compute (the
fix-up alternation over every text, ``list(range(n))`` for the identity map, the per-character map
for irregular texts); the tables and the helpers the change left alone are the module's own.
Random texts are drawn from the tricks the normaliser undoes, in every script it folds: letters,
digits, runs of spaces, punctuation, newlines, hashtags, split letters, leetspeak, CJK and Thai
runs (``ำ`` folds to two characters), Vietnamese diacritics, homoglyphs, zero-width characters and
full-width forms. 1,500 examples each in the default suite; ``WILDTRACE_FUZZ_EXAMPLES`` sets more.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from wildtrace.text import normalize as N

# -- the old path ---------------------------------------------------------------------------------

_OLD_LETTER_BETWEEN_SPACES = re.compile(r" [^\W\d_] ")
_OLD_CJK_BEFORE_SPACE = re.compile(f"[{N.CJK_THAI}] ")
_OLD_LETTER_BY_DIGIT = re.compile(r"[a-z][0-9]|[0-9][a-z]")


@lru_cache(maxsize=16)
def _old_fixups(names: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?P<{name}>{N._FIXUP_GROUPS[name]})" for name in names))


def _old_fixups_for(text: str) -> re.Pattern[str] | None:
    names = ["multi"] if "  " in text else []
    if _OLD_LETTER_BETWEEN_SPACES.search(text):
        names.append("split")
    if _OLD_CJK_BEFORE_SPACE.search(text):
        names.append("cjk")
    if _OLD_LETTER_BY_DIGIT.search(text):
        names.append("leet")
    return _old_fixups(tuple(names)) if names else None


def _old_normalize(text: str, *, with_index: bool = True) -> tuple[str, list[int] | None]:
    if "#" not in text:
        out = text.translate(N._FOLD_TABLE)
        if len(out) == len(text) and N._IRREGULAR.isdisjoint(text):
            return _old_fix_up(out, list(range(len(text))) if with_index else None, text)
    parts = list(map(N._FOLD.__getitem__, text))
    if "#" in text:
        for i in N._hashtag_breaks(text):
            parts[i] = " " + parts[i]
    out = "".join(parts)
    index: list[int] | None = None
    if with_index:
        if len(out) == len(text) and N._IRREGULAR.isdisjoint(text):
            index = list(range(len(text)))
        else:
            index = [i for i, p in enumerate(parts) for _ in p]
    return _old_fix_up(out, index, text)


def _old_fix_up(text: str, index: list[int] | None, source: str = "") -> tuple[str, list[int] | None]:
    cuts: list[tuple[int, int]] = []
    leet_spans: list[tuple[int, int]] = []
    fixups = _old_fixups_for(text)
    for m in fixups.finditer(text) if fixups is not None else ():
        kind = m.lastgroup
        a, b = m.span()
        if kind == "multi":
            cuts.append((a + 1, b))
        elif kind == "leet":
            leet_spans.append((a, b))
        elif kind == "split":
            cuts.extend((i, i + 1) for i in N._split_drops(text, a, b, index, source))
        elif N._between_han_words(text, a, b):
            cuts.append((a + 1, b))
        else:
            cuts.append((a, b))
    if leet_spans:
        leet = N._tables()[2]
        pieces = []
        last = 0
        for a, b in leet_spans:
            pieces.append(text[last:a])
            pieces.append(text[a:b].translate(leet))
            last = b
        pieces.append(text[last:])
        text = "".join(pieces)
    if not cuts:
        return text, index
    kept = list(zip([0] + [b for _, b in cuts], [a for a, _ in cuts] + [len(text)], strict=True))
    out = "".join(text[a:b] for a, b in kept)
    if index is None:
        return out, None
    new_index: list[int] = []
    for a, b in kept:
        new_index += index[a:b]
    return out, new_index


# -- random text ----------------------------------------------------------------------------------

_PIECES = [
    *"abcdeiovryzAIVXZ", *"0134579", *".,-!?:;'\"/()$@_&*+=~|", "\n", "\r\n", "\t", "#",
    " ", "  ", "   ", "    ",
    *"象牙犀牛角鲨鱼翅排穿山甲鱗片手鐲玳瑁", "\u3400", "\u4dbf", "\uf900", "\ufaff", *"あア",  # Han, kana
    *"งาช้างแท้นอแรดตัวนิ่มขายำ", "\u0e33", "\u0e4d",  # Thai; ำ is irregular (two characters)
    *"àảãạăắằẳẵặâấầẩẫậđĐêếềểễệôồộơớờợưứừựýỳỹ", "e\u0301", "a\u0300",  # Vietnamese, combining
    *"іоуАВЕΙΟΥΑΒβ", *"ІVОRУ",  # Cyrillic and Greek look-alikes
    "\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff", "\ufe0f", "\u3164",  # invisible
    *"ＩＶＯＲＹｉｖｏｒｙ１２３＃　！", "ﬁ", "①", "½", "™", "Ⅻ",  # full-width, compatibility forms
    "i v o r y", "i.v.o.r.y", "r-h-i-n-o", "a i-v-o-r-y", "1v0ry", "b0ne", "500 usd",
    "象 牙", "鲨鱼翅 排翅", "งา ช้าง", "#WalrusIvory", "#SharkFinSoup", "McDonald",
]
texts = st.lists(st.sampled_from(_PIECES), max_size=60).map("".join)
BUDGET = settings(max_examples=int(os.environ.get("WILDTRACE_FUZZ_EXAMPLES", "1500")), deadline=None,
                  suppress_health_check=[HealthCheck.too_slow])


@BUDGET
@given(texts)
@example("")
@example("象  牙 鲨鱼翅 排翅 象 牙")  # two spaces between CJK characters: collapsed, not rejoined
@example("ตำ รา  งา ช้าง")  # irregular Thai with the space fix-ups
@example("#Tag ตำ 1v0ry i v o r y")  # every path at once
def test_the_normaliser_gives_the_old_output(text: str) -> None:
    assert N.normalize(text) == _old_normalize(text), text
    assert N.normalize(text, with_index=False) == _old_normalize(text, with_index=False), text


@BUDGET
@given(st.text(max_size=40))
def test_the_normaliser_gives_the_old_output_on_any_characters(text: str) -> None:
    assert N.normalize(text) == _old_normalize(text), text
    assert N.normalize(text, with_index=False) == _old_normalize(text, with_index=False), text


def test_the_map_back_is_a_fresh_list() -> None:
    """The identity map is sliced from a shared list: what a caller gets is its own."""
    for text in ("ivory bangle", "ivory  bangle"):  # nothing cut; a space cut
        _, index = N.normalize(text)
        assert isinstance(index, list)
        index[:] = [99] * len(index)
    assert N.normalize("ivory bangle")[1] == list(range(12))
    assert N.normalize("ivory  bangle")[1] == [*range(6), *range(7, 13)]
    long_text = "x" * (N._IDENTITY_CAP + 3)
    assert N.normalize(long_text)[1] == list(range(len(long_text)))
