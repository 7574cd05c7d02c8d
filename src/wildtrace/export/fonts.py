"""Fonts for the PDF report, so every script the scanner reads is drawn: Latin, Vietnamese, Thai,
Chinese. The table names each face, where Debian installs it and which package brings it; the first
present is the main face, the rest are fallbacks for the characters it lacks (fpdf2 picks a fallback
per character). A letter (or mark, or digit) no registered face can draw is the user's to fix
(``DataError`` naming the packages: no PDF with blank titles); a symbol no face has (an emoji) is
written as its code point, ``[U+1F418]``, so the reader sees something was there.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF

from wildtrace.errors import DataError

#: (name, regular file, bold file, Debian package, collection index) in order: main face first
FACES: tuple[tuple[str, str, str, str, int], ...] = (
    ("dejavu", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
     "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", "fonts-dejavu-core", 0),
    ("garuda", "/usr/share/fonts/truetype/tlwg/Garuda.ttf",
     "/usr/share/fonts/truetype/tlwg/Garuda-Bold.ttf", "fonts-thai-tlwg", 0),
    ("notocjk", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
     "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", "fonts-noto-cjk", 0),
)


@cache
def _cmap(path: str, index: int) -> frozenset[int]:
    with TTFont(path, fontNumber=index, lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


@dataclass
class Faces:
    """The faces registered on a PDF and the code points they cover together."""

    family: str
    covered: frozenset[int] = frozenset()
    missing_packages: list[str] = field(default_factory=list)

    def drawable(self, text: str) -> str:
        """``text`` as the PDF can draw it; a letter no face covers is a DataError."""
        out = []
        for ch in text:
            if ord(ch) in self.covered or ch in "\n\t" or (self.family == "helvetica" and ord(ch) < 256):
                out.append(ch)
            elif unicodedata.category(ch)[0] in "LMN":
                need = ", ".join(self.missing_packages) or "a font with this script"
                raise DataError(f"the PDF cannot draw {ch!r} (U+{ord(ch):04X}, "
                                f"{unicodedata.name(ch, 'unnamed')}): install {need}; nothing was written")
            else:
                out.append(f"[U+{ord(ch):04X}]")
        return "".join(out)


def register(pdf: FPDF) -> Faces:
    """Add every installed face of ``FACES`` to ``pdf``: the first as the main face, the rest as
    fallbacks. Without any, the core Helvetica (Latin-1 only)."""
    present = [f for f in FACES if Path(f[1]).exists()]
    missing = [f[3] for f in FACES if not Path(f[1]).exists()]
    if not present:
        return Faces("helvetica", frozenset(range(32, 256)), missing)
    covered: set[int] = set()
    for name, regular, bold, _package, index in present:
        pdf.add_font(name, "", regular, collection_font_number=index)
        pdf.add_font(name, "B", bold if Path(bold).exists() else regular, collection_font_number=index)
        covered |= _cmap(regular, index)
    if len(present) > 1:
        pdf.set_fallback_fonts([f[0] for f in present[1:]])
    return Faces(present[0][0], frozenset(covered), missing)
