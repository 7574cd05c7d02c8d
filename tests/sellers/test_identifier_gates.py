"""The pre-checks of ``identifiers.extract`` (``identifier_gates``) skip a search only where it
finds nothing (issue 27: identifiers are read at every store write).

Each check rests on premises about ``re`` and ``phonenumbers``; the first tests check those
premises over every code point. The others give each check texts where the full search does
find something, and require that the check lets the search run: hand-picked forms (spelled
digits in every case, obfuscated e-mails, link forms, aliases, wallets, URLs) and every example
number of every region the phone library knows, in every format and cut to every tail (a
national-prefix rule lengthens a short local number: Guernsey, San Marino, the NANPA islands).
``test_identifiers_prechecks.py`` compares whole results with the old, unchecked path.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from typing import Any

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType, phonenumberutil, unicode_util

from wildtrace.sellers import identifier_gates as G  # noqa: N812
from wildtrace.sellers import identifiers as I  # noqa: N812

EVERY = "".join(chr(i) for i in range(sys.maxunicode + 1) if not 0xD800 <= i <= 0xDFFF)
FLAGS = phonenumberutil._REGEX_FLAGS


def _nfkc_stable(x: str) -> bool:
    return unicodedata.normalize("NFKC", x) == x


# -- premises, over every code point ---------------------------------------------------------------

def test_lower_case_keeps_letters_letters_one_for_one() -> None:
    """``spelled_word_checks`` reads words in the lower-cased text at the same places."""
    letter = re.compile(r"[^\W\d_]")
    for c in EVERY:
        if c == "\u0130":  # İ: folded() gives up on it
            continue
        low = c.lower()
        assert len(low) == 1, hex(ord(c))
        assert bool(letter.fullmatch(c)) == bool(letter.fullmatch(low)), hex(ord(c))


def _folded_chars() -> set[str]:
    per_rule, _ = I._word_checks()
    words = {w for (_p, ws, _m, _c), check in zip(I._digit_rules(), per_rule, strict=True)
             if check is not None for w in ws}
    checks = I._search_checks()
    found = {w for w in words}
    for links in checks["links"].values():
        for link, _check in links:
            found |= set(G.literal_check(link) or ())
    found |= set(G.literal_check(I._URL) or ())
    return {c for w in found for c in w}


def test_words_and_literals_fold_as_re_does() -> None:
    """Every character that ``re.IGNORECASE`` matches to a character of a digit word, a link's
    or the URL pattern's literal text, in an NFKC text, is that character once ``folded`` (or
    makes ``folded`` give up: İ and ı)."""
    chars = _folded_chars()
    assert {"o", "n", "ô", ".", "m", "w"} <= chars
    for c in chars:
        assert c == c.lower() or not c.isalpha()
        for x in re.findall(re.escape(c), EVERY, re.IGNORECASE):
            if not _nfkc_stable(x):
                continue
            low = G.folded(x)
            assert low is None or low == c.lower(), (c, x)


def test_digit_like_holds_every_character_phonenumbers_turns_into_a_digit() -> None:
    letters, rest = G.matcher_alphabet()
    in_candidate = re.compile(f"[{letters}{rest}\\d]", FLAGS)
    for c in EVERY:
        vanity = c.upper() in phonenumberutil._ALPHA_PHONE_MAPPINGS
        digit = unicode_util.digit(c, -1) != -1
        if vanity or (digit and in_candidate.fullmatch(c)):
            assert G.DIGIT_LIKE.fullmatch(c), hex(ord(c))


def test_the_matcher_alphabet_splits_digit_likes_from_the_rest() -> None:
    """The run check counts ``\\d`` and the pattern's letters and skips the rest: the rest holds
    nothing digit-like, and every character the pattern's own characters match (with its case
    folding) is in the run."""
    letters, rest = G.matcher_alphabet()
    run = re.compile(f"[{letters}{rest}\\d]", FLAGS)
    counted = re.compile(f"\\d|[{letters}]", FLAGS)
    for x in re.findall(f"[{rest}]", EVERY, FLAGS):
        assert not G.DIGIT_LIKE.fullmatch(x) and unicode_util.digit(x, -1) == -1, hex(ord(x))
    for x in run.findall(EVERY):
        if G.DIGIT_LIKE.fullmatch(x) or unicode_util.digit(x, -1) != -1:
            assert counted.fullmatch(x), hex(ord(x))
    for c in re.sub(r"\\(.)", r"\1", letters + rest):
        for x in re.findall(re.escape(c), EVERY, FLAGS):
            assert run.fullmatch(x), (c, x)


def test_every_transform_rule_is_bounded() -> None:
    """Each national-prefix transform rule copies at most one group, so its added digits are
    known (else the phone gate would give up: threshold 0)."""
    for region in phonenumbers.SUPPORTED_REGIONS:
        md = phonenumbers.PhoneMetadata.metadata_for_region(region)
        assert G._added_by_transform(md) is not None, region
    assert G.phone_threshold("VN", False) > 1 and G.phone_threshold("US", True) > 1


# -- the checks let the search run where it finds something -------------------------------------

def _regions() -> list[str]:
    return sorted(phonenumbers.SUPPORTED_REGIONS)


def _found(text: str, region: str | None) -> bool:
    matcher = phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID)
    return any(True for _ in matcher)


def _number_texts(number: phonenumbers.PhoneNumber) -> list[str]:
    out = [phonenumbers.format_number(number, f) for f in (
        PhoneNumberFormat.NATIONAL, PhoneNumberFormat.INTERNATIONAL, PhoneNumberFormat.E164,
        PhoneNumberFormat.RFC3966)]
    nsn = phonenumbers.national_significant_number(number)
    out += [nsn[-k:] for k in range(3, len(nsn) + 1)]  # local tails (transform rules lengthen them)
    out += [f"call {t} now" for t in out[:3]] + ["0" + nsn, "00" + str(number.country_code) + nsn,
                                                 str(number.country_code) + nsn]
    return out


@pytest.mark.parametrize("chunk", range(4))
def test_the_phone_gate_never_skips_a_number_the_matcher_finds(chunk: int) -> None:
    regions = _regions()[chunk::4]
    found = 0
    for region in regions:
        for kind in PhoneNumberType.values():
            number = phonenumbers.example_number_for_type(region, kind)
            if number is None:
                continue
            for text in _number_texts(number):
                for hint in (region, None, "VN", "US"):
                    if _found(text, hint):
                        found += 1
                        assert G.may_hold_phone(text, hint), (region, kind, text, hint)
    assert found > 1000


def test_the_phone_gate_never_skips_a_non_geographic_number() -> None:
    found = 0
    for cc in phonenumberutil.COUNTRY_CODES_FOR_NON_GEO_REGIONS:
        number = phonenumbers.example_number_for_non_geo_entity(cc)
        if number is None:
            continue
        for text in _number_texts(number):
            for hint in (None, "VN", "US", "GB"):
                if _found(text, hint):
                    found += 1
                    assert G.may_hold_phone(text, hint), (cc, text, hint)
    assert found > 10


PHONES = [
    ("call +84 912 345 678", None), ("0912345678", "VN"), ("0912.345.678", "VN"), ("(091) 234-5678", "VN"),
    ("+84-912-345-678 ext. 12", "VN"), ("tel: +1 (212) 555-0123", None), ("212-555-0123", "US"),
    ("+44 1481 256789", "VN"), ("+378 0549 886377", None), ("886377", "SM"), ("2291234", "VG"),
    ("call 3001234", "VG"), ("+86 138 1234 5678", "VN"), ("13812345678", "CN"), ("＋84 912 345 678", None),
    ("０９１２３４５６７８", "VN"), ("٠٩١٢٣٤٥٦٧٨", "VN"), ("0084912345678", "VN"),
]


@pytest.mark.parametrize("text,region", PHONES)
def test_the_phone_gate_lets_these_through(text: str, region: str | None) -> None:
    clean = I.deobfuscate(text)
    assert _found(clean, region), text  # the matcher does find a number here
    assert G.may_hold_phone(clean, region)


SPELLED = [
    "gọi KHÔNG CHÍN MỘT HAI BA BỐN NĂM SÁU BẢY TÁM", "ZERO NINE ONE TWO THREE FOUR FIVE SIX SEVEN EIGHT",
    "call zero-nine-one-two", "Zero,Nine,One,Two", "5one two three four", "one 2 3 4",
    "x: một. hai. ba. bốn", "oh nine one two", "o nine one two", "sđt: Không 9 1 2 3 4 5 6 7 8",
    "tư năm sáu bảy", "Lăm Nhăm Linh Lẻ",
]


def _rule_changes(rule: tuple[re.Pattern[str], dict[str, str], int, object], text: str) -> bool:
    """Whether the digit rule, run alone, changes ``text`` (as ``_spell_digits`` runs it)."""
    pattern, words, min_run, _check = rule
    tokens_rule = I._tokens_rule(frozenset(words))
    for m in pattern.finditer(text):
        tokens = tokens_rule.findall(m.group(0))
        if any(not t.isdigit() for t in tokens) and len(tokens) >= min_run:
            return True
    return False


@pytest.mark.parametrize("text", SPELLED)
def test_the_spelled_digit_checks_let_these_through(text: str) -> None:
    text = unicodedata.normalize("NFKC", text)
    per_rule, any_word = I._word_checks()
    low, some_word = G.word_view(text, any_word)
    changed = 0
    for rule, whole in zip(I._digit_rules(), per_rule, strict=True):
        if whole is None or not _rule_changes(rule, text):
            continue
        changed += 1
        assert low is not None and some_word and whole.search(low), (text, rule[0].pattern[:40])
    assert changed
    assert I._spell_digits(text) != text


EMAILS = [
    "hornking AT gmail DOT com", "ivory [at] proton [dot] me", "a(at)b(dot)vn", "a {at} b {dot} com",
    "a <at> b <dot> com", "x @ y . com", "thu.nguyen a còng yahoo chấm com", "a arroba b punto es",
    "a[@]b[.]com", "a\tat\tb\tdot\tcom", "name  AT  host  DOT  co  DOT  uk",
]


@pytest.mark.parametrize("text", EMAILS)
def test_the_email_checks_let_these_through(text: str) -> None:
    at, dot = I._email_words()
    assert I._email_rule().search(text)  # the rule does match here
    assert "@" in text or at.search(text)
    assert "." in text or dot.search(text)
    assert "@" in I._fix_emails(text)


LINKS = ["wa.me/84912345678", "WA.ME/+84912345678", "https://api.whatsapp.com/send?phone=84912345678",
         "zalo.me/0987654321", "weixin://dl/chat?hk_horn_88", "t.me/ivory_dealer", "TELEGRAM.ME/ivory_dealer",
         "line.me/ti/p/~ivoryshop", "line.me/R/ti/p/@ivoryshop"]


@pytest.mark.parametrize("text", LINKS)
def test_the_link_checks_let_these_through(text: str) -> None:
    checks = I._search_checks()
    low = G.folded(text)
    hits = 0
    for name, _kind, _pattern, _links in I._messenger_rules():
        for link, check in checks["links"][name]:
            if link.search(text):
                hits += 1
                assert G.holds(checks["any_link"], low) and G.holds(check, low), (text, link.pattern)
    assert hits


MESSENGERS = ["WhatsApp +84 912 345 678", "whats app: 0912345678", "W/A 0912345678", "Zalo:0987654321",
              "ZL 0987654321", "za lo 0987654321", "WeChat: hk_horn_88", "wx hk_horn_88", "V: hk_horn_88",
              "v信 hk_horn_88", "微信号：hk_horn_88", "TG @ivory_dealer", "电报 ivory_dealer", "LINE ID: ivoryshop",
              "ไลน์ ivoryshop", "QQ 123456789", "扣扣：123456789", "x vx: 13812345678", "扣扣扣：123456789",
              "a qq号 123456789",
              "What s app 0912345678", "a v 12345678 and V: abcdefg1"]


@pytest.mark.parametrize("text", MESSENGERS)
def test_the_alias_places_hold_every_match(text: str) -> None:
    checks = I._search_checks()
    clean = I.deobfuscate(text)
    low = G.folded(clean)
    assert low is not None
    hits = 0
    for name, _kind, pattern, _links in I._messenger_rules():
        full = [m.span() for m in pattern.finditer(clean)]
        if name not in checks["aliases"]:
            continue
        places = G.alias_places(low, checks["aliases"][name], checks["alias_places"][name])
        assert [m.span() for m in G.matches_at(pattern, clean, places)] == full, (text, name)
        hits += len(full)
    assert hits


WALLETS = ["1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "0x52908400098527886E0F7030069857D2E4169EE7",
           "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "TJRabPrwbZy45sbavfcjinPJC18kjpRTv8",
           "LcHKx2h2ABmWLVRrQk3BPHnMZrmv9ZPZ9a", "ltc1qg82pmyhq8g8kxyza2fqd4wgn9q5ffpdj3p0e9v",
           "4" + "A" + "1" * 93]


@pytest.mark.parametrize("address", WALLETS)
def test_the_wallet_check_lets_these_through(address: str) -> None:
    text = f"pay to {address}."
    assert any(p.search(text) for _c, p, _k in I._wallet_rules())
    assert I._search_checks()["wallets"].search(text)


URLS = ["http://127.0.0.1:8151/listing/d01", "https://Example.COM/a", "www.shop.vn/x", "hornking.shop",
        "ivory.store/a?b=1", "HTTP://X.ORG", "t.me/ivory_dealer"]


@pytest.mark.parametrize("text", URLS)
def test_the_url_check_lets_these_through(text: str) -> None:
    m = I._URL.search(text)
    assert m and I.clean_url(m.group(0))
    assert "." in text and G.holds(I._search_checks()["url"], G.folded(text))


def test_the_joiner_check_lets_six_digits_through() -> None:
    for text in ("0 9 1 2 3 4", "0-9-1-2-3-4-5", "0.9.1.2.3.4", "٠ ٩ ١ ٢ ٣ ٤"):
        assert I._join_spaced(text) != text
        assert len(I._DIGIT.findall(text)) >= 6


def test_required_and_alphabet() -> None:
    def parse(p: str) -> Any:
        return G._items(p, 0)
    assert G.required(parse(r"(?:t\.me|telegram\.me)/x")) in ({".me", "elegram.me"}, {"/x"})
    assert G.required(parse(r"ab|cd")) == {"ab", "cd"}
    assert G.required(parse(r"a?b")) == {"b"}
    assert G.required(parse(r"\d+")) is None
    assert G.alphabet(parse(r"\bbc1[a-c]{2}\b")) == {"b", "c", "1", "a"}
    assert G.alphabet(parse(r"[^a]")) is None
    assert G.alphabet(parse(r"\d")) is None
    check = G.run_check([re.compile(r"\bbc1[ac-hj-np-z02-9]{11,71}\b")])
    assert check is not None and check.search("bc1qar0srrr7xfkv") and not check.search("bc1 qar0srrr7xf")
