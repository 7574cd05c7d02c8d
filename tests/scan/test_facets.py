"""Facets (specimen, intent), language-gated cues and report wording: the mechanics.

The listings are written by us to exercise each rule; they measure no quality.
"""

from __future__ import annotations

import pytest

from wildtrace.scan.result import ScanResult
from wildtrace.scan.scanner import Scanner


def _one(scanner: Scanner, title: str, **fields: str) -> ScanResult:
    (r,) = scanner.scan([{"id": "x", "title": title, **fields}])
    assert isinstance(r, ScanResult)
    return r


def _counted(r: ScanResult, kind: str) -> list[tuple[str, str]]:
    return [(m.matched, m.lang) for m in r.matches if m.kind == kind]


def test_a_cue_counts_only_in_its_language(scanner: Scanner) -> None:
    r = _one(scanner, "Real python skull on a stand, I can tell you that it is a beautiful piece for any collection")
    assert r.lang == "en"
    assert ("thật", "vi") not in _counted(r, "authenticity_cue"), r.matches
    r = _one(scanner, "Republic of Venda postage stamp, the brown bear issue of 1993, in mint condition and unused")
    assert r.lang == "en"
    assert not any(lang == "pt" for _, lang in _counted(r, "sale_cue")), r.matches
    assert r.specimen["value"] == "replica_or_depiction" and any("stamp" in x for x in r.specimen["matches"])
    # the same words in their own language still count
    vi = _one(scanner, "Vảy tê tê hàng thật, giá tốt, liên hệ Zalo")
    assert ("thật", "vi") in _counted(vi, "authenticity_cue") or any(
        lang == "vi" for _, lang in _counted(vi, "authenticity_cue")), vi.matches
    pt = _one(scanner, "Venda de dente de tubarão, preço baixo, entrega em todo o Brasil")
    assert any(lang == "pt" for _, lang in _counted(pt, "sale_cue")), (pt.lang, pt.matches)


@pytest.mark.parametrize("text", [
    "Police seized two tonnes of pangolin scales at the port on Monday, customs officers said",
    "海关查获象牙制品100公斤，警方已抓获两名嫌疑人",
    "Hải quan tịch thu 2 tấn vảy tê tê tại cảng Hải Phòng, công an đang điều tra",
    "Ratusan sisik trenggiling diamankan petugas bea cukai, dua tersangka ditangkap polisi",
    "Incautados 200 kilos de aletas de tiburón en el puerto; la policía detuvo a tres personas",
    "Filhotes de papagaio apreendidos pela polícia e pelo Ibama em uma casa no interior",
    "Les douanes ont saisi 500 kg d'écailles de pangolin à l'aéroport, deux personnes interpellées",
])
def test_news_and_seizure_reports_are_not_offers(scanner: Scanner, text: str) -> None:
    r = _one(scanner, text)
    assert r.verdict != "wildlife_offer", (r.lang, r.wildlife_score, r.reasons)
    assert r.intent["value"] == "other" and r.intent["matches"], r.intent
    assert r.specimen["value"] == "wildlife", r.specimen
    assert any(x.startswith("Reads as news") for x in r.reasons), r.reasons


def test_report_words_do_not_cancel_an_offer(scanner: Scanner) -> None:
    r = _one(scanner, "Seized stock clearance: pangolin scales for sale, WhatsApp +62 812 3456 7890")
    assert r.verdict == "wildlife_offer" and r.intent["value"] == "offer", r.reasons
    assert not any(x.startswith("Reads as news") for x in r.reasons)


def test_wanted_and_auction_wording(scanner: Scanner) -> None:
    wanted = _one(scanner, "WTB rhino horn, good price paid, serious sellers only")
    assert wanted.intent["value"] == "wanted" and wanted.verdict == "wildlife_offer", wanted.reasons
    lot = _one(scanner, "拍卖号 123 象牙雕件 估价 5000")
    assert lot.intent["value"] == "offer" and lot.verdict == "wildlife_offer", (lot.matches, lot.reasons)


