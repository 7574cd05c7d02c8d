from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from wildtrace.errors import InvalidRecord
from wildtrace.images.fingerprint import exif, fingerprint
from wildtrace.images.ocr import ocr, packs_for
from wildtrace.sellers.fingerprints import hamming, near_pairs
from wildtrace.sellers.identifiers import extract

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def _photo(seed: int) -> Image.Image:
    """A synthetic 'product photo': shapes placed by the seed."""
    img = Image.new("RGB", (320, 240), (200 - seed * 20, 180, 150 + seed * 10))
    d = ImageDraw.Draw(img)
    for i in range(6):
        x = (seed * 53 + i * 47) % 260
        y = (seed * 31 + i * 67) % 180
        d.ellipse((x, y, x + 60, y + 50), fill=((i * 40 + seed * 70) % 255, 90, (seed * 90) % 255))
    return img


def test_near_duplicate_photos_are_found(tmp_path: Path) -> None:
    _photo(1).save(tmp_path / "a.png")
    _photo(1).resize((200, 150)).save(tmp_path / "a_small.jpg", quality=60)  # re-posted, recompressed
    _photo(4).save(tmp_path / "b.png")
    fps = {p.name: fingerprint(p) for p in sorted(tmp_path.iterdir())}
    assert fps["a.png"].sha256 != fps["a_small.jpg"].sha256
    assert hamming(fps["a.png"].phash, fps["a_small.jpg"].phash) <= 6
    assert hamming(fps["a.png"].phash, fps["b.png"].phash) > 12
    pairs = list(near_pairs([(k, v.phash) for k, v in fps.items()], max_distance=8))
    assert [(a, b) for a, b, _ in pairs] == [("a.png", "a_small.jpg")]


def test_exif_camera_time_gps(tmp_path: Path) -> None:
    img = _photo(2)
    ex = Image.Exif()
    ex[0x010F] = "Canon"  # Make
    ex[0x0110] = "EOS 80D"  # Model
    ex[0x0132] = "2026:10:01 12:30:00"  # DateTime
    gps = {1: "N", 2: (21.0, 1.0, 30.0), 3: "E", 4: (105.0, 51.0, 0.0)}
    ex[0x8825] = gps
    path = tmp_path / "exif.jpg"
    img.save(path, exif=ex)
    got = exif(path)
    assert got["camera"] == "Canon EOS 80D"
    assert got["taken_at"] == "2026:10:01 12:30:00"
    assert got["gps"] == {"lat": pytest.approx(21.025, abs=1e-4), "lon": pytest.approx(105.85, abs=1e-4)}
    _photo(3).save(tmp_path / "plain.png")
    assert exif(tmp_path / "plain.png") == {}


def test_unreadable_image_is_an_invalid_record(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"<html>not an image</html>")
    with pytest.raises(InvalidRecord, match="not a readable image"):
        fingerprint(bad)


def test_packs_follow_listing_language() -> None:
    assert packs_for("zh") == ["chi_sim", "chi_tra", "eng"]
    assert packs_for("vi") == ["vie", "eng"]
    assert packs_for(None) == ["eng"]


def test_ocr_text_feeds_identifier_extraction(tmp_path: Path) -> None:
    img = Image.new("RGB", (900, 160), "white")
    d = ImageDraw.Draw(img)
    d.text((20, 40), "Zalo 0987 654 321", fill="black", font=ImageFont.truetype(FONT, 64))
    path = tmp_path / "contact.png"
    img.save(path)
    result = ocr(path, "vi")
    assert result.packs == ["vie", "eng"], result
    idents = {(i.kind, i.value) for i in extract(result.text, country="VN")}
    assert ("phone", "+84987654321") in idents, result.text


def test_ocr_chinese_pack(tmp_path: Path) -> None:
    img = Image.new("RGB", (900, 160), "white")
    d = ImageDraw.Draw(img)
    cjk = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
    font = ImageFont.truetype(str(cjk), 60) if cjk.exists() else ImageFont.truetype(FONT, 60)
    d.text((20, 40), "微信 hk_horn_88" if cjk.exists() else "WeChat: hk_horn_88", fill="black", font=font)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    (tmp_path / "wx.png").write_bytes(buf.getvalue())
    result = ocr(tmp_path / "wx.png", "zh")
    assert "chi_sim" in result.packs
    assert ("wechat", "hk_horn_88") in {(i.kind, i.value) for i in extract(result.text)}, result.text
