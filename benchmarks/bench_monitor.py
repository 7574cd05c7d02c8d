"""Monitor speed, memory and politeness on the loopback demo marketplace (issue 24, "Speed").

    python benchmarks/bench_monitor.py [--pages 2000] [--repeat 3] [--memory-pages 10000]
                                       [--polite-pages 40] [--delay 0.5] [--captures 50]
                                       [--images] [--profile] [--quick] [--json PATH]

The demo site (``demosite.start(port=0, bench=N)``: N grid-shaped item pages, 50 to a list page
under ``/bench?page=``) runs in a process of its own pinned to core 1; every crawl is a fresh
process (Twisted's reactor runs once per process) pinned to core 0 with ``taskset``, with a fresh
SQLite store and data folder, so a figure is one core's work. Each figure sits beside its floor,
measured in the same run:

1. Speed, politeness off (``Options(polite=False)``: 16 requests in flight, 8 per host, no delay,
   no AutoThrottle), captures off: ``run_sources`` (fetch, extract with the source's CSS rules,
   scan with the shipped scanner, store, frontier and crawl state in SQLite) over the list pages
   and ``--pages`` item pages, against the floor: a bare Scrapy spider with the same concurrency,
   reactor and robots.txt, following the same links and extracting the same fields with parsel
   CSS selectors into dicts, storing nothing. Pages/s is pages over the crawl's wall time (from
   the spider's first request to its close: imports and the scanner's start-up are left out and
   reported on their own), CPU s/page is the crawl process's user+system CPU over the same span
   (``resource.getrusage``, every thread); the ratio is WildTrace / bare. Images are not fetched
   (``images: {download: false}``; ``--images`` fetches them, the bare spider does not) so both
   fetch the same pages. ``--profile``: one more WildTrace run under cProfile, its main thread's
   time split into Scrapy/Twisted, extraction, scanning, the store and the crawl state.
   The site's own CPU over each crawl is reported: a site near 100% of its core would be the
   limit, not the crawler.
2. Memory: one WildTrace crawl of ``--memory-pages`` item pages (politeness and captures off);
   the crawl's RSS is read from /proc every 2 s with the site's request count, and reported at
   25/50/75/100% of the pages, with the peak (``ru_maxrss``); flat means it does not grow with
   pages. The pages/s of each quarter shows whether the crawl slows down as the store grows.
3. Politeness on: a source with ``rate: {delay: 0.5}`` (one request in flight, AutoThrottle on,
   the defaults) over ``--polite-pages`` pages, images fetched as a source fetches them; every
   request the site logged (robots.txt and images included) is one sample: the median and the
   smallest gap between consecutive arrivals, against the configured delay. No gap may be
   shorter than the delay.
4. Captures (``--captures N``, 0 to skip): N high-risk bench listings (risk >= 0.5 in the speed
   run) as start URLs, captured with Chromium screenshots (unsigned); seconds per capture is
   (wall with captures - wall without, same pages) / captures.

``--quick`` (under 2 minutes): 300 pages, 1 repeat, 1,000 memory pages, 10 polite pages, no
captures. Medians of ``--repeat`` runs are reported; the machine is shared, so CPU s/page is the
steadier figure. Prints a table; ``--json PATH`` writes every run.
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
import threading
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


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# -- children --------------------------------------------------------------------------------

def child_site(bench: int, nodelay: bool) -> None:
    """The demo site; answers ``count``, ``cpu``, ``log FROM`` and ``quit`` on stdin. ``nodelay``:
    its sockets send at once (TCP_NODELAY), as a production server's do: ``http.server`` writes the
    headers and the body in two sends, and Nagle's algorithm with the client's delayed ACK holds
    the second up to 40 ms on loopback, which would be the site's limit, not the crawler's."""
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

    def first_requests(self: Any) -> Any:
        marks.setdefault("start", (time.perf_counter(), _cpu()))
        return first(self)

    def on_closed(self: Any, reason: str) -> None:
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
    profiler = None
    if spec.get("profile"):
        import cProfile

        profiler = cProfile.Profile(time.thread_time)  # the main thread's CPU: idle waits left out
        profiler.enable()
    reports = mrun.run_sources(settings, [load(spec["source"])], run, store)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(spec["profile"])
    t1, c1 = time.perf_counter(), _cpu()
    store.close()
    rep = reports[0]
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

        def parse(self, response: Any) -> Any:
            counts["pages"] += 1
            if item_re.search(response.url):
                counts["listings"] += 1
                item = {k: response.css(sel).get() for k, sel in FIELDS.items()}
                item["images"] = [response.urljoin(u) for u in response.css("div.gallery img::attr(src)").getall()]
                yield item
                return
            for href in response.css("a::attr(href)").getall():
                url = response.urljoin(href)
                if item_re.search(url) or page_re.search(url):
                    yield response.follow(url, self.parse)

    process = AsyncCrawlerProcess({
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor", "LOG_LEVEL": "ERROR",
        "ROBOTSTXT_OBEY": True, "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
        "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "TELNETCONSOLE_ENABLED": False,
        "LOGSTATS_INTERVAL": 0, "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "DEFAULT_REQUEST_HEADERS": {"Accept-Encoding": "identity"}})
    t0, c0 = time.perf_counter(), _cpu()
    process.crawl(Bare)
    process.start()
    t1, c1 = time.perf_counter(), _cpu()
    start, end = marks.get("start", (t0, c0)), marks.get("end", (t1, c1))
    return {**counts, "wall": end[0] - start[0], "cpu": end[1] - start[1], "setup_wall": start[0] - t0,
            "total_wall": t1 - t0, "total_cpu": c1 - c0}


# -- the parent ------------------------------------------------------------------------------

class Site:
    """The demo site's process (pinned to ``core``), asked questions over a pipe."""

    def __init__(self, bench: int, core: int, nodelay: bool):
        self.proc = subprocess.Popen(["taskset", "-c", str(core), sys.executable, str(HERE), "--child", "site",
                                      "--spec", json.dumps({"bench": bench, "nodelay": nodelay})],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.lock = threading.Lock()
        assert self.proc.stdout is not None
        self.origin: str = json.loads(self.proc.stdout.readline())["origin"]

    def ask(self, cmd: str) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        with self.lock:
            self.proc.stdin.write(cmd + "\n")
            self.proc.stdin.flush()
            return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("quit\n")
        self.proc.stdin.close()
        self.proc.wait(30)


def crawl(kind: str, spec: dict[str, Any], site: Site, core: int, sample_s: float = 0.0) -> dict[str, Any]:
    """Run one crawl child pinned to ``core``; its result, ru_maxrss (``os.wait4``), the site's CPU
    over the crawl and, with ``sample_s``, an RSS curve: (seconds, RSS KiB, site requests)."""
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
                curve.append((round(time.monotonic() - t0, 2), rss, site.ask("count") - site_n0))
            except (OSError, StopIteration):
                pass
        time.sleep(sample_s or 0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} crawl failed ({proc.returncode}): {(work / f'{kind}.log').read_text()[-3000:]}")
    result: dict[str, Any] = json.loads(out.read_text())
    result.update(maxrss_kib=usage.ru_maxrss, process_cpu=usage.ru_utime + usage.ru_stime,
                  site_cpu=site.ask("cpu") - site_cpu0, site_requests=site.ask("count") - site_n0)
    result["pages_s"] = result["pages"] / result["wall"]
    result["listings_s"] = result["listings"] / result["wall"]
    result["cpu_ms_page"] = 1000 * result["cpu"] / max(1, result["pages"])
    result["site_busy"] = result["site_cpu"] / result["total_wall"] if result.get("total_wall") else None
    if curve:
        result["curve"] = curve
    return result


def write_source(work: Path, origin: str, *, starts: list[str], rate: str, images: bool, max_pages: int) -> Path:
    extract = "\n".join(f"  {k}: 'css:{v}'" for k, v in FIELDS.items())
    path = work / "bench.yaml"
    path.write_text(SOURCE.format(starts=json.dumps(starts), extract=extract, rate=rate,
                                  images=str(images).lower(), max_pages=max_pages, origin=origin))
    return path


def fresh(root: Path, name: str) -> Path:
    work = Path(tempfile.mkdtemp(prefix=name + "-", dir=root))
    return work


def breakdown(path: str) -> dict[str, float]:
    """Main-thread seconds by part, from a cProfile dump (cumulative times; the parts do not nest)."""
    import pstats

    stats = pstats.Stats(path).stats  # type: ignore[attr-defined]
    total = sum(tt for (_, _, _), (_, _, tt, _, _) in stats.items())

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


def at_quarters(curve: list[tuple[float, int, int]], total: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    last_t, last_n = 0.0, 0
    for q in (25, 50, 75, 100):
        goal = total * q / 100
        point = next((p for p in curve if p[2] >= goal), curve[-1])
        rate = (point[2] - last_n) / (point[0] - last_t) if point[0] > last_t else None
        out[f"{q}%"] = {"t": point[0], "rss_mib": round(point[1] / 1024, 1), "requests": point[2],
                        "pages_s": round(rate, 1) if rate else None}
        last_t, last_n = point[0], point[2]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--memory-pages", type=int, default=10_000)
    ap.add_argument("--polite-pages", type=int, default=40)
    ap.add_argument("--delay", type=float, default=0.5)
    ap.add_argument("--captures", type=int, default=50)
    ap.add_argument("--images", action="store_true", help="WildTrace fetches each listing's images too")
    ap.add_argument("--profile", action="store_true", help="one more WildTrace run under cProfile")
    ap.add_argument("--nagle", action="store_true", help="the demo site's sockets as shipped (no TCP_NODELAY)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--child", choices=["site", "wildtrace", "bare"], help=argparse.SUPPRESS)
    ap.add_argument("--spec", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child == "site":
        spec = json.loads(args.spec)
        return child_site(spec["bench"], spec["nodelay"])
    if args.child:
        result = (child_wildtrace if args.child == "wildtrace" else child_bare)(json.loads(args.spec))
        Path(args.out).write_text(json.dumps(result))
        return None
    if args.quick:
        args.pages, args.repeat, args.memory_pages, args.polite_pages, args.captures = 300, 1, 1000, 10, 0
    run(args)
    return None


def _spec(work: Path, origin: str, source: Path, *, polite: bool = False, capture: bool = False,
          **more: Any) -> dict[str, Any]:
    return {"data": str(work), "db": str(work / "monitor.sqlite"), "source": str(source), "origin": origin,
            "polite": polite, "capture": capture, "start": f"{origin}/bench?page=1", **more}


def speed(args: argparse.Namespace, root: Path, report: dict[str, Any]) -> None:
    """1: WildTrace against the bare floor, interleaved so both see the same machine."""
    site = Site(args.pages, core=1, nodelay=not args.nagle)
    o = site.origin
    try:
        wt: list[dict[str, Any]] = []
        bare: list[dict[str, Any]] = []
        for i in range(args.repeat):
            for kind, runs in (("wildtrace", wt), ("bare", bare)):
                work = fresh(root, f"{kind}{i}")
                src = write_source(work, o, starts=[f"{o}/bench?page=1"], rate=FAST, images=args.images,
                                   max_pages=args.pages * 2)
                runs.append(crawl(kind, _spec(work, o, src), site, core=0, sample_s=1.0))
                r = runs[-1]
                print(f"  {kind:9} run {i + 1}: {r['pages']} pages in {r['wall']:.1f} s = {r['pages_s']:.0f} pages/s,"
                      f" {r['cpu_ms_page']:.2f} ms CPU/page, site busy {r['site_busy']:.0%}", flush=True)
        report["speed"] = {"wildtrace": wt, "bare": bare}
        if args.profile:
            work = fresh(root, "profile")
            src = write_source(work, o, starts=[f"{o}/bench?page=1"], rate=FAST, images=args.images,
                               max_pages=args.pages * 2)
            prof = crawl("wildtrace", _spec(work, o, src, profile=str(work / "profile.out")), site, core=0)
            report["profile"] = {"pages": prof["pages"], "wall": prof["wall"],
                                 "cpu_seconds": breakdown(str(work / "profile.out"))}
        risky = wt[0].get("risky", [])[:args.captures] if args.captures else []
        if risky:  # 4: captures, on the same site
            caps = {}
            for capture in (False, True):
                work = fresh(root, f"capture{int(capture)}")
                src = write_source(work, o, starts=[f"{o}/bench/item/{n}" for n in risky], rate=FAST,
                                   images=False, max_pages=len(risky) + 10)
                caps[capture] = crawl("wildtrace", _spec(work, o, src, capture=capture), site, core=0)
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
        work = fresh(root, "memory")
        src = write_source(work, site.origin, starts=[f"{site.origin}/bench?page=1"], rate=FAST,
                           images=args.images, max_pages=args.memory_pages * 2)
        mem = crawl("wildtrace", _spec(work, site.origin, src), site, core=0, sample_s=2.0)
    finally:
        site.close()
    report["memory"] = {k: mem[k] for k in ("pages", "listings", "wall", "pages_s", "cpu_ms_page", "maxrss_kib",
                                            "site_busy", "curve")}
    report["memory"]["quarters"] = at_quarters(mem["curve"], mem["site_requests"])


def polite(args: argparse.Namespace, root: Path, report: dict[str, Any]) -> None:
    """3: the configured delay held, as the site saw it (images and robots.txt included)."""
    site = Site(args.polite_pages, core=1, nodelay=not args.nagle)
    try:
        work = fresh(root, "polite")
        src = write_source(work, site.origin, starts=[f"{site.origin}/bench?page=1"], rate=f"{{delay: {args.delay}}}",
                           images=True, max_pages=args.polite_pages * 2)
        pol = crawl("wildtrace", _spec(work, site.origin, src, polite=True), site, core=0)
        log = site.ask("log 0")
    finally:
        site.close()
    gaps = [b[0] - a[0] for a, b in zip(log, log[1:], strict=False)]
    report["polite"] = {"delay": args.delay, "requests": len(log), "pages": pol["pages"], "wall": pol["wall"],
                        "rate_per_s": (len(log) - 1) / (log[-1][0] - log[0][0]) if len(log) > 1 else None,
                        "median_gap": statistics.median(gaps) if gaps else None, "min_gap": min(gaps) if gaps else None,
                        "below_delay": sum(g < args.delay for g in gaps),
                        "below_delay_10ms": sum(g < args.delay - 0.010 for g in gaps),
                        "gaps": [round(g, 4) for g in gaps], "paths": [p for _, p, _ in log]}


def run(args: argparse.Namespace) -> None:
    root = Path(tempfile.mkdtemp(prefix="bench_monitor-"))
    report: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "load_before": os.getloadavg()},
                              "args": {k: str(v) for k, v in vars(args).items()}}
    speed(args, root, report)
    memory(args, root, report)
    polite(args, root, report)
    report["machine"]["load_after"] = os.getloadavg()
    table(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
        print(f"wrote {args.json}")


def table(report: dict[str, Any]) -> None:
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
    m = report["memory"]
    print(f"\nMemory, {m['pages']} pages ({m['pages_s']:.1f} pages/s): peak RSS {m['maxrss_kib'] / 1024:.0f} MiB")
    for q, v in m["quarters"].items():
        print(f"  at {q:>4} of the requests: RSS {v['rss_mib']:7.1f} MiB, t {v['t']:6.1f} s, "
              f"pages/s over the quarter {v['pages_s']}")
    p = report["polite"]
    print(f"\nPoliteness on (delay {p['delay']} s, AutoThrottle on): {p['requests']} requests at the site, "
          f"{p['rate_per_s']:.2f}/s; gap median {p['median_gap']:.3f} s, smallest {p['min_gap']:.3f} s; "
          f"{p['below_delay']} below the delay ({p['below_delay_10ms']} by more than 10 ms)")
    if "captures" in report:
        c = report["captures"]
        per = f"{c['s_per_capture']:.2f}" if c["s_per_capture"] is not None else "-"
        print(f"\nCaptures with screenshots: {c['captured']} of {c['listings']} ({c['failed']} failed), "
              f"{per} s per capture ({c['wall_with']:.1f} s with, {c['wall_without']:.1f} s without)")


if __name__ == "__main__":
    main()
