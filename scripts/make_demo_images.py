"""Draw the demo listings' images: small, clearly synthetic pictures, one per demo listing.

Each picture is a seeded pattern of shapes in the colours of the listing's kind, under a band that
says SYNTHETIC DEMO IMAGE with the listing id and a caption: nothing in them is a photograph.
Two listings on different platforms (d12, d13: pangolin scales) carry the same picture, the second
re-encoded as JPEG, as a seller re-posting one photo would: the seller network links them by
near-duplicate pHash. Every other picture is far from the rest (checked here: more than 10 bits of pHash, where the network links at 6).

Run: ``python scripts/make_demo_images.py`` (writes ``src/wildtrace/data/demo/``; the same bytes
every time: the seeds are the ids, PNG and JPEG are written without timestamps).
"""

from __future__ import annotations

import io
import random
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "wildtrace" / "data" / "demo"
SIZE = (320, 240)

#: id -> (caption, kind); kind picks the colours
CAPTIONS = {
    "d01": ("rhino horn pieces", "horn"), "d02": ("pangolin scales", "scales"),
    "d03": ("rhino horn cup", "horn"), "d04": ("ivory bangle", "ivory"),
    "d05": ("bone bangle", "ivory"), "d06": ("ivory netsuke", "ivory"),
    "d07": ("grey parrot", "bird"), "d08": ("cockatoo chick", "bird"),
    "d09": ("rhino horn", "horn"), "d10": ("ivory tusk", "ivory"),
    "d11": ("ivory tusk", "ivory"), "d12": ("pangolin scales", "scales"),
    "d14": ("bear bile powder", "medicine"), "d15": ("bear bile", "medicine"),
    "d16": ("hornbill casque", "horn"), "d17": ("tiger bone wine", "medicine"),
    "d18": ("shark plush toy", "toy"), "d19": ("lace dress", "toy"),
    "d20": ("resin shark teeth", "toy"), "d21": ("faux croc bag", "toy"),
    "d22": ("python course", "toy"), "d23": ("elephant cushion", "toy"),
    "d24": ("ball python", "reptile"), "d25": ("python", "reptile"),
    "d26": ("dried gecko", "reptile"), "d27": ("agarwood chips", "plant"),
    "d28": ("black coral", "sea"), "d29": ("phone", "toy"),
    "d30": ("fish maw", "sea"), "d31": ("pangolin scales", "scales"),
    "d32": ("clam shell", "sea"), "d33": ("mammoth ivory", "ivory"),
    "d34": ("hippo tooth", "ivory"), "d35": ("slow loris", "bird"),
}
#: the re-posted picture: d13 carries d12's, as JPEG
REPOSTED = {"d13": "d12"}
PALETTE = {
    "horn": ((92, 64, 51), [(160, 120, 90), (60, 40, 30), (200, 170, 130)]),
    "ivory": ((70, 70, 90), [(240, 230, 200), (220, 205, 170), (180, 170, 150)]),
    "scales": ((60, 50, 40), [(150, 110, 70), (120, 90, 60), (190, 150, 100)]),
    "bird": ((40, 90, 60), [(150, 150, 160), (240, 220, 60), (200, 60, 60)]),
    "medicine": ((90, 30, 30), [(200, 160, 40), (120, 70, 20), (240, 200, 120)]),
    "reptile": ((30, 70, 40), [(120, 160, 60), (60, 100, 40), (200, 190, 90)]),
    "plant": ((60, 40, 20), [(130, 90, 40), (90, 60, 30), (170, 130, 80)]),
    "sea": ((20, 40, 90), [(20, 20, 20), (230, 230, 240), (80, 150, 200)]),
    "toy": ((80, 80, 120), [(230, 120, 160), (120, 200, 230), (250, 250, 250)]),
}


def draw(listing_id: str, caption: str, kind: str) -> Image.Image:
    background, colours = PALETTE[kind]
    rng = random.Random(f"wildtrace-demo-{listing_id}")
    img = Image.new("RGB", SIZE, background)
    pen = ImageDraw.Draw(img)
    for _ in range(14):
        x, y = rng.randrange(-40, SIZE[0]), rng.randrange(-40, SIZE[1] - 50)
        w, h = rng.randrange(30, 140), rng.randrange(20, 110)
        colour = rng.choice(colours)
        if rng.random() < 0.5:
            pen.ellipse((x, y, x + w, y + h), fill=colour)
        else:
            pen.polygon([(x, y + h), (x + w // 2, y), (x + w, y + h)], fill=colour)
    font = ImageFont.load_default(size=15)
    pen.rectangle((0, SIZE[1] - 48, SIZE[0], SIZE[1]), fill=(255, 255, 255))
    pen.text((8, SIZE[1] - 44), "SYNTHETIC DEMO IMAGE", fill=(180, 0, 0), font=font)
    pen.text((8, SIZE[1] - 24), f"{listing_id} - {caption}", fill=(0, 0, 0), font=font)
    return img


def png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def jpeg(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=80)
    return buf.getvalue()


def main(out: Path = OUT) -> int:
    import imagehash

    out.mkdir(parents=True, exist_ok=True)
    pictures = {i: draw(i, *CAPTIONS[i]) for i in CAPTIONS}
    for listing_id, img in pictures.items():
        (out / f"{listing_id}.png").write_bytes(png(img))
    for listing_id, source in REPOSTED.items():
        (out / f"{listing_id}.jpg").write_bytes(jpeg(pictures[source]))
    hashes = {p.stem: imagehash.phash(Image.open(p)) for p in sorted(out.glob("d*.*"))}
    pairs = {tuple(sorted((a, REPOSTED.get(a, a)))) for a in REPOSTED}
    names = sorted(hashes)
    for n, a in enumerate(names):
        for b in names[n + 1:]:
            distance = hashes[a] - hashes[b]
            wanted = (a, b) in pairs or (b, a) in pairs
            if wanted and distance > 6 or not wanted and distance <= 10:
                print(f"make_demo_images: {a} and {b} are {distance} bits apart", file=sys.stderr)
                return 1
    print(f"wrote {len(hashes)} images to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
