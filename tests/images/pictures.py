"""Real image files for the image tests, made with Pillow: a photo-like picture per seed, a
resized and recompressed copy of it, and a picture with printed words."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def photo(path: Path, seed: int, size: tuple[int, int] = (480, 360)) -> Path:
    """A smooth random picture (coarse noise scaled up): structure a perceptual hash sees."""
    rng = np.random.default_rng(seed)
    coarse = (rng.random((9, 12, 3)) * 255).astype("uint8")
    img = Image.fromarray(coarse, "RGB").resize(size, Image.Resampling.BICUBIC)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return path


def recompressed(source: Path, path: Path, scale: float = 0.5, quality: int = 55) -> Path:
    """``source`` resized and saved again as a lossy JPEG: a near-duplicate."""
    with Image.open(source) as img:
        small = img.convert("RGB").resize((int(img.width * scale), int(img.height * scale)),
                                          Image.Resampling.LANCZOS)
    path.parent.mkdir(parents=True, exist_ok=True)
    small.save(path, "JPEG", quality=quality)
    return path


def printed(path: Path, words: str) -> Path:
    """Black words on white, large enough for tesseract."""
    font = ImageFont.truetype(FONT, 44)
    img = Image.new("RGB", (80 + 36 * len(words), 140), "white")
    ImageDraw.Draw(img).text((20, 40), words, fill="black", font=font)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)
    return path
