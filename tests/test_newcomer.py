"""A new user's first hour (issue 14): a fresh virtualenv from the Makefile runs the demo, every
command's help works, and each mistake a newcomer makes is one clear line and exit 2, never a
traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from wildtrace.cli import COMMANDS

ROOT = Path(__file__).resolve().parents[1]
WILDTRACE = str(Path(sys.executable).with_name("wildtrace"))


def _run(args: list[str], tmp_path: Path, **kw: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WILDTRACE_DATA_DIR": str(tmp_path / "data")}
    return subprocess.run([WILDTRACE, *args], capture_output=True, text=True, env=env, timeout=300,
                          cwd=tmp_path, **kw)  # type: ignore[call-overload, no-any-return]


def test_make_demo_in_a_fresh_virtualenv_installs_the_runtime_only_and_runs(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    r = subprocess.run(["make", "-C", str(ROOT), "demo", f"VENV={venv}"], capture_output=True, text=True,
                       timeout=1500)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "SYNTHETIC" in r.stdout
    have = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "list", "--format=freeze"],
                          capture_output=True, text=True, check=True).stdout.lower()
    for tool in ("pytest", "mypy", "ruff", "hypothesis"):  # playwright is the investigations extra's (screenshots)
        assert f"{tool}==" not in have, tool  # the test tools are not a demo's dependency


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_helps(command: str, tmp_path: Path) -> None:
    r = _run([command, "--help"], tmp_path)
    assert r.returncode == 0 and "Usage: wildtrace" in r.stdout and "Traceback" not in r.stderr


def _taken_port() -> tuple[socket.socket, int]:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    return s, s.getsockname()[1]


def test_each_mistake_is_one_line_and_exit_2(tmp_path: Path) -> None:
    one = tmp_path / "one.jsonl"
    one.write_text('{"id": "a", "title": "ivory bangle"}\n')
    held, port = _taken_port()
    mistakes = {
        "missing input": (["scan", "nosuch.jsonl"], "cannot read nosuch.jsonl"),
        "unwritable output": (["scan", str(one), "-o", "/nonexist/dir/out.jsonl"], "cannot write /nonexist/dir/out.jsonl"),
        "missing trade database": (["trade", "reconcile", "--db", str(tmp_path / "none.duckdb")], "no trade database"),
        "no trade data": (["trade", "load", str(one)], "none of the inputs is a CITES or LEMIS trade file"),
        "occupied port": (["serve", "--port", str(port), "--db", str(tmp_path / "w.sqlite")], "already in use"),
        "unreachable database": (["users", "list", "--db", "postgresql://nobody:pw@127.0.0.1:1/x"],
                                 "cannot open database"),
        "bad option value": (["scan", str(one), "--format", "xml"], "Invalid value for '--format'"),
        "bad --map": (["scan", str(one), "--map", "colour=Colour"], "unknown field 'colour'"),
        "bad URL": (["capture", "www.example.org/listing/1", "--evidence-dir", str(tmp_path / "ev")],
                    "not an http(s) URL: www.example.org/listing/1"),
    }
    try:
        for what, (args, message) in mistakes.items():
            r = _run(args, tmp_path)
            assert r.returncode == 2, (what, r.returncode, r.stderr)
            assert message in r.stderr, (what, r.stderr)
            assert "Traceback" not in r.stderr and "Traceback" not in r.stdout, what
            errors = [line for line in r.stderr.splitlines() if line.startswith(("wildtrace: error:", "Error:"))]
            assert len(errors) == 1, (what, r.stderr)
    finally:
        held.close()
    assert not (tmp_path / "none.duckdb").exists()  # an analysis never makes an empty database
