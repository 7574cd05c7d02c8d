"""Words in their language (issue 25, item 4): probes written for the mechanics, not for quality.

- diacritics: a term spelled without them matches a span that carries them only in a listing typed
  without diacritics (``lexicon.accent_ok``);
- Chinese terms, and Thai ones up to five characters, count only on segmented word boundaries;
- everyday senses of Vietnamese, Thai and Chinese wildlife words, with a default reading for
  generic words (``data/senses.yaml``);
- generic product names (花胶, tortoiseshell) resolve to no species alone;
- product words that were missing (shark fin, live pangolin in Thai, pangolin scales in
  Vietnamese, tiger-bone wine).

The quality figures (flag counts on real marketplace and social text) are in the session note;
these listings were written for the tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from wildtrace.errors import DataError
from wildtrace.scan.lexicon import Entry, accent_ok
from wildtrace.scan.result import ScanResult
from wildtrace.scan.scanner import Scanner
from wildtrace.settings import PACKAGE_DATA
from wildtrace.taxa import senses
from wildtrace.text import segment
from wildtrace.text.normalize import accent_key, normalize


def _scan(scanner: Scanner, title: str) -> ScanResult:
    (r,) = scanner.scan([{"id": "x", "title": title}])
    assert isinstance(r, ScanResult)
    return r


def _taxa(r: ScanResult) -> list[str]:
    return [t["scientific_name"] for t in r.taxa]


def _counted(r: ScanResult) -> set[str]:
    """The surface forms matched as names, products or code words (not read in another sense)."""
    return {m.matched.casefold() for m in r.matches if m.kind in ("taxon", "product", "code_word")}


# -- diacritics --------------------------------------------------------------------------------


def _entry(term: str, lang: str, spellings: tuple[str, ...] = (), plain: bool = False) -> Entry:
    return Entry("taxon", "X", term, lang, accented=accent_key(term), spellings=spellings, plain=plain)


def test_a_term_without_diacritics_does_not_match_a_span_with_them_in_a_listing_typed_with_them() -> None:
    bat = _entry("bat", "en", plain=True)
    for word in ("bật", "bắt", "bất", "Bật"):
        assert not accent_ok(bat, word, text_has_diacritics=True), word
    assert accent_ok(bat, "bat", text_has_diacritics=True)  # "Bat skull" beside "giá rẻ" still counts
    assert accent_ok(bat, "bật", text_has_diacritics=False) is True  # the listing shows no diacritics


def test_every_spelling_of_an_entry_counts() -> None:
    shark = _entry("tiburon", "es", spellings=(accent_key("tiburón"),), plain=True)
    assert accent_ok(shark, "tiburón", True) and accent_ok(shark, "tiburon", True)
    assert accent_ok(shark, "tiburones", True)  # a plural after the spelling
    assert not accent_ok(shark, "tíburon", True)


def test_a_two_letter_term_told_apart_by_its_diacritics_needs_them() -> None:
    wool = _entry("lã", "pt", spellings=(accent_key("lã"),))
    tiger = _entry("hổ", "vi", spellings=(accent_key("hổ"),))
    assert not accent_ok(wool, "la", text_has_diacritics=False)  # "a la sha" is a brand, not wool
    assert accent_ok(wool, "lã", text_has_diacritics=True)
    assert accent_ok(tiger, "ho", text_has_diacritics=False)  # "nanh ho" typed without diacritics


def test_vietnamese_terms_keep_their_tone_marks() -> None:
    ivory = _entry("ngà", "vi", spellings=(accent_key("ngà"),))
    elephant = _entry("voi", "vi", spellings=(accent_key("voi"),))
    assert accent_ok(ivory, "ngà", True) and not accent_ok(ivory, "Nga", True) and not accent_ok(ivory, "ngã", True)
    assert accent_ok(ivory, "nga", False)
    assert accent_ok(elephant, "voi", True) and not accent_ok(elephant, "với", True)


@pytest.mark.parametrize("title", [
    "Dầu gội bật tóc, bắt sáng, bất ngờ, giá 120.000đ",
    "Sách: Cách Bật Về Phía Trước - Tìm Cơ Hội Trong Khủng Hoảng",
])
def test_vietnamese_words_are_not_read_as_english_terms(scanner: Scanner, title: str) -> None:
    r = _scan(scanner, title)
    assert "Chiroptera" not in _taxa(r), r.matches
    assert "bat" not in {m.term for m in r.matches}, r.matches


def test_the_same_words_typed_without_diacritics_still_match(scanner: Scanner) -> None:
    assert "Elephantidae" in _taxa(_scan(scanner, "Ban nga voi that, vong tay nga voi, gia 5 trieu"))
    assert "Elephantidae" in _taxa(_scan(scanner, "Bán ngà voi thật, vòng tay ngà voi, giá 5 triệu"))
    assert "Chiroptera" in _taxa(_scan(scanner, "Bat skull, real, taxidermy, $40"))


# -- Chinese and Thai word boundaries ----------------------------------------------------------


def test_chinese_terms_of_any_length_and_short_thai_terms_are_checked_on_word_boundaries() -> None:
    assert segment.is_wide("红珊瑚") and segment.is_wide("象") and segment.is_wide("ลิ่น")
    assert not segment.is_wide("ivory") and not segment.is_wide("ตัวนิ่ม")  # long Thai: matched anywhere


@pytest.mark.parametrize(("title", "absent"), [
    ("玫瑰紅珊瑚色 洋裝 顯瘦 夏季", "Coralliidae"),  # 玫瑰红|珊瑚|色: a rose-red dress
    ("กลิ่นหอม น้ำหอมผู้หญิง ราคาถูก", "Manidae"),  # ลิ่น (pangolin) inside กลิ่น (smell)
    ("ยังเสือกไปซื้อของ", "Panthera"),  # เสือ inside เสือก
])
def test_a_term_inside_another_word_does_not_count(scanner: Scanner, title: str, absent: str) -> None:
    r = _scan(scanner, title)
    assert absent not in _taxa(r), (title, r.matches)


@pytest.mark.parametrize(("title", "taxon"), [
    ("紅珊瑚手鍊 天然 正品 出售", "Coralliidae"),
    ("天然红珊瑚手串 阿卡原枝 8mm 出售", "Coralliidae"),
    ("非洲象牙手镯 出售 包邮", "Elephantidae"),
    ("ขายลิ่น ตัวเป็นๆ ราคาถูก", "Manidae"),
    ("ขายงาช้างแท้ กำไลงาช้าง", "Elephantidae"),
])
def test_a_term_on_word_boundaries_counts(scanner: Scanner, title: str, taxon: str) -> None:
    r = _scan(scanner, title)
    assert taxon in _taxa(r), (title, r.matches)


def test_a_chinese_name_may_end_inside_a_word_only_before_a_material_form() -> None:
    assert segment.aligned("黄酸枝木饰面", 1, 3)  # 酸枝|木: rosewood
    assert segment.aligned("王星记檀香扇子", 3, 5)  # 檀香|扇: a sandalwood fan
    assert not segment.aligned("象牙色连衣裙", 0, 2)  # 象牙|色: the colour
    assert not segment.aligned("羽毛球鞋", 0, 2)  # 羽毛|球: badminton


def test_a_space_between_two_chinese_words_is_kept_as_a_boundary() -> None:
    assert normalize("鲨鱼翅 排翅 干货")[0] == "鲨鱼翅 排翅 干货"
    assert normalize("象 牙")[0] == "象牙"  # single characters spaced out to hide a word
    assert normalize("犀 牛 角")[0] == "犀牛角"
    assert normalize("งา ช้าง แท้")[0] == "งาช้างแท้"  # Thai: joined as before


# -- everyday senses -----------------------------------------------------------------------------


def test_a_default_sense_is_read_when_no_cue_appears() -> None:
    entries = {e.terms[0]: e for e in senses.load(PACKAGE_DATA / "senses.yaml")}
    table = senses.SenseTable(list(entries.values()))
    decided = table.decide("giai", "giai phau co the nguoi")
    assert decided is not None and decided[0].name == "everyday"
    decided = table.decide("giai", "ban rua giai con song 12 kg")
    assert decided is not None and decided[0].name == senses.WILDLIFE
    assert table.decide("tortoiseshell", "tortoiseshell 50")[0].name == "pattern"  # type: ignore[index]
    assert table.decide("python", "python for sale") is None  # no default: no decision


def test_a_default_must_be_one_of_the_senses(tmp_path: Path) -> None:
    path = tmp_path / "senses.yaml"
    path.write_text("- terms: [x]\n  source: s\n  default: nope\n  senses:\n"
                    "    - {sense: wildlife, cues: {en: [a]}, examples: [a]}\n", encoding="utf-8")
    with pytest.raises(DataError, match="default"):
        senses.load(path)


@pytest.mark.parametrize(("title", "absent"), [
    ("Giải Phẫu Cơ Thể Người - sách", "Pelochelys cantorii"),
    ("Tư Duy Sáng Tạo Trong Giải Nhanh Hóa Học 12", "Pelochelys cantorii"),
    ("Giọng trầm ấm, loa siêu trầm bluetooth", "Aquilaria"),
    ("Kem trị nám đồi mồi tàn nhang 30g, giá 150k", "Eretmochelys imbricata"),
    ("Gọng kính vân đồi mồi nhựa acetate, giá 200k", "Eretmochelys imbricata"),
    ("Áo len cánh dơi nữ form rộng, giá 180k", "Chiroptera"),
    ("韓版寬鬆顯瘦蝙蝠袖雪紡紗上衣 $390", "Chiroptera"),
    ("珊瑚绒睡衣女冬季加厚家居服 包邮", "Anthozoa"),
    ("玳瑁色眼镜框 板材 复古 包邮", "Eretmochelys imbricata"),
    ("ครีมลดฝ้า กระ จุดด่างดำ หน้าใส 30g ราคา 299 บาท", "Eretmochelys imbricata"),
    ("อย่างเหี้ย ตำรวจแม่ง", "Varanus salvator"),
    ("斗鱼 鱼翅充值 1000鱼翅 主播礼物", "Selachimorpha"),
    ("Buffet tối hải sản Tôm Hùm, Bào Ngư, giá 899k", "Panthera tigris"),
    ("Máy báo khóc trẻ em, Baby monitor không wifi, giá 450k", "Panthera pardus"),
    ("Baby monitor with camera, wifi, night vision, $45", "Varanus"),
    ("Thắt lưng nam da PU họa tiết vân cá sấu, khóa tự động, giá 99k", "Crocodylia"),
    ("修眉刀片 化妆工具 刮眉 画眉 单片卖", "Garrulax canorus"),
    ("多肉植物 玉珊瑚 垂吊 盆栽 包邮", "Anthozoa"),
    ("ทำไมรถฟอร์ดไม่ใส่ ครีบฉลาม Shark Fin มาให้ด้วยนะ", "Selachimorpha"),
    ("เสื้อเชิ้ตสีขาวงาช้าง ผ้าฝ้าย โทนสีครีม ราคา 390 บาท", "Elephantidae"),
    ("暖象牙 背景 配色 主题 卡面", "Elephantidae"),
    ("Mặt nạ trứng cá tầm phục hồi tái tạo da 30ml, giá 45k", "Acipenseriformes"),
    ("Coral reef friendly sunscreen SPF 50, 60 ml, $15", "Anthozoa"),
])
def test_everyday_senses_name_no_species(scanner: Scanner, title: str, absent: str) -> None:
    r = _scan(scanner, title)
    assert absent not in _taxa(r), (title, r.reasons)
    assert r.verdict != "wildlife_offer", (title, r.reasons)


@pytest.mark.parametrize(("title", "taxon"), [
    ("Bán rùa giải còn sống 12 kg, giải sông Hồng, giá liên hệ", "Pelochelys cantorii"),
    ("Vòng tay vảy đồi mồi thật, chạm khắc thủ công, giá 3 triệu", "Eretmochelys imbricata"),
    ("天然玳瑁手镯 老玳瑁 雕刻 出售", "Eretmochelys imbricata"),
    ("Antique Victorian carved tortoiseshell comb, genuine bekko, $450", "Eretmochelys imbricata"),
])
def test_the_wildlife_sense_still_counts(scanner: Scanner, title: str, taxon: str) -> None:
    r = _scan(scanner, title)
    assert taxon in _taxa(r), (title, r.reasons)


def test_the_horny_layer_of_the_skin_is_not_horn(scanner: Scanner) -> None:
    r = _scan(scanner, "Gel tẩy tế bào chết loại bỏ lớp sừng, tế bào sừng già, 180ml, giá 250k")
    assert "sừng" not in _counted(r), r.matches
    assert "Rhinocerotidae" in _taxa(_scan(scanner, "Bán sừng tê giác thật nguyên chiếc, giá liên hệ"))


def test_cosmetic_ingredients_are_not_wildlife_products(scanner: Scanner) -> None:
    r = _scan(scanner, "Tinh chất ốc sên phục hồi da, serum dưỡng ẩm 50ml, giá 350.000đ")
    assert "tinh chất" not in _counted(r), r.matches
    r = _scan(scanner, "Ginseng extract face cream, anti-aging moisturizer 50 ml, $20")
    assert "extract" not in _counted(r), r.matches


# -- generic product names ---------------------------------------------------------------------


@pytest.mark.parametrize("title", [
    "花胶 500g 正宗深海鱼胶 滋补 包邮 价格 微信",
    "港式金汤鲍鱼花胶鸡加热即食鱼胶滋补食材1650g礼盒",
    "Dried fish maw 500 g, premium swim bladder, $60",
])
def test_generic_fish_maw_names_no_species(scanner: Scanner, title: str) -> None:
    r = _scan(scanner, title)
    assert "Totoaba macdonaldi" not in _taxa(r), (title, r.matches)


def test_totoaba_maw_named_after_the_species_still_resolves(scanner: Scanner) -> None:
    assert "Totoaba macdonaldi" in _taxa(_scan(scanner, "Totoaba maw for sale, 1 kg, WhatsApp"))
    # 金钱鳘 names the Chinese bahaba (黄唇鱼, not CITES-listed), not totoaba (issue 26)
    taxa = _taxa(_scan(scanner, "金钱鳘胶 500g 出售"))
    assert "Bahaba taipingensis" in taxa and "Totoaba macdonaldi" not in taxa


@pytest.mark.parametrize("title", [
    "Tortoiseshell sunglasses for women, polarized, $25",
    "Ray-Ban tortoiseshell frames, new, price $80",
    "tortoiseshell hair clip claw clip, 3 pack, $9",
    "Tortoiseshell kitten for sale, 10 weeks, vaccinated, $150",
    "Tortoiseshell, $50",
])
def test_tortoiseshell_as_a_pattern_names_no_species(scanner: Scanner, title: str) -> None:
    r = _scan(scanner, title)
    assert "Eretmochelys imbricata" not in _taxa(r), (title, r.reasons)
    assert r.verdict != "wildlife_offer", (title, r.reasons)


# -- products that were missed -------------------------------------------------------------------


@pytest.mark.parametrize(("title", "taxon"), [
    ("鱼翅 500g 出售 包邮", "Selachimorpha"),
    ("鯊魚翅 排翅 乾貨 500克 出售", "Selachimorpha"),
    ("vây cá mập khô bán giá rẻ", "Selachimorpha"),
    ("ขายหูฉลามแห้ง ราคาส่ง", "Selachimorpha"),
    ("ขายตัวนิ่ม มีชีวิต ราคาถูก", "Manidae"),
    ("vảy tê tê bán giá tốt", "Manidae"),
    ("虎骨酒 出售 正品", "Panthera tigris"),
    ("Bán rượu hổ cốt, giá 2 triệu", "Panthera tigris"),
    ("rượu cao hổ ngâm lâu năm, giá liên hệ", "Panthera tigris"),
])
def test_missed_products_name_their_taxon(scanner: Scanner, title: str, taxon: str) -> None:
    r = _scan(scanner, title)
    assert taxon in _taxa(r), (title, r.matches)


def test_shark_fin_car_antenna_is_still_a_car_part(scanner: Scanner) -> None:
    r = _scan(scanner, "Shark fin antenna for car roof, black, $12 free shipping")
    assert "Selachimorpha" not in _taxa(r), r.reasons
