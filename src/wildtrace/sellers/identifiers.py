"""Contact identifiers in listing text: phones, e-mails, messenger handles, URLs, wallets.

``extract(text, country="VN")`` returns :class:`Identifier` records, each with one
canonical ``value`` (the only form used for linking; nothing downstream re-cleans):

- ``phone``: E.164 (``+84912345678``), parsed by ``phonenumbers`` with the listing's
  country as the region hint;
- ``email``: lower case;
- ``whatsapp`` / ``zalo``: the phone number in E.164 (a handle that is not a valid
  number is kept as written, lower case);
- ``wechat`` / ``telegram`` / ``line`` / ``qq``: the ID, lower case, without ``@``;
- ``url``: scheme + host (lower case, no ``www.``) + path; ``domain``: the host;
- ``wallet``: ``CURRENCY:address`` (checksum-verified where the format has one).

Obfuscation undone first (``deobfuscate``): full-width and other compatibility
digits (NFKC), digits spelled out in English, Chinese and Vietnamese, digits split
by spaces, dots or dashes, and "at"/"dot" written for e-mail punctuation. The word
lists and patterns live in ``data/identifiers.yaml``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import phonenumbers
import yaml

from wildtrace import manifest
from wildtrace.sellers import identifier_gates as gates
from wildtrace.sellers.identifier_gates import folded, literal_prefix

KINDS = ("phone", "email", "whatsapp", "zalo", "wechat", "telegram", "line", "qq", "url", "domain",
         "wallet")
#: Kinds that identify one person or operator (a shared value links two accounts).
STRONG_KINDS = frozenset({"phone", "email", "whatsapp", "zalo", "wechat", "telegram", "line", "qq",
                          "wallet"})


@dataclass(frozen=True, slots=True)
class Identifier:
    kind: str
    value: str  # canonical form
    raw: str  # as found in the (de-obfuscated) text
    field: str = "text"

    @property
    def key(self) -> str:
        """``kind:value``; phone-based messenger handles share the phone's key."""
        return f"{self.kind}:{self.value}"

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "value": self.value, "raw": self.raw, "field": self.field}


@lru_cache(maxsize=1)
def reference() -> dict[str, Any]:
    with open(manifest.path("identifiers"), encoding="utf-8") as fh:
        doc: dict[str, Any] = yaml.safe_load(fh)
    return doc


# ---------------------------------------------------------------- de-obfuscation

_word_alternation = gates.word_alternation


@lru_cache(maxsize=1)
def _digit_rules() -> list[tuple[re.Pattern[str], dict[str, str], int, re.Pattern[str] | None]]:
    """Per language: the run pattern, its words, the shortest run, and a pre-check (a class of
    the words' characters, for a language whose words are single uncased characters such as
    Chinese: a run has at least one of them, so a text without any is left as it is)."""
    rules = []
    for lang, spec in reference()["digit_words"].items():
        if not isinstance(spec, dict):
            continue
        words = {str(k).casefold(): str(v) for k, v in spec["words"].items()}
        alt = _word_alternation(words)
        if lang == "zh":
            pattern = re.compile(f"(?:(?:{alt})[ \\-.]?){{{spec['min_run']},}}")
        else:
            sep = r"[\s\-.,]+"
            pattern = re.compile(
                f"(?<![^\\W\\d_])(?:(?:{alt}|\\d){sep}){{{spec['min_run'] - 1},}}(?:{alt}|\\d)(?![^\\W\\d_])",
                re.IGNORECASE)
        uncased = all(len(w) == 1 and w.lower() == w.upper() for w in words)
        check = re.compile("[" + "".join(re.escape(w) for w in sorted(words)) + "]") if uncased else None
        rules.append((pattern, words, int(spec["min_run"]), check))
    return rules


@lru_cache(maxsize=64)
def _tokens_rule(words: frozenset[str]) -> re.Pattern[str]:
    """A digit word or a digit, compiled once per language (not per match)."""
    return re.compile(_word_alternation(words) + r"|\d", re.IGNORECASE)


