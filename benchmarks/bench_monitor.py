"""Monitor speed, memory and politeness on the loopback demo marketplace (issue 24, "Speed").

    python benchmarks/bench_monitor.py [--pages 2000] [--repeat 3] [--memory-pages 10000]
        [--polite-pages 40] [--delay 0.5] [--captures 50] [--images] [--profile] [--nagle]
        [--quick] [--only speed,memory,polite] [--json PATH]

The demo site (``demosite.start(port=0, bench=N)``: N grid-shaped items, 50 to a ``/bench?page=``)
runs in its own process pinned to core 1, one site per part; each crawl is a fresh process
(Twisted's reactor runs once) pinned to core 0 with ``taskset``, with a fresh SQLite store. The
site's sockets set TCP_NODELAY (``--nagle``: as shipped; ``http.server`` sends headers and body
apart, and Nagle with delayed ACKs holds answers up to 40 ms, capping the floor: bare Scrapy made
98 pages/s with it, 156 without). Each figure sits beside its floor, from the same run:

1. Speed, politeness off (``RunOptions(options=Options(polite=False))``, no CLI switch: 16 in
   flight, 8 per host, no delay, no AutoThrottle), captures off: ``run_sources`` (fetch, extract
   by the source's CSS rules, scan with the shipped scanner, store, crawl state in SQLite) over
   the list pages and ``--pages`` items. Floor: a bare Scrapy spider, same concurrency, reactor
   and robots.txt, same links, same fields by parsel CSS selectors into dicts, nothing stored.
   Pages/s over the crawl's span (first request to close, marked by wrapping
   ``PassHandler.first_requests``/``on_closed``; imports and scanner start-up apart), CPU
   ms/page = user+system CPU of every thread over that span; ratio = WildTrace / bare. Images
   are not fetched (``--images``: WildTrace fetches them, bare never), so both fetch the same
   pages. "Site busy" = the site's CPU share: near 100% would make the site the limit.
   ``--profile``: one more run under cProfile by main-thread CPU over the crawl, split into
   Scrapy/Twisted, extraction, scanning, storing the listing and the crawl state.
2. Memory: one crawl of ``--memory-pages`` items; RSS and CPU from /proc every 2 s with the
   site's request count, reported at 25/50/75/100% of the requests (RSS; pages/s and CPU
   ms/page over each quarter, where a cost growing with the store would show), peak ru_maxrss.
3. Politeness on: ``rate: {delay: 0.5}`` (one in flight, AutoThrottle on: the defaults), images
   fetched, over ``--polite-pages`` listings; floor: the bare spider with the same settings and
   requests. Each gap between arrivals the site logged is a sample: median and smallest against
   the delay. Scrapy counts the delay from when a request leaves its slot, not from the wire, so
   a gap can fall short after a late send; two consecutive gaps together (>= 2 x delay) tell that
   from a broken delay.
4. ``--captures N`` (0: none): N listings the speed run scored >= 0.5, as start URLs, captured
   with Chromium screenshots (unsigned): (wall with - wall without, same pages) / captures.

``--quick`` (< 2 min): 300 pages, 1 repeat, 800 memory pages, 10 polite pages, no captures.
Medians of ``--repeat`` interleaved runs; the machine is shared, so CPU ms/page is the steadier
figure. Prints a table; ``--json PATH`` writes every run.

Here (2 shared cores, 2026-12-06, two full runs, load 1-5.5 then 5-9): WildTrace 48.4 / 54.7
pages/s, 15.3 / 17.6 ms CPU/page; bare Scrapy 133.9 / 263.2 pages/s, 3.2 / 3.3 ms (4.7x / 5.3x
less CPU). 10,200 pages: RSS 382 MiB at 25%, 388-389 MiB from 50% to the end (peak 388-389).
Polite, delay 0.5 s: 1.82-1.97 requests/s; smallest gap 0.363-0.498 s in eight runs (10-40
pages), bare Scrapy's 0.296-0.493 s in three. Captures with screenshots: 2.17 / 2.53 s each.
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
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
FIELDS = {"title": "h1.title::text", "text": "div.description::text", "price": "span.price::text",
          "currency": "span.currency::text", "seller": "a.seller::text", "seller_url": "a.seller::attr(href)",
          "location": "span.location::text", "posted_at": "time.posted::attr(datetime)"}
SOURCE = """name: bench
start_urls: {starts}
allow: ['/bench/item/\\d+$']
follow: ['/bench\\?page=\\d+$']
listing_key: '/bench/item/(\\d+)'
extract:
{extract}
  images: 'css:div.gallery img::attr(src)'
