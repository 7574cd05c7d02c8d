"""Seeded generator of synthetic listings for benchmarks (not for quality figures).

The listings mix wildlife offers, depictions, innocent uses of wildlife words and
ordinary goods in the eight languages (each listing in one language, as real
listings are), with obfuscation, so the benchmark walks every code path. They are written by the project: never report quality on them.

``listings(n, shape=...)`` draws each listing's length from a real length distribution
(``lengths.json``, derived by ``length_quantiles.py`` from real listings): ``title`` (short
marketplace titles, mean 44 characters), ``tweet`` (social posts, mean 239) or ``long`` (marketplace
listings with a description, mean 1,189). Without a shape, the old mix (78 characters on average).

    python benchmarks/generate.py 1000 --shape long > listings.jsonl
"""

from __future__ import annotations

import argparse
import bisect
import json
import random
import sys
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

# Per language: (wildlife offers, depictions or faux, innocent goods, body texts).
POOLS: dict[str, tuple[list[str], list[str], list[str], list[str]]] = {
    "en": (["Raw rhino horn pieces, genuine", "Bovine bone bangle, old, carved", "i.v.o.r.y netsuke 1v0ry carving",
            "Baby African grey parrot, hand-fed", "Helmeted hornbill casque carving", "Tiger bone wine, old stock",
            "Totoaba maw, dried fish bladder", "Live slow loris, tame", "Pangolin scales, wholesale",
            "Ball python for sale, captive bred", "Black coral bracelet, genuine"],
           ["Cute shark plush toy 40cm", "Fossil shark teeth replica", "Faux crocodile leather handbag",
            "Elephant print cushion cover", "Tiger figurine, resin"],
           ["Ivory colour lace wedding dress", "Learn Python programming course", "Coral pink lipstick",
            "Second-hand iPhone 13, good condition", "Mountain bike 29 inch", "Oak dining table for six"],
           ["Ship worldwide, DM me on WhatsApp +84 912 345 678", "Good condition, pick up only",
            "Brand new in box, no returns", "Price is firm, serious buyers only", ""]),
    "fr": (["Vends défense d'éléphant en ivoire", "Écailles de pangolin, prix de gros", "Corne de rhinocéros ancienne"],
           ["Peluche requin pour enfants", "Sac en simili crocodile"],
           ["Table en chêne massif", "Vélo de ville en bon état", "Robe couleur ivoire, taille 38"],
           ["Pièce ancienne, prix à débattre", "Envoi possible dans toute la France", "Très bon état, à venir chercher"]),
    "es": (["Vendo colmillo de marfil auténtico", "Escamas de pangolín, precio por kilo", "Loro gris africano bebé"],
           ["Tiburón de peluche gigante", "Bolso de piel sintética de cocodrilo"],
           ["Mesa de comedor de roble", "Bicicleta de montaña usada", "Vestido de novia color marfil"],
           ["Envío a todo el país, precio negociable", "En muy buen estado, recogida en mano"]),
    "pt": (["Vende-se escamas de pangolim", "Chifre de rinoceronte, peça antiga", "Papagaio-cinzento filhote"],
           ["Tubarão de pelúcia para crianças", "Bolsa de couro sintético de crocodilo"],
           ["Mesa de jantar de carvalho", "Bicicleta usada em bom estado"],
           ["Entrega rápida, preço por kg", "Aceito trocas, retirada no local"]),
    "zh": (["出售 犀角 杯 老货 保真", "象 牙 手鐲 天然 正品", "熊胆粉 正品", "穿山甲片 批发", "鹤顶红 雕件"],
           ["毛绒 鲨鱼 玩具", "仿真 象牙 树脂 摆件"],
           ["二手 笔记本电脑", "全新 运动鞋 42码", "实木 餐桌"],
           ["私聊 加微信 包邮", "价格 可议 同城 自提"]),
    "vi": (["Vảy tê tê loại 1 giá tốt", "Mật gấu nguyên chất", "Trăn gấm con giống", "tắc kè khô làm thuốc",
            "Sừng tê giác thật"],
           ["Gấu bông con hổ", "Đồ chơi cá mập nhựa"],
           ["Bàn làm việc gỗ", "Xe đạp cũ còn tốt", "Áo dài màu ngà"],
           ["Liên hệ Zalo 0987 654 321, ship COD", "Hàng chính hãng, bảo hành 12 tháng"]),
    "th": (["ขาย นอแรด แท้ ราคาถูก", "งาช้าง แท้ เก่า", "เกล็ดลิ่น ขายส่ง"],
           ["ตุ๊กตาช้าง ของเล่น", "ตุ๊กตาฉลาม ผ้านุ่ม"],
           ["เสื้อยืดผ้าฝ้าย", "จักรยานมือสอง สภาพดี"],
           ["ติดต่อไลน์ ส่งฟรี", "สินค้าใหม่ พร้อมส่ง"]),
    "id": (["Sisik trenggiling asli untuk obat", "Jual anakan kakatua jambul kuning", "Gading gajah asli",
            "Cula badak asli"],
           ["Boneka hiu lucu untuk anak", "Tas kulit buaya sintetis"],
           ["Sepatu lari pria ukuran 42", "Meja kayu jati", "Sepeda gunung bekas"],
           ["Harga nego, minat hubungi WA 0812-3456-7890", "Barang baru, siap kirim"]),
}
LANG_WEIGHTS = {"en": 4, "zh": 2, "vi": 2, "id": 2, "th": 1, "fr": 1, "es": 1, "pt": 1}
# Ordinary description sentences per language: what fills a long listing around its offer.
FILLER: dict[str, list[str]] = {
    "en": ["Made from high quality materials, durable and easy to clean.", "Size and colour as shown in the photos.",
           "Please check the measurements before ordering.", "Suitable for home, office and gifts.",
           "We reply to every message within 24 hours.", "Package includes one item, accessories not included.",
           "Store in a cool, dry place away from direct sunlight.", "Colours may vary slightly due to screen settings."],
    "fr": ["Fabriqué avec des matériaux de qualité, solide et facile à nettoyer.", "Dimensions indiquées sur les photos.",
           "Livraison soignée sous 48 heures.", "Idéal pour offrir ou pour la maison."],
    "es": ["Fabricado con materiales de alta calidad, resistente y fácil de limpiar.",
           "Medidas y color como en las fotos.", "Envío rápido y seguro a todo el país.", "Ideal para regalo."],
    "pt": ["Feito com materiais de alta qualidade, resistente e fácil de limpar.", "Tamanho e cor conforme as fotos.",
           "Enviamos para todo o Brasil com rapidez.", "Ótimo para presente."],
    "zh": ["采用优质材料 经久耐用 易于清洁", "尺寸和颜色以图片为准", "下单前请确认尺寸", "适合家居 办公 送礼",
           "二十四小时内回复消息", "请存放在阴凉干燥处"],
    "vi": ["Sản phẩm được làm từ chất liệu cao cấp, bền và dễ vệ sinh.", "Kích thước và màu sắc như hình.",
           "Vui lòng kiểm tra kích thước trước khi đặt hàng.", "Thích hợp làm quà tặng và dùng trong gia đình.",
           "Bảo quản nơi khô ráo, thoáng mát, tránh ánh nắng trực tiếp.", "Shop phản hồi tin nhắn trong 24 giờ."],
    "th": ["ผลิตจากวัสดุคุณภาพดี ทนทาน ทำความสะอาดง่าย", "ขนาดและสีตามรูปภาพ", "กรุณาตรวจสอบขนาดก่อนสั่งซื้อ",
           "เหมาะสำหรับเป็นของขวัญ"],
    "id": ["Terbuat dari bahan berkualitas tinggi, awet dan mudah dibersihkan.", "Ukuran dan warna sesuai foto.",
           "Mohon cek ukuran sebelum memesan.", "Cocok untuk hadiah dan kebutuhan rumah.",
           "Simpan di tempat sejuk dan kering."],
}
SHAPES = ("title", "tweet", "long")