@lru_cache(maxsize=1)
def _word_checks() -> tuple[list[re.Pattern[str] | None], re.Pattern[str] | None]:
    """Per digit rule, a search for one of its words standing alone, and one for all such
    rules' words (``gates.spelled_word_checks``)."""
    return gates.spelled_word_checks(_digit_rules())


def _spell_digits(text: str) -> str:
    per_rule, any_word = _word_checks()
    low, some_word = gates.word_view(text, any_word)
    for (pattern, words, min_run, check), whole in zip(_digit_rules(), per_rule, strict=True):
        if check is not None and check.search(text) is None:
            continue
        # The rule changes a run only where one of its words stands in it (spelled >= 1
        # below), a whole run of letters: no such word, no change (gates.spelled_word_checks)
        if whole is not None and low is not None and (not some_word or whole.search(low) is None):
            continue
        tokens_rule = _tokens_rule(frozenset(words))

        def repl(m: re.Match[str], words: dict[str, str] = words, min_run: int = min_run,
                 tokens_rule: re.Pattern[str] = tokens_rule) -> str:
            chunk = m.group(0)
            tokens = tokens_rule.findall(chunk)
            digits = [words.get(t.casefold(), t) for t in tokens]
            spelled = sum(1 for t in tokens if not t.isdigit())
            if spelled == 0 or len(digits) < min_run:
                return chunk
            return "".join(digits) + (" " if chunk[-1:].isspace() else "")
        new = pattern.sub(repl, text)
        if new != text:
            text = new
            low, some_word = gates.word_view(text, any_word)
    return text


# Single digits or digit groups split by spaces, dots or dashes: "0 9 1 2 3 4 5 6 7 8".
_SPACED_DIGITS = re.compile(r"(?<![\w.])\d(?:[ .\-_/·]{1,3}\d){5,}(?![\w])")


_DIGIT = re.compile(r"\d")


def _join_spaced(text: str) -> str:
    if len(_DIGIT.findall(text)) < 6:
        return text  # a match is a digit and at least five more: six digits at least
    def repl(m: re.Match[str]) -> str:
        chunk = m.group(0)
        groups = re.split(r"[ .\-_/·]{1,3}", chunk)
        # "0912 345 678" is left to phonenumbers; join only runs of mostly single digits.
        if sum(1 for g in groups if len(g) == 1) * 2 >= len(groups):
            return "".join(groups)
        return chunk
    return _SPACED_DIGITS.sub(repl, text)


@lru_cache(maxsize=1)
def _email_rule() -> re.Pattern[str]:
    spec = reference()["email_obfuscation"]
    at = _word_alternation(spec["at"])
    dot = _word_alternation(spec["dot"])
    at_form = rf"(?:\s*[\[\(\{{<]\s*(?:{at}|@)\s*[\]\)\}}>]\s*|\s+(?:{at})\s+|\s*@\s*)"
    dot_form = rf"(?:\s*[\[\(\{{<]\s*(?:{dot}|\.)\s*[\]\)\}}>]\s*|\s+(?:{dot})\s+|\s*\.\s*(?=[a-z]))"
    return re.compile(
        rf"(?<![\w.+-])([a-z0-9][a-z0-9._+-]*){at_form}([a-z0-9-]+(?:{dot_form}[a-z0-9-]+)+)",
        re.IGNORECASE)


@lru_cache(maxsize=1)
def _dot_split() -> re.Pattern[str]:
    spec = reference()["email_obfuscation"]
    return re.compile(
        rf"\s*[\[\(\{{<]\s*(?:{_word_alternation(spec['dot'])}|\.)\s*[\]\)\}}>]\s*"
        rf"|\s+(?:{_word_alternation(spec['dot'])})\s+|\s*\.\s*", re.IGNORECASE)


@lru_cache(maxsize=1)
def _email_words() -> tuple[re.Pattern[str], re.Pattern[str]]:
    spec = reference()["email_obfuscation"]
    return gates.email_word_checks(spec["at"], spec["dot"])