rate: {rate}
images: {{download: {images}}}
capture: {{min_risk: 0.5}}
max_pages: {max_pages}
allow_origins: ["{origin}"]
"""
FAST = "{delay: 0, autothrottle: false}"
TICK = os.sysconf("SC_CLK_TCK")


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def child_site(bench: int, nodelay: bool) -> None:
    """The demo site (TCP_NODELAY unless ``--nagle``: see the module); answers ``count``, ``cpu``,
    ``log FROM`` and ``quit`` on stdin."""
    from wildtrace import demosite
    from wildtrace.demosite import site as site_module

    site_module._Handler.disable_nagle_algorithm = nodelay
    site = demosite.start(port=0, bench=bench)
    print(json.dumps({"origin": site.origin}), flush=True)
    for line in sys.stdin:
        cmd, _, arg = line.strip().partition(" ")
        if cmd == "count":
            answer: Any = len(site.market.requests)
        elif cmd == "cpu":
            answer = _cpu()
        elif cmd == "log":
            answer = [[r.monotonic, r.path, r.status] for r in site.market.requests[int(arg or 0):]]
        else:
            break
        print(json.dumps(answer), flush=True)
    site.close()


def child_wildtrace(spec: dict[str, Any]) -> dict[str, Any]:
    """One pass of ``run_sources`` over the bench source; the crawl's span is marked where the
    spider asks the pass for its first requests and where it closes (instrumentation only)."""
    from wildtrace.evidence.net import allowed_origins
    from wildtrace.monitor import run as mrun
    from wildtrace.monitor.sources import load
    from wildtrace.monitor.spider import Options
    from wildtrace.settings import Settings
    from wildtrace.store import open_store

    marks: dict[str, tuple[float, float]] = {}
    first, closed = mrun.PassHandler.first_requests, mrun.PassHandler.on_closed
    import cProfile

    profiler = cProfile.Profile(time.thread_time) if spec.get("profile") else None  # main thread's CPU

    def first_requests(self: Any) -> Any:
        marks.setdefault("start", (time.perf_counter(), _cpu()))
        if profiler is not None:
            profiler.enable()  # the crawl only: not the imports nor the scanner's start-up
        return first(self)

    def on_closed(self: Any, reason: str) -> None:
        if profiler is not None:
            profiler.disable()
        marks["end"] = (time.perf_counter(), _cpu())
        closed(self, reason)

    mrun.PassHandler.first_requests = first_requests  # type: ignore[method-assign]
    mrun.PassHandler.on_closed = on_closed  # type: ignore[method-assign]
    settings = Settings.from_env()
    store = open_store(spec["db"])
    options = Options(allow_origins=allowed_origins([spec["origin"]]), contact="bench@example.org",
                      polite=spec["polite"], log_level="ERROR")
    run = mrun.RunOptions(options=options, capture=spec["capture"], screenshot=spec["capture"],
                          evidence_dir=Path(spec["data"]) / "evidence")
    t0, c0 = time.perf_counter(), _cpu()
    rep = mrun.run_sources(settings, [load(spec["source"])], run, store)[0]
    t1, c1 = time.perf_counter(), _cpu()
    if profiler is not None:
        profiler.dump_stats(spec["profile"])
    store.close()
    start, end = marks.get("start", (t0, c0)), marks.get("end", (t1, c1))
    return {"pages": rep.counts.get("pages", 0), "listings": rep.counts.get("listings", 0),
            "counts": dict(rep.counts), "errors": rep.errors[:5], "state": rep.state,
            "wall": end[0] - start[0], "cpu": end[1] - start[1], "setup_wall": start[0] - t0,
            "total_wall": t1 - t0, "total_cpu": c1 - c0,
            "risky": sorted(int(c["listing_id"].split(":")[1]) for c in rep.changes
                            if (c.get("risk") or 0) >= 0.5 and c.get("listing_id"))}


def child_bare(spec: dict[str, Any]) -> dict[str, Any]:
    """The floor: Scrapy fetching the same pages, parsel extracting the same fields, nothing stored."""
    import re

    import scrapy
    from scrapy import signals
    from scrapy.crawler import AsyncCrawlerProcess

    marks: dict[str, tuple[float, float]] = {}
    counts = {"pages": 0, "listings": 0}
    item_re, page_re = re.compile(r"/bench/item/\d+$"), re.compile(r"/bench\?page=\d+$")

    class Bare(scrapy.Spider):
        name = "bare"
        start_urls = [spec["start"]]

        @classmethod
        def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> Bare:
            spider = super().from_crawler(crawler, *args, **kwargs)
            crawler.signals.connect(lambda: marks.setdefault("start", (time.perf_counter(), _cpu())),
                                    signal=signals.spider_opened)
            crawler.signals.connect(lambda: marks.__setitem__("end", (time.perf_counter(), _cpu())),
                                    signal=signals.spider_closed)
            return spider

        def image(self, response: Any) -> None:
            """Fetched (politeness runs), not kept."""

        def parse(self, response: Any) -> Any:
            counts["pages"] += 1
            if item_re.search(response.url):
                counts["listings"] += 1
                item = {k: response.css(sel).get() for k, sel in FIELDS.items()}
                item["images"] = [response.urljoin(u) for u in response.css("div.gallery img::attr(src)").getall()]
                yield item
                if spec.get("delay") is not None:  # polite: images fetched, as the monitor does
                    yield from (scrapy.Request(u, callback=self.image) for u in item["images"])
                return
            for href in response.css("a::attr(href)").getall():
                url = response.urljoin(href)
                if item_re.search(url) or page_re.search(url):
                    yield response.follow(url, self.parse)

    delay = spec.get("delay")  # None: politeness off; else the monitor's polite settings for one host
    process = AsyncCrawlerProcess({
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor", "LOG_LEVEL": "ERROR",
        "ROBOTSTXT_OBEY": True, "CONCURRENT_REQUESTS": 16 if delay is None else 2,
        "CONCURRENT_REQUESTS_PER_DOMAIN": 8 if delay is None else 1, "DOWNLOAD_DELAY": delay or 0,
        "AUTOTHROTTLE_ENABLED": delay is not None, "AUTOTHROTTLE_START_DELAY": delay or 0,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": 1.0, "RANDOMIZE_DOWNLOAD_DELAY": False, "TELNETCONSOLE_ENABLED": False,
        "LOGSTATS_INTERVAL": 0, "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "DEFAULT_REQUEST_HEADERS": {"Accept-Encoding": "identity"}})
    t0, c0 = time.perf_counter(), _cpu()
    process.crawl(Bare)
    process.start()
    t1, c1 = time.perf_counter(), _cpu()
    start, end = marks.get("start", (t0, c0)), marks.get("end", (t1, c1))
    return {**counts, "wall": end[0] - start[0], "cpu": end[1] - start[1], "setup_wall": start[0] - t0,
            "total_wall": t1 - t0, "total_cpu": c1 - c0}


class Site:
    """The demo site's process (pinned to ``core``), asked questions over a pipe."""

    def __init__(self, bench: int, core: int, nodelay: bool):
        self.proc = subprocess.Popen(["taskset", "-c", str(core), sys.executable, str(HERE), "--child", "site",
                                      "--spec", json.dumps({"bench": bench, "nodelay": nodelay})],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.origin: str = json.loads(self.proc.stdout.readline())["origin"]

    def ask(self, cmd: str) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.communicate("quit\n", timeout=30)


def crawl(kind: str, spec: dict[str, Any], site: Site, core: int, sample_s: float = 0.0) -> dict[str, Any]:
    """Run one crawl child pinned to ``core``; its result, ru_maxrss (``os.wait4``), the site's CPU
    over the crawl and, with ``sample_s``, a curve: (seconds, RSS KiB, site requests, CPU seconds)."""
    work = Path(spec["data"])
    out = work / f"{kind}.json"
    env = {**os.environ, "WILDTRACE_DATA_DIR": str(work), "PYTHONHASHSEED": "0"}
    site_cpu0, site_n0 = site.ask("cpu"), site.ask("count")
    with open(work / f"{kind}.log", "w") as log:
        proc = subprocess.Popen(["taskset", "-c", str(core), sys.executable, str(HERE), "--child", kind,
                                 "--spec", json.dumps(spec), "--out", str(out)], env=env, stdout=log, stderr=log)
    t0, curve = time.monotonic(), []
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if sample_s:
            try:
                rss = next(int(ln.split()[1]) for ln in Path(f"/proc/{proc.pid}/status").read_text().splitlines()
                           if ln.startswith("VmRSS:"))
                ticks = Path(f"/proc/{proc.pid}/stat").read_text().rpartition(")")[2].split()
                cpu = (int(ticks[11]) + int(ticks[12])) / TICK  # utime + stime
                curve.append((round(time.monotonic() - t0, 2), rss, site.ask("count") - site_n0, round(cpu, 2)))
            except (OSError, StopIteration, IndexError, ValueError):
                pass
        time.sleep(sample_s or 0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} crawl failed ({proc.returncode}): {(work / f'{kind}.log').read_text()[-3000:]}")
    result: dict[str, Any] = json.loads(out.read_text())
    result.update(maxrss_kib=usage.ru_maxrss, process_cpu=usage.ru_utime + usage.ru_stime,
                  site_cpu=site.ask("cpu") - site_cpu0, site_requests=site.ask("count") - site_n0)
    result.update(pages_s=result["pages"] / result["wall"], listings_s=result["listings"] / result["wall"],
                  cpu_ms_page=1000 * result["cpu"] / max(1, result["pages"]),
                  site_busy=result["site_cpu"] / result["total_wall"], curve=curve)
    return result


def prepare(root: Path, name: str, origin: str, *, starts: list[str] | None = None, rate: str = FAST,
            images: bool = False, max_pages: int = 100_000, **spec: Any) -> dict[str, Any]:
    """A fresh folder with the bench source file; the crawl child's spec."""
    work = Path(tempfile.mkdtemp(prefix=name + "-", dir=root))
    extract = "\n".join(f"  {k}: 'css:{v}'" for k, v in FIELDS.items())
    source = work / "bench.yaml"
    source.write_text(SOURCE.format(starts=json.dumps(starts or [f"{origin}/bench?page=1"]), extract=extract,
                                    rate=rate, images=str(images).lower(), max_pages=max_pages, origin=origin))
    return {"data": str(work), "db": str(work / "monitor.sqlite"), "source": str(source), "origin": origin,
            "polite": False, "capture": False, "start": f"{origin}/bench?page=1", **spec}


def breakdown(path: str) -> dict[str, float]:
    """Main-thread seconds by part, from a cProfile dump (cumulative times; the parts do not nest)."""
    import pstats

    stats = pstats.Stats(path).stats  # type: ignore[attr-defined]
    total = sum(tt for _, (_, _, tt, _, _) in stats.items())
    def cum(file_end: str, *names: str) -> float:
        return sum(ct for (f, _, fn), (_, _, _, ct, _) in stats.items() if f.endswith(file_end) and fn in names)

    parts = {"extract": cum("monitor/extract.py", "extract"),
             "scan": cum("wildtrace/pipeline.py", "_scanned"),
             "store listing": cum("store/sql.py", "save", "versions"),
             "crawl state": cum("store/crawl.py", "record", "get", "duplicate_of", "add_to_frontier", "done",
                                "keep_response", "kept", "save_run", "remembered", "remember", "note_outcome"),
             "pack response": cum("monitor/run.py", "pack_response")}
    handler = cum("monitor/run.py", "on_response")
    parts["other handler"] = max(0.0, handler - sum(parts.values()))
    parts["scrapy/twisted/rest"] = max(0.0, total - handler)
    parts["total"] = total
    return {k: round(v, 2) for k, v in parts.items()}


def median(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in runs))


