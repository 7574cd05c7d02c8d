"""Text in listing images, read by Debian's ``tesseract`` command with the language packs for the
listing's language (``data/identifiers.yaml`` ``ocr_packs``; English always added; packs that are
not installed are left out and named in the result). Needs no Python package beyond the core.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from wildtrace.errors import InvalidRecord
from wildtrace.sellers.identifiers import reference


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
