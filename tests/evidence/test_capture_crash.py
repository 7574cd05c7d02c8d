"""A capture killed mid-way is named by verify, and leaves no WARC that no entry names (issue 29, item 2).

Before: the custody entry was written only when a capture finished, so a capture process killed
with SIGKILL (or stopped by a full disk or a bug) left a capture folder, perhaps a WARC, that no
entry named, and ``evidence verify`` said nothing of the capture that never finished. Now a
write-ahead ``capture_started`` entry comes first; verify names a capture never closed and the
files it left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest

from wildtrace.evidence.custody import CustodyLog
from wildtrace.evidence.verify import verify


def _start(ev: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "from wildtrace.cli import main; main()", "capture",
                             "--evidence-dir", str(ev), "--allow-private", "--timeout", "30", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _wait_for(ready: object, proc: subprocess.Popen[bytes]) -> None:
    for _ in range(1500):  # up to a minute, 40 ms at a time
        if ready() or proc.poll() is not None:  # type: ignore[operator]
            return
        time.sleep(0.04)


def _kill(proc: subprocess.Popen[bytes]) -> None:
    assert proc.poll() is None, "the capture finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)  # the capture and its browser, as kill -9 would
    proc.wait(timeout=30)


def _named_capture_ids(ev: Path) -> set[str]:
    return {str(e.get("capture_id")) for _, e in CustodyLog(ev).entries() if e}


@pytest.mark.parametrize("moment", ["fetching", "screenshotting"])
def test_a_capture_killed_midway_is_named_by_verify(tmp_path: Path, marketplace, moment: str) -> None:  # type: ignore[no-untyped-def]
    ev = tmp_path / "ev"
    captures = ev / "captures"
    if moment == "fetching":  # the first page is kept; the second is slow (2 s), killed while it is read
        proc = _start(ev, "--no-screenshot", f"{marketplace.url}/listing/1", f"{marketplace.url}/slow")
        _wait_for(lambda: captures.is_dir() and len(list(captures.iterdir())) == 2, proc)
        time.sleep(0.5)  # well inside the slow page's 2 s
    else:  # killed once its WARC is written, while Chromium renders it
        proc = _start(ev, f"{marketplace.url}/listing/2")
        _wait_for(lambda: any(captures.rglob("page.warc.gz")) if captures.is_dir() else False, proc)
    _kill(proc)

    report = verify(ev)
    assert [p.kind for p in report.problems] == ["unfinished"], [str(p) for p in report.problems]
    [problem] = report.problems
    started = [e for _, e in CustodyLog(ev).entries() if e and e["event"] == "capture_started"]
    killed = started[-1]
    assert problem.what.startswith(f"capture {killed['capture_id']} "), problem
    assert killed["url"] in problem.detail and "never finished" in problem.detail, problem
    if moment == "screenshotting":
        assert "page.warc.gz" in problem.detail, problem
    else:
        assert "nothing left" in problem.detail, problem
    # every WARC on disk lies in a capture folder that an entry names
    named = _named_capture_ids(ev)
    orphans = [w for w in captures.rglob("page.warc.gz") if w.parent.name not in named]
    assert orphans == [], orphans


def test_verify_on_the_command_line_says_what_is_unfinished(tmp_path: Path, marketplace) -> None:  # type: ignore[no-untyped-def]
    ev = tmp_path / "ev"
    proc = _start(ev, "--no-screenshot", f"{marketplace.url}/slow")
    _wait_for(lambda: any(e and e["event"] == "capture_started" for _, e in CustodyLog(ev).entries())
              if (ev / "custody.jsonl").exists() else False, proc)
    time.sleep(0.5)  # past the head file's update, well inside the slow page's 2 s
    _kill(proc)
    r = subprocess.run([sys.executable, "-c", "from wildtrace.cli import main; main()", "evidence", "verify",
                        "--evidence-dir", str(ev), "--json"], capture_output=True, timeout=120)
    assert r.returncode == 1, r.stderr
    [problem] = orjson.loads(r.stdout)["problems"]
    assert problem["kind"] == "unfinished" and f"{marketplace.url}/slow" in problem["detail"], problem
