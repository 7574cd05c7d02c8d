"""``wildtrace capture`` as a user runs it: a mistake is one line on stderr and exit 2, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def _wildtrace(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from wildtrace.cli import main; main()", *args],
                          capture_output=True, text=True, cwd=cwd, timeout=120)


@pytest.mark.parametrize("name", ["missing.jsonl", "no/such/dir/results.jsonl"])
def test_from_scan_on_a_missing_file_is_one_line_and_exit_2(tmp_path: Path, name: str) -> None:
    """Before: `wildtrace capture --from-scan missing.jsonl` ended in a FileNotFoundError traceback."""
    r = _wildtrace("capture", "--from-scan", name, "--evidence-dir", "ev", cwd=tmp_path)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"wildtrace: error: cannot read {name}: no such file"), r.stderr
    assert r.stdout == "", r.stdout
    assert not (tmp_path / "ev").exists()  # nothing was started
