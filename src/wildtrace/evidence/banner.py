"""The banner on a capture's screenshot: the page's URL, the capture time (UTC) and the page's
SHA-256, drawn into the image above the page (Pillow), so a printed or cropped-out screenshot
still says what it shows.

The URL is written by a criminal: it is drawn as pixels (nothing is ever parsed as markup), made
ASCII first (every other character percent-encoded, control characters dropped, so no
right-to-left override or look-alike letter can disguise it) and cut to two lines with ``...``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from PIL import Image, ImageDraw, ImageFont

#: A monospaced face for the banner (the hash lines up); Pillow's own font when it is missing
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
SIZE = 15
PAD = 8
#: Longest URL kept, in characters, before it is measured against the width
MAX_URL = 600
URL_LINES = 2


def banner_lines(url: str, captured_at: str, sha256: str) -> list[str]:
    """The banner's text: ``URL:``, ``Captured (UTC):`` and ``Page SHA-256:`` lines (unmeasured)."""
    return [f"URL: {safe_url(url)}", f"Captured (UTC): {ascii_text(captured_at)}",
            f"Page SHA-256: {ascii_text(sha256)}"]


def ascii_text(value: str) -> str:
    """``value`` as printable ASCII: every other character percent-encoded, controls dropped."""
    kept = "".join(ch for ch in str(value) if ch.isprintable() or ord(ch) > 127)
    return quote(kept, safe="".join(chr(c) for c in range(33, 127)) + " ")


def safe_url(url: str) -> str:
    """``url`` as the banner shows it: ASCII (``ascii_text``), at most ``MAX_URL`` characters."""
    text = ascii_text(url)
    return text if len(text) <= MAX_URL else text[:MAX_URL - 3] + "..."


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if Path(FONT).is_file():
        return ImageFont.truetype(FONT, size)
    return ImageFont.load_default(size)


def _fit(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: float, lines: int) -> list[str]:
    """``text`` cut into at most ``lines`` lines of ``width`` pixels (the face is monospaced), the
    last ending ``...`` if cut."""
    per_line = max(8, int(width // max(1.0, font.getlength("M"))))
    out = [text[i:i + per_line] for i in range(0, max(1, len(text)), per_line)]
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][:per_line - 3] + "..."
    return out


def draw_banner(png: Path, url: str, captured_at: str, sha256: str) -> None:
    """Put the banner above the screenshot in ``png`` (rewritten in place: the caller's own
    unfinished file, never a kept one)."""
    with Image.open(png) as shot:
        page = shot.convert("RGB")
    font = _font(SIZE)
    width = max(page.width, 640)
    lines: list[str] = []
    for i, line in enumerate(banner_lines(url, captured_at, sha256)):
        lines += _fit(line, font, width - 2 * PAD, URL_LINES if i == 0 else 1)
    step = SIZE + 6
    top = PAD * 2 + step * len(lines)
    out = Image.new("RGB", (width, top + page.height), "white")
    draw = ImageDraw.Draw(out)
    draw.rectangle((0, 0, width, top - 1), fill=(255, 243, 205))
    draw.line((0, top - 1, width, top - 1), fill=(120, 90, 0), width=2)
    for i, line in enumerate(lines):
        draw.text((PAD, PAD + i * step), line, fill=(0, 0, 0), font=font)
    out.paste(page, (0, top))
    out.save(png, format="PNG")


__all__ = ["banner_lines", "draw_banner", "safe_url"]