@pytest.mark.parametrize(("title", "specimen"), [
    ("Megalodon shark tooth fossil, 5 inch, from South Carolina", "fossil"),
    ("Plush toy tiger for kids, 30 cm", "replica_or_depiction"),
    ("Faux fur leopard print coat, size M", "faux_material"),
    ("Mountain bike 29 inch, good condition", "none"),
])
def test_specimen_facet(scanner: Scanner, title: str, specimen: str) -> None:
    r = _one(scanner, title)
    assert r.specimen["value"] == specimen, (r.specimen, r.matches)
    assert r.verdict != "wildlife_offer"


def test_facets_round_trip_through_json(scanner: Scanner) -> None:
    r = _one(scanner, "Rhino horn for sale, WhatsApp me")
    back = ScanResult.from_dict(r.to_dict())
    assert (back.specimen, back.intent) == (r.specimen, r.intent)
    assert back.to_dict() == r.to_dict()


# -- definitions -----------------------------------------------------------------------------

def _under(definition: str, title: str) -> ScanResult:
    from wildtrace.settings import Settings

    (r,) = Scanner(Settings(), definition=definition).scan([{"id": "x", "title": title}])
    assert isinstance(r, ScanResult)
    return r


def test_definitions_map_facets_to_the_verdict(scanner: Scanner) -> None:
    fossil = "Megalodon shark tooth fossil, 5 inch, $40"
    assert _one(scanner, fossil).verdict == "depiction_or_faux"
    derived = _under("animal-derived", fossil)
    assert derived.verdict == "wildlife_offer" and derived.model["definition"] == "animal-derived"
    news = "Police seized two tonnes of pangolin scales at the port on Monday, customs officers said"
    assert _under("animal-derived", news).verdict != "wildlife_offer"
    wanted = "WTB rhino horn, good price paid, serious sellers only"
    assert _one(scanner, wanted).verdict == "wildlife_offer"
    assert _under("sale-intent", wanted).verdict == "not_wildlife"
    assert _under("cites-listed", "Rhino horn for sale, WhatsApp me").verdict == "wildlife_offer"
    assert _under("cites-listed", "Dried shark fin 500 g, $120, WhatsApp me").verdict == "not_wildlife"
    assert "definition" not in _one(scanner, wanted).model, "the default adds nothing to the stamp"


def test_cli_definition_option(tmp_path: object) -> None:
    import json

    from click.testing import CliRunner

    from wildtrace.cli import cli

    line = json.dumps({"id": "f", "title": "Megalodon shark tooth fossil, 5 inch, $40"})
    env = {"WILDTRACE_DATA_DIR": str(tmp_path)}
    out = CliRunner().invoke(cli, ["scan", "--definition", "animal-derived"], input=line, env=env)
    assert out.exit_code == 0 and json.loads(out.stdout)["verdict"] == "wildlife_offer", out.output
    bad = CliRunner().invoke(cli, ["scan", "--definition", "everything"], input=line, env=env)
    assert bad.exit_code == 2 and "Traceback" not in bad.output


@pytest.mark.parametrize(("title", "verdict", "specimen"), [
    ("Carved ivory figurine of a monk, old", "wildlife_offer", "wildlife"),
    ("Genuine crocodile leather keychain", "wildlife_offer", "wildlife"),
    ("Gantungan kunci kulit buaya asli", "wildlife_offer", "wildlife"),
    ("Resin tiger figurine", "depiction_or_faux", "replica_or_depiction"),  # what it is beats what it is made of
    ("Tiger figurine, porcelain", "depiction_or_faux", "replica_or_depiction"),
    ("Plush toy tiger keychain", "depiction_or_faux", "replica_or_depiction"),
])
def test_depiction_is_material_aware(scanner: Scanner, title: str, verdict: str, specimen: str) -> None:
    """A form word (figurine, keychain) beside real material is the item's shape, not a depiction."""
    r = _one(scanner, title, price="30")
    assert (r.verdict, r.specimen["value"]) == (verdict, specimen), (title, r.matches, r.reasons)


@pytest.mark.parametrize("title", ["Hawksbill Turtle [SG453]", "Scott #1234 tiger, mint never hinged",
                                   "Savannah Monitor Lizards as Pets (Paperback)", "Bone Clones Clouded Leopard Skull"])
