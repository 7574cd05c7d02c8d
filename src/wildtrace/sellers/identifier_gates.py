"""Pre-checks for :func:`wildtrace.sellers.identifiers.extract`: each one proves, cheaply, that a
pattern (or the phone-number matcher) finds nothing in a text, so the costly search is skipped.

Identifiers are read at every store write (issue 27), and most listing texts hold none: the
searches, not the findings, are what costs. A pre-check may say "search" where nothing is found
(that only costs time); it must never say "skip" where the search would find something. Each
one states why it cannot. The checks are derived from the patterns themselves (their parsed
form, the phone library's metadata), not written beside them, so an edit of
``data/identifiers.yaml`` or a new ``phonenumbers`` release cannot leave one stale; what cannot
be derived makes a check give up (always search). ``tests/sellers/test_identifier_gates.py``
tests the premises over every code point and the texts each check must let through;
``tests/sellers/test_identifiers_prechecks.py`` compares ``extract`` with the ungated searches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache

# The parser of the ``re`` module (Python 3.11 and later, as pyproject.toml requires).
from re import _parser as _sre  # type: ignore[attr-defined]
from typing import Any

import phonenumbers
from phonenumbers import PhoneMetadata, phonenumbermatcher, phonenumberutil

_REPEATS = frozenset({"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"})
_ZERO_WIDTH = frozenset({"AT", "ASSERT", "ASSERT_NOT"})


def _items(pattern: str, flags: int) -> Any:
    return _sre.parse(pattern, flags)


# ---------------------------------------------------------------- what a pattern can match

def alphabet(items: Iterable[tuple[Any, Any]], digits: set[str] | None = None) -> set[str] | None:
    """Every character a match of the parsed pattern ``items`` can consist of (as written: a
    case-insensitive pattern also matches their other cases), or None where that is not a
    short list (a category such as ``\\w``, a negated class, ``.``, a back-reference). With
    ``digits`` (a set), ``\\d`` is allowed and noted there as ``"\\d"``."""
    out: set[str] = set()
    for op, av in items:
        name = str(op)
        sub: set[str] | None = set()
        if name == "LITERAL":
            out.add(chr(av))
        elif name == "IN":
            for iop, iav in av:
                if str(iop) == "LITERAL":
                    out.add(chr(iav))
                elif str(iop) == "RANGE" and iav[1] - iav[0] <= 1024:
                    out.update(chr(c) for c in range(iav[0], iav[1] + 1))
                elif str(iop) == "CATEGORY" and str(iav) == "CATEGORY_DIGIT" and digits is not None:
                    digits.add("\\d")
                else:
                    return None
        elif name in _REPEATS:
            sub = alphabet(av[2], digits)
        elif name == "SUBPATTERN":
            sub = alphabet(av[-1], digits)
        elif name == "ATOMIC_GROUP":
            sub = alphabet(av, digits)
        elif name == "BRANCH":
            for branch in av[1]:
                part = alphabet(branch, digits)
                if part is None:
                    return None
                out |= part
        elif name not in _ZERO_WIDTH:  # a look-around or anchor consumes nothing
            return None
        if sub is None:
            return None
        out |= sub
    return out


def required(items: Iterable[tuple[Any, Any]]) -> frozenset[str] | None:
    """Strings of which every match of the parsed pattern ``items`` contains at least one, as
    written (the longest such set found), or None where none is found. A run of literal
    characters is one such string; an alternation gives the union of its branches' sets (each
    branch must have one); a group or a repeat of at least once gives its body's."""
    best: frozenset[str] | None = None

    def consider(found: frozenset[str] | None) -> None:
        nonlocal best
        if found and all(found) and (best is None or min(map(len, found)) > min(map(len, best))):
            best = found

    run: list[str] = []
    for op, av in items:
        name = str(op)
        if name == "LITERAL":
            run.append(chr(av))
            continue
        consider(frozenset(["".join(run)]))
        run = []
        if name == "SUBPATTERN":
            consider(required(av[-1]))
        elif name == "ATOMIC_GROUP":
            consider(required(av))
        elif name in _REPEATS and av[0] >= 1:
            consider(required(av[2]))
        elif name == "BRANCH":
            parts = [required(branch) for branch in av[1]]
            if all(p is not None for p in parts):
                consider(frozenset().union(*[p for p in parts if p is not None]))
    consider(frozenset(["".join(run)]))
    return best


