"""``extract`` skips the patterns a text cannot match (issue 27, item 5: identifiers are read at
every store write) and finds exactly what it found before.

The old ``extract`` and ``_spell_digits`` are kept here, verbatim in what they compute (every
pattern over every text). Both run over the demo listings, the real bird ads (shared data), the
real marketplace listings under ``/work/ext/marketplaces`` where that folder exists, the texts
of the identifier tests, and hostile texts built to sit on the pre-checks' edges (dotted and
dotless i, full-width plus, Chinese digits, aliases in other cases); every identifier, its
kind, value, raw text and field, and their order must be the same. A last test checks the case
folding the messenger pre-check relies on against ``re`` itself, over every code point.
"""

from __future__ import annotations

import csv
import json
import random
import re
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import phonenumbers
import pytest

from wildtrace.manifest import path as data_path
from wildtrace.sellers import identifiers as I  # noqa: N812

ROOT = Path(__file__).resolve().parents[2]
BIRDS = ROOT.parent / "shared" / "data" / "bird_ads_stringham2021.csv"
MARKETPLACES = Path("/work/ext/marketplaces")


# -- the old path ---------------------------------------------------------------------------------

def _old_spell_digits(text: str) -> str:
    for pattern, words, min_run, _check in I._digit_rules():
        tokens_rule = I._tokens_rule(frozenset(words))

        def repl(m: re.Match[str], words: dict[str, str] = words, min_run: int = min_run,
                 tokens_rule: re.Pattern[str] = tokens_rule) -> str:
            chunk = m.group(0)
            tokens = tokens_rule.findall(chunk)
            digits = [words.get(t.casefold(), t) for t in tokens]
            spelled = sum(1 for t in tokens if not t.isdigit())
            if spelled == 0 or len(digits) < min_run:
                return chunk
            return "".join(digits) + (" " if chunk[-1:].isspace() else "")
        text = pattern.sub(repl, text)
    return text


