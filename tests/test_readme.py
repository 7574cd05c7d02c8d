"""The README's example output comes from a real run: re-run it and compare."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from wildtrace import Settings
from wildtrace.cli import cli as wildtrace_cli
from wildtrace.scan import scanner as scanner_module
from wildtrace.scan.scanner import Scanner, scan

README = Path(__file__).resolve().parent.parent / "README.md"


def _block(text: str, marker: str) -> str:
    match = re.search(rf"<!-- {marker} -->\s*```json\n(.*?)```", text, re.S)
    assert match, marker
    return match.group(1)


def _assert_shown(shown: Any, actual: Any, path: str = "") -> None:
    """Everything the README shows equals the real output ("…" stands for any value)."""
    if shown == "…":
        return
    if isinstance(shown, dict):
        assert isinstance(actual, dict), path
        for key, value in shown.items():
            assert key in actual, f"{path}.{key} missing from the real output"
            _assert_shown(value, actual[key], f"{path}.{key}")
    elif isinstance(shown, list):
        assert isinstance(actual, list) and len(shown) == len(actual), (path, actual)
        for i, (s, a) in enumerate(zip(shown, actual, strict=True)):
            _assert_shown(s, a, f"{path}[{i}]")
    else:
        assert shown == actual, f"README shows {shown!r} at {path}, a real run gives {actual!r}"


def test_readme_example_matches_a_real_run(tmp_path: Path) -> None:
    """The example is what ``wildtrace scan`` gives by default: the rules with the shipped model."""
    text = README.read_text(encoding="utf-8")
    listing = json.loads(_block(text, "example-input"))
    shown = json.loads(_block(text, "example-output"))
    (result,) = Scanner(Settings(data_dir=tmp_path)).scan([listing])
    actual = json.loads(json.dumps(result.to_dict()))
    assert list(shown) == list(actual), "the README shows every top-level field in order"
    _assert_shown(shown, actual)


@pytest.mark.parametrize("text_model", ["none", "shipped"])
def test_library_scan_equals_the_cli_on_the_readme_example(tmp_path: Path, monkeypatch: Any, text_model: str) -> None:
    """``from wildtrace.scan import scan`` gives what ``wildtrace scan`` gives under the same settings:
    same verdict, facets, scores, reasons and model stamp (only the scan time may differ)."""
    listing = json.loads(_block(README.read_text(encoding="utf-8"), "example-input"))
    monkeypatch.setenv("WILDTRACE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WILDTRACE_TEXT_MODEL", text_model)
    monkeypatch.setattr(scanner_module, "_DEFAULT", None)  # the library's default scanner, built anew
    (library,) = scan([listing])
    out = CliRunner().invoke(wildtrace_cli, ["scan", "-"], input=json.dumps(listing) + "\n")
    assert out.exit_code == 0, out.output
    cli = json.loads(out.stdout.splitlines()[0])
    lib = json.loads(json.dumps(library.to_dict()))
    for record in (lib, cli):
        record.pop("scanned_at")
    assert lib == cli
    assert lib["verdict"] == "wildlife_offer"
    assert ("+" in lib["model"]["name"]) == (text_model == "shipped"), "the text model takes part when set"


def test_readme_has_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    first_screen = text[:1500]
    assert "make demo" in first_screen and "make test" in first_screen
