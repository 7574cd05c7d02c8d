"""Built-in taxon facts an analyst can cite (issue 26).

Every built-in taxon says where its CITES status comes from and from which date it holds, and which
languages' names no one checked against a published source; the wrong facts the issue named stay
fixed, checked both in the data and in what a scan of a short listing shows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml

from wildtrace import clock
from wildtrace.errors import DataError
from wildtrace.scan.result import ScanResult
from wildtrace.scan.scanner import Scanner
from wildtrace.taxa import refdata
from wildtrace.taxa.refdata import Taxon

REF = refdata.load()
TAXA_FILES = sorted((refdata.DATA_DIR / "taxa").glob("*.yaml"))
CITES_IN_FORCE = dt.date(1975, 7, 1)  # the Convention entered into force on 1 July 1975


def _builtin_rows() -> list[tuple[str, dict[str, Any]]]:
    rows = []
    for path in TAXA_FILES:
        for row in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            if row.get("cites_appendix"):
                rows.append((path.name, row))
    return rows


ROWS = _builtin_rows()


def _taxon(name: str) -> Taxon:
    taxon = REF.taxon(name)
    assert taxon is not None, name
    return taxon


def _scan(scanner: Scanner, title: str) -> ScanResult:
    (r,) = scanner.scan([{"id": "x", "title": title}])
    assert isinstance(r, ScanResult)
    return r


def _taxa(r: ScanResult) -> dict[str, dict[str, Any]]:
    return {t["scientific_name"]: t for t in r.taxa}


# -- every built-in status has a source and a date -------------------------------------------------


def test_every_builtin_taxon_has_a_cites_source_and_date() -> None:
    assert len(ROWS) == len(REF.taxa) >= 690
    missing = [(f, r["scientific_name"]) for f, r in ROWS if not r.get("cites_source") or not r.get("cites_as_of")]
    assert missing == []


def test_cites_dates_are_real_dates_between_1975_and_today() -> None:
    today = dt.date.fromisoformat(clock.today())
    for taxon in REF.taxa:
        assert taxon.cites_as_of is not None, taxon.scientific_name
        when = dt.date.fromisoformat(taxon.cites_as_of)
        assert CITES_IN_FORCE <= when <= today, (taxon.scientific_name, when)


def test_statuses_changed_at_cop20_carry_the_cop20_date() -> None:
    # an older export must not revert them (the import compares this date with the export's)
    for name in ("Carcharhinus longimanus", "Rhincodon typus", "Mobula", "Mobula birostris", "Mobula alfredi",
                 "Mustelus", "Centrophorus", "Galeorhinus galeus", "Saiga tatarica", "Bucerotidae"):
        assert _taxon(name).cites_as_of == "2026-03-05", name
    assert _taxon("Prionace glauca").cites_as_of == "2023-11-25"  # the CoP19 shark listing took effect late


def test_a_not_listed_taxon_also_says_what_it_was_checked_against() -> None:
    for taxon in REF.taxa:
        if taxon.cites_appendix == "not listed":
            assert taxon.cites_source and taxon.cites_as_of, taxon.scientific_name


def test_bad_cites_dates_and_languages_are_refused() -> None:
    row = dict(next(r for _, r in ROWS if r["scientific_name"] == "Leopardus geoffroyi"))
    with pytest.raises(DataError, match="cites_as_of"):
        refdata.parse_taxon({**row, "cites_as_of": "11 June 1992"}, "test")
    with pytest.raises(DataError, match="names_unverified"):
        refdata.parse_taxon({**row, "names_unverified": ["cn"]}, "test")


# -- names not checked are marked --------------------------------------------------------------------


def test_unverified_languages_are_languages_the_taxon_has_names_in() -> None:
    marked = 0
    for taxon in REF.taxa:
        have = {lang for lang, names in taxon.names.items() if names}
        have |= {lang for lang, names in taxon.trade_names.items() if names}
        assert taxon.names_unverified <= have, (taxon.scientific_name, taxon.names_unverified - have)
        marked += bool(taxon.names_unverified)
    assert marked > 500  # most zh/vi/th names were compiled from memory, and say so


def test_chinese_vietnamese_and_thai_names_from_the_glossary_are_marked() -> None:
    # the "traded" files say their zh names are "from memory ... not checked"
    for path in TAXA_FILES:
        if not path.name.endswith("_traded.yaml"):
            continue
        for row in yaml.safe_load(path.read_text(encoding="utf-8")):
            taxon = _taxon(row["scientific_name"])
            for lang in ("zh_hans", "vi", "th"):
                if taxon.names.get(lang):
                    assert lang in taxon.names_unverified, (taxon.scientific_name, lang)


def test_names_checked_in_issue_26_are_not_marked() -> None:
    assert not {"zh_hans", "zh_hant"} & _taxon("Cuora amboinensis").names_unverified
    assert "zh_hans" not in _taxon("Bahaba taipingensis").names_unverified
    assert "zh_hans" in _taxon("Tylototriton asperrimus").names_unverified  # given by the report, not checked


def test_output_shows_the_unverified_languages_only_when_there_are_some() -> None:
    out = _taxon("Cuora amboinensis").to_output()
    assert out["names_unverified"] == ["vi", "th", "id", "ms"]
    quiet = next(t for t in REF.taxa if not t.names_unverified)
    assert "names_unverified" not in quiet.to_output()


# -- the facts issue 26 named ---------------------------------------------------------------------------


def test_geoffroys_cat_is_appendix_i_since_1992() -> None:
    t = _taxon("Leopardus geoffroyi")
    assert t.cites_appendix == "I" and t.cites_as_of == "1992-06-11"
    assert "CoP8" in (t.cites_source or "")


def test_mountain_zebra_is_appendix_ii_after_cop17() -> None:
    t = _taxon("Equus zebra")
    assert t.cites_appendix == "II" and not t.cites_split
    assert "CoP17" in (t.cites_source or "") and t.cites_as_of == "2017-01-02"


def test_african_clawless_otter_is_split_with_its_appendix_i_subspecies() -> None:
    t = _taxon("Aonyx capensis")
    assert t.cites_appendix == "I/II"
    split = {s["appendix"]: s["populations"] for s in t.cites_split}
    assert "microdon" in split["I"] and "Cameroon" in split["I"] and "Nigeria" in split["I"]
    assert split["II"] == "all other populations"
    assert t.to_output()["cites_split"] == [dict(s) for s in t.cites_split]


def test_elongated_tortoise_is_appendix_ii_with_its_source() -> None:
    t = _taxon("Indotestudo elongata")
    assert t.cites_appendix == "II"
    assert "Testudinidae" in (t.cites_source or "")


def test_egyptian_fruit_bat_is_not_listed_rather_than_varies() -> None:
    t = _taxon("Rousettus aegyptiacus")
    assert t.cites_appendix == "not listed" and t.family == "Pteropodidae"


def test_dicksonia_is_in_dicksoniaceae_and_not_a_cyatheaceae() -> None:
    d = _taxon("Dicksonia")
    assert d.family == "Dicksoniaceae" and d.cites_appendix == "varies"
    assert {s["appendix"] for s in d.cites_split} == {"II", "not listed"}
    assert all(t.family != "Cyatheaceae" for t in REF.taxa if t.scientific_name.startswith("Dicksonia"))


def test_chinese_names_of_turtles_and_newts_name_the_right_species() -> None:
    owners: dict[str, set[str]] = {}
    for t in REF.taxa:
        for lang in ("zh_hans", "zh_hant"):
            for n in t.names.get(lang, ()) + t.trade_names.get(lang, ()):
                owners.setdefault(n, set()).add(t.scientific_name)
    assert owners["马来闭壳龟"] == {"Cuora amboinensis"}
    assert owners["细痣疣螈"] == {"Tylototriton asperrimus"}
    assert owners["红瘰疣螈"] == {"Tylototriton verrucosus"}
    assert owners["金钱鳘"] == {"Bahaba taipingensis"}  # the Chinese bahaba, not totoaba
    assert "Totoaba macdonaldi" not in owners.get("金钱鳘胶", set())


# -- what a scan shows --------------------------------------------------------------------------------


@pytest.mark.parametrize(("title", "name", "appendix"), [
    ("马来闭壳龟 活体 出售", "Cuora amboinensis", "II"),
    ("细痣疣螈 活体 2条", "Tylototriton asperrimus", "II"),
    ("金龙鱼 红尾 活体", "Scleropages formosus", "I"),
    ("Geoffroy's cat skin, tanned, $300", "Leopardus geoffroyi", "I"),
    ("Cape mountain zebra skin rug", "Equus zebra", "II"),
    ("African clawless otter pelt", "Aonyx capensis", "I/II"),
    ("Elongated tortoise, live, captive bred", "Indotestudo elongata", "II"),
    ("Egyptian fruit bat, live pair", "Rousettus aegyptiacus", "not listed"),
    ("Dicksonia antarctica tree fern, 1 m trunk", "Dicksonia", "varies"),
    ("Totoaba maw for sale, 1 kg", "Totoaba macdonaldi", "I"),
])
def test_a_listing_names_the_right_taxon(scanner: Scanner, title: str, name: str, appendix: str) -> None:
    taxa = _taxa(_scan(scanner, title))
    assert name in taxa, (title, list(taxa))
    assert taxa[name]["cites_appendix"] == appendix


def test_malayemys_and_pteropus_and_cyatheaceae_are_not_named_by_those_listings(scanner: Scanner) -> None:
    assert "Malayemys subtrijuga" not in _taxa(_scan(scanner, "马来闭壳龟 活体 出售"))
    assert "Tylototriton verrucosus" not in _taxa(_scan(scanner, "细痣疣螈 活体 2条"))
    assert "Pteropus" not in _taxa(_scan(scanner, "Egyptian fruit bat, live pair"))
    assert "Cyatheaceae" not in _taxa(_scan(scanner, "Dicksonia antarctica tree fern, 1 m trunk"))


@pytest.mark.parametrize("title", [
    "金龙鱼 食用油 5L", "金龙鱼 东北大米 5kg 香米", "金龙鱼 调和油 1.8升 家用", "金龙鱼",
])
def test_the_cooking_oil_brand_is_not_the_arowana(scanner: Scanner, title: str) -> None:
    r = _scan(scanner, title)
    assert r.verdict == "not_wildlife" and "Scleropages formosus" not in _taxa(r), (title, r.reasons)


@pytest.mark.parametrize("title", [
    "fish maw 500g", "Dried fish maw, large, 1 kg", "鱼胶 500克", "花胶 干货 500g 礼盒", "bong bóng cá khô 1kg",
    "buche de pescado seco 1 kg", "กระเพาะปลา แห้ง 500 กรัม", "金钱鳘胶 500g 出售",
])
def test_a_generic_fish_maw_is_never_totoaba(scanner: Scanner, title: str) -> None:
    assert "Totoaba macdonaldi" not in _taxa(_scan(scanner, title)), title


def test_scan_output_says_which_names_are_unverified(scanner: Scanner) -> None:
    (t,) = _scan(scanner, "马来闭壳龟 活体 出售").taxa
    assert t["names_unverified"] == ["vi", "th", "id", "ms"]


def test_the_taxa_files_keep_their_comments() -> None:
    # the fields were added in place: each file still opens with its header comment
    for path in TAXA_FILES:
        assert path.read_text(encoding="utf-8").startswith("#"), path.name