def _old_join_spaced(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        chunk = m.group(0)
        groups = re.split(r"[ .\-_/·]{1,3}", chunk)
        if sum(1 for g in groups if len(g) == 1) * 2 >= len(groups):
            return "".join(groups)
        return chunk
    return I._SPACED_DIGITS.sub(repl, text)


def _old_fix_emails(text: str) -> str:
    dot_split = I._dot_split()

    def repl(m: re.Match[str]) -> str:
        domain_parts = dot_split.split(m.group(2))
        tld = domain_parts[-1]
        if not re.fullmatch(r"[a-z]{2,24}", tld, re.IGNORECASE):
            return m.group(0)
        return f"{m.group(1)}@{'.'.join(domain_parts)}"
    return I._email_rule().sub(repl, text)


def _old_deobfuscate(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = _old_spell_digits(text)
    text = _old_join_spaced(text)
    return _old_fix_emails(text)


def _old_extract(text: str | None, *, country: str | None = None, field: str = "text") -> list[I.Identifier]:
    if not text:
        return []
    clean = _old_deobfuscate(text)
    found: list[I.Identifier] = []
    seen: set[tuple[str, str]] = set()
    taken: list[tuple[int, int]] = []

    def add(kind: str, value: str | None, raw: str, span: tuple[int, int] | None = None) -> None:
        if span is not None:
            taken.append(span)
        if value and (kind, value) not in seen:
            seen.add((kind, value))
            found.append(I.Identifier(kind, value, raw, field))

    def overlaps(span: tuple[int, int]) -> bool:
        return any(a < span[1] and span[0] < b for a, b in taken)

    for m in I._EMAIL.finditer(clean):
        add("email", m.group(0).lower(), m.group(0), m.span())
    for name, kind, pattern, links in I._messenger_rules():
        for link in links:
            for m in link.finditer(clean):
                add(name, I._messenger_value(kind, m.group(1), country), m.group(0))
        for m in pattern.finditer(clean):
            handle = m.group("handle")
            if overlaps(m.span("handle")):
                continue
            sep = m.group("sep")
            strong_sep = bool(re.search(r"[:：=]|id|号|號", sep, re.IGNORECASE)) or (
                not sep and not m.group(0)[:1].isascii())
            if kind == "id" and not (strong_sep or re.search(r"\d", handle) or handle.startswith("@")):
                continue
            value = I._messenger_value(kind, handle, country)
            if value:
                add(name, value, m.group(0))
                if kind == "phone":
                    add("phone", value, handle)
    for currency, pattern, check in I._wallet_rules():
        for m in pattern.finditer(clean):
            if overlaps(m.span()) or (check == "base58check" and not I.base58check_ok(m.group(0))):
                continue
            address = m.group(0).lower() if currency == "ETH" else m.group(0)
            add("wallet", f"{currency}:{address}", m.group(0), m.span())
    for m in I._URL.finditer(clean):
        if overlaps(m.span()):
            continue
        cleaned = I.clean_url(m.group(0))
        if cleaned:
            add("url", cleaned[0], m.group(0), m.span())
            add("domain", cleaned[1], m.group(0))
    region = (country or "").upper() or None
    for pm in phonenumbers.PhoneNumberMatcher(clean, region, leniency=phonenumbers.Leniency.VALID):
        if overlaps((pm.start, pm.end)):
            continue
        add("phone", phonenumbers.format_number(pm.number, phonenumbers.PhoneNumberFormat.E164), pm.raw_string)
    return found


# -- inputs ---------------------------------------------------------------------------------------

def _texts_of(records: list[dict[str, Any]]) -> Iterator[tuple[str, str | None, str]]:
    for r in records:
        country = I.country_hint(r, r.get("lang"))
        for name in I.LISTING_FIELDS:
            value = r.get(name)
            if isinstance(value, str):
                yield value, country, name


def _demo() -> list[dict[str, Any]]:
    lines = data_path("demo_listings").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _birds() -> list[dict[str, Any]]:
    with open(BIRDS, encoding="latin-1", newline="") as fh:
        return [{"id": r["classifieds_unique_listing_id"], "text": r["text_stop_stem"], "lang": "en"}
                for r in csv.DictReader(fh)]


def _marketplaces() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for path in sorted(MARKETPLACES.glob("*/*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            out += [json.loads(line) for line in fh if line.strip()]
    return out


def _test_strings() -> list[str]:
    import ast

    out = []
    for path in (ROOT / "tests" / "sellers" / "test_identifiers.py", ROOT / "tests" / "store" / "test_listing_identifiers.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) > 3:
                out.append(node.value)
    return out


HOSTILE = [
    "WHATSAPP +84 912 345 678", "WhatsApp:０９１２３４５６７８", "wa.me/84912345678 or Wa 0912345678",
    "LİNE id: ivory_shop", "lıne id: ivory_shop", "LINE ID ivory.shop", "ZALO 0987654321", "Zl: 0987654321",
    "ＷＥＣＨＡＴ：hk_horn_88", "WX hk_horn_88", "V信 hk_horn_88", "vx: 13812345678", "微信号：hk_horn_88",
    "TG @ivory_dealer", "Telegram: ivory_dealer", "电报 ivory_dealer", "纸飞机 @ivory_dealer",
    "QQ 123456789", "扣扣：123456789", "q号 123456789", "What s app 0912345678", "WHAT S APP +84912345678",
    "ไลน์ ivoryshop", "ไอดีไลน์: ivoryshop",
    "gọi KHÔNG CHÍN MỘT HAI BA BỐN NĂM SÁU BẢY TÁM", "ZERO NINE ONE TWO THREE FOUR FIVE SIX SEVEN EIGHT",
    "电话 壹叁捌壹贰叁肆伍陆柒捌", "tel 〇九一二三四五六七八", "两千 三百 (price, not a phone)",
    "call +84912345678 now", "call ＋84 912 345 678 now", "call 0912345678 now", "call 912 now",
    "hornking AT gmail DOT com", "ivory [at] proton [dot] me", "sales@Example.CO.uk", "no at sign here.",
    "wallet 1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "0x52908400098527886E0F7030069857D2E4169EE7",
    "plain text without any contact at all", "Kelvin \u212a and long s \u017f and dotless \u0131",
    "\u0130stanbul WhatsApp +90 532 123 45 67", "http://127.0.0.1:8151/listing/d01", "",
]


def _generated(n: int = 1500, seed: int = 27) -> list[str]:
    """Texts built to sit on the pre-checks' edges: digits spelled in English, Vietnamese and
    Chinese (any case), full-width, Arabic-Indic, Thai and Devanagari digits, superscripts,
    zero-width characters, digits split every way the matcher and the joiners allow, x and
    extension marks between digits, aliases, link forms, obfuscated e-mails, wallets, URLs,
    short local numbers that a national-prefix rule lengthens (Guernsey, San Marino)."""
    rnd = random.Random(seed)
    spelled = ("zero oh o one two three four five six seven eight nine không linh lẻ một mốt hai "
               "ba bốn tư năm lăm nhăm sáu bảy bẩy tám chín").split() + list("零〇洞一幺壹二两贰三叁四肆五六七八九")
    digits = [chr(b + i) for b in (0x30, 0xFF10, 0x0660, 0x0E50, 0x0966) for i in range(10)] + list("⁰¹²³①")
    seps = [" ", "-", ".", ",", "  ", " - ", "/", "_", "·", "\t", "\n", "", "x", "X", "(", ")", "+", "＋",
            "#", "~", "ext ", " ext. ", ";ext=", " int ", "\u3000", "\xa0", "\u200b", "\u00ad"]
    words = ["WhatsApp", "whats app", "WA", "W/A", "Zalo", "zl", "za lo", "WeChat", "WX", "vx", "V信", "微信", "v",
             "V:", "v ", "telegram", "TG", "tele", "电报", "纸飞机", "line", "LINE ID", "ไลน์", "QQ", "扣扣", "q号", "id",
             "号", ":", "：", "=", "@", " at ", " AT ", "[at]", "(at)", " dot ", "[dot]", "(dot)", " chấm ", " a còng ",
             "艾特", "点", " arroba ", " punto ", " titik ", "gmail", "com", "www.", "http://", "https://", "t.me/",
             "wa.me/", "zalo.me/", "line.me/ti/p/~", "weixin://dl/chat?", "api.whatsapp.com/send?phone=", "shop.vn",
             "İ", "ı", "K", "ſ", "Σ", "ß", "100%", "$5", "₫", "20x30", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT",
             "0x52908400098527886E0F7030069857D2E4169EE7", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
             "+84", "0084", "00", "011", "+1", "+378", "0549", "1481", "+44", "ONE", "Nine", "OH", "BA", "Hai", "Tư"]
    out = []
    for _ in range(n):
        parts = []
        for _ in range(rnd.randrange(1, 7)):
            if rnd.random() < 0.5:
                sep = rnd.choice(seps)
                parts.append(sep.join(rnd.choice(spelled if rnd.random() < 0.3 else digits)
                                      for _ in range(rnd.randrange(1, 13))))
            else:
                parts.append(rnd.choice(words))
        out.append(rnd.choice(["", " "]).join(parts))
    return out


def _corpora() -> Iterator[tuple[str, list[tuple[str, str | None, str]]]]:
    yield "demo", list(_texts_of(_demo()))
    strings = _test_strings() + HOSTILE + _generated()
    yield "texts", [(t, c, "text") for t in strings
                    for c in (None, "VN", "CN", "US", "ID", "XX", "GG", "SM", "VG")]
    if BIRDS.exists():
        yield "bird ads", list(_texts_of(_birds()))
    if MARKETPLACES.is_dir():
        yield "marketplaces", list(_texts_of(_marketplaces()))


@pytest.mark.parametrize("name,texts", list(_corpora()), ids=lambda v: v if isinstance(v, str) else "")
def test_extract_finds_what_the_old_path_found(name: str, texts: list[tuple[str, str | None, str]]) -> None:
    assert texts
    found = 0
    for text, country, field in texts:
        new = I.extract(text, country=country, field=field)
        old = _old_extract(text, country=country, field=field)
        assert new == old, (name, text, country)
        assert I._extract(text, country, field) == old, (name, text, country)  # not remembered
        found += len(new)
    if name in ("demo", "texts"):
        assert found > 50  # the comparison compared identifiers, not only empty lists


def test_deobfuscation_is_unchanged() -> None:
    for text in _test_strings() + HOSTILE + _generated():
        assert I.deobfuscate(text) == _old_deobfuscate(text), text


def test_the_messenger_precheck_folds_case_as_re_does() -> None:
    """Every character that ``re.IGNORECASE`` matches to a character an alias starts with, in a
    text as ``extract`` sees it (NFKC), is that character once ``folded`` (or makes ``folded``
    give up: İ and ı)."""
    chars = {c for starts in I._messenger_words().values() if starts for w in starts for c in w}
    assert chars
    every = "".join(chr(i) for i in range(sys.maxunicode + 1) if not 0xD800 <= i <= 0xDFFF)
    for c in chars:
        for x in re.findall(re.escape(c), every, re.IGNORECASE):
            if unicodedata.normalize("NFKC", x) != x:
                continue
            low = I.folded(x)
            assert low is None or low == c.lower(), (c, x)


@pytest.mark.parametrize("pattern,prefix", [
    ("what\\s*s\\s*app", "what"), ("wa", "wa"), ("ab*", "a"), ("ab?c", "a"), ("a{2}", ""), ("(?:x)", ""),
    ("\\d+", ""), ("v信", "v信"), ("line\\.me", "line"),
])
def test_literal_prefix(pattern: str, prefix: str) -> None:
    assert I.literal_prefix(pattern) == prefix
