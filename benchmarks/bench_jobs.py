"""Benchmark: ``wildtrace scan --jobs 2`` against one process, the whole command, on two cores.

    python benchmarks/bench_jobs.py [--n 20000] [--repeat 3] [--jobs 2] [--input FILE.jsonl]
                                    [--text-model none|shipped]
    python benchmarks/bench_jobs.py --dask 200     # the dask engine's cost per partition

Each run is a fresh ``wildtrace scan IN -o OUT -q`` pinned to the first ``--jobs`` cores this
process may use (its worker processes inherit the pinning), alternating ``--jobs 1`` and
``--jobs N`` so that noise from other work on the machine falls on both alike. The anchor is the
one-process scan measured in the same run: the figure is the ratio of wall-clock times (ideal: N).
Two sizes (n/4 and n) are run, so the steady rate (start-up cancelled: the listings between the two
sizes over the time between them) is given beside the whole command's. The input is generated
listings (``generate.py``) or ``--input``: a JSON Lines file repeated to n records, ids made unique
(the real marketplace listings under /work/ext/marketplaces, say). The load average before and after
is printed: on a shared machine the ratio is only as good as the cores are free. Last, the two code
paths run side by side in one process on one core (``code_path``): what ``--jobs`` adds to each
listing, free of other processes.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def records(n: int, source: Path | None) -> Iterator[dict[str, object]]:
    if source is None:
        from generate import listings

        yield from listings(n)
        return
    base = [json.loads(line) for line in source.read_bytes().splitlines() if line.strip()]
    for i in range(n):
        record = dict(base[i % len(base)])
        record["id"] = f"{record.get('id', 'r')}-{i}"
        yield record


def run(path: Path, out: Path, jobs: int, cores: set[int], env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock seconds of one scan, and the CPU seconds of it and its workers."""
    cmd = [sys.executable, "-m", "wildtrace.cli", "scan", str(path), "-o", str(out), "-q", "--jobs", str(jobs)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, preexec_fn=lambda: os.sched_setaffinity(0, cores))  # noqa: PLW1509
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def dask_overhead(partitions: int, text_model: str) -> None:
    """``scan --engine dask`` on a LocalCluster of 2 worker processes, its scanner plugin warm: the
    same listings as ``partitions`` files of one listing each and as one file; the difference over
    the partitions is what a partition costs beyond its listings (scheduling, opening and writing
    its files, its summary)."""
    import dataclasses

    from distributed import Client, LocalCluster

    from wildtrace import Settings
    from wildtrace.cluster import scan_files
    from wildtrace.parallel import ScannerSpec

    tmp = Path(tempfile.mkdtemp())
    spec = ScannerSpec(dataclasses.replace(Settings(data_dir=tmp / "data"), text_model=text_model))
    many, one = tmp / "many", tmp / "one"
    many.mkdir()
    one.mkdir()
    recs = [json.dumps(r, ensure_ascii=False) + "\n" for r in records(partitions, None)]
    for i, line in enumerate(recs):
        (many / f"p{i:05d}.jsonl").write_text(line, encoding="utf-8")
    (one / "all.jsonl").write_text("".join(recs), encoding="utf-8")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        scan_files(spec, str(one / "*.jsonl"), str(tmp / "warm"), client=client)  # builds the scanners
        walls: dict[str, list[float]] = {"many": [], "one": []}
        per_task: list[float] = []
        for r in range(3):
            for name, folder in (("many", many), ("one", one)):
                done = scan_files(spec, str(folder / "*.jsonl"), str(tmp / f"out-{name}-{r}"), client=client)
                walls[name].append(done.seconds)
                if name == "many":
                    per_task += [p.seconds for p in done.partitions]
    t_many, t_one = statistics.median(walls["many"]), statistics.median(walls["one"])
    print(f"dask engine, LocalCluster of 2 worker processes on 127.0.0.1, scanner plugin warm; {partitions} listings "
          f"as {partitions} one-listing partitions vs one partition (3 runs, medians)")
    print(f"  {partitions} partitions {t_many:.2f} s, one partition {t_one:.2f} s: "
          f"{(t_many - t_one) / (partitions - 1) * 1000:.1f} ms of wall time per extra partition on 2 workers "
          f"(~{2 * (t_many - t_one) / (partitions - 1) * 1000:.1f} ms of a worker's time); a partition's own task "
          f"(open, read, scan one listing, write its file) {statistics.median(per_task) * 1000:.1f} ms")


