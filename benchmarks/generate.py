"""Seeded generator of synthetic listings for benchmarks (not for quality figures).

The listings mix wildlife offers, depictions, innocent uses of wildlife words and
ordinary goods in the eight languages, with obfuscation, so the benchmark walks
every code path. They are written by the project: never report quality on them.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator

WILDLIFE = [
    "Raw rhino horn pieces, genuine", "Vảy tê tê loại 1 giá tốt", "出售 犀角 杯 老货 保真", "象 牙 手鐲 天然 正品",
    "Bovine bone bangle, old, carved", "i.v.o.r.y netsuke 1v0ry carving", "Baby African grey parrot, hand-fed",
    "Jual anakan kakatua jambul kuning", "ขาย นอแรด แท้ ราคาถูก", "Vends défense d'éléphant en ivoire",
    "Vendo colmillo de marfil auténtico", "Vende-se escamas de pangolim", "Sisik trenggiling asli untuk obat",
    "熊胆粉 正品", "Mật gấu nguyên chất", "Helmeted hornbill casque carving", "Tiger bone wine, old stock",
    "Trăn gấm con giống", "tắc kè khô làm thuốc", "Totoaba maw, dried fish bladder", "Live slow loris, tame",
]
DEPICTION = ["Cute shark plush toy 40cm", "Fossil shark teeth replica", "Faux crocodile leather handbag",
             "Elephant print cushion cover", "Tiger figurine, resin", "Gấu bông con hổ", "ตุ๊กตาช้าง ของเล่น"]
INNOCENT = ["Ivory colour lace wedding dress", "Learn Python programming course", "Coral pink lipstick",
            "Second-hand iPhone 13, good condition", "Mountain bike 29 inch", "Bàn làm việc gỗ", "เสื้อยืดผ้าฝ้าย",
            "Sepatu lari pria ukuran 42", "Table en chêne massif", "Mesa de comedor de roble", "二手 笔记本电脑"]
TEXTS = ["Ship worldwide, DM me on WhatsApp +84 912 345 678", "Liên hệ Zalo 0987 654 321, ship COD",
         "私聊 加微信 包邮", "ติดต่อไลน์ ส่งฟรี", "Harga nego, minat hubungi WA 0812-3456-7890",
         "Pièce ancienne, prix à débattre", "Envío a todo el país, precio negociable", "Entrega rápida, preço por kg",
         "Good condition, pick up only", "Brand new in box, no returns", ""]


def listings(n: int, seed: int = 7) -> Iterator[dict[str, object]]:
    rng = random.Random(seed)
    for i in range(n):
        roll = rng.random()
        pool = WILDLIFE if roll < 0.3 else DEPICTION if roll < 0.4 else INNOCENT
        record: dict[str, object] = {
            "id": f"g{i}", "title": rng.choice(pool), "text": " ".join(rng.sample(TEXTS, 2)),
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
    args = parser.parse_args()
    out = sys.stdout
    for record in listings(args.n, args.seed):
        out.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
