"""Search by meaning (wildtrace.search over store/search.py) on the demo listings, on SQLite and
PostgreSQL: the query is read with the scanner's own lexicon, so "ivory" finds ivory in any
language and not a lace dress; "pangolin" and "Manis" find the Manidae listings; a phone number
in any format finds its listing; facets count the hits."""

from __future__ import annotations

import pytest

from wildtrace.errors import Invalid
from wildtrace.search import Searcher, phone_digits, read_terms
from wildtrace.store import queue as q
from wildtrace.store.sql import SQLStore

IVORY = {"d04", "d05", "d06", "d10", "d11", "d33"}  # tagged "ivory products" by the scanner
MANIDAE = {"d02", "d12", "d13", "d31"}


def ids(hits: list) -> list[str]:  # type: ignore[type-arg]
    return [h.row["listing_id"] for h in hits]


def test_ivory_in_any_language_not_the_lace_dress(demo: tuple[SQLStore, Searcher]) -> None:
    store, s = demo
    tagged = {r["listing_id"] for r in q.page(store.engine, q.Filters(product="ivory products"), limit=500)[0]}
    assert tagged == IVORY, tagged
    for query in ("ivory", "象牙", "ivoire", "marfil", "1v0ry"):
        meaning, found = s.search(store.engine, query)
        assert meaning.products == ("ivory products",), (query, meaning)
        got = ids(found.hits)
        assert set(got) == IVORY, (query, got)
        assert {"d04", "d10", "d11"} <= set(got), "the Chinese, French and Spanish listings"
        assert "d19" not in got, "ivory as a colour, not tagged by the scanner"
        assert all(h.kind == "tagged" for h in found.hits), found.hits
    _, found = s.search(store.engine, "ivory")
    d04 = next(h for h in found.hits if h.row["listing_id"] == "d04")
    assert {"field": "title", "span": [0, 3]} in [{"field": x["field"], "span": x["span"]} for x in d04.spans], d04
    assert d04.matched == ["product: ivory products", "taxon: Elephantidae"], d04.matched


def test_plain_text_hits_come_after_and_are_marked(demo: tuple[SQLStore, Searcher]) -> None:
    store, s = demo
    _, found = s.search(store.engine, "lace")
    assert [(h.row["listing_id"], h.kind) for h in found.hits] == [("d19", "text")]
    assert found.hits[0].spans == [{"field": "title", "span": [13, 17], "kind": "text", "ref": "lace"}]
    _, found = s.search(store.engine, "hornking88")  # a seller name: text
    assert ids(found.hits) == ["d01"]


def test_pangolin_and_manis(demo: tuple[SQLStore, Searcher]) -> None:
    store, s = demo
    meaning, found = s.search(store.engine, "pangolin")
    assert set(ids(found.hits)) == MANIDAE, ids(found.hits)
    assert "Manidae" in meaning.taxa and "Manis javanica" in meaning.taxa and "Smutsia gigantea" in meaning.taxa
    meaning, found = s.search(store.engine, "Manis")
    assert "Manis javanica" in meaning.taxa and "Smutsia gigantea" not in meaning.taxa, meaning
    assert meaning.broader == ("Manidae",)
    assert set(ids(found.hits)) == MANIDAE and {h.kind for h in found.hits} == {"broader"}
    _, found = s.search(store.engine, "Manis javanica")
    assert set(ids(found.hits)) == MANIDAE
    # the species filter reads names too
    _, found = s.search(store.engine, "scales", q.Filters(species="pangolin"))
    assert set(ids(found.hits)) == MANIDAE
    _, found = s.search(store.engine, "ivory", q.Filters(species="Manis"))
    assert found.hits == []


def test_a_product_word_that_names_a_taxon_ranks_it_first(demo: tuple[SQLStore, Searcher]) -> None:
    store, s = demo
    _, found = s.search(store.engine, "犀角")
    kinds = [(h.row["listing_id"], h.kind) for h in found.hits]
    assert {i for i, k in kinds if k == "tagged"} == {"d01", "d03", "d09"}, kinds
    assert kinds.index(("d03", "tagged")) < min(i for i, (_, k) in enumerate(kinds) if k == "product"), kinds


@pytest.mark.parametrize("number", ["0812-3456-7890", "+62 812 3456 7890", "081234567890", "+6281234567890"])
def test_a_phone_number_in_any_format(demo: tuple[SQLStore, Searcher], number: str) -> None:
    store, s = demo
    _, found = s.search(store.engine, number)
    assert [(h.row["listing_id"], h.kind) for h in found.hits] == [("d08", "identifier")], found.hits
    assert found.hits[0].matched == ["phone: +6281234567890"]
    assert found.hits[0].spans[0]["span"] == [29, 43]  # "0812-3456-7890", not "WA 0812-..."


def test_phone_digits() -> None:
    assert phone_digits("0812-3456-7890") == phone_digits("+62 812 3456 7890") == ("81234567890",)
    assert phone_digits("ivory") == phone_digits("2026") == phone_digits("+1 000") == ()


def test_facets_count_the_hits(demo: tuple[SQLStore, Searcher]) -> None:
    store, s = demo
    _, found = s.search(store.engine, "ivory", limit=2)
    assert found.total == 6 and len(found.hits) == 2
    assert found.facets["species"] == [("Elephantidae", 5), ("Mammuthus primigenius", 1)]
    assert found.facets["product"] == [("ivory products", 6)]
    assert found.facets["appendix"] == [("varies", 5), ("not listed", 1)]
    assert found.facets["lang"] == [("en", 3), ("es", 1), ("fr", 1), ("zh", 1)]
    assert found.facets["platform"] == [("etsy", 2), ("ebay", 1), ("leboncoin", 1), ("taobao", 1), ("wallapop", 1)]
    assert found.facets["verdict"] == [("wildlife_offer", 6)]
    assert found.facets["label"] == [("unlabelled", 6)]
    _, narrowed = s.search(store.engine, "ivory", q.Filters(lang="zh"))
    assert ids(narrowed.hits) == ["d04"]


def test_batch(demo: tuple[SQLStore, Searcher]) -> None:
    store, s = demo
    terms = read_terms("\ufeffterm,label\nivory,elephant\n\npangolin,\nzzqqxx-nothing,none\n")
    assert [(t.term, t.label) for t in terms] == [("ivory", "elephant"), ("pangolin", ""), ("zzqqxx-nothing", "none")]
    out = s.batch(store.engine, terms, first=2)
    assert [(r["term"], r["label"], r["total"], len(r["items"])) for r in out] == [
        ("ivory", "elephant", 6, 2), ("pangolin", "", 4, 2), ("zzqqxx-nothing", "none", 0, 0)]
    assert read_terms("ivory\npangolin") [1].term == "pangolin", "no header row"
    with pytest.raises(Invalid):
        read_terms("x\n" * 501)