def code_path(path: Path, text_model: str, repeat: int) -> tuple[float, float]:
    """CPU per listing (us) of one process's ingest and of the workers' code path (split in the
    parent, parse, scan, render and summarise a chunk, pickle it both ways, merge), both run here in
    one process pinned to one core: what ``--jobs`` adds, free of other processes' contention."""
    import dataclasses
    import io
    import pickle
    import signal

    from wildtrace import Settings
    from wildtrace import parallel as par
    from wildtrace.pipeline import Sinks, ingest
    from wildtrace.scan.readers import read_listings
    from wildtrace.scan.summary import Summary
    from wildtrace.scan.writers import JsonlWriter

    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    settings = dataclasses.replace(Settings(data_dir=Path(tempfile.mkdtemp())), text_model=text_model)
    par._start(par.ScannerSpec(settings))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    scanner = par._SCANNER[0]
    limits = {"max_field_chars": settings.max_field_chars, "max_record_bytes": settings.max_record_bytes}
    with open(path, "rb") as fh:  # warm the caches
        n = ingest(read_listings(fh, **limits), scanner, Sinks()).scanned
    one, workers = [], []
    for _ in range(repeat):
        started = time.process_time()
        with open(path, "rb") as fh:
            writer = JsonlWriter(io.BytesIO())
            ingest(read_listings(fh, **limits), scanner, Sinks(write=writer.write))
        one.append(time.process_time() - started)
        started = time.process_time()
        with open(path, "rb") as fh:
            raw = par.read_input(fh, name=str(path), **limits)
            assert isinstance(raw, par.RawJsonl)
            sent = dataclasses.replace(raw, stream=None)  # type: ignore[arg-type]
            summary, out = Summary(), io.BytesIO()
            for chunk in par._raw_chunks(raw, par.CHUNK):
                part = pickle.loads(pickle.dumps(par._scan_chunk(pickle.loads(pickle.dumps(chunk)), sent, "jsonl", 10)))
                out.write(part.rendered)
                par.merge_summary(summary, part.summary)
        workers.append(time.process_time() - started)
    return statistics.median(one) / n * 1e6, statistics.median(workers) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--input", type=Path, default=None)
    parser.add_argument("--text-model", default="none", help="none (the default scan: the rules alone) or shipped")
    parser.add_argument("--dask", type=int, default=0, metavar="PARTITIONS",
                        help="measure the dask engine's per-partition overhead instead (the dask extra)")
    args = parser.parse_args()
    if args.dask:
        dask_overhead(args.dask, args.text_model)
        return
    available = sorted(os.sched_getaffinity(0))
    if len(available) < args.jobs:
        sys.exit(f"bench_jobs: {args.jobs} cores asked for, {len(available)} available")
    cores = set(available[: args.jobs])
    tmp = Path(tempfile.mkdtemp())
    env = {**os.environ, "WILDTRACE_DATA_DIR": str(tmp / "data"), "WILDTRACE_TEXT_MODEL": args.text_model}
    sizes = (args.n // 4, args.n)
    files = {}
    for n in sizes:
        files[n] = tmp / f"listings_{n}.jsonl"
        with open(files[n], "w", encoding="utf-8") as fh:
            for rec in records(n, args.input):
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    load_before = os.getloadavg()[0]
    times: dict[tuple[int, int], list[float]] = {(n, j): [] for n in sizes for j in (1, args.jobs)}
    cpu: dict[tuple[int, int], list[float]] = {(n, j): [] for n in sizes for j in (1, args.jobs)}
    for _ in range(args.repeat):
        for n in sizes:
            for j in (1, args.jobs):
                wall, used = run(files[n], tmp / "out.jsonl", j, cores, env)
                times[n, j].append(wall)
                cpu[n, j].append(used)
    load_after = os.getloadavg()[0]
    med = {k: statistics.median(v) for k, v in times.items()}
    med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    small, big = sizes
    whole = [one / many for one, many in zip(times[big, 1], times[big, args.jobs], strict=True)]
    steady = {j: (big - small) / (med[big, j] - med[small, j]) for j in (1, args.jobs)}
    source = args.input or f"generated listings (generate.py, {os.path.getsize(files[big]) / big:.0f} bytes each)"
    print(f"wildtrace scan --jobs {args.jobs} vs one process, pinned to cores {sorted(cores)}; {source}; "
          f"text model {args.text_model}; {args.repeat} runs each, medians; load average {load_before:.2f} before, "
          f"{load_after:.2f} after")
    for n in sizes:
        print(f"  n={n:>7,}: --jobs 1 {med[n, 1]:6.2f} s ({n / med[n, 1]:,.0f}/s); --jobs {args.jobs} "
              f"{med[n, args.jobs]:6.2f} s ({n / med[n, args.jobs]:,.0f}/s); ratio {med[n, 1] / med[n, args.jobs]:.2f}; "
              f"CPU {med_cpu[n, 1]:.2f} s vs {med_cpu[n, args.jobs]:.2f} s (x{med_cpu[n, args.jobs] / med_cpu[n, 1]:.2f})")
    print(f"  whole command at n={big:,}: ratio {statistics.median(whole):.2f} (runs: "
          f"{', '.join(f'{r:.2f}' for r in whole)}; ideal {args.jobs}.00, target >= 1.8 for 2 jobs)")
    print(f"  steady rate (start-up cancelled): one process {steady[1]:,.0f}/s, --jobs {args.jobs} "
          f"{steady[args.jobs]:,.0f}/s, ratio {steady[args.jobs] / steady[1]:.2f}")
    # one process's time is a fixed cost + n / rate (the intercept: start-up, the tables the first
    # listings load, caches filling); the parent pays most of it (imports, building and warming the
    # scanner) before any worker runs, so it bounds the whole command's ratio at a given n (Amdahl)
    serial = med[small, 1] - small / steady[1]
    for n in sizes:
        best = (serial + n / steady[1]) / (serial + n / (args.jobs * steady[1]))
        print(f"  one process's fixed cost {serial:.2f} s: were all of it serial, the whole command's ratio at "
              f"n={n:,} could be at most {best:.2f} with {args.jobs} workers each as fast as one process")
    # CPU per listing between the sizes: what the workers and the parent add to each listing
    per = {j: (med_cpu[big, j] - med_cpu[small, j]) / (big - small) * 1e6 for j in (1, args.jobs)}
    one_us, jobs_us = code_path(files[small], args.text_model, args.repeat)
    print(f"  code path in one process, one core, no contention (n={small:,}): one process {one_us:.0f} us a listing, "
          f"the --jobs path {jobs_us:.0f} us ({(jobs_us / one_us - 1) * 100:+.1f} %); the ratio this allows on "
          f"{args.jobs} free cores: {args.jobs * one_us / jobs_us:.2f} before start-up")
    autogroup = Path("/proc/sys/kernel/sched_autogroup_enabled")
    if autogroup.exists() and autogroup.read_text().strip() == "1" and max(load_before, load_after) > len(cores):
        print(f"  note: the kernel shares the CPU between sessions (sched_autogroup) and the load average is above "
              f"{len(cores)}: this session's processes get one session's share however many there are, so the "
              "wall-clock ratio says how busy the machine is; the CPU figures below are the scan's own")
    print(f"  CPU per listing (start-up cancelled): one process {per[1]:.0f} us, --jobs {args.jobs} {per[args.jobs]:.0f} us "
          f"in all processes; the best ratio the CPU allows on {args.jobs} free cores: "
          f"{args.jobs * per[1] / per[args.jobs]:.2f}")


if __name__ == "__main__":
    main()
