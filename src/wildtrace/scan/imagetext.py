"""Image text: OCR of a listing's local images, so their text is scanned like the rest.

Sellers put prices, phone numbers and product names in photos to dodge text
filters. With ``Scanner(ocr_root=DIR)`` (``wildtrace scan --ocr-images DIR``) each
listing image given as a path under DIR is read with Debian's tesseract, using
the language packs for the listing's language, and the text is matched as the
field ``image_text``. Image URLs are not fetched (``wildtrace capture`` preserves
pages); paths outside DIR are refused (listing data is hostile).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wildtrace.errors import InvalidRecord
from wildtrace.images.ocr import ocr
from wildtrace.scan.listing import Listing


@dataclass
class ImageText:
    text: str = ""
    images: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "images": self.images, "errors": self.errors}


def local_image(root: Path, ref: str) -> Path:
    """The file a listing's image reference names under ``root`` (raises ``InvalidRecord``)."""
    if "://" in ref or ref.startswith("data:"):
        raise InvalidRecord("image URLs are not fetched during a scan")
    base = root.resolve()
    path = (base / ref).resolve()
    if not path.is_relative_to(base):
        raise InvalidRecord("image path leaves the images folder")
    if not path.is_file():
        raise InvalidRecord("no such image file")
    return path


def read(listing: Listing, root: Path, lang: str | None = None) -> ImageText:
    """OCR every local image of a listing; a bad image is recorded, never fatal."""
    out = ImageText()
    texts = []
    for ref in listing.images:
        try:
            path = local_image(root, ref)
            result = ocr(path, lang or listing.lang)
        except InvalidRecord as exc:
            out.errors.append({"image": ref[:200], "reason": exc.reason})
            continue
        except (OSError, TimeoutError) as exc:
            out.errors.append({"image": ref[:200], "reason": f"cannot read image: {exc}"})
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        out.images.append({"image": ref, "sha256": digest, "packs": result.packs, "tool": result.tool,
                           "chars": len(result.text)})
        if result.text:
            texts.append(result.text)
    out.text = "\n".join(texts)
    return out
