"""Bounded cost per record (issue 29, item 1): detection grew with the square of a field's length (a
99,000-digit title, or 99,000 characters of words, ran for minutes and held a worker). Counted, not
timed: the regex cues see each character a bounded number of times, and a word's senses are decided
once per listing, however often it occurs."""

from __future__ import annotations

import random
import re
import sys
from collections.abc import Iterator

import pytest

from wildtrace import Scanner, Settings
from wildtrace.taxa import senses


class _Recording:
    """A compiled regex that records the span of text each search is given."""

    def __init__(self, regex: re.Pattern[str]):
        self.regex, self.spans = regex, []  # type: list[int]

    def finditer(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[re.Match[str]]:
        self.spans.append(min(endpos, len(text)) - pos)
        return self.regex.finditer(text, pos, endpos)


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    made = Scanner(Settings(), scorer=None)
    lexicon = made.detector.lexicon
    lexicon.other_regex = _Recording(lexicon.other_regex)  # type: ignore[assignment,arg-type]
    lexicon.digit_regex = _Recording(lexicon.digit_regex)  # type: ignore[assignment,arg-type]
    return made


def _spans(scanner: Scanner) -> list[int]:
    lexicon = scanner.detector.lexicon
    return [*lexicon.other_regex.spans, *lexicon.digit_regex.spans]  # type: ignore[union-attr]


def _searched(scanner: Scanner, title: str) -> int:
    before = len(_spans(scanner))
    list(scanner.scan([{"id": "x", "title": title}]))
    new = _spans(scanner)[before:]
    assert max(new, default=0) <= 1024, "every regex search is given a bounded piece of text"
    return sum(new)


@pytest.mark.parametrize("alphabet", ["0123456789", "0123456789 kg$usd.,-+", "0123456789象牙穿 ", "0123456789เกล็ดนอ .-"])
def test_doubling_a_field_at_most_doubles_the_regex_work(scanner: Scanner, alphabet: str) -> None:
    rng = random.Random(7)
    text = "".join(rng.choice(alphabet) for _ in range(40_000))
    half, whole = _searched(scanner, text[:20_000]), _searched(scanner, text)
    assert 0 < whole <= 2.2 * half, (half, whole)
    assert whole <= 4 * len(text), "each character is searched a bounded number of times"


def test_a_word_repeated_is_decided_once(scanner: Scanner, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = senses._decide

    def counting(entry: senses.SenseEntry, text: str, *rest):  # type: ignore[no-untyped-def]
        calls.append(entry.terms[0])
        return real(entry, text, *rest)

    monkeypatch.setattr(senses, "_decide", counting)
    (result,) = scanner.scan([{"id": "j", "title": " ".join(["jaguar XF diesel"] * 2_000)}])
    assert calls == ["jaguar"], calls
    assert result.verdict != "wildlife_offer"  # the car maker, decided once, applies to every occurrence


def test_the_pieces_find_what_one_pass_finds(scanner: Scanner) -> None:
    """Cues near the edges of the pieces are found once, as a single pass over the text finds them."""
    filler = "lorem ipsum dolor sit amet " * 40
    title = f"{filler} WA 0812-3456-7890 {filler} harga Rp 1.500.000 {filler} per kg {filler}"
    (r,) = scanner.scan([{"id": "p", "title": title}])
    spans = [(m.span, m.ref) for m in r.matches if m.matched.startswith("pattern:")]
    assert len(spans) == len(set(spans)), "no cue twice"
    assert {ref for _, ref in spans} >= {"phone_local", "per_unit_price_latin"}, spans
