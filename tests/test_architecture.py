"""The house rules that keep the layering true (README, Architecture): checked on the source, so a
change that breaks one fails here with the module and the import that broke it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "wildtrace"
MAX_LINES = 500

#: package -> packages of wildtrace it must never import (at module level or inside a function)
FORBIDDEN = {
    "text": ("scan", "taxa", "store", "learn", "web", "cli", "cases", "evidence", "trade", "export", "sellers",
             "zoonotic", "pipeline"),
    "taxa": ("scan", "store", "learn", "web", "cli", "cases", "evidence", "trade", "export", "zoonotic", "pipeline"),
    "scan": ("store", "learn", "web", "cli", "cases", "evidence", "trade", "export", "pipeline", "monitor"),
    "pipeline": ("store", "learn", "web", "cli", "monitor"),
    # the monitor stands on store, evidence and the pipeline; nothing below it knows it
    "store": ("web", "cli", "learn", "cases", "export", "pipeline", "monitor"),
    "evidence": ("monitor", "web", "cli"),
    # patrols stand beside trade: the shared floor (errors, rejects, clock, metrics, settings) only
    "patrol": ("scan", "taxa", "text", "store", "learn", "web", "cli", "cases", "evidence", "trade", "export",
               "sellers", "zoonotic", "pipeline", "monitor"),
}
#: adapters only adapt: no library module imports them
ADAPTERS = ("cli", "web")


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "__pycache__" not in p.parts)


def _package(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
            if node.module == "wildtrace":
                out += [(node.lineno, f"wildtrace.{a.name}") for a in node.names]
    return [(line, name) for line, name in out if name.startswith("wildtrace.")]


def test_no_module_is_over_500_lines() -> None:
    long = {str(p.relative_to(SRC)): n for p in _modules() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, f"split these modules (over {MAX_LINES} lines): {long}"


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layers_import_only_downwards(package: str) -> None:
    broken = []
    for path in _modules():
        if _package(path) != package:
            continue
        for line, name in _imports(path):
            target = name.split(".")[1]
            if target in FORBIDDEN[package]:
                broken.append(f"{path.relative_to(SRC)}:{line} imports {name}")
    assert not broken, "\n".join(broken)


def test_no_library_module_imports_an_adapter() -> None:
    broken = [f"{p.relative_to(SRC)}:{line} imports {name}" for p in _modules() if _package(p) not in ADAPTERS
              for line, name in _imports(p) if name.split(".")[1] in ADAPTERS]
    assert not broken, "\n".join(broken)


def test_tables_are_declared_in_the_store_only() -> None:
    """One owner per table: every sa.Table lives in store/."""
    owners = [str(p.relative_to(SRC)) for p in _modules() if _package(p) != "store"
              and "sa.Table(" in p.read_text(encoding="utf-8")]
    assert not owners, owners


def test_adapters_hold_no_sql() -> None:
    """The CLI and the web layer call the library; queries live in store/ and trade/."""
    sql = ("sa.select(", "sa.text(", ".execute(", "SELECT ", "INSERT ", "UPDATE ")
    found = [f"{p.relative_to(SRC)}: {s!r}" for p in _modules() if _package(p) in ADAPTERS
             for s in sql if s in p.read_text(encoding="utf-8")]
    assert not found, found
