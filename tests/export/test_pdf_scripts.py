"""The case PDF in every script the scanner reads (issue 23, item 8): Thai was dropped (a blank
title, quoted terms as “”); a letter no installed font draws now stops the export with one line."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from wildtrace import Scanner, Settings, cases
from wildtrace.errors import DataError
from wildtrace.export import fonts
from wildtrace.store.sql import SQLStore

THAI = "งาช้างแท้ ราคาถูก"
CHINESE = "出售犀角杯"
VIET = "Sừng tê giác thật"


def _case(tmp_path: Path, title: str, seller: str) -> cases.Case:
    store = SQLStore(tmp_path / "w.sqlite")
    (r,) = Scanner(Settings(data_dir=tmp_path / "d", text_model="none")).scan(
        [{"id": "t1", "title": title, "seller": seller, "platform": "line"}])
    store.save([r])  # type: ignore[list-item]
    made = cases.create(store, title, "lead", name="scripts")
    cases.add_listings(store, made["id"], ["t1"], "lead")
    loaded = cases.load(store, "scripts")
    store.close()
    return loaded


def test_thai_chinese_and_vietnamese_reach_the_pdf(tmp_path: Path) -> None:
    case = _case(tmp_path, f"{THAI} {CHINESE} {VIET} 🐘", f"ร้าน{CHINESE}")
    out = tmp_path / "r.pdf"
    cases.export(case, "pdf", out)
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    squeezed = "".join(text.split())
    for wanted in (THAI, CHINESE, VIET, f"ร้าน{CHINESE}"):
        assert "".join(wanted.split()) in squeezed, wanted
    assert "U+1F418" in squeezed, "an emoji no font has is written as its code point"


def test_a_letter_no_font_draws_stops_the_export(tmp_path: Path) -> None:
    script = "\U00010000\U00010001"  # Linear B: in no installed face
    assert not any(ord(c) in fonts.register(__import__("fpdf").FPDF()).covered for c in script)
    case = _case(tmp_path, f"Ivory {script}", "seller")
    out = tmp_path / "r.pdf"
    with pytest.raises(DataError, match="cannot draw"):
        cases.export(case, "pdf", out)
    assert not out.exists() and not [p for p in tmp_path.iterdir() if ".tmp" in p.name]
