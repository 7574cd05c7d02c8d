"""Image fingerprints: SHA-256 of the file, 64-bit pHash and dHash (ImageHash), width and height,
and EXIF (camera, time taken, GPS position). Near-duplicates are pHash within a few bits
(:func:`wildtrace.sellers.fingerprints.near_pairs`). Needs Pillow and ImageHash (the
``investigations`` extra).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wildtrace import extras
from wildtrace.errors import InvalidRecord

extras.need("investigations", "imagehash", "PIL")

import imagehash  # noqa: E402
from PIL import ExifTags, Image, UnidentifiedImageError  # noqa: E402


@dataclass(frozen=True)
class Fingerprint:
    path: str
    sha256: str
    phash: int
    dhash: int
    width: int
    height: int

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256, "phash": f"{self.phash:016x}",
                "dhash": f"{self.dhash:016x}", "width": self.width, "height": self.height}


def _open(path: Path) -> Image.Image:
    try:
        img = Image.open(path)
        img.load()
    except (UnidentifiedImageError, OSError) as exc:
        raise InvalidRecord(f"{path}: not a readable image ({exc})") from exc
    return img


def fingerprint(path: Path) -> Fingerprint:
    data = Path(path).read_bytes()
    img = _open(path)
    return Fingerprint(str(path), hashlib.sha256(data).hexdigest(), int(str(imagehash.phash(img)), 16),
                       int(str(imagehash.dhash(img)), 16), img.width, img.height)


def _ratio(value: Any) -> float:
    return float(value.numerator) / float(value.denominator) if hasattr(value, "numerator") else float(value)


def _dms(values: Any, ref: str | None) -> float | None:
    try:
        deg, minutes, seconds = (_ratio(v) for v in values)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    out = deg + minutes / 60 + seconds / 3600
    return -out if ref in ("S", "W") else out


def exif(path: Path) -> dict[str, Any]:
    """Camera, time taken and GPS position (``{}`` when the image carries none)."""
    img = _open(path)
    raw = img.getexif()
    if not raw:
        return {}
    tags = {ExifTags.TAGS.get(k, str(k)): v for k, v in raw.items()}
    sub = raw.get_ifd(ExifTags.IFD.Exif)
    tags.update({ExifTags.TAGS.get(k, str(k)): v for k, v in sub.items()})
    out: dict[str, Any] = {}
    camera = " ".join(str(tags[k]).strip("\x00 ") for k in ("Make", "Model") if tags.get(k))
    if camera:
        out["camera"] = camera
    taken = tags.get("DateTimeOriginal") or tags.get("DateTime")
    if taken:
        out["taken_at"] = str(taken).strip("\x00 ")
    gps = raw.get_ifd(ExifTags.IFD.GPSInfo)
    if gps:
        g = {ExifTags.GPSTAGS.get(k, str(k)): v for k, v in gps.items()}
        lat = _dms(g.get("GPSLatitude"), g.get("GPSLatitudeRef"))
        lon = _dms(g.get("GPSLongitude"), g.get("GPSLongitudeRef"))
        if lat is not None and lon is not None:
            out["gps"] = {"lat": round(lat, 6), "lon": round(lon, 6)}
    return out
