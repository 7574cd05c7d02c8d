"""``pip install wildtrace`` (no extras) scans listings and pulls no FastAPI, DuckDB, SQLAlchemy or
scikit-learn; a command that needs an extra says which one in one line and exits 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from wildtrace import extras
from wildtrace.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("fastapi", "duckdb", "scikit-learn", "sqlalchemy", "uvicorn", "httpx", "networkx", "pillow")


@pytest.fixture(scope="module")
def core(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the package installed without extras (from a built wheel)."""
    venv = tmp_path_factory.mktemp("core") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    r = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(ROOT)], capture_output=True, text=True,
                       timeout=1500)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    return venv


def _wildtrace(core: Path, args: list[str], tmp_path: Path, stdin: str = "",
               **settings: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WILDTRACE_DATA_DIR": str(tmp_path / "data"), **settings}
    return subprocess.run([str(core / "bin" / "wildtrace"), *args], input=stdin, capture_output=True, text=True,
                          timeout=300, cwd=tmp_path, env=env)


def test_the_core_install_pulls_no_heavy_dependency(core: Path) -> None:
    have = subprocess.run([str(core / "bin" / "python"), "-m", "pip", "list", "--format=freeze"],
                          capture_output=True, text=True, check=True).stdout.lower()
    names = {line.split("==")[0] for line in have.splitlines()}
    assert not names & set(HEAVY), sorted(names & set(HEAVY))


def test_the_core_install_scans_as_the_full_one_does(core: Path, tmp_path: Path) -> None:
    listing = {"id": "ex-1", "title": "Sisik trenggiling asli, harga murah",
               "text": "Dijual per kg, hubungi WA 0812-3456-7890", "price": "1500000", "currency": "IDR"}
    r = _wildtrace(core, ["scan", "-"], tmp_path, json.dumps(listing) + "\n")
    assert r.returncode == 0, r.stderr[-2000:]
    result = json.loads(r.stdout)
    assert result["verdict"] == "wildlife_offer" and result["taxa"][0]["scientific_name"] == "Manidae"
    assert result["model"]["name"] == "wildtrace-rules", "the rules alone by default"
    assert result["taxa"][0]["zoonotic"], "the zoonotic profile runs on the core"
    # the opt-in shipped model runs on the core too
    r = _wildtrace(core, ["scan", "-"], tmp_path, json.dumps(listing) + "\n", WILDTRACE_TEXT_MODEL="shipped")
    assert r.returncode == 0, r.stderr[-2000:]
    assert json.loads(r.stdout)["model"]["text_model"].startswith("wildtrace-shipped")


@pytest.mark.parametrize(("args", "extra"), [
    (["serve"], "workbench"),
    (["trade", "reconcile"], "trade"),
    (["scan", "-", "--db", "x.sqlite"], "store"),
    (["case", "show", "x"], "investigations"),
    (["patrol", "demo"], "patrol"),
])
def test_a_missing_extra_is_one_line_naming_the_install(core: Path, tmp_path: Path, args: list[str],
                                                        extra: str) -> None:
    r = _wildtrace(core, args, tmp_path, '{"id": "1", "title": "ivory"}\n')
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert f"pip install 'wildtrace[{extra}]'" in lines[0], lines[0]


def test_need_names_the_extra_without_importing() -> None:
    extras.need("trade")  # installed here
    with pytest.raises(ConfigError, match=r"pip install 'wildtrace\[trade\]'"):
        extras.need("trade", "no_such_module_here")
    assert extras.from_import_error(ModuleNotFoundError(name="duckdb")).extra == "trade"  # type: ignore[union-attr]
    assert extras.from_import_error(ModuleNotFoundError(name="numpy")) is None
