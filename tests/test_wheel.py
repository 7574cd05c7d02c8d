"""The built wheel carries every package file, and ``wildtrace demo`` runs from it (issue 14)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_carries_all_data_and_the_demo_runs_from_it(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "dist"), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    [wheel] = (tmp_path / "dist").glob("wildtrace-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    src = ROOT / "src" / "wildtrace"
    files = [p for p in src.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    missing = [str(p.relative_to(src)) for p in files if f"wildtrace/{p.relative_to(src).as_posix()}" not in names]
    assert missing == []
    # install the wheel alone (its dependencies are this environment's) and run the demo from it
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=600)
    env = {**os.environ, "PYTHONPATH": str(target), "WILDTRACE_DATA_DIR": str(tmp_path / "data")}
    code = ("import wildtrace, sys; assert wildtrace.__file__.startswith(sys.argv[1]), wildtrace.__file__; "
            "from wildtrace.cli import main; sys.argv = ['wildtrace', 'demo']; main()")
    r = subprocess.run([sys.executable, "-c", code, str(target)], capture_output=True, text=True, timeout=600,
                       cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "SYNTHETIC" in r.stdout or "synthetic" in r.stdout.lower()