def test_stamps_books_and_replicas_are_depictions(scanner: Scanner, title: str) -> None:
    r = _one(scanner, title, price="12")
    assert r.verdict == "depiction_or_faux" and r.specimen["value"] == "replica_or_depiction", (title, r.matches)


@pytest.mark.parametrize("title", ["Genuine cowhide rug, large, $250", "Sheepskin slippers, size 9",
                                   "水牛角梳子 包邮", "Buffalo horn comb, handmade", "Jaket kulit domba asli, harga 500rb"])
def test_domestic_animal_material_is_its_own_specimen(scanner: Scanner, title: str) -> None:
    r = _one(scanner, title)
    assert r.specimen["value"] == "domestic_animal" and r.specimen["matches"], r.matches
    assert r.verdict == "not_wildlife"  # the default definition: wildlife only
    from wildtrace.scan import definitions

    definitions.apply(definitions.get("animal-derived"), r)
    assert r.verdict == "wildlife_offer", "an animal-products monitor counts cowhide and sheepskin"


def test_wildlife_beside_domestic_material_is_wildlife(scanner: Scanner) -> None:
    assert _one(scanner, "Python skin and cowhide wallet, genuine").specimen["value"] == "wildlife"
    assert _one(scanner, "犀牛角 雕刻 出售").specimen["value"] == "wildlife"  # 牛角 inside 犀牛角 is rhino horn
    # an embossed print on real cowhide: the material is the cow's (issue 25: not faux)
    embossed = _one(scanner, "Croc embossed cowhide handbag")
    assert embossed.specimen["value"] == "domestic_animal" and embossed.verdict != "wildlife_offer"


def test_a_depiction_word_in_the_seller_profile_does_not_make_the_item_a_depiction(scanner: Scanner) -> None:
    r = _one(scanner, "Real ivory bangle, 60 g, $400, DM me", seller_description="We also sell resin replicas and plush toys")
    assert r.verdict == "wildlife_offer" and r.specimen["value"] == "wildlife", r.reasons
    r = _one(scanner, "Resin ivory bangle replica, $5", seller_description="Genuine items only")
    assert r.specimen["value"] != "wildlife"


@pytest.mark.parametrize(("title", "specimen"), [
    ("SWEDEN, MAMMALS, Brown Bear cubs, 1993, 2.90Kr", "replica_or_depiction"),  # a stamp: year + face value
    ("Megalodon tooth 5 inch, $120", "fossil"),  # an extinct animal's remains are fossils
    ("Trilobite Elrathia kingii, Utah", "fossil"),
    ("Crystal carving shark head", "replica_or_depiction"),
])
def test_stamps_fossils_and_stone_carvings(scanner: Scanner, title: str, specimen: str) -> None:
    r = _one(scanner, title)
    assert r.specimen["value"] == specimen, (r.specimen, r.matches)
    assert r.verdict == "depiction_or_faux"


def test_short_everyday_words_do_not_name_species(scanner: Scanner) -> None:
    assert not _one(scanner, "tags for luggage, set of 4").taxa  # "TAG" (Timneh grey) takes no plural
    assert not _one(scanner, "once upon a time, hardback book").taxa  # French "once" gated out of English
    r = _one(scanner, "Une once de poudre d'ivoire à vendre")
    assert any(t["scientific_name"] == "Panthera uncia" for t in r.taxa)  # in French it is the snow leopard
    suede = _one(scanner, "Veste en daim, taille M, à vendre")  # daim: fallow deer, and suede
    assert suede.verdict == "not_wildlife" and not suede.taxa
    cone = _one(scanner, "Cône de glace en plastique à vendre")  # cône: a cone shell, and any cone
    assert cone.verdict != "wildlife_offer"
    assert not any(r.startswith("Names ") for r in cone.reasons)  # never "Names X" beside "no wildlife names"


def test_a_product_phrase_implies_what_its_material_word_implies(scanner: Scanner) -> None:
    r = _one(scanner, "Real ivory carving elephant")
    assert r.verdict == "wildlife_offer", r.reasons
