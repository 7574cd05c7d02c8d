"""No room left (issue 29, item 12): a scan whose output fills the disk (or reaches a file-size
limit) ends in one line, and the output file ends at its last whole line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXE = str(Path(sys.executable).with_name("wildtrace"))


def _input(tmp_path: Path, n: int = 3000) -> Path:
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": f"D{i}", "title": f"pangolin scales {i}"}) + "\n" for i in range(n)))
    return src


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "WILDTRACE_DATA_DIR": str(tmp_path / "data"), "WILDTRACE_TEXT_MODEL": "none"}


def test_a_full_disk_is_one_line(tmp_path: Path) -> None:
    r = subprocess.run([EXE, "scan", str(_input(tmp_path)), "-o", "/dev/full", "--quiet"], env=_env(tmp_path),
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr[-2000:]
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "no room left" in lines[0], lines


@pytest.fixture
def small_disk(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A 300 KiB tmpfs (root can mount one here and in CI); the output goes there."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(mount)], capture_output=True,
                          text=True)
    assert done.returncode == 0, f"cannot mount a small tmpfs for the disk-full test: {done.stderr}"
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_leaves_whole_lines(tmp_path: Path, small_disk: Path) -> None:
    out = small_disk / "out.jsonl"
    r = subprocess.run([EXE, "scan", str(_input(tmp_path)), "-o", str(out), "--quiet"], env=_env(tmp_path),
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert len(r.stderr.strip().splitlines()) == 1 and "no room left" in r.stderr
    data = out.read_bytes()
    assert 0 < len(data) <= 300 * 1024 and data.endswith(b"\n")
    assert all(json.loads(line)["id"].startswith("D") for line in data.splitlines())
