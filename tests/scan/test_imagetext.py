"""Text in listing images is read (Debian's tesseract) and scanned like the rest of the listing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw, ImageFont

from wildtrace import Scanner, Settings
from wildtrace.cli import cli, load_commands
from wildtrace.sellers.network import NetworkBuilder

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _image_with_text(path: Path, lines: list[str]) -> None:
    font = ImageFont.truetype(str(FONT), 44)
    image = Image.new("RGB", (1100, 90 * len(lines) + 60), "white")
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((30, 30 + 90 * i), line, fill="black", font=font)
    image.save(path)


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("images")
    _image_with_text(root / "offer.png", ["RHINO HORN FOR SALE", "WhatsApp +84 912 345 678"])
    (root / "sub").mkdir()
    _image_with_text(root / "sub" / "plain.png", ["Oak table, good condition"])
    return root


def test_text_in_an_image_is_scanned(images: Path, tmp_path: Path) -> None:
    scanner = Scanner(Settings(data_dir=tmp_path), ocr_root=images)
    listing = {"id": "i1", "title": "Special item, DM me", "images": ["offer.png", "../../etc/passwd",
                                                                     "https://example.invalid/x.jpg", "missing.png"]}
    (result,) = list(scanner.scan([listing]))
    assert result.ocr is not None
    assert "RHINO" in result.ocr["text"].upper()
    assert result.verdict == "wildlife_offer", result.reasons
    assert "Rhinocerotidae" in [t["scientific_name"] for t in result.taxa]
    found = [m for m in result.matches if m.field == "image_text"]
    assert found and all(result.ocr["text"][m.span[0]:m.span[1]] == m.term for m in found)
    assert "(image_text)" in " ".join(result.reasons)
    # provenance of the image read, and each refused image named with its reason
    assert result.ocr["images"][0]["sha256"] and result.ocr["images"][0]["tool"].startswith("tesseract")
    reasons = {e["image"]: e["reason"] for e in result.ocr["errors"]}
    assert reasons == {"../../etc/passwd": "image path leaves the images folder",
                       "https://example.invalid/x.jpg": "image URLs are not fetched during a scan",
                       "missing.png": "no such image file"}
    # the phone number in the image reaches identifier extraction and the seller network
    builder = NetworkBuilder()
    account = builder.add_result(result.to_dict())
    assert any(i.value == "+84912345678" for i in account.identifiers.values()), account.identifiers


def test_without_the_option_images_are_not_read(images: Path, tmp_path: Path) -> None:
    (result,) = list(Scanner(Settings(data_dir=tmp_path)).scan([{"id": "i2", "title": "x", "images": ["offer.png"]}]))
    assert result.ocr is None and "ocr" not in result.to_dict()


def test_cli_option(images: Path, tmp_path: Path) -> None:
    load_commands()
    line = json.dumps({"id": "c1", "title": "Table", "images": "sub/plain.png"})
    out = CliRunner().invoke(cli, ["scan", "--ocr-images", str(images)], input=line + "\n",
                             env={"WILDTRACE_DATA_DIR": str(tmp_path)}, catch_exceptions=False)
    assert out.exit_code == 0, out.output
    row = json.loads(out.stdout)
    assert "table" in row["ocr"]["text"].lower() and row["verdict"] == "not_wildlife"
