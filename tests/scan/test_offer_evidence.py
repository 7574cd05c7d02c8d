"""Is it offered, and is it real material: the source kind, offer wording, facets and the verdict.

Mechanics only (examples written here): quality is measured on real text (docs/evaluation.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from wildtrace import Scanner, Settings
from wildtrace.errors import ConfigError
from wildtrace.scan.listing import listing_from_record
from wildtrace.scan.result import Reject, ScanResult
from wildtrace.scan.sourcekind import SourceKinds
from wildtrace.scan.verdict import DEPICTED, OFFERABLE
from wildtrace.taxa import refdata

DEMO = Path(__file__).resolve().parents[2] / "src" / "wildtrace" / "data" / "demo_listings.jsonl"


@pytest.fixture(scope="module")
def scanner(tmp_path_factory: pytest.TempPathFactory) -> Scanner:
    return Scanner(Settings(data_dir=tmp_path_factory.mktemp("data")), scorer=None)


@pytest.fixture(scope="module")
def marketplace(tmp_path_factory: pytest.TempPathFactory) -> Scanner:
    return Scanner(Settings(data_dir=tmp_path_factory.mktemp("data")), scorer=None, source_kind="marketplace")


def _one(scanner: Scanner, title: str, **fields: Any) -> ScanResult:
    (r,) = scanner.scan([{"id": "x", "title": title, **fields}])
    assert isinstance(r, ScanResult), r
    return r


@pytest.mark.parametrize(("record", "kind", "how"), [
    ({"source_kind": "news", "platform": "ebay"}, "news", "source_kind field"),
    ({"platform": "eBay"}, "marketplace", "platform: eBay"),
    ({"platform": "Twitter"}, "social", "platform: Twitter"),
    ({"url": "https://www.ebay.co.uk/itm/12345"}, "marketplace", "url host: www.ebay.co.uk"),
    ({"url": "https://shopee.vn/product/1/2"}, "marketplace", "url host: shopee.vn"),
    ({"url": "https://www.facebook.com/marketplace/item/99"}, "marketplace", "url host: www.facebook.com"),
    ({"url": "https://t.me/somechannel/12"}, "social", "url host: t.me"),
    ({"title": "Carved netsuke, old | eBay"}, "marketplace", "title names eBay"),
    ({"title": "Carved netsuke - Etsy"}, "marketplace", "title names Etsy"),
])
def test_the_source_kind_is_read_most_specific_first(record: dict[str, Any], kind: str, how: str) -> None:
    kinds = SourceKinds(refdata.load().rules)
    found = kinds.of(listing_from_record({"id": "1", **record}), default="web")
    assert found is not None and (found.value, found.how) == (kind, how)


def test_without_evidence_the_default_decides_and_else_nothing() -> None:
    kinds = SourceKinds(refdata.load().rules)
    plain = listing_from_record({"id": "1", "title": "carved netsuke", "url": "https://example.org/a-page"})
    assert kinds.of(plain) is None
    found = kinds.of(plain, default="news")
    assert found is not None and (found.value, found.how) == ("news", "scan default (--source)")
    # hostile URLs are read as text, never fetched, and never break the scan
    for url in ("http://[::1", "https://" + "a." * 3000 + "ebay.com", "ebay://x", "javascript:alert(1)"):
        kinds.of(listing_from_record({"id": "1", "url": url}))


def test_a_bad_source_kind_is_a_reject_or_a_config_error(scanner: Scanner) -> None:
    (r,) = scanner.scan([{"id": "1", "title": "x", "source_kind": "blog"}])
    assert isinstance(r, Reject) and "source_kind 'blog' is not one of marketplace" in r.reason
    with pytest.raises(ConfigError, match="unknown source kind 'forum'"):
        Scanner(Settings(), scorer=None, source_kind="forum")


def test_on_a_marketplace_a_live_animal_is_offered_by_its_form(scanner: Scanner, marketplace: Scanner) -> None:
    title = "Tame galah, eight months old"
    elsewhere = _one(scanner, title)
    here = _one(marketplace, title)
    assert elsewhere.verdict != "wildlife_offer" and elsewhere.intent["value"] == "unknown"
    assert here.verdict == "wildlife_offer"
    assert here.intent == {"value": "offer", "score": 0.5,
                           "matches": ["a marketplace listing (scan default (--source)) (source)"]}
    assert here.specimen["value"] == "wildlife" and here.specimen["matches"] == ["Tame (title)"]
    by_platform = _one(scanner, title, platform="gumtree")
    assert by_platform.verdict == "wildlife_offer" and "platform: gumtree" in by_platform.intent["matches"][0]


def test_the_marketplace_form_lifts_only_what_says_what_the_item_is_made_of(scanner: Scanner,
                                                                             marketplace: Scanner) -> None:
    # "belt" is a product word, not a material: a brand or everyday "tiger" on a marketplace is not lifted
    for title in ("Tiger belt buckle", "Tiger capsules 60 pcs"):
        assert _one(marketplace, title).wildlife_score == _one(scanner, title).wildlife_score, title
    assert _one(marketplace, "Tiger skin rug").wildlife_score > _one(scanner, "Tiger skin rug").wildlife_score


@pytest.mark.parametrize("title", [
    "Antique ivory netsuke, sold for 450 GBP at the spring sale",
    "Carved ivory figure, hammer price 3,000 EUR",
    "Rhino horn cup, not for sale, for display only",
])
def test_not_offered_wording_beats_sale_words_and_the_marketplace(marketplace: Scanner, title: str) -> None:
    r = _one(marketplace, title)
    assert r.intent["value"] == "other" and r.intent["matches"], r.intent
    assert r.verdict != "wildlife_offer"
    assert not any(m.matched == "for sale" for m in r.matches), "'for sale' inside 'not for sale' is not counted"


def test_wanted_still_wins_over_not_offered(marketplace: Scanner) -> None:
    r = _one(marketplace, "WTB rhino horn cup, sold for too much last time")
    assert r.intent["value"] == "wanted" and r.verdict == "wildlife_offer"


def test_offers_written_as_prose_and_auction_previews_are_offers(scanner: Scanner) -> None:
    prose = ("We have a small number of these in the shop and they are selling quickly, so please be quick: "
             "every piece is cut from real python skin by hand. DM to order, new arrivals every week.")
    r = _one(scanner, "Python skin wallets", text=prose)
    assert r.intent["value"] == "offer" and "DM to order (text)" in r.intent["matches"]
    assert r.verdict == "wildlife_offer"
    preview = _one(scanner, "Lot 12: carved ivory figure", text="Estimate 300-500 GBP. Viewing on Saturday.")
    assert preview.intent["value"] == "offer" and preview.verdict == "wildlife_offer"
    result = _one(scanner, "Lot 12: carved ivory figure", text="Estimate 300-500 GBP. Realised 1,200 GBP.")
    assert result.intent["value"] == "other" and result.verdict != "wildlife_offer"


def test_news_prose_is_information_whatever_its_length(scanner: Scanner) -> None:
    short = {"title": "Rhino horn carvings, 2,000 USD each"}
    (r,) = Scanner(Settings(), scorer=None, source_kind="news").scan([{"id": "n", **short}])
    assert isinstance(r, ScanResult)
    assert r.intent["value"] == "other" and r.verdict != "wildlife_offer"
    assert r.intent["matches"] == ["a news source (scan default (--source)) (source)"]
    assert _one(scanner, **short).verdict == "wildlife_offer", "elsewhere a title-length listing is an offer by form"


def test_the_specimen_lists_what_decided_it(scanner: Scanner) -> None:
    bare = _one(scanner, "Python, 2 m, for sale, call me 0912 345 678")
    assert bare.specimen["value"] in ("unknown", "none") and bare.specimen["matches"] == []
    skin = _one(scanner, "Python skin belt for sale")
    assert skin.specimen["value"] == "wildlife" and skin.specimen["matches"], skin.specimen
    pinned = _one(scanner, "Rutelidae sp. Vietnam North, A1 with data, pinned")
    assert pinned.specimen["value"] == "wildlife"
    assert {"pinned (title)", "with data (title)"} <= set(pinned.specimen["matches"]), pinned.specimen
    leather = _one(scanner, "Genuine leather wallet, brown")
    assert leather.specimen["value"] == "domestic_animal" and leather.specimen["matches"] == ["Genuine leather (title)"]
    embossed = _one(scanner, "Croc embossed cowhide leather handbag")
    assert embossed.specimen["value"] == "domestic_animal" and embossed.verdict != "wildlife_offer"


def test_a_live_animal_is_no_toy(scanner: Scanner) -> None:
    r = _one(scanner, "Hand-reared cockatiel for sale with cage and toys")
    assert r.specimen["value"] == "wildlife" and r.verdict == "wildlife_offer", (r.specimen, r.reasons)
    faux = _one(scanner, "Tame parrot, resin, for sale")
    assert faux.specimen["value"] == "faux_material" and faux.verdict == "depiction_or_faux"


@pytest.mark.parametrize("title", [
    "Red black white pillow cover, ivory",
    "Black genuine leather belt",
    "White second skin bra, ivory lace",
    "PINK OXFORD / WHITE sneakers",
])
def test_colour_words_are_colours_where_a_colour_reading_fits(scanner: Scanner, title: str) -> None:
    r = _one(scanner, title)
    assert not any(m.kind == "code_word" and m.matched.casefold() in ("red", "black", "white") and
                   any(f"“{m.term}”" in x and "code word" in x for x in r.reasons) for m in r.matches), r.reasons
    assert r.verdict != "wildlife_offer"


def test_a_colour_code_counts_beside_a_named_animal(scanner: Scanner) -> None:
    r = _one(scanner, "Helmeted hornbill red, carved, for sale")
    assert any("code word" in x and "“red”" in x for x in r.reasons), r.reasons


def test_short_capitals_never_name_a_taxon_alone(scanner: Scanner) -> None:
    r = _one(scanner, "TAG Heuer watch for sale")
    assert r.taxa == [] and r.verdict == "not_wildlife"


def test_the_verdict_never_contradicts_the_facets_and_the_priority_is_bounded(tmp_path: Path) -> None:
    from wildtrace.learn import shipped

    listings = [json.loads(line) for line in DEMO.read_text(encoding="utf-8").splitlines() if line.strip()]
    for scorer in (None, shipped.scorer(shipped.SHIPPED)):
        for kind in (None, "marketplace", "news"):
            scanner = Scanner(Settings(data_dir=tmp_path), scorer=scorer, source_kind=kind)
            for r in scanner.scan(listings):
                assert isinstance(r, ScanResult)
                if r.verdict == "wildlife_offer":
                    assert r.specimen["value"] in OFFERABLE and r.intent["value"] != "other", (r.id, kind)
                elif r.specimen["value"] in DEPICTED:
                    assert r.verdict == "depiction_or_faux", (r.id, kind)
                if r.specimen["value"] not in ("unknown", "none"):
                    assert r.specimen["matches"], (r.id, r.specimen)
                if r.intent["value"] in ("offer", "wanted"):
                    assert r.intent["matches"], (r.id, r.intent)
                if r.wildlife_score >= 0.01:  # (4-decimal rounding dominates below)
                    assert 0.9 - 1e-3 <= r.risk_score / r.wildlife_score <= 1.0 + 1e-3, (r.id, r.risk_score)


@pytest.mark.parametrize(("record", "verdict"), [
    # a "not offered" phrase never vetoes contact or ordering wording (nor can a seller hide behind one)
    ({"title": "Vòng tay ngà voi thật, cần bán, zalo 0912345678. Cam kết không bán hàng giả"}, "wildlife_offer"),
    ({"title": "Genuine rhino horn for sale, whatsapp +1 555 123 4567. I realised prices are going up"},
     "wildlife_offer"),
    ({"title": "Sisik trenggiling asli dijual, WA 0812345678, tidak dijual terpisah"}, "wildlife_offer"),
    ({"title": "Rhino horn cup, not for sale, DM me for the catalogue"}, "wildlife_offer"),
    # a live or material word elsewhere in the listing does not make a brand an animal
    ({"title": "Dried mango slices, Jaguar brand", "platform": "ebay"}, "not_wildlife"),
    ({"title": "Tiger brand dried chilli 500g", "platform": "shopee"}, "not_wildlife"),
    ({"title": "Cobra CB radio 29 LTD for sale"}, "not_wildlife"),
    ({"title": "Panda figurine, tame and cute, for sale"}, "depiction_or_faux"),
    # report wording in news stays news; a social post needs offer wording
    ({"title": "Customs officers seized 12 kg of rhino horn, on view to reporters at a press conference",
      "source_kind": "news"}, "not_wildlife"),
    ({"title": "Saw a huge tiger skin rug at the museum today", "platform": "twitter"}, "not_wildlife"),
    ({"title": "Tiger skin rug for sale, DM me", "platform": "twitter"}, "wildlife_offer"),
])
def test_found_in_review(scanner: Scanner, record: dict[str, Any], verdict: str) -> None:
    r = _one(scanner, **record)
    assert r.verdict == verdict, (r.intent, r.specimen, r.reasons)


def test_a_social_post_without_offer_wording_says_why(scanner: Scanner) -> None:
    r = _one(scanner, "Saw a huge tiger skin rug at the museum today", platform="twitter")
    assert r.intent == {"value": "other", "score": 0.5,
                        "matches": ["a social post with no offer wording (platform: twitter) (source)"]}


def test_the_scan_default_is_written_into_the_record_so_a_rescan_agrees(marketplace: Scanner,
                                                                         scanner: Scanner) -> None:
    record = {"id": "k1", "title": "Tame galah, eight months old"}
    (first,) = marketplace.scan([dict(record)])
    assert isinstance(first, ScanResult) and first.listing["source_kind"] == "marketplace"
    assert first.input_sha256 == listing_from_record(record).input_sha256, "the hash is of the record as received"
    (again,) = scanner.scan([first.listing])  # as the store or a retrain reads it back, with no --source
    assert isinstance(again, ScanResult)
    assert (again.verdict, again.wildlife_score) == (first.verdict, first.wildlife_score) == ("wildlife_offer", 0.6225)
    (own,) = marketplace.scan([{"id": "k2", "title": "Tame galah", "platform": "twitter"}])
    assert isinstance(own, ScanResult) and "source_kind" not in own.listing, "the record's own evidence is not overwritten"