@lru_cache(maxsize=1)
def _lengths() -> dict[str, object]:
    with open(Path(__file__).parent / "lengths.json", encoding="utf-8") as fh:
        doc: dict[str, object] = json.load(fh)
    return doc


def draw_length(rng: random.Random, shape: str) -> int:
    """A length drawn from the shape's real quantiles (linear between percentiles)."""
    doc = _lengths()
    percentiles: list[float] = doc["percentiles"]  # type: ignore[assignment]
    lengths: list[int] = doc["shapes"][shape]["lengths"]  # type: ignore[index]
    u = rng.random() * 100
    i = min(len(percentiles) - 2, bisect.bisect_right(percentiles, u) - 1)
    lo, hi = percentiles[i], percentiles[i + 1]
    return max(1, round(lengths[i] + (lengths[i + 1] - lengths[i]) * (u - lo) / (hi - lo)))


def _shaped(rng: random.Random, lang: str, title: str, body: list[str], length: int, shape: str) -> tuple[str, str]:
    """A title and text whose lengths add up to ``length``: a title alone is cut to it, a post or a
    description is grown from the listing's own sentences and ordinary ones in its language."""
    if length <= len(title):
        return title[:length].rstrip(), ""
    sep = "" if lang in ("zh", "th") else " "
    want = length - len(title)
    parts = [t for t in body if t]
    size = sum(len(p) + len(sep) for p in parts)
    while size < want:
        part = rng.choice(FILLER[lang])
        parts.insert(rng.randrange(len(parts) + 1), part)
        size += len(part) + len(sep)
    return title, sep.join(parts)[:want].rstrip()


def listings(n: int, seed: int = 7, shape: str | None = None) -> Iterator[dict[str, object]]:
    rng = random.Random(seed)
    langs = [lang for lang, w in LANG_WEIGHTS.items() for _ in range(w)]
    for i in range(n):
        lang = rng.choice(langs)
        wildlife, depiction, innocent, texts = POOLS[lang]
        roll = rng.random()
        pool = wildlife if roll < 0.3 else depiction if roll < 0.4 else innocent
        title, text = rng.choice(pool), " ".join(rng.sample(texts, min(2, len(texts))))
        if shape is not None:
            title, text = _shaped(rng, lang, title, rng.sample(texts, min(2, len(texts))),
                                  draw_length(rng, shape), shape)
        record: dict[str, object] = {
            "id": f"g{i}", "title": title, "text": text,
            "seller": f"seller{rng.randrange(n // 20 + 1)}", "platform": rng.choice(["fb", "shopee", "ebay", "zalo"]),
            "posted_at": f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
        }
        if rng.random() < 0.7:
            record["price"] = str(rng.randint(5, 5000))
            record["currency"] = rng.choice(["USD", "VND", "CNY", "THB", "IDR", "EUR"])
        yield record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("n", type=int)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--shape", choices=SHAPES, help="lengths drawn from real listings (lengths.json)")
    args = parser.parse_args()
    out = sys.stdout
    for record in listings(args.n, args.seed, args.shape):
        out.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
