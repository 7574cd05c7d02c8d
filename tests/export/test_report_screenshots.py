"""Case reports embed each capture's screenshot (issue 23, item 8): in the HTML as a data URI, in the
PDF scaled to the page width (a tall page in slices); only while the file still matches its SHA-256
in the custody log (else the report says tampered or missing); hashes are written in groups of 16 so
a table cell wraps them. The capture is real: a loopback page, Debian's Chromium."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest

from wildtrace.cases import Case
from wildtrace.evidence.capture import CaptureOptions, Capturer
from wildtrace.export.report import render_html, screenshots, write_pdf


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory, market_url: str) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("report-shots") / "ev"
    opts = CaptureOptions(operator="lead", timeout=10, allow_origins=frozenset({market_url}))
    with Capturer(folder, opts) as capturer:
        record = capturer.capture(f"{market_url}/listing/S1")
    assert record.status == "captured" and record.screenshot and record.screenshot.endswith(".png"), record
    entry = [orjson.loads(x) for x in (folder / "custody.jsonl").read_text().splitlines()][-1]
    return {**entry, "evidence_dir": str(folder)}


def _case(entry: dict[str, Any], title: str = "Screenshots") -> Case:
    return Case(id=1, name="shots", title=title, captures=[entry])


def _pdf(case: Case, path: Path) -> tuple[str, str]:
    write_pdf(case, path)
    images = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=True).stdout
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return images, text


def test_the_reports_embed_the_screenshot(captured: dict[str, Any], tmp_path: Path) -> None:
    case = _case(captured)
    assert [s.path is not None for s in screenshots(case)] == [True]
    html = render_html(case)
    assert html.count("data:image/png;base64,") == 1 and "max-width:100%" in html
    images, text = _pdf(case, tmp_path / "r.pdf")
    assert len(images.strip().splitlines()) == 3, images  # two header lines, one image: about a screen high
    payload = captured["payload_sha256"]
    flat = " ".join(text.split())
    assert " ".join(payload[i:i + 16] for i in range(0, 64, 16)) in flat, text  # wrapped in groups of 16
    assert "page.warc.gz:" in flat and "screenshot.png:" in flat, text  # file names (the capture is beside)
    assert f"Capture {captured['capture_id']}" in text


def test_a_changed_or_missing_screenshot_is_not_shown(captured: dict[str, Any], tmp_path: Path) -> None:
    folder = tmp_path / "copy"
    shutil.copytree(captured["evidence_dir"], folder)
    entry = {**captured, "evidence_dir": str(folder)}
    shot = folder / captured["screenshot"]
    with open(shot, "ab") as fh:
        fh.write(b"x")
    images, text = _pdf(_case(entry), tmp_path / "tampered.pdf")
    assert len(images.strip().splitlines()) == 2 and "tampered" in text, (images, text)
    assert "tampered" in render_html(_case(entry)) and "data:image/png" not in render_html(_case(entry))
    shot.unlink()
    images, text = _pdf(_case(entry), tmp_path / "missing.pdf")
    assert len(images.strip().splitlines()) == 2 and "screenshot missing" in text, text


def test_a_case_in_thai_with_a_screenshot(captured: dict[str, Any], tmp_path: Path) -> None:
    if not Path("/usr/share/fonts/truetype/tlwg/Garuda.ttf").exists():
        pytest.skip("fonts-thai-tlwg is not installed")
    _, text = _pdf(_case(captured, "ขายงาช้างแท้"), tmp_path / "th.pdf")
    assert "ขายงาช้างแท้" in text, text[:500]