def at_quarters(curve: list[list[float]], total: int) -> dict[str, Any]:
    """RSS, pages/s and CPU ms/page at 25/50/75/100% of the site's requests; the last sample is
    left out (taken while the process closes), so "100%" is the last sample of the crawl itself."""
    points = curve[:-1] if len(curve) > 1 else curve
    out: dict[str, Any] = {}
    last = next((p for p in points if p[2] > 0), points[0])
    for q in (25, 50, 75, 100):
        point = next((p for p in points if p[2] >= total * q / 100), points[-1])
        pages = point[2] - last[2]
        out[f"{q}%"] = {"t": point[0], "rss_mib": round(point[1] / 1024, 1), "requests": point[2],
                        "done": round(point[2] / max(1, total), 3),
                        "pages_s": round(pages / (point[0] - last[0]), 1) if point[0] > last[0] else None,
                        "cpu_ms_page": round(1000 * (point[3] - last[3]) / pages, 2) if pages > 0 else None}
        last = point
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for flag, default in (("--pages", 2000), ("--repeat", 3), ("--memory-pages", 10_000), ("--polite-pages", 40),
                          ("--captures", 50)):
        ap.add_argument(flag, type=int, default=default)
    ap.add_argument("--delay", type=float, default=0.5)
    ap.add_argument("--images", action="store_true", help="WildTrace fetches each listing's images too")
    ap.add_argument("--profile", action="store_true", help="one more WildTrace run under cProfile")
    ap.add_argument("--nagle", action="store_true", help="the demo site's sockets as shipped (no TCP_NODELAY)")
    ap.add_argument("--only", default="speed,memory,polite", help="which parts, comma-separated")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--child", choices=["site", "wildtrace", "bare"], help=argparse.SUPPRESS)
    ap.add_argument("--spec", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    spec = json.loads(args.spec or "{}")
    if args.child == "site":
        return child_site(spec["bench"], spec["nodelay"])
    if args.child:
        Path(args.out).write_text(json.dumps({"wildtrace": child_wildtrace, "bare": child_bare}[args.child](spec)))
        return None
    if args.quick:
        args.pages, args.repeat, args.memory_pages, args.polite_pages, args.captures = 300, 1, 800, 10, 0
    run(args)


def speed(args: argparse.Namespace, root: Path, report: dict[str, Any]) -> None:
    """1: WildTrace against the bare floor, interleaved so both see the same machine."""
    site = Site(args.pages, core=1, nodelay=not args.nagle)
    o = site.origin
    try:
        wt: list[dict[str, Any]] = []
        bare: list[dict[str, Any]] = []
        for i in range(args.repeat):
            for kind, runs in (("wildtrace", wt), ("bare", bare)):
                runs.append(crawl(kind, prepare(root, f"{kind}{i}", o, images=args.images), site, core=0,
                                  sample_s=1.0))
                r = runs[-1]
                print(f"  {kind:9} run {i + 1}: {r['pages']} pages in {r['wall']:.1f} s = {r['pages_s']:.0f} pages/s,"
                      f" {r['cpu_ms_page']:.2f} ms CPU/page, site busy {r['site_busy']:.0%}", flush=True)
        report["speed"] = {"wildtrace": wt, "bare": bare}
        if args.profile:
            spec = prepare(root, "profile", o, images=args.images)
            spec["profile"] = str(Path(spec["data"]) / "profile.out")
            prof = crawl("wildtrace", spec, site, core=0)
            report["profile"] = {"pages": prof["pages"], "wall": prof["wall"], "cpu_seconds": breakdown(spec["profile"])}
        risky = wt[0].get("risky", [])[:args.captures] if args.captures else []
        if risky:  # 4: captures, on the same site
            caps = {}
            for capture in (False, True):
                spec = prepare(root, f"capture{int(capture)}", o, starts=[f"{o}/bench/item/{n}" for n in risky],
                               capture=capture)
                caps[capture] = crawl("wildtrace", spec, site, core=0)
            captured = caps[True]["counts"].get("captured", 0)
            report["captures"] = {"listings": len(risky), "captured": captured,
                                  "failed": caps[True]["counts"].get("capture_failed", 0),
                                  "errors": caps[True]["errors"], "wall_with": caps[True]["wall"],
                                  "wall_without": caps[False]["wall"],
                                  "s_per_capture": (caps[True]["wall"] - caps[False]["wall"]) / captured
                                  if captured else None}
    finally:
        site.close()


def memory(args: argparse.Namespace, root: Path, report: dict[str, Any]) -> None:
    """2: RSS over one long crawl."""
    site = Site(args.memory_pages, core=1, nodelay=not args.nagle)
    try:
        mem = crawl("wildtrace", prepare(root, "memory", site.origin, images=args.images), site, core=0,
                    sample_s=2.0)
    finally:
        site.close()
    report["memory"] = {k: mem[k] for k in ("pages", "listings", "wall", "pages_s", "cpu_ms_page", "maxrss_kib",
                                            "site_busy", "curve")}
    report["memory"]["quarters"] = at_quarters(mem["curve"], mem["site_requests"])


def polite(args: argparse.Namespace, root: Path, report: dict[str, Any]) -> None:
    """3: the delay as the site saw it (robots.txt and images too), WildTrace and bare Scrapy."""
    site = Site(args.polite_pages, core=1, nodelay=not args.nagle)
    report["polite"] = {"delay": args.delay}
    try:
        for kind in ("wildtrace", "bare"):
            spec = prepare(root, f"polite-{kind}", site.origin, rate=f"{{delay: {args.delay}}}", images=True,
                           polite=True, delay=args.delay)
            n0 = site.ask("count")
            pol = crawl(kind, spec, site, core=0)
            log = site.ask(f"log {n0}")
            gaps = [b[0] - a[0] for a, b in zip(log, log[1:], strict=False)]
            report["polite"][kind] = {
                "requests": len(log), "pages": pol["pages"], "wall": pol["wall"],
                "rate_per_s": (len(log) - 1) / (log[-1][0] - log[0][0]), "median_gap": statistics.median(gaps),
                "min_gap": min(gaps), "below_delay": sum(g < args.delay for g in gaps),
                "below_delay_10ms": sum(g < args.delay - 0.010 for g in gaps),
                "min_two_gaps": min(a + b for a, b in zip(gaps, gaps[1:], strict=False)),
                "gaps": [round(g, 4) for g in gaps], "paths": [p for _, p, _ in log]}
    finally:
        site.close()


def run(args: argparse.Namespace) -> None:
    root = Path(tempfile.mkdtemp(prefix="bench_monitor-"))
    report: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "load_before": os.getloadavg()},
                              "args": {k: str(v) for k, v in vars(args).items()}}
    for part in args.only.split(","):
        {"speed": speed, "memory": memory, "polite": polite}[part](args, root, report)
    report["machine"]["load_after"] = os.getloadavg()
    table(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
        print(f"wrote {args.json}")


def table(report: dict[str, Any]) -> None:
    if "speed" in report:
        speed_table(report)
    if "memory" in report:
        m = report["memory"]
        print(f"\nMemory, {m['pages']} pages ({m['pages_s']:.1f} pages/s): peak RSS {m['maxrss_kib'] / 1024:.0f} MiB")
        for q, v in m["quarters"].items():
            print(f"  at {q:>4} of the requests ({v['done']:.1%}): RSS {v['rss_mib']:7.1f} MiB, t {v['t']:6.1f} s, "
                  f"over the quarter {v['pages_s']} pages/s, {v['cpu_ms_page']} ms CPU/page")
    if "polite" in report:
        print(f"\nPoliteness on (delay {report['polite']['delay']} s, one in flight, AutoThrottle on), at the site:")
        for kind in ("wildtrace", "bare"):
            p = report["polite"][kind]
            print(f"  {kind:9} {p['requests']} requests, {p['rate_per_s']:.2f}/s; gap median {p['median_gap']:.3f} s, "
                  f"smallest {p['min_gap']:.3f} s; {p['below_delay']} below the delay ({p['below_delay_10ms']} "
                  f"by > 10 ms); two gaps together >= {p['min_two_gaps']:.3f} s")


def speed_table(report: dict[str, Any]) -> None:
    wt, bare = report["speed"]["wildtrace"], report["speed"]["bare"]
    print(f"\nSpeed, politeness and captures off, crawler on core 0, site on core 1 (median of {len(wt)}):")
    print(f"  {'':10} {'pages':>6} {'pages/s':>8} {'listings/s':>10} {'CPU ms/page':>11} {'site busy':>9} "
          f"{'start-up s':>10} {'max RSS MiB':>11}")
    for name, runs in (("WildTrace", wt), ("bare", bare)):
        print(f"  {name:10} {median(runs, 'pages'):6.0f} {median(runs, 'pages_s'):8.1f} "
              f"{median(runs, 'listings_s'):10.1f} {median(runs, 'cpu_ms_page'):11.2f} "
              f"{median(runs, 'site_busy'):9.0%} {median(runs, 'setup_wall'):10.1f} "
              f"{median(runs, 'maxrss_kib') / 1024:11.0f}")
    ratio = median(wt, "pages_s") / median(bare, "pages_s")
    cpu_ratio = median(wt, "cpu_ms_page") / median(bare, "cpu_ms_page")
    print(f"  ratio WildTrace / bare: pages/s {ratio:.2f}, CPU per page {cpu_ratio:.1f}x")
    report["speed"]["summary"] = {"pages_s": median(wt, "pages_s"), "bare_pages_s": median(bare, "pages_s"),
                                  "listings_s": median(wt, "listings_s"), "ratio": ratio,
                                  "cpu_ms_page": median(wt, "cpu_ms_page"),
                                  "bare_cpu_ms_page": median(bare, "cpu_ms_page"), "cpu_ratio": cpu_ratio}
    if "profile" in report:
        p = report["profile"]
        print(f"\nWhere WildTrace's main-thread CPU goes (cProfile, {p['pages']} pages; profiled, so slower):")
        for k, v in p["cpu_seconds"].items():
            print(f"  {k:20} {v:8.2f} s {100 * v / p['cpu_seconds']['total']:5.1f}%")
    if "captures" in report:
        c = report["captures"]
        per = f"{c['s_per_capture']:.2f}" if c["s_per_capture"] is not None else "-"
        print(f"\nCaptures with screenshots: {c['captured']} of {c['listings']} ({c['failed']} failed), "
              f"{per} s per capture ({c['wall_with']:.1f} s with, {c['wall_without']:.1f} s without)")


if __name__ == "__main__":
    main()
