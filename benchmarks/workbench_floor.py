"""The queue API's throughput beside a bare FastAPI endpoint's (the floor), for
``bench_workbench.py``: both under uvicorn with as many workers, loaded by the same clients in
the same run; the bare endpoint answers the very bytes the queue API answered (prepared once),
with no authentication and no store.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from wildtrace.store import accounts as auth
from wildtrace.store.sql import SQLStore

ROOT = Path(__file__).resolve().parents[1]
WORK = Path("/tmp/bench_workbench")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(base: str) -> None:
    for _ in range(1200):
        try:
            if httpx.get(base + "/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"no server on {base}")


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of a process and its children, living and reaped."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    while pids:
        p = pids.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += sum(int(x) for x in fields[11:15]) / tick  # utime stime cutime cstime
            for task in Path(f"/proc/{p}/task").iterdir():
                pids += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def load(base: str, path: str, headers: dict[str, str], clients: int, seconds: float,
         pid: int) -> tuple[float, float]:
    """``clients`` threads, each with its own keep-alive connection, GET ``path`` for ``seconds``:
    (requests per second, server CPU ms per request)."""
    done = [0] * clients
    stop = time.perf_counter() + seconds

    def run(k: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as c:
            while time.perf_counter() < stop:
                r = c.get(path)
                if r.status_code != 200:
                    raise SystemExit(f"{path} answered {r.status_code}")
                done[k] += 1

    cpu0, t0 = _cpu_s(pid), time.perf_counter()
    threads = [threading.Thread(target=run, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall, cpu = time.perf_counter() - t0, _cpu_s(pid) - cpu0
    n = sum(done)
    return n / wall, cpu * 1000 / max(n, 1)


def bare_app(body: bytes) -> Any:
    """The floor: FastAPI answering ``body`` as JSON, nothing else."""
    from fastapi import FastAPI
    from fastapi.responses import Response

    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/bare")
    def bare() -> Response:
        return Response(body, media_type="application/json")

    return app


def _bare_factory() -> Any:
    return bare_app(Path(os.environ["WT_BENCH_BARE_BODY"]).read_bytes())


def throughput(url: str, workers: int, clients: int, seconds: float, repeats: int) -> dict[str, Any]:
    """The queue API against the bare endpoint, alternating, ``repeats`` times each (medians)."""
    engine = SQLStore(url).engine
    token = auth.create_token(engine, "bench", "bench_workbench")
    headers = {"Authorization": f"Bearer {token}"}
    wt_port, bare_port = _port(), _port()
    wildtrace = str(Path(sys.executable).parent / "wildtrace")
    server = subprocess.Popen([wildtrace, "serve", "--db", url, "--port", str(wt_port), "--workers", str(workers)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{wt_port}"
    bare: subprocess.Popen[bytes] | None = None
    try:
        _wait(base)
        body = httpx.get(base + "/api/v1/queue", headers=headers, timeout=120).content
        body_file = WORK / "bare-body.json"
        body_file.write_bytes(body)
        bare = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "workbench_floor:_bare_factory",
                                 "--port", str(bare_port), "--workers", str(workers), "--log-level", "warning",
                                 "--app-dir", str(ROOT / "benchmarks")],
                                env={**os.environ, "WT_BENCH_BARE_BODY": str(body_file)},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        bare_base = f"http://127.0.0.1:{bare_port}"
        _wait(bare_base)
        runs: dict[str, list[tuple[float, float]]] = {"bare": [], "queue": []}
        load(bare_base, "/bare", {}, clients, 1.5, bare.pid)  # warm-up
        load(base, "/api/v1/queue", headers, clients, 1.5, server.pid)
        for _ in range(repeats):
            runs["bare"].append(load(bare_base, "/bare", {}, clients, seconds, bare.pid))
            runs["queue"].append(load(base, "/api/v1/queue", headers, clients, seconds, server.pid))
    finally:
        for p in (server, bare):
            if p is not None:
                p.terminate()
                p.wait(20)
        engine.dispose()
    med = {k: (statistics.median(r for r, _ in v), statistics.median(c for _, c in v)) for k, v in runs.items()}
    out = {"workers": workers, "clients": clients, "seconds": seconds, "repeats": repeats, "body_bytes": len(body),
           "bare_rps": round(med["bare"][0]), "bare_cpu_ms": round(med["bare"][1], 3),
           "queue_rps": round(med["queue"][0]), "queue_cpu_ms": round(med["queue"][1], 3),
           "ratio": round(med["queue"][0] / med["bare"][0], 3),
           "runs": {k: [(round(r), round(c, 3)) for r, c in v] for k, v in runs.items()}}
    print(f"  throughput, {clients} clients, {workers} worker(s), {len(body):,}-byte answer, median of {repeats}:\n"
          f"    bare FastAPI endpoint   {out['bare_rps']:6d} req/s  {out['bare_cpu_ms']:.3f} ms server CPU/request\n"
          f"    queue API               {out['queue_rps']:6d} req/s  {out['queue_cpu_ms']:.3f} ms server CPU/request\n"
          f"    ratio {out['ratio']:.2f} of the floor (target >= 0.5)", flush=True)
    return out
