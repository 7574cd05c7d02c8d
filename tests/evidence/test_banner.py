"""The banner drawn above a capture's screenshot: URL, capture time (UTC) and the page's SHA-256,
safe against a hostile URL (drawn as pixels, made ASCII, cut to two lines)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from wildtrace.evidence.banner import MAX_URL, PAD, banner_lines, draw_banner, safe_url

SHA = "ab" * 32


def _page(path: Path, width: int = 1280, height: int = 900) -> Path:
    Image.new("RGB", (width, height), (10, 120, 200)).save(path, format="PNG")
    return path


def test_the_banner_sits_above_the_page(tmp_path: Path) -> None:
    png = _page(tmp_path / "shot.png")
    draw_banner(png, "https://market.example/listing/1", "2026-12-06T10:00:00.000001Z", SHA)
    with Image.open(png) as image:
        rgb = image.convert("RGB")
        assert rgb.width == 1280 and 900 < rgb.height < 1100, rgb.size
        assert rgb.getpixel((PAD // 2, PAD // 2)) == (255, 243, 205)  # the banner
        assert rgb.getpixel((640, rgb.height - 1)) == (10, 120, 200)  # the page, whole, below it
    assert banner_lines("https://m.example/x", "2026-12-06T10:00:00Z", SHA) == [
        "URL: https://m.example/x", "Captured (UTC): 2026-12-06T10:00:00Z", f"Page SHA-256: {SHA}"]


def test_a_hostile_url_is_made_ascii_and_cut(tmp_path: Path) -> None:
    evil = "https://xn--e1a.example/\u202egnp.exe\u0000<script>alert(1)</script>象牙" + "A" * 5000
    shown = safe_url(evil)
    assert shown.isascii() and len(shown) <= MAX_URL and shown.endswith("..."), shown[:100]
    assert "\u202e" not in shown and "%E2%80%AE" in shown and "%E8%B1%A1%E7%89%99" in shown
    assert "\x00" not in shown
    png = _page(tmp_path / "narrow.png", width=300, height=200)
    draw_banner(png, evil, "2026-12-06T10:00:00Z\n<b>", SHA)  # a narrow page: the banner is 640 wide
    with Image.open(png) as image:
        assert image.width == 640 and image.height < 200 + 8 * 30, image.size  # two URL lines at most
