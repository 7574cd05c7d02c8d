"""Search that understands the domain: a query read with the scanner's own lexicon.

``Searcher(detector).search(engine, "ivory")`` runs the query through the same normaliser and
lexicon as a scan (``Detector.matches`` on a listing made of the query) and through the name
index (``taxa.resolve``), so "ivory", "象牙", "ivoire", "marfil" and "1v0ry" all mean the product
type ``ivory products``; "pangolin" means Manidae and every species of the family; "Manis" (a
genus the reference data does not list by itself) means its species. A phone number in any
format ("0812-3456-7890", "+62 812 3456 7890") is read as its national digits, and a query that
is one token shaped like an identifier (a messenger handle, a wallet, an e-mail, a URL: what the
listing page links) is looked up among the identifiers the listings carry. The store
(``store/search.py``) then finds the listings whose stored result names what the query means,
plus plain text hits, with facets. ``read_terms`` and ``Searcher.batch`` search a term list.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Any

import phonenumbers
import sqlalchemy as sa

from wildtrace.errors import Invalid
from wildtrace.scan.detect import Detector
from wildtrace.scan.listing import Listing
from wildtrace.sellers.identifiers import clean_phone, extract
from wildtrace.store import queue as q
from wildtrace.store.search import MAX_HITS, Found, Meaning, Memo, find
from wildtrace.taxa.refdata import Taxon
from wildtrace.taxa.resolve import NameIndex, name_key
from wildtrace.text.normalize import normalize_term

MAX_TERMS = 500  # rows of a batch term list
#: Hits of each kind a batch search reads per term: a larger total shows as "N+" (truncated)
BATCH_HITS = 200
MAX_TERM_CHARS = 500
_PHONE = re.compile(r"\+?[\d\s().\-/]+")
#: One token that may be an identifier's canonical value: a handle (hk_horn_88), a wallet
#: (ETH:0x...), an e-mail, a URL or a host. A plain word (ivory, 象牙) is not one.
_TOKEN = re.compile(r"[^\s]{3,300}")
_SHAPED = re.compile(r"[\d_@:/.]")
_HEADERS = frozenset({"term", "terms", "query", "keyword", "keywords"})


@dataclass(frozen=True)
class Term:
    """One row of a batch term list."""

    term: str
    label: str = ""


class Searcher:
    """Reads queries with a scanner's detector (its lexicon and reference data). Build once."""

    def __init__(self, detector: Detector):
        self.detector = detector
        self.ref = detector.ref
        self.names = NameIndex(self.ref)
        self.codewords = detector.lexicon.codewords
        self.implied = detector.lexicon.implied
        self.implied_taxa = frozenset(taxon for _product, taxon in self.implied.values())
        self._members: dict[str, list[str]] = {}  # a name's members: the reference data is fixed

    # -- what a query means ---------------------------------------------------

    def taxa_named(self, text: str) -> list[str]:
        """The taxa a text names: the scanner's matches, the name index, else a genus prefix."""
        if not text.strip():
            return []
        found: list[str] = []
        for m in self.detector.matches(Listing(id="query", title=text)):
            cw = self.codewords.get(m.ref) if m.kind == "code_word" else None
            if m.kind == "taxon":
                found.append(m.ref)
            elif cw is not None and cw.means_taxon and not cw.context_required:
                found.append(cw.means_taxon)
        found += list(self.names.hits(text))
        if not found and self.members(text):
            found.append(text.strip())
        return _unique(found)

    def members(self, name: str) -> list[str]:
        """The taxon ``name`` and every taxon under it (by family, order, class, parent or genus)."""
        key = name_key(name)
        if not key:
            return []
        found = self._members.get(key)
        if found is None:
            def under(t: Taxon) -> bool:
                ranks = (t.scientific_name, t.family, t.order, t.class_, t.parent)
                return any(r and name_key(r) == key for r in ranks) or name_key(t.scientific_name).startswith(key + " ")

            found = [t.scientific_name for t in self.ref.taxa if under(t)]
            if len(self._members) > 10_000:  # queries are endless; names are not
                self._members = {}
            self._members[key] = found
        return list(found)

    def broader(self, names: list[str]) -> list[str]:
        """The genus and family above each name, where the reference data lists them."""
        out: list[str] = []
        for name in names:
            taxon = self.ref.taxon(name)
            ups = [name.split()[0]] if " " in name else []
            if taxon is not None:
                ups += [u for u in (taxon.parent, taxon.family) if u]
            elif self.members(name):  # a genus not listed by itself: its species' families
                ups += [f for t in self.members(name) if (f := (tx.family if (tx := self.ref.taxon(t)) else None))]
            out += [u for u in _unique(ups) if u != name and self.ref.taxon(u) is not None and u not in out]
        return out

    def understand(self, text: str, species: str = "") -> Meaning:
        """What ``text`` means (taxa with members, product types, a phone number)."""
        text = text.strip()
        matches = self.detector.matches(Listing(id="query", title=text)) if text else []
        products = sorted({m.ref for m in matches if m.kind == "product"})
        code_words = sorted({m.ref for m in matches if m.kind == "code_word"})
        for word in code_words:
            cw = self.codewords.get(word)
            if cw is not None and cw.means_product and not cw.context_required and cw.means_product not in products:
                products.append(cw.means_product)
        named = self.taxa_named(text)
        taxa = _unique(t for n in named for t in (self.members(n) or [n]))
        implied = _unique(t for m in matches if m.kind == "product"
                          for _p, n in [self.implied.get(normalize_term(m.matched), ("", ""))] if n
                          for t in (self.members(n) or [n]))
        broader = [b for b in self.broader(named) if b not in taxa]
        related = set(products) | set(named)
        code_words += [cw.term for cw in self.codewords.values()
                       if cw.means_product in related or cw.means_taxon in related]
        within = _unique(t for n in self.taxa_named(species) for t in (self.members(n) or [n])) if species else []
        if species and not within:
            within = [species]  # unknown to the reference data: the exact name, as the queue filter
        return Meaning(text=text, named=tuple(named), taxa=tuple(taxa), broader=tuple(broader), products=tuple(products),
                       implied=tuple(implied),
                       code_words=tuple(sorted(set(code_words))), phones=phone_digits(text),
                       handles=identifier_values(text), within=tuple(within))

    def describe(self, m: Meaning) -> dict[str, Any]:
        """What the query was read as, for people: named taxa with common names, products, phones."""
        return {"taxa": [self.taxon_label(t) for t in m.named], "members": len(m.taxa),
                "implied": [self.taxon_label(t) for t in m.implied if t in self.implied_taxa],
                "broader": [self.taxon_label(t) for t in m.broader], "products": list(m.products),
                "phones": list(m.phones), "understood": m.understood}

    def taxon_label(self, name: str) -> dict[str, str]:
        taxon = self.ref.taxon(name)
        return {"scientific_name": name, "common_name": (taxon.common_name if taxon else None) or ""}

    # -- searching -------------------------------------------------------------

    def search(self, engine: sa.Engine, text: str, filters: q.Filters | None = None, *,
               limit: int = 50, offset: int = 0, cap: int = MAX_HITS) -> tuple[Meaning, Found]:
        """The listings ``text`` means, ranked; the species filter is read as a name too."""
        filters = filters or q.Filters()
        meaning = self.understand(text, filters.species)
        rest = q.Filters(**{**filters.active(), "species": ""})
        return meaning, find(engine, meaning, rest, limit=limit, offset=offset, cap=cap)

    def batch(self, engine: sa.Engine, terms: list[Term], *, first: int = 5) -> list[dict[str, Any]]:
        """Per term: its hit count by kind and its first listings: what ``search`` finds for each
        term alone (``cap=BATCH_HITS``), with no facets, each query run once for the whole list
        (terms in several languages mean the same tags: "ivory", "象牙", "marfil")."""
        out = []
        memo: Memo = {}
        for t in terms:
            meaning = self.understand(t.term)
            found = find(engine, meaning, q.Filters(), limit=first, cap=BATCH_HITS, with_facets=False, memo=memo)
            out.append({"term": t.term, "label": t.label, "total": found.total, "truncated": found.truncated,
                        "meaning": self.describe(meaning),
                        "items": [{**h.row, "hit": h.kind, "matched": h.matched} for h in found.hits]})
        return out


