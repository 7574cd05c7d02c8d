"""Workbench speed: the triage queue on a large SQLite database, and a bounded load test.

    python benchmarks/bench_workbench.py [--rows 1000000] [--clients 50] [--seconds 60]

1. Builds (once, cached in /tmp) a SQLite database with N synthetic queue rows: the queue,
   search and dashboard read only the derived ``queue`` table, so rows are bulk-inserted there
   (with the FTS5 trigger active, and the dashboard counts kept) instead of scanning N listings.
2. Starts ``wildtrace serve`` in its own process and times, sequentially, 200 requests each of
   the API queue endpoint (several filters), the HTML queue page, the dashboard page and the
   stats endpoint: p50/p95 in ms. ``--verify-counts`` first checks the dashboard counts
   against a full recount of the queue.
3. Runs C concurrent clients (httpx, asyncio) against the API queue endpoint for S seconds:
   throughput and p50/p95/p99.
Synthetic rows measure speed only, never quality.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

from wildtrace.store import accounts as auth
from wildtrace.store import counts
from wildtrace.store.schema import queue
from wildtrace.store.sql import SQLStore

SPECIES = ["Manis javanica", "Loxodonta africana", "Rhinocerotidae", "Panthera tigris", "Psittacus erithacus",
           "Testudinidae", "Pangasius", "Ursus thibetanus"]
PRODUCTS = ["scales", "ivory", "animal parts (bone or bone-like)", "live animal", "skin or leather", "medicine"]
PLATFORMS = ["facebook", "wechat", "ebay", "shopee", "line", "zalo", "taobao", "etsy"]
LANGS = ["en", "zh", "th", "vi", "fr", "id"]
VERDICTS = ["wildlife_offer", "depiction_or_faux", "not_wildlife"]


def build(path: Path, rows: int) -> None:
    store = SQLStore(path)
    rng = random.Random(7)
    with store.engine.begin() as conn:
        have = conn.execute(sa.select(sa.func.count()).select_from(queue)).scalar_one()
    batch = []
    for i in range(have, rows):
        sp = rng.sample(SPECIES, rng.choice([0, 1, 1, 2]))
        day = 1 + i % 28
        batch.append({
            "listing_id": f"b{i:08d}", "content_sha256": f"{i:064x}", "version": 1,
            "verdict": rng.choices(VERDICTS, [2, 1, 5])[0], "risk_score": round(rng.random(), 4),
            "wildlife_score": round(rng.random(), 4), "lang": rng.choice(LANGS),
            "platform": rng.choice(PLATFORMS), "seller": f"seller{rng.randrange(50_000)}",
            "title": f"listing {i} " + " ".join(sp), "posted_at": f"2026-{1 + i % 12:02d}-{day:02d}",
            "scanned_at": "2026-11-01T00:00:00Z", "week": f"2026-W{1 + i % 52:02d}",
            "species": ("|" + "|".join(sp) + "|") if sp else "",
            "products": "|" + rng.choice(PRODUCTS) + "|", "appendices": rng.choice(["", "|I|", "|II|", "|I|II|"]),
            "label": rng.choices(["", "wildlife_offer", "not_wildlife"], [20, 1, 1])[0],
            "search_text": f"listing {i} " + " ".join(sp) + rng.choice([" 犀角", " งาช้าง", " ivory", ""]),
        })
        if len(batch) == 20_000:
            with store.engine.begin() as conn:
                conn.execute(queue.insert(), batch)
                counts.add_rows(conn, batch)  # the dashboard counts, as SQLStore.save keeps them
            batch = []
            print(f"  {i + 1:,} rows", file=sys.stderr, end="\r")
    if batch:
        with store.engine.begin() as conn:
            conn.execute(queue.insert(), batch)
            counts.add_rows(conn, batch)
    with store.engine.begin() as conn:
        conn.execute(sa.text("ANALYZE"))
    store.close()


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def timed(client: httpx.Client, path: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        r = client.get(path)
        out.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, (path, r.status_code, r.text[:200])
    return out


async def load(url: str, token: str, clients: int, seconds: float) -> tuple[int, list[float], int]:
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds
    paths = ["/api/v1/queue", "/api/v1/queue?verdict=wildlife_offer", "/api/v1/queue?label=unlabelled",
             "/api/v1/queue?platform=wechat", "/api/v1/queue?appendix=I"]

    async def worker(k: int) -> None:
        nonlocal errors
        async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"},
                                     timeout=30) as c:
            i = k
            while time.perf_counter() < stop:
                t = time.perf_counter()
                r = await c.get(paths[i % len(paths)])
                latencies.append((time.perf_counter() - t) * 1000)
                errors += r.status_code != 200
                i += 1

    await asyncio.gather(*(worker(k) for k in range(clients)))
    return len(latencies), latencies, errors


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--db", default=None)
    ap.add_argument("--verify-counts", action="store_true",
                    help="check the dashboard counts against a full recount of the queue first")
    args = ap.parse_args()
    path = Path(args.db or f"/tmp/wildtrace-bench-{args.rows}.sqlite")
    t = time.perf_counter()
    build(path, args.rows)
    print(f"database: {path} ({args.rows:,} queue rows; build/check {time.perf_counter() - t:.0f} s)")
    engine = SQLStore(path).engine
    if args.verify_counts:
        t = time.perf_counter()
        with engine.connect() as conn:
            same = counts.stored(conn) == counts.recount(conn)
        print(f"dashboard counts equal a full recount: {same} ({time.perf_counter() - t:.1f} s)")
        if not same:
            raise SystemExit("queue_counts differ from the queue")
    if "bench" not in {u["name"] for u in auth.list_users(engine)}:
        auth.add_user(engine, "bench", "viewer", "bench-password")
    token = auth.create_token(engine, "bench", "benchmark")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "wildtrace"), "serve", "--db", str(path), "--port", str(port)],
        stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(url + "/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        print("\nsequential, 200 requests each (ms):           p50     p95")
        for path_ in ["/api/v1/queue", "/api/v1/queue?verdict=wildlife_offer", "/api/v1/queue?label=unlabelled",
                      "/api/v1/queue?platform=wechat&lang=zh", "/api/v1/queue?appendix=I",
                      "/api/v1/queue?species=Panthera%20tigris", "/api/v1/queue?posted_from=2026-03-01&posted_to=2026-03-31"]:
            times = timed(api, path_, 200)
            print(f"  API {path_:<52} {statistics.median(times):6.1f} {pct(times, 95):7.1f}")
        page = httpx.Client(base_url=url, timeout=30)
        page.cookies.set("wt_session", auth.create_session(engine, "bench")[0])
        for path_ in ["/", "/?verdict=wildlife_offer", "/?label=unlabelled&platform=wechat", "/dashboard"]:
            times = timed(page, path_, 200)
            print(f"  page {path_:<51} {statistics.median(times):6.1f} {pct(times, 95):7.1f}")
        times = timed(api, "/api/v1/stats", 200)
        print(f"  API {'/api/v1/stats':<52} {statistics.median(times):6.1f} {pct(times, 95):7.1f}")
        for path_ in ["/api/v1/search?q=%E7%8A%80%E8%A7%92"]:
            times = timed(api, path_, 20)
            print(f"  API {path_:<52} {statistics.median(times):6.1f} {pct(times, 95):7.1f}  (20 requests)")
        n, lat, errors = asyncio.run(load(url, token, args.clients, args.seconds))
        print(f"\nload: {args.clients} clients x {args.seconds:.0f} s on the API queue endpoint (5 filter mixes): "
              f"{n:,} requests, {n / args.seconds:.0f} req/s, errors {errors}, "
              f"p50 {pct(lat, 50):.0f} ms, p95 {pct(lat, 95):.0f} ms, p99 {pct(lat, 99):.0f} ms")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
