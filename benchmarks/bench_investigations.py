"""Speed and memory of the investigation tools on synthetic accounts (mechanics only, not quality).

    python benchmarks/bench_investigations.py --accounts 100000

Measures: identifier extraction (listings/s), pHash (images/s), network build
(linking by identifiers, near-duplicate text and images), metrics (components,
degree, betweenness, key players), and peak resident memory (ru_maxrss).
All listings are generated here (SYNTHETIC); none is real.
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw

from wildtrace.images.fingerprint import fingerprint
from wildtrace.sellers.identifiers import from_listing
from wildtrace.sellers.network import NetworkBuilder

WORDS = ("rhino horn ivory pangolin scales bracelet carved genuine ship worldwide price per gram contact "
         "hàng thật giá tốt liên hệ bán vảy tê tê sừng ngà voi 象牙 犀角 出售 保真").split()


def synth_results(n: int, seed: int = 7) -> list[dict[str, object]]:
    rng = random.Random(seed)
    phones = [f"+84 9{rng.randrange(10**8):08d}" for _ in range(n // 3)]
    wechats = [f"wx_{rng.randrange(10**9):09d}" for _ in range(n // 4)]
    out = []
    for i in range(n):
        parts = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 20)))]
        if rng.random() < 0.6:
            parts.append(f"Zalo {rng.choice(phones)}")
        if rng.random() < 0.3:
            parts.append(f"wx: {rng.choice(wechats)}")
        if rng.random() < 0.05:
            parts.append("mail seller" + str(rng.randrange(n)) + " at gmail dot com")
        out.append({"id": str(i), "risk_score": rng.random(), "lang": "vi",
                    "listing": {"seller": f"s{i}", "platform": rng.choice(["fb", "zalo", "shopee", "wechat"]),
                                "text": " ".join(parts), "url": f"https://m.example/{i}", "location": "Hanoi, VN"}})
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=100_000)
    ap.add_argument("--images", type=int, default=300)
    args = ap.parse_args()
    results = synth_results(args.accounts)
    rng = random.Random(3)

    t = time.perf_counter()
    sample = results[:5000]
    for r in sample:
        from_listing({"id": r["id"], **r["listing"]})  # type: ignore[dict-item]
    ident_rate = len(sample) / (time.perf_counter() - t)

    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in range(args.images):
            img = Image.new("RGB", (400, 300), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
            d = ImageDraw.Draw(img)
            for _ in range(5):
                x, y = rng.randrange(350), rng.randrange(250)
                d.ellipse((x, y, x + 50, y + 40), fill=(rng.randrange(256), 0, rng.randrange(256)))
            p = Path(tmp) / f"{i}.jpg"
            img.save(p, quality=85)
            paths.append(p)
        t = time.perf_counter()
        phashes = [fingerprint(p).phash for p in paths]
        phash_rate = len(paths) / (time.perf_counter() - t)

    t = time.perf_counter()
    builder = NetworkBuilder()
    for i, r in enumerate(results):
        builder.add_result(r, image_phashes=[phashes[i % len(phashes)]] if i % 50 == 0 else [])
    t_add = time.perf_counter() - t
    t = time.perf_counter()
    net = builder.build()
    t_build = time.perf_counter() - t
    t = time.perf_counter()
    m = net.metrics()
    t_metrics = time.perf_counter() - t
    t = time.perf_counter()
    ents = net.entities()
    t_ent = time.perf_counter() - t
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"accounts {m['accounts']:,}  links {m['links']:,}  linked {m['linked_accounts']:,}  "
          f"components>1 {len(m['components']):,}  entities {len(set(ents.values())):,}")
    print(f"identifier extraction: {ident_rate:,.0f} listings/s (5,000 listings)")
    print(f"pHash: {phash_rate:,.0f} images/s ({len(paths)} 400x300 JPEGs)")
    print(f"add (extraction + SimHash): {t_add:.1f} s; link: {t_build:.1f} s; metrics ({m['betweenness_method']}): "
          f"{t_metrics:.1f} s; entities: {t_ent:.1f} s; total {t_add + t_build + t_metrics + t_ent:.1f} s")
    print(f"peak RSS: {rss_mb:,.0f} MiB")


if __name__ == "__main__":
    main()
