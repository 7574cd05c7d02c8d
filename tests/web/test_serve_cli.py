"""``wildtrace serve`` binds before it prints the URL (issue 14); a taken port is one line, exit 2."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

WILDTRACE = str(Path(sys.executable).with_name("wildtrace"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_printed_url_answers(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "WILDTRACE_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen([WILDTRACE, "serve", "--port", str(port), "--db", str(tmp_path / "w.sqlite")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = f"http://127.0.0.1:{port}/"
        assert url in line, line
        for _ in range(100):  # the socket listens already; the app answers once uvicorn runs
            try:
                r = httpx.get(url + "login", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert r.status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_a_taken_port_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = subprocess.run([WILDTRACE, "serve", "--port", str(port), "--db", str(tmp_path / "w.sqlite")],
                           capture_output=True, text=True, timeout=120,
                           env={**os.environ, "WILDTRACE_DATA_DIR": str(tmp_path / "data")})
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.strip() == (f"wildtrace: error: port {port} on 127.0.0.1 is already in use; "
                                f"choose another with --port (e.g. --port {port + 1})")
