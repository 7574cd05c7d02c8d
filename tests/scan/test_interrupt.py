"""Ctrl-C during ``scan --db`` (issue 29, item 11): the scan stops promptly with exit 130, every
output line is whole, and the store holds every result the output shows. Real processes, real SIGINT."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from wildtrace.store.schema import listings
from wildtrace.store.sql import SQLStore

N = 30_000


@pytest.mark.parametrize("attempt", range(3))
def test_ctrl_c_stops_the_scan_with_everything_written_whole(tmp_path: Path, attempt: int) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": f"C{i}", "title": f"pangolin scales {i} WhatsApp"}) + "\n"
                           for i in range(N)))
    db, out = tmp_path / "c.sqlite", tmp_path / "out.jsonl"
    exe = str(Path(sys.executable).with_name("wildtrace"))
    env = {**os.environ, "WILDTRACE_DATA_DIR": str(tmp_path / "data"), "WILDTRACE_TEXT_MODEL": "none"}
    proc = subprocess.Popen([exe, "scan", str(src), "--db", str(db), "-o", str(out), "--quiet"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(12_000):  # until the output has a first batch (polled: a bound, not a timing check)
        if proc.poll() is not None or (out.exists() and out.stat().st_size > 0):
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the scan ended before it could be interrupted; make N larger"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err.decode()[-2000:]
    assert b"interrupted" in err and b"Traceback" not in err, err.decode()[-2000:]
    written = [json.loads(line)["id"] for line in out.read_text().splitlines()]  # every line whole
    assert 0 < len(written) < N
    with SQLStore(db).engine.connect() as conn:
        stored = set(conn.execute(sa.select(listings.c.listing_id)).scalars())
    assert set(written) <= stored
