"""Thumbnails of the server's own image files: a small JPEG made once with Pillow and kept in a
bounded in-memory cache (keyed by the file, its size and modification time, and the box), so the
queue's and the listing page's thumbnails cost one resize per image per process.
"""

from __future__ import annotations

import io
import warnings
from functools import lru_cache
from pathlib import Path

from wildtrace import extras
from wildtrace.errors import InvalidRecord

extras.need("investigations", "PIL")

from PIL import Image, ImageOps, UnidentifiedImageError  # noqa: E402

#: Named boxes (the longest side, in pixels) a thumbnail request may ask for.
SIZES = {"thumb": 96, "small": 320}
#: Thumbnails kept in memory at most (a 96 px JPEG is a few kilobytes).
CACHE_ENTRIES = 4096
#: Pixels an image may have to be thumbnailed (a decompression bomb is refused, not decoded).
MAX_PIXELS = 60_000_000


def thumbnail(path: Path, box: int) -> bytes:
    """A JPEG of ``path`` fitting ``box`` × ``box`` pixels (never enlarged). Raises
    ``InvalidRecord`` when the file is not a readable image."""
    stat = Path(path).stat()
    return _cached(str(path), stat.st_size, stat.st_mtime_ns, box)


@lru_cache(maxsize=CACHE_ENTRIES)
def _cached(path: str, size: int, mtime_ns: int, box: int) -> bytes:  # noqa: ARG001 - cache keys
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as source:
                if source.width * source.height > MAX_PIXELS:
                    raise InvalidRecord(f"image too large to thumbnail ({source.width}x{source.height})")
                source.draft("RGB", (box, box))
                img: Image.Image = ImageOps.exif_transpose(source)
                img.thumbnail((box, box))
                if img.mode not in ("RGB", "L"):
                    rgba = img.convert("RGBA")
                    img = Image.new("RGB", rgba.size, "white")
                    img.paste(rgba, mask=rgba.getchannel("A"))
                out = io.BytesIO()
                img.save(out, "JPEG", quality=80, optimize=True)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombWarning,
            Image.DecompressionBombError) as exc:
        raise InvalidRecord(f"not a readable image ({type(exc).__name__})") from exc
    return out.getvalue()
