"""A scan killed with SIGKILL at any point (issue 12): the rerun leaves exactly one version per
listing, and what reached the output is a subset of what the store has. Real processes."""

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

N = 2000


@pytest.mark.parametrize("kill_after_lines", [1, 1200])
def test_sigkill_then_rerun_keeps_one_version_per_listing(tmp_path: Path, kill_after_lines: int) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": f"K{i}", "title": f"pangolin scales {i} for sale"}) + "\n"
                           for i in range(N)))
    db, out = tmp_path / "k.sqlite", tmp_path / "out.jsonl"
    exe = str(Path(sys.executable).with_name("wildtrace"))
    env = {**os.environ, "WILDTRACE_DATA_DIR": str(tmp_path / "data"), "WILDTRACE_TEXT_MODEL": "none"}
    proc = subprocess.Popen([exe, "scan", str(src), "--db", str(db), "-o", str(out)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # kill when the output has reached the given size (polled: a bound, not a timing check)
    for _ in range(6000):
        if proc.poll() is not None or (out.exists() and sum(1 for _ in out.open()) >= kill_after_lines):
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    written = [json.loads(line)["id"] for line in out.read_text().splitlines() if line.strip().endswith("}")]
    engine = SQLStore(db).engine
    with engine.connect() as conn:
        stored = set(conn.execute(sa.select(listings.c.listing_id)).scalars())
    assert set(written) <= stored  # the output never runs ahead of the store
    rerun = subprocess.run([exe, "scan", str(src), "--db", str(db), "-o", str(tmp_path / "again.jsonl")],
                           env=env, capture_output=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr.decode()[-2000:]
    with engine.connect() as conn:
        rows = conn.execute(sa.select(listings.c.listing_id, sa.func.count()).group_by(listings.c.listing_id)).all()
    assert len(rows) == N and all(n == 1 for _, n in rows)