def identifier_values(text: str) -> tuple[str, ...]:
    """The identifier values a one-token query may be (other than a phone): the identifiers found
    in it, else the token itself, when it has a digit, ``_``, ``@``, ``:``, ``/`` or ``.``."""
    if not _TOKEN.fullmatch(text) or not _SHAPED.search(text) or phone_digits(text):
        return ()
    found = [i for i in extract(text) if i.kind not in ("phone", "whatsapp", "zalo")]
    if any(i.kind == "url" for i in found):  # a URL is that page, not every page of its host
        found = [i for i in found if i.kind != "domain"]
    return tuple(dict.fromkeys([*(i.value for i in found), text]))


def phone_digits(text: str) -> tuple[str, ...]:
    """A query that is a phone number, as its national significant digits (else nothing)."""
    if not _PHONE.fullmatch(text):
        return ()
    digits = re.sub(r"\D", "", text)
    if not 7 <= len(digits) <= 15:
        return ()
    if text.startswith("+"):
        e164 = clean_phone(text)
        if e164 is None:
            return ()
        return (str(phonenumbers.parse(e164).national_number),)
    national = digits.lstrip("0")
    return (national,) if len(national) >= 6 else ()


def read_terms(text: str) -> list[Term]:
    """A CSV term list: one term per row, an optional label in the second column, an optional
    header row (``term,label``). Empty rows are skipped."""
    rows = [r for r in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if r and any(c.strip() for c in r)]
    if rows and rows[0][0].strip().casefold() in _HEADERS:
        rows = rows[1:]
    if len(rows) > MAX_TERMS:
        raise Invalid(f"a term list holds at most {MAX_TERMS} terms; this one has {len(rows)}")
    terms = [Term(r[0].strip()[:MAX_TERM_CHARS], (r[1].strip() if len(r) > 1 else "")[:200]) for r in rows]
    return [t for t in terms if t.term]


def _unique(items: Any) -> list[str]:
    out: list[str] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out
