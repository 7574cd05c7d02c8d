"""Listing images: perceptual hashes, EXIF, and OCR through Debian's ``tesseract``.

- ``fingerprint(path)``: SHA-256 of the file, 64-bit pHash and dHash (ImageHash),
  width and height. Near-duplicates are pHash within a few bits
  (:func:`wildtrace.sellers.fingerprints.near_pairs`).
- ``exif(path)``: camera make/model, the time the photo was taken, and GPS
  latitude/longitude in decimal degrees when present.
- ``ocr(path, lang)``: text read by the ``tesseract`` command with the language packs
  for the listing's language (``data/identifiers.yaml`` ``ocr_packs``; English always
  added; packs that are not installed are left out and named in the result).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import imagehash
from PIL import ExifTags, Image, UnidentifiedImageError

from wildtrace.errors import InvalidRecord
from wildtrace.sellers.identifiers import reference


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


@lru_cache(maxsize=1)
def installed_packs() -> frozenset[str]:
    binary = shutil.which("tesseract")
    if binary is None:
        return frozenset()
    done = subprocess.run([binary, "--list-langs"], capture_output=True, text=True, check=False, timeout=30)
    lines = (done.stdout or done.stderr).splitlines()
    return frozenset(line.strip() for line in lines[1:] if line.strip())


def packs_for(lang: str | None) -> list[str]:
    """Tesseract packs for a listing language (English always last)."""
    mapping: dict[str, list[str]] = reference()["ocr_packs"]["map"]
    packs = list(mapping.get((lang or "").lower()[:2], []))
    if "eng" not in packs:
        packs.append("eng")
    return packs


@dataclass
class OcrResult:
    text: str
    packs: list[str]
    missing_packs: list[str] = field(default_factory=list)
    tool: str = "tesseract"

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "packs": self.packs, "missing_packs": self.missing_packs, "tool": self.tool}


def ocr(path: Path, lang: str | None = None, timeout: float = 120.0) -> OcrResult:
    """Text in the image, read with the packs for ``lang``. Raises ``InvalidRecord`` if tesseract fails."""
    binary = shutil.which("tesseract")
    if binary is None:
        raise InvalidRecord("OCR needs the tesseract command (Debian package tesseract-ocr)")
    wanted = packs_for(lang)
    have = installed_packs()
    packs = [p for p in wanted if p in have] or ["eng"]
    missing = [p for p in wanted if p not in have]
    done = subprocess.run([binary, str(path), "stdout", "-l", "+".join(packs), "--psm", "3"],
                          capture_output=True, check=False, timeout=timeout)
    if done.returncode != 0:
        raise InvalidRecord(f"{path}: tesseract failed: {done.stderr.decode(errors='replace').strip()[:200]}")
    text = done.stdout.decode("utf-8", errors="replace").strip()
    return OcrResult(text=text, packs=packs, missing_packs=missing, tool=tesseract_version())


@lru_cache(maxsize=1)
def tesseract_version() -> str:
    binary = shutil.which("tesseract")
    if binary is None:
        return "tesseract (not installed)"
    done = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False, timeout=30)
    first = (done.stdout or done.stderr).splitlines()
    return first[0].strip() if first else "tesseract"
