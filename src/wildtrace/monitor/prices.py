"""Prices and dates as marketplaces write them, read into one form.

``parse_price("Rp 1.500.000")`` gives ``Price("1500000", "IDR")``: the amount as a plain decimal
string (no group separators, no trailing zeros: "1,200.00" and the JSON number 1200.0 both give
"1200") and the ISO 4217 currency when the text or the page says which one unambiguously. A bare
``$`` or ``¥`` names no currency on its own (dollars of a dozen countries; yen or yuan), so the
page's declared currency (schema.org ``priceCurrency``) decides, and without one it stays None.

``iso_date`` reads a date or date-time (ISO 8601 and the common numeric forms) into ISO text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

#: ISO 4217 codes in use (and a few common historic ones still seen on pages)
ISO_CODES = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD
GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT
LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR
NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP
STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF
XPF YER ZAR ZMW ZWL
""".split())
#: currency signs and local abbreviations that name one currency (longest are tried first)
SYMBOLS = {
    "US$": "USD", "USD$": "USD", "CA$": "CAD", "C$": "CAD", "AU$": "AUD", "A$": "AUD", "NZ$": "NZD",
    "HK$": "HKD", "S$": "SGD", "SG$": "SGD", "NT$": "TWD", "MX$": "MXN", "R$": "BRL", "CN¥": "CNY",
    "JP¥": "JPY", "RMB": "CNY", "元": "CNY", "円": "JPY", "€": "EUR", "£": "GBP", "₹": "INR",
    "₩": "KRW", "₱": "PHP", "฿": "THB", "₫": "VND", "₦": "NGN", "₽": "RUB", "₺": "TRY", "₪": "ILS",
    "₴": "UAH", "₭": "LAK", "៛": "KHR", "₮": "MNT", "₸": "KZT", "₲": "PYG", "₵": "GHS", "Rp": "IDR",
    "RM": "MYR", "KSh": "KES", "Ksh": "KES", "zł": "PLN", "Kč": "CZK", "Ft": "HUF", "лв": "BGN",
    "руб": "RUB", "грн": "UAH", "đ": "VND", "Tk": "BDT", "৳": "BDT",
}
#: signs that could be several currencies: they make a price, never a currency
AMBIGUOUS = ("$", "¥", "￥", "kr", "Fr", "R", "Rs", "₨", "﷼")
_NUMBER = re.compile(r"\d[\d\s.,'’\u00a0\u202f\u2009]*")
_LETTERS = re.compile(r"[^\W\d_]")
MAX_INT_DIGITS = 15
MAX_PRICE_TEXT = 200


@dataclass(frozen=True)
class Price:
    amount: str | None = None  # "1200.5": a plain decimal string
    currency: str | None = None  # ISO 4217, only when unambiguous


def currency_code(value: object) -> str | None:
    """An ISO 4217 code from a declared currency ("usd", "USD", "€", "US$"), or None."""
    if not isinstance(value, str):
        return None
    text = value.strip()[:16]
    if text.upper() in ISO_CODES:
        return text.upper()
    return SYMBOLS.get(text)


def _symbol(text: str) -> str | None:
    """The one currency named in the text around a number, or None (none or ambiguous)."""
    for code in re.findall(r"(?<![A-Za-z])[A-Z]{3}(?![A-Za-z])", text):
        if code in ISO_CODES:
            return code
    for sign in sorted(SYMBOLS, key=len, reverse=True):
        at = text.find(sign)
        if at < 0:
            continue
        if _LETTERS.match(sign[-1]) and (  # letters must stand alone: "RM" not in "FORM"
                (at > 0 and _LETTERS.match(text[at - 1]))
                or (at + len(sign) < len(text) and _LETTERS.match(text[at + len(sign)]))):
            continue
        return SYMBOLS[sign]
    return None


def _amount(token: str) -> Decimal | None:
    """A number written with any grouping ("1,200.00", "1.200,00", "3 500", "1'000") as a Decimal.

    One separator followed by exactly three digits groups thousands ("1.500" is fifteen hundred,
    as Indonesian, Vietnamese and German pages write it; prices with three decimals are rare)."""
    token = re.sub(r"[\s'’\u00a0\u202f\u2009]", "", token).rstrip(".,")
    dots, commas = token.count("."), token.count(",")
    if dots and commas:
        decimal_mark = "." if token.rfind(".") > token.rfind(",") else ","
        group = "," if decimal_mark == "." else "."
        if token.count(decimal_mark) > 1:
            return None
        whole, _, frac = token.partition(decimal_mark)
        token = whole.replace(group, "") + "." + frac
    elif dots + commas:
        groups = token.split("." if dots else ",")
        if len(groups) > 2 or (len(groups[1]) == 3 and groups[0].lstrip("0")):
            # grouping: "1.500.000", "1,500", "1,50,000" (Indian lakhs); never "1,5,00"
            if len(groups[-1]) != 3 or any(len(g) not in (2, 3) for g in groups[1:-1]):
                return None
            token = "".join(groups)
        else:
            token = groups[0] + "." + groups[1]
    try:
        value = Decimal(token)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _plain(value: Decimal) -> str | None:
    if not value.is_finite() or value < 0:
        return None
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if len(text.partition(".")[0]) > MAX_INT_DIGITS or len(text) > 32:
        return None
    return text or "0"


def parse_price(value: object, declared: object = None) -> Price:
    """The amount and currency of a price given as a number or as text ("US$45", "¥ 3 500").

    ``declared`` is the currency the page states for it (priceCurrency); it wins over a sign in
    the text. Text without a number gives ``Price(None, None)``."""
    currency = currency_code(declared)
    if isinstance(value, bool):
        return Price(None, currency)
    if isinstance(value, int | float | Decimal):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return Price(None, currency)
        return Price(_plain(number), currency)
    if not isinstance(value, str):
        return Price(None, currency)
    text = value.strip()[:MAX_PRICE_TEXT]
    found = _NUMBER.search(text)
    if currency is None:
        currency = _symbol(text)
    if found is None:
        return Price(None, currency)
    amount = _amount(found.group())
    return Price(None if amount is None else _plain(amount), currency)


_DATE_FORMATS = ("%Y/%m/%d", "%Y.%m.%d", "%d.%m.%Y", "%d/%m/%Y", "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M",
                 "%d.%m.%Y %H:%M", "%Y年%m月%d日")


def iso_date(value: object) -> str | None:
    """A date or date-time as ISO 8601 text ("2024-03-05", "2024-03-05T10:00:00+07:00"), or None."""
    if not isinstance(value, str):
        return None
    text = value.strip()[:64]
    if not re.search(r"\d{4}", text):
        return None
    try:
        if re.fullmatch(r"\d{4}-?\d{2}-?\d{2}", text):
            return date.fromisoformat(text).isoformat()
        return datetime.fromisoformat(text).isoformat()
    except ValueError:
        pass
    for form in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(text, form)
        except ValueError:
            continue
        return parsed.date().isoformat() if "%H" not in form else parsed.isoformat()
    return None
