"""Progress goes to stderr only, as plain lines when stderr is not a terminal; --quiet silences it."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from wildtrace.progress import Progress

WILDTRACE = str(Path(sys.executable).with_name("wildtrace"))


def test_scan_progress_is_on_stderr_and_quiet_turns_it_off(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": f"x{i}", "title": f"ivory bangle {i}"}) + "\n" for i in range(300)))
    env = {**os.environ, "WILDTRACE_DATA_DIR": str(tmp_path / "d"), "WILDTRACE_PROGRESS_EVERY": "0"}
    r = subprocess.run([WILDTRACE, "scan", str(src), "--rules-only"], capture_output=True, text=True, env=env,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert len(out) == 300 and all(line.startswith("{") for line in out)  # results only on stdout
    progress = [line for line in r.stderr.splitlines() if line.startswith("wildtrace: scan in.jsonl: ")]
    assert progress and "listings in" in progress[-1] and "/s)" in progress[-1] and "of the input" in progress[-1]
    quiet = subprocess.run([WILDTRACE, "scan", str(src), "--rules-only", "--quiet"], capture_output=True, text=True,
                           env=env, timeout=300)
    assert quiet.returncode == 0 and quiet.stderr == "" and len(quiet.stdout.splitlines()) == 300


def test_a_terminal_gets_a_bar_and_a_file_gets_lines() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Tty()
    p = Progress("scan x", total=1000, items="listings", stream=tty)
    for i in range(10):
        p.tick(100 * (i + 1))
    p.close()
    assert p.bar is not None and "scan x" in tty.getvalue() and "wildtrace:" not in tty.getvalue()
    plain = io.StringIO()
    q = Progress("scan x", total=1000, items="listings", every=0.0, stream=plain)
    q.tick(500)
    assert plain.getvalue().startswith("wildtrace: scan x: 1 listings in ") and "50% of the input" in plain.getvalue()


def test_training_and_case_export_report_progress_on_stderr(tmp_path: Path) -> None:
    import csv
    import shutil

    listings = tmp_path / "listings.jsonl"
    shutil.copy(Path(__file__).resolve().parents[1] / "src/wildtrace/data/demo_listings.jsonl", listings)
    ids = [json.loads(line)["id"] for line in listings.read_text().splitlines() if line.strip()]
    with (tmp_path / "labels.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "label"])
        w.writerows([i, 0 if k % 3 == 2 else 1] for k, i in enumerate(ids))
    env = {**os.environ, "WILDTRACE_DATA_DIR": str(tmp_path / "d"), "WILDTRACE_PROGRESS_EVERY": "0"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        r = subprocess.run([WILDTRACE, *args], capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        return r

    r = run("train", str(listings), "--labels", "labels.csv", "-o", "model")
    lines = r.stderr.splitlines()
    assert any(line.startswith("wildtrace: train: rules score: ") and "listings in" in line for line in lines)
    assert any(line.startswith("wildtrace: train: fits: ") and "of the input" in line for line in lines)
    assert "wildtrace:" not in run("train", str(listings), "--labels", "labels.csv", "-o", "m2", "--quiet").stderr
    run("scan", str(listings), "-o", "results.jsonl", "--rules-only", "--quiet")
    run("case", "create", "op")
    run("case", "add", "op", "--results", "results.jsonl")
    r = run("case", "export", "op", "--format", "ftm", "-o", "op.ftm.jsonl")
    assert r.stdout.startswith("wrote ftm") and "wildtrace: case export ftm: " in r.stderr
    assert "rows in" in r.stderr.splitlines()[-1]
    assert "wildtrace:" not in run("case", "export", "op", "--format", "pdf", "-o", "op.pdf", "--quiet").stderr