def _fix_emails(text: str) -> str:
    at, dot = _email_words()  # what each match holds, besides an @ or a dot (see gates)
    if "@" not in text and at.search(text) is None:
        return text
    if "." not in text and dot.search(text) is None:
        return text
    dot_split = _dot_split()

    def repl(m: re.Match[str]) -> str:
        domain_parts = dot_split.split(m.group(2))
        tld = domain_parts[-1]
        if not re.fullmatch(r"[a-z]{2,24}", tld, re.IGNORECASE):
            return m.group(0)
        return f"{m.group(1)}@{'.'.join(domain_parts)}"
    return _email_rule().sub(repl, text)


def deobfuscate(text: str) -> str:
    """The text with spelled-out, spaced and full-width digits and munged e-mails undone."""
    text = unicodedata.normalize("NFKC", text)
    text = _spell_digits(text)
    text = _join_spaced(text)
    return _fix_emails(text)


# ---------------------------------------------------------------- canonical forms

def clean_phone(raw: str, country: str | None = None) -> str | None:
    """E.164, or None when ``raw`` is not a valid number (for that region)."""
    try:
        number = phonenumbers.parse(raw, (country or "").upper() or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def clean_url(raw: str) -> tuple[str, str] | None:
    """(canonical URL, domain) or None."""
    text = raw.strip().rstrip(".,;:!?)]}'\"")
    if not re.match(r"[a-z][a-z0-9+.-]*://", text, re.IGNORECASE):
        text = "http://" + text
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if not host or "." not in host:
        return None
    host = host.removeprefix("www.")
    try:
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    # a port that is not the scheme's own names another service on the host: it is kept
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    path = parts.path.rstrip("/")
    url = f"{scheme}://{netloc}{path}" + (f"?{parts.query}" if parts.query else "")
    return url, host


_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58check_ok(address: str) -> bool:
    num = 0
    for ch in address:
        idx = _B58.find(ch)
        if idx < 0:
            return False
        num = num * 58 + idx
    pad = len(address) - len(address.lstrip("1"))
    raw = b"\x00" * pad + num.to_bytes((num.bit_length() + 7) // 8, "big")
    if len(raw) < 5:
        return False
    body, check = raw[:-4], raw[-4:]
    return hashlib.sha256(hashlib.sha256(body).digest()).digest()[:4] == check


# ---------------------------------------------------------------- extraction

_EMAIL = re.compile(r"(?<![\w.+-])[a-z0-9][a-z0-9._+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,24}(?![\w-])",
                    re.IGNORECASE)
_URL = re.compile(
    r"\b(?:https?://[^\s<>\"'，。、]+|www\.[^\s<>\"'，。、]+"
    r"|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|info|biz|shop|store|vn|cn|th|id|my|ph|co|io|me|ly|site|online|top|xyz)"
    r"(?:/[^\s<>\"'，。、]*)?)(?![\w@])",
    re.IGNORECASE)


@lru_cache(maxsize=1)
def _messenger_rules() -> list[tuple[str, str, re.Pattern[str], list[re.Pattern[str]]]]:
    out = []
    for name, spec in reference()["messengers"].items():
        if not isinstance(spec, dict):
            continue
        aliases = []
        for a in spec["aliases"]:
            esc = a if "\\" in a else re.escape(a)
            aliases.append(f"(?<![a-z0-9]){esc}" if a[:1].isascii() and a[:1].isalpha() else esc)
        handle = spec.get("handle") or r"\+?[0-9][0-9 .\-()]{6,18}[0-9]"
        pattern = re.compile(
            rf"(?:{'|'.join(aliases)})(?P<sep>\s*(?:id|ID|号|號)?\s*[:：=]\s*|\s*(?:id|号|號)\s*|\s+|(?=[@0-9+])|(?<=[^\x00-\x7f]))"
            rf"(?P<handle>{handle})(?![a-z0-9_])",
            re.IGNORECASE)
        links = [re.compile(p, re.IGNORECASE) for p in spec.get("links", [])]
        out.append((name, spec["kind"], pattern, links))
    return out


@lru_cache(maxsize=1)
def _messenger_words() -> dict[str, tuple[str, ...] | None]:
    """Per messenger: what one of its aliases starts with, in lower case. Every match of its
    pattern starts with an alias, so a text holding none of these has no match (None: an alias
    that starts with a pattern, so the text is always searched)."""
    out: dict[str, tuple[str, ...] | None] = {}
    for name, spec in reference()["messengers"].items():
        if not isinstance(spec, dict):
            continue
        starts = [a.lower() if "\\" not in a else literal_prefix(a).lower() for a in spec["aliases"]]
        out[name] = tuple(starts) if all(starts) else None
    return out


@lru_cache(maxsize=1)
def _wallet_rules() -> list[tuple[str, re.Pattern[str], str]]:
    return [(w["currency"], re.compile(w["pattern"]), w["check"])
            for w in reference()["wallets"]["patterns"]]


def _messenger_value(kind: str, handle: str, country: str | None) -> str | None:
    handle = handle.strip()
    if kind == "phone":
        return clean_phone(handle, country) or (
            clean_phone("+" + handle) if handle.isdigit() and len(handle) > 10 else None)
    return handle.lstrip("@").lower()


@lru_cache(maxsize=1)
def _search_checks() -> dict[str, Any]:
    """The pre-checks of ``_extract`` (``gates.extract_checks``), built once."""
    return gates.extract_checks(_messenger_rules(), _messenger_words(), _wallet_rules(), _URL)


#: Texts up to this long have their identifiers remembered (titles, descriptions and contacts
#: recur: reposts, a seller's boilerplate); at most ``_CACHED`` of them.
_CACHE_CHARS = 2000
_CACHED = 4096


def extract(text: str | None, *, country: str | None = None, field: str = "text") -> list[Identifier]:
    """Every identifier in ``text``, de-duplicated by (kind, value), in order of appearance."""
    if not text:
        return []
    if len(text) <= _CACHE_CHARS:
        return list(_extract_cached(text, country, field))
    return _extract(text, country, field)


def clear_cache() -> None:
    """Forget the remembered texts (a benchmark that stores the same listings again clears it,
    so each run pays what a first store pays)."""
    _extract_cached.cache_clear()


@lru_cache(maxsize=_CACHED)
def _extract_cached(text: str, country: str | None, field: str) -> tuple[Identifier, ...]:
    return tuple(_extract(text, country, field))


def _extract(text: str, country: str | None, field: str) -> list[Identifier]:
    clean = deobfuscate(text)
    found: list[Identifier] = []
    seen: set[tuple[str, str]] = set()
    taken: list[tuple[int, int]] = []

    def add(kind: str, value: str | None, raw: str, span: tuple[int, int] | None = None) -> None:
        if span is not None:
            taken.append(span)
        if value and (kind, value) not in seen:
            seen.add((kind, value))
            found.append(Identifier(kind, value, raw, field))

    def overlaps(span: tuple[int, int]) -> bool:
        for a, b in taken:
            if a < span[1] and span[0] < b:
                return True
        return False

    checks = _search_checks()
    if "@" in clean:  # every e-mail has one
        for m in _EMAIL.finditer(clean):
            add("email", m.group(0).lower(), m.group(0), m.span())
    low = folded(clean)
    words = _messenger_words()
    any_link = gates.holds(checks["any_link"], low)
    for name, kind, pattern, _links in _messenger_rules():
        for link, holds in checks["links"][name] if any_link else ():
            if not gates.holds(holds, low):
                continue  # none of what each of its matches holds: no match
            for m in link.finditer(clean):
                add(name, _messenger_value(kind, m.group(1), country), m.group(0))
        if low is not None and words.get(name) is not None:
            found_at = gates.alias_places(low, checks["aliases"][name],
                                          checks["alias_places"][name])
            if not found_at:
                continue  # none of its aliases: no match
            matches: Iterable[re.Match[str]] = gates.matches_at(pattern, clean, found_at)
        else:
            matches = pattern.finditer(clean)
        for m in matches:
            handle = m.group("handle")
            if overlaps(m.span("handle")):
                continue
            sep = m.group("sep")
            strong_sep = bool(re.search(r"[:：=]|id|号|號", sep, re.IGNORECASE)) or (
                not sep and not m.group(0)[:1].isascii())
            if kind == "id" and not (strong_sep or re.search(r"\d", handle) or handle.startswith("@")):
                continue
            value = _messenger_value(kind, handle, country)
            if value:
                add(name, value, m.group(0))
                if kind == "phone":
                    add("phone", value, handle)
    wallets = checks["wallets"]
    # a wallet match is a long enough run of the wallet patterns' characters
    if wallets is None or wallets.search(clean) is not None:
        for currency, pattern, check in _wallet_rules():
            for m in pattern.finditer(clean):
                if overlaps(m.span()) or (check == "base58check" and not base58check_ok(m.group(0))):
                    continue
                address = m.group(0).lower() if currency == "ETH" else m.group(0)
                add("wallet", f"{currency}:{address}", m.group(0), m.span())
    # A URL is kept only where clean_url finds a host with a dot, a part of the match: no dot
    # in the text, no URL (and none of what each URL match holds, no match).
    if "." in clean and gates.holds(checks["url"], low):
        for m in _URL.finditer(clean):
            if overlaps(m.span()):
                continue
            cleaned = clean_url(m.group(0))
            if cleaned:
                add("url", cleaned[0], m.group(0), m.span())
                add("domain", cleaned[1], m.group(0))
    region = (country or "").upper() or None
    if not gates.may_hold_phone(clean, region):
        return found
    for pm in phonenumbers.PhoneNumberMatcher(clean, region, leniency=phonenumbers.Leniency.VALID):
        if overlaps((pm.start, pm.end)):
            continue
        add("phone", phonenumbers.format_number(pm.number, phonenumbers.PhoneNumberFormat.E164), pm.raw_string)
    return found


_TRAILING_CODE = re.compile(r"\b([A-Z]{2})\s*$")


def country_hint(listing: dict[str, Any], lang: str | None = None) -> str | None:
    """Region for phone parsing: ``country`` field, a trailing ISO code in ``location``, else by language."""
    for key in ("country", "country_code"):
        value = listing.get(key)
        if isinstance(value, str) and len(value.strip()) == 2:
            return value.strip().upper()
    location = listing.get("location")
    regions = phonenumbers.SUPPORTED_REGIONS
    if isinstance(location, str):
        m = _TRAILING_CODE.search(location.strip())
        if m and m.group(1) in regions:
            return m.group(1)
    lang = lang or listing.get("lang")
    if isinstance(lang, str):
        mapped: str | None = reference()["country_by_lang"]["map"].get(lang.lower()[:2])
        return mapped
    return None


#: Listing fields read for identifiers, in this order.
LISTING_FIELDS = ("title", "text", "seller", "seller_description", "seller_contact", "url")


def from_listing(listing: dict[str, Any], *, lang: str | None = None,
                 extra_text: dict[str, str] | None = None) -> list[Identifier]:
    """Identifiers in a listing's text fields (and e.g. OCR text given in ``extra_text``)."""
    country = country_hint(listing, lang)
    out: list[Identifier] = []
    seen: set[tuple[str, str]] = set()
    fields = [(f, listing.get(f)) for f in LISTING_FIELDS] + list((extra_text or {}).items())
    for name, value in fields:
        if not isinstance(value, str):
            continue
        for ident in extract(value, country=country, field=name):
            if (ident.kind, ident.value) not in seen:
                seen.add((ident.kind, ident.value))
                out.append(ident)
    return out