def run_check(patterns: Iterable[re.Pattern[str]]) -> re.Pattern[str] | None:
    """A pattern that finds something in every text where one of ``patterns`` finds something:
    a run of at least as many characters as the shortest match of any of them has, all from
    the characters their matches can consist of (compiled with their case flag, so it matches
    their other cases exactly as they do). None where a pattern's characters are not a short
    list or a pattern can match the empty string."""
    chars: set[str] = set()
    shortest: int | None = None
    flags = None
    for pattern in patterns:
        items = _items(pattern.pattern, pattern.flags)
        found = alphabet(items)
        case = pattern.flags & re.IGNORECASE
        if found is None or (flags is not None and case != flags):
            return None
        flags = case
        chars |= found
        width = items.getwidth()[0]
        shortest = width if shortest is None else min(shortest, width)
    if not chars or not shortest:
        return None
    return re.compile("[" + "".join(re.escape(c) for c in sorted(chars)) + f"]{{{shortest},}}",
                      flags or 0)


def literal_check(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """The strings (lower case where ``pattern`` ignores case) one of which every match of
    ``pattern`` contains; None where none is found."""
    found = required(_items(pattern.pattern, pattern.flags))
    if not found:
        return None
    if pattern.flags & re.IGNORECASE:
        found = frozenset(s.lower() for s in found)
    return tuple(sorted(found))


def literals(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """A search, to run on the ``folded`` text, for what every match of a case-insensitive
    ``pattern`` holds (``literal_check``); None where nothing is known or the pattern heeds
    case."""
    found = literal_check(pattern) if pattern.flags & re.IGNORECASE else None
    return any_of(found) if found else None


def holds(check: re.Pattern[str] | None, low: str | None) -> bool:
    """Whether ``check`` finds something in the folded text ``low``; True where there is no
    check or no folded text (the pattern is then always searched)."""
    return check is None or low is None or check.search(low) is not None


def any_of(words: Iterable[str]) -> re.Pattern[str]:
    """One plain (case-sensitive) search for any of ``words``: finds one where ``w in text``
    holds for some ``w``, and nowhere else."""
    return re.compile(word_alternation(sorted(set(words))))


# ---------------------------------------------------------------- words in a text

_META = set("\\.^$*+?{}[]()|")


def literal_prefix(pattern: str) -> str:
    """The characters every match of the regular expression ``pattern`` starts with, as
    written ('' when it starts with anything but a plain character): ``what\\s*s\\s*app`` ->
    ``what``. A quantifier after the prefix takes its last character back (``ab*`` -> ``a``)."""
    end = 0
    while end < len(pattern) and pattern[end] not in _META:
        end += 1
    if end < len(pattern) and pattern[end] in "*?{":
        end -= 1
    return pattern[:max(end, 0)]


def folded(text: str) -> str | None:
    """``text`` in lower case, for checking that a word occurs in it as ``re.IGNORECASE`` would
    find it: one character for one (the texts here are NFKC already, which folds ſ, K and their
    like). None for a text with a dotted or dotless i (İ, ı): ``re`` matches them to ``i``,
    ``str.lower`` does not, so such a text is searched in full."""
    if "\u0130" in text or "\u0131" in text:
        return None
    return text.lower()


def word_alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


LETTER_RUN = re.compile(r"[^\W\d_]+")
_BOUNDED = (r"(?<![^\W\d_])", r"(?![^\W\d_])")


def word_check(words: Iterable[str]) -> re.Pattern[str]:
    """A search for one of ``words`` (lower case letters) standing as a whole run of letters,
    in a text that starts with a non-letter (``word_view`` puts one before the folded text: a
    class to start with lets ``re`` skip the places that cannot start a match)."""
    return re.compile(rf"[\W\d_](?:{word_alternation(words)})(?![^\W\d_])")


def spelled_word_checks(rules: Iterable[tuple[re.Pattern[str], dict[str, str], int, Any]]
                        ) -> tuple[list[re.Pattern[str] | None], re.Pattern[str] | None]:
    """For the digit-word rules of ``identifiers._digit_rules``: per rule, a ``word_check`` of
    its words (None: the rule is always run), and one of all those rules' words together.

    Why a rule needs one of its words standing alone: it changes a run only where the run holds
    a word (``spelled >= 1``). Built only for a rule whose run is bounded by non-letters (its
    pattern starts and ends with the look-arounds of ``_BOUNDED``: the spaced form, not the
    Chinese one), whose words are lower case letters only. There a word in a run is bounded on
    each side by a separator (``[\\s\\-.,]``) or, at the run's ends, by the look-arounds'
    non-letter: it is a whole run of letters of the text, equal to the word but for case. In
    the ``folded`` text (one character for one) the same span is that word in lower case and
    still a whole run of letters: ``re``'s case folding of the words' letters is
    ``str.lower``'s, and lower case keeps a letter a letter and a non-letter a non-letter (both
    tested over every code point)."""
    per_rule: list[re.Pattern[str] | None] = []
    every: list[str] = []
    for pattern, words, _min_run, _check in rules:
        bounded = pattern.pattern.startswith(_BOUNDED[0]) and pattern.pattern.endswith(_BOUNDED[1])
        if bounded and words and all(LETTER_RUN.fullmatch(w) and w == w.lower() for w in words):
            per_rule.append(word_check(words))
            every.extend(words)
        else:
            per_rule.append(None)
    return per_rule, word_check(every) if every else None


def word_view(text: str, any_word: re.Pattern[str] | None) -> tuple[str | None, bool]:
    """The ``folded`` text behind a non-letter (for ``word_check``; None where it cannot be
    folded), and whether ``any_word`` finds a word in it (True where unknown)."""
    low = folded(text)
    if low is None:
        return None, True
    low = "\x00" + low
    return low, any_word is None or any_word.search(low) is not None


def email_word_checks(at: Iterable[str], dot: Iterable[str]
                      ) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """What a match of ``identifiers._email_rule`` holds where it has no "@" (and no "."): an
    "at" word (a "dot" word) after a space or an opening bracket and before a space or a
    closing bracket. Its "at" has three forms, ``\\s*[\\[({<]\\s*(?:AT|@)\\s*[\\])}>]\\s*``,
    ``\\s+(?:AT)\\s+`` and ``\\s*@\\s*``: without an @, the word comes after a space or the
    bracket and before a space or the closing bracket; its dots likewise (a bare one is a
    "."). Same words, same case folding (IGNORECASE) as the rule."""
    def word(words: Iterable[str]) -> re.Pattern[str]:
        return re.compile(rf"[\s\[\(\{{<](?:{word_alternation(words)})[\s\]\)\}}>]", re.IGNORECASE)
    return word(at), word(dot)


# ---------------------------------------------------------------- messengers, wallets, URLs

def extract_checks(messengers: list[tuple[str, str, re.Pattern[str], list[re.Pattern[str]]]],
                   starts: dict[str, tuple[str, ...] | None],
                   wallets: list[tuple[str, re.Pattern[str], str]],
                   url: re.Pattern[str]) -> dict[str, Any]:
    """The pre-checks of ``identifiers._extract``, from its patterns: per messenger (whose
    aliases all start with known text, ``starts``) a search for any of those starts and a
    look-ahead that finds every place one begins (``alias_places``); per link pattern a search
    for what each of its matches holds (``literals``), and one for all link patterns together
    (None where one has none); one ``run_check`` for all wallet patterns; ``literals`` of the
    URL pattern."""
    known = {name: words for name, words in starts.items() if words is not None}
    link_checks = {name: [(link, literals(link)) for link in links]
                   for name, _k, _p, links in messengers}
    every = [check for checks in link_checks.values() for _link, check in checks]
    return {
        "aliases": {name: any_of(words) for name, words in known.items()},
        "alias_places": {name: re.compile(f"(?={any_of(words).pattern})")
                         for name, words in known.items()},
        "any_link": re.compile("|".join(c.pattern for c in every if c is not None))
        if every and all(c is not None for c in every) else None,
        "links": link_checks,
        "wallets": run_check(p for _c, p, _k in wallets),
        "url": literals(url),
    }


def alias_places(low: str, first: re.Pattern[str], places: re.Pattern[str]) -> list[int]:
    """Every place in ``low`` where a search of ``first`` would match, in order, overlaps
    included: from the first match on, the look-ahead ``places`` is tried at every place."""
    found = first.search(low)
    if found is None:
        return []
    return [m.start() for m in places.finditer(low, found.start())]


def matches_at(pattern: re.Pattern[str], text: str, places: list[int]) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)``, where ``pattern`` (which cannot match an empty string) can
    only match at one of ``places``: ``finditer`` tries ``pattern.match(text, p)`` (the same
    match, look-behinds seeing before ``p``) at each place ``p`` from the last match's end on,
    and finds nothing elsewhere. A messenger's pattern starts with one of its aliases, and a
    text matches an alias (``re.IGNORECASE``) only where its ``folded`` form holds the alias's
    start in lower case (tested over every code point): those are the ``alias_places``."""
    end = 0
    for at in places:
        if at < end:
            continue
        m = pattern.match(text, at)
        if m is not None:
            end = m.end()
            yield m


# ---------------------------------------------------------------- the phone-number matcher

#: Characters a phone-number candidate can turn into a digit when ``phonenumbers`` normalises
#: it: a decimal digit, or (for a "vanity" number such as 1-800-FLOWERS) a character whose upper
#: case is a Latin letter A-Z (ı and ſ are the only ones outside ASCII). The test checks this
#: against the library over every code point.
DIGIT_LIKE = re.compile(r"\d|[A-Za-z\u0131\u017f]")

try:  # private names of phonenumbers: a release without them leaves the phone gate open
    _MATCHER_FLAGS = phonenumberutil._REGEX_FLAGS
    #: Where a candidate of the matcher can start: its pattern starts with a bracket or plus sign
    #: (the lead class) or a digit.
    _CANDIDATE_START: re.Pattern[str] | None = re.compile(phonenumbermatcher._LEAD_CLASS + r"|\d",
                                                          _MATCHER_FLAGS)
    _MATCHER_PATTERN: re.Pattern[str] | None = phonenumbermatcher._PATTERN
except (AttributeError, TypeError, re.error):  # pragma: no cover - depends on the release
    _MATCHER_FLAGS, _CANDIDATE_START, _MATCHER_PATTERN = re.RegexFlag(0), None, None


@lru_cache(maxsize=1)
def matcher_alphabet() -> tuple[str, str]:
    """The characters of the matcher's candidate pattern (``_PATTERN``: number, punctuation,
    extension), as two character-class bodies: its letters (all counted as digit-like, a
    superset of those that are) and the rest but digits (none digit-like: tested)."""
    digits: set[str] = set()
    assert _MATCHER_PATTERN is not None
    chars = alphabet(_items(_MATCHER_PATTERN.pattern, _MATCHER_FLAGS), digits)
    if chars is None or digits != {"\\d"}:
        raise ValueError("the phone matcher's pattern is not a list of characters and digits")
    letters = "".join(re.escape(c) for c in sorted(chars) if c.isalpha())
    rest = "".join(re.escape(c) for c in sorted(chars) if not c.isalpha() and not c.isdigit())
    return letters, rest


@lru_cache(maxsize=64)
def _enough_in_a_run(need: int) -> re.Pattern[str]:
    """Finds a run of the matcher's characters (``matcher_alphabet``, with its case folding)
    holding at least ``need`` digits or letters. Tried only where a run starts (the character
    before is not one of them); the non-digit-likes are taken possessively: linear time."""
    letters, rest = matcher_alphabet()
    run = f"[{letters}{rest}\\d]"
    return re.compile(f"(?<!{run})(?:[{rest}]*+(?:\\d|[{letters}])){{{need}}}", _MATCHER_FLAGS)


def _added_by_transform(metadata: Any) -> int | None:
    """How many digits the region's national-prefix transform rule can add: its literal
    characters, when it copies at most one group of the prefix it replaces (None otherwise)."""
    rule = getattr(metadata, "national_prefix_transform_rule", None) if metadata else None
    if not rule:
        return 0
    refs = re.findall(r"\\\d+|\\g<\w+>|\$\d+", rule)
    if len(refs) > 1:
        return None
    return len(rule) - sum(len(r) for r in refs)


def _shortest_nsn(cc: int) -> int:
    """The fewest national significant digits of a valid number with country code ``cc`` (its
    regions' general possible lengths; 1 where a region lists none)."""
    out = None
    for region in phonenumbers.region_codes_for_country_code(cc):
        md = PhoneMetadata.metadata_for_region_or_calling_code(cc, region)
        desc = md.general_desc if md is not None else None
        lengths = list(desc.possible_length or ()) if desc is not None else []
        n = min(lengths) if lengths and min(lengths) > 0 else 1
        out = n if out is None else min(out, n)
    return out if out is not None else 1


def _main_metadata(cc: int) -> Any:
    return PhoneMetadata.metadata_for_region_or_calling_code(
        cc, phonenumbers.region_code_for_country_code(cc))


@lru_cache(maxsize=512)
def phone_threshold(region: str | None, plus: bool) -> int:
    """The fewest digit-like characters (``DIGIT_LIKE``) a candidate must hold for
    ``PhoneNumberMatcher(text, region, leniency=VALID)`` to accept it; 0 where no bound is
    known. ``plus``: whether the text holds a plus sign (+ or its full-width form).

    Why: the matcher only accepts a number that ``is_valid_number``, which needs its national
    significant number (NSN) to have one of its region's possible lengths, so at least
    ``_shortest_nsn(cc)`` digits. ``parse`` builds the NSN from the candidate's characters,
    one digit at most from each (``normalize_digits_only``, or the letter keypad for a vanity
    number), drops the ones it reads as a country code or an international prefix, and adds
    only what a national-prefix transform rule writes (``_added_by_transform``: at most once
    with the region's own rule, and once more with the country code's main region's rule).
    So for a candidate with ``d`` digit-like characters, one of these holds:

    - no country code in it (region given): NSN <= d + t(region), of the region's code;
    - a plus sign or the region's international prefix (at least its shortest match long),
      then a country code cc: NSN <= d - prefix - len(cc) + t(main region of cc);
    - the region's own country code written without a plus:
      NSN <= d - len(cc) + t(region) + t(main region of cc or the region).

    The threshold is the smallest ``d`` any of these allows."""
    country_codes = list(phonenumberutil.COUNTRY_CODE_TO_REGION_CODE)
    by_plus = []
    for cc in country_codes:
        added = _added_by_transform(_main_metadata(cc))
        if added is None:
            return 0
        by_plus.append(len(str(cc)) + _shortest_nsn(cc) - added)
    via_code = min(by_plus)
    options = [via_code] if plus else []
    md = (PhoneMetadata.metadata_for_region(region)
          if region is not None and region in phonenumbers.SUPPORTED_REGIONS else None)
    if md is not None:
        own_cc = md.country_code
        if own_cc is None:
            return 0
        own = _added_by_transform(md)
        main = _added_by_transform(_main_metadata(own_cc))
        if own is None or main is None:
            return 0
        shortest = _shortest_nsn(own_cc)
        options.append(shortest - own)
        options.append(len(str(own_cc)) + shortest - own - max(own, main))
        if md.international_prefix:
            idd = _items(md.international_prefix, 0).getwidth()[0]
            options.append(idd + via_code)
    if not options:
        return 1 << 30  # no way to a valid number (the caller's own check covers this)
    return max(0, min(options))


_DIGIT = re.compile(r"\d")


def may_hold_phone(text: str, region: str | None) -> bool:
    """False where ``PhoneNumberMatcher(text, region, leniency=VALID)`` surely finds nothing,
    without running it (it parses every run of digits it meets, the slowest part of
    ``extract``).

    First: a candidate starts with a digit (``\\d``, as its pattern does), and without a
    region it knows, parsing needs the number to start with a plus sign (+ or its full-width
    form). Then: the matcher parses only parts of matches of its candidate pattern
    (``_PATTERN``, found by ``_PATTERN.search(text, index)``: each is ``_PATTERN.match(text,
    p)`` for a ``p`` where its first character, a lead character or a digit, stands). A match
    that holds fewer digit-like characters than ``phone_threshold`` cannot give a valid
    number, nor can any part of it.

    Two ways to show no match holds enough: (1) a match consists of the pattern's characters
    only, so it lies in a run of them, and its digit-like characters are among the run's
    digits and letters: no run holds enough of those; (2) else every match is tried, from
    every place one can start (a lead character or a digit)."""
    plus = "+" in text or "\uff0b" in text
    if _DIGIT.search(text) is None or not (region in phonenumbers.SUPPORTED_REGIONS or plus):
        return False
    if _MATCHER_PATTERN is None or _CANDIDATE_START is None:
        return True  # the matcher's pattern is not where this release of phonenumbers kept it
    try:
        need = phone_threshold(region, plus)
        if need <= 1:
            return True
        if _enough_in_a_run(need).search(text) is None:
            return False
    except (ValueError, AttributeError, TypeError, re.error):  # pragma: no cover - a changed release
        return True  # its pattern or metadata no longer read as here: run the matcher
    pattern = _MATCHER_PATTERN
    for start in _CANDIDATE_START.finditer(text):
        m = pattern.match(text, start.start())
        if m is not None and len(DIGIT_LIKE.findall(m.group(0))) >= need:
            return True
    return False
