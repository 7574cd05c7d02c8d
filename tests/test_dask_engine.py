"""``scan --engine dask``: a real scheduler and two real worker processes on 127.0.0.1 (the
``dask scheduler`` and ``dask worker`` commands the dask extra installs), and a LocalCluster of
worker processes; each partition is what a local scan of its file gives, rejects kept with their
file and line, and the merged summary is the summary of one scan of the files in order (issue 27)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from wildtrace import Scanner, Settings
from wildtrace.parallel import ScannerSpec
from wildtrace.pipeline import Collected, ingest
from wildtrace.scan.readers import read_listings

distributed = pytest.importorskip("distributed", reason="the dask extra: pip install 'wildtrace[dask]'")

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "src" / "wildtrace" / "data" / "demo_listings.jsonl"
DASK = Path(sys.executable).with_name("dask")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``dask scheduler`` and ``dask worker --nworkers 2`` (two processes), loopback only."""
    assert DASK.exists(), "the dask extra installs the dask command"
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = tmp_path_factory.mktemp("dask")
    procs = [subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              stdout=subprocess.DEVNULL, stderr=(logs / "scheduler.log").open("wb"))]
    procs.append(subprocess.Popen([str(DASK), "worker", address, "--nworkers", "2", "--nthreads", "1",
                                   "--host", "127.0.0.1", "--no-dashboard", "--local-directory", str(logs)],
                                  stdout=subprocess.DEVNULL, stderr=(logs / "worker.log").open("wb")))
    try:
        with distributed.Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
            pids = client.run(os.getpid)
        assert len(set(pids.values())) == 2 and os.getpid() not in pids.values()  # two processes of their own
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three files of demo listings (ids of their own), bad lines in the second."""
    folder = tmp_path_factory.mktemp("inputs")
    lines = DEMO.read_bytes().splitlines(keepends=True)
    for n in range(3):
        out = []
        for i, line in enumerate(lines):
            record = json.loads(line)
            record["id"] = f"{record['id']}-f{n}"
            out.append(json.dumps(record, ensure_ascii=False).encode() + b"\n")
            if n == 1 and i in (3, 17):
                out.append(b"{broken\n" if i == 3 else b'"a string"\n')
        (folder / f"listings-{n}.jsonl").write_bytes(b"".join(out))
    return folder


def _local(folder: Path, settings: Settings) -> tuple[Collected, dict[str, object]]:
    """One scan of the files one after another, in this process."""
    scanner = Scanner(settings)
    collected = Collected()

    def items() -> Iterator[object]:
        for path in sorted(folder.glob("*.jsonl")):
            with path.open("rb") as fh:
                yield from read_listings(fh, name=str(path), max_field_chars=settings.max_field_chars,
                                         max_record_bytes=settings.max_record_bytes)

    summary = ingest(items(), scanner, collected.sinks())  # type: ignore[arg-type]
    return collected, summary.to_dict()


def _parts(outdir: Path, ext: str = "jsonl") -> list[dict[str, object]]:
    out = []
    for part in sorted(outdir.glob(f"part-*.{ext}")):
        for line in part.read_bytes().splitlines():
            record = json.loads(line)
            record.pop("scanned_at")
            out.append(record)
    return out


def test_a_real_scheduler_and_two_worker_processes_scan_as_one_process(scheduler: str, inputs: Path,
                                                                       tmp_path: Path) -> None:
    from wildtrace.cluster import scan_files

    settings = Settings(data_dir=tmp_path / "data", text_model="shipped")
    with distributed.Client(scheduler) as client:
        done = scan_files(ScannerSpec(settings), str(inputs / "*.jsonl"), str(tmp_path / "out"), client=client)
    local, summary = _local(inputs, settings)
    assert _parts(tmp_path / "out") == [{k: v for k, v in r.to_dict().items() if k != "scanned_at"}
                                        for r in local.results]
    merged = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    parts = merged.pop("partitions")
    assert merged == json.loads(json.dumps(summary)) and done.summary.to_dict() == summary
    assert [p["scanned"] for p in parts] == [35, 35, 35] and [p["rejected"] for p in parts] == [0, 2, 0]
    rejects = [json.loads(line) for line in (tmp_path / "out" / "rejects-00001.jsonl").read_bytes().splitlines()]
    assert [(r["line"], r["source"].endswith("listings-1.jsonl")) for r in rejects] == [(5, True), (20, True)]
    assert [(r["line"], r["reason"]) for r in rejects] == [(r.line, r.reason) for r in local.rejects]


def test_the_command_on_a_scheduler_writes_parquet_and_exits_3_on_rejects(scheduler: str, inputs: Path,
                                                                          tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    env = {**os.environ, "WILDTRACE_DATA_DIR": str(tmp_path / "data")}
    r = subprocess.run([sys.executable, "-m", "wildtrace.cli", "scan", str(inputs / "*.jsonl"), "--engine", "dask",
                        "--scheduler", scheduler, "-o", str(tmp_path / "out"), "--format", "parquet",
                        "--rejects", str(tmp_path / "rejects.jsonl"), "--summary"],
                       capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)
    assert r.returncode == 3, r.stderr[-3000:]
    assert "Scanned 105 listings; rejected 2." in r.stdout
    assert "listings-1.jsonl: line 5: rejected: malformed JSON" in r.stderr
    table = pq.read_table(sorted((tmp_path / "out").glob("part-*.parquet")))
    ids = [json.loads(line)["id"] + f"-f{n}" for n in range(3) for line in DEMO.read_bytes().splitlines()]
    assert table.num_rows == 105 and table.column("id").to_pylist() == ids
    results = [json.loads(s) for s in table.column("result").to_pylist()]
    assert [x["id"] for x in results] == table.column("id").to_pylist()
    assert len((tmp_path / "rejects.jsonl").read_bytes().splitlines()) == 2


def test_without_a_scheduler_a_local_cluster_of_processes_starts(inputs: Path, tmp_path: Path) -> None:
    env = {**os.environ, "WILDTRACE_DATA_DIR": str(tmp_path / "data")}
    one = tmp_path / "one"
    one.mkdir()
    shutil.copy(inputs / "listings-0.jsonl", one / "a.jsonl")
    r = subprocess.run([sys.executable, "-m", "wildtrace.cli", "scan", str(one / "*.jsonl"), "--engine", "dask",
                        "--jobs", "2", "-o", str(tmp_path / "out")],
                       capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "dask: 2 workers at tcp://127.0.0.1:" in r.stderr, r.stderr
    local = subprocess.run([sys.executable, "-m", "wildtrace.cli", "scan", str(one / "a.jsonl"), "-q"],
                           capture_output=True, env=env, cwd=tmp_path, timeout=600)
    assert [{k: v for k, v in json.loads(x).items() if k != "scanned_at"} for x in local.stdout.splitlines()] == \
        _parts(tmp_path / "out")


def test_options_a_cluster_scan_cannot_honour_are_refused(inputs: Path, tmp_path: Path) -> None:
    env = {**os.environ, "WILDTRACE_DATA_DIR": str(tmp_path / "data")}
    for extra, said in ((["--db", str(tmp_path / "x.sqlite")], "--jobs N) with --db"),
                        (["-o", "-"], "give -o FOLDER")):
        args = [sys.executable, "-m", "wildtrace.cli", "scan", str(inputs / "*.jsonl"), "--engine", "dask",
                "-o", str(tmp_path / "o"), *extra]
        r = subprocess.run(args, capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
        assert r.returncode == 2 and said in r.stderr, r.stderr
    r = subprocess.run([sys.executable, "-m", "wildtrace.cli", "scan", str(inputs / "listings-0.jsonl"),
                        "--format", "parquet"], capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert r.returncode == 2 and "--engine dask" in r.stderr
