"""Runs of the monitor: one pass over sources (``run_sources``), the schedule, and status.

``run_sources(settings, sources, options)`` crawls every source in one Scrapy process (each with
its own politeness), hands each response to its ``SourcePass`` (``monitor.passes``) and, after the
crawl, seals each source's new captures (WACZ, Ed25519 signature of the custody head, RFC 3161
timestamp when an authority is configured: ``evidence.seal``). Twisted's reactor runs once per
process, so a process runs one pass of its sources; ``schedule`` starts one process per due pass
(``wildtrace monitor run``), which also bounds what a long-running browser can leak.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import http
import mimetypes
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from wildtrace import clock
from wildtrace.atomic import atomic_write
from wildtrace.errors import ConfigError, WildTraceError
from wildtrace.evidence.capture import CaptureOptions, Capturer
from wildtrace.evidence.custody import LOG_NAME
from wildtrace.evidence.exchange import Exchange
from wildtrace.evidence.net import Fetched
from wildtrace.monitor.extract import extract
from wildtrace.monitor.passes import LISTING, RECHECK, SourcePass, url_key
from wildtrace.monitor.sources import Source
from wildtrace.monitor.spider import Options
from wildtrace.scan.scanner import Scanner
from wildtrace.settings import Settings
from wildtrace.store import Store, crawl

_DECODED = ("content-encoding", "transfer-encoding", "content-length")


@dataclass
class PassReport:
    """What one pass did, for the CLI and the caller."""

    source: str
    run_id: str
    resumed: bool
    state: str
    counts: dict[str, int]
    errors: list[dict[str, Any]]
    changes: list[dict[str, Any]]
    seal: dict[str, Any] | None = None
    evidence_dir: Path | None = None

    def line(self) -> str:
        c = self.counts
        words = [f"{c.get('new', 0)} new", f"{c.get('changed', 0)} changed", f"{c.get('gone', 0)} gone",
                 f"{c.get('unchanged', 0)} unchanged", f"{c.get('duplicates', 0)} duplicates"]
        more = [f"{c.get('pages', 0)} pages", f"{c.get('captured', 0)} captured"]
        for key in ("refused", "robots", "errors", "rejected"):
            if c.get(key):
                more.append(f"{c[key]} {key}")
        state = "" if self.state == "finished" else f" ({self.state}: the next run resumes it)"
        return f"{self.source}: {', '.join(words)}; {', '.join(more)}{state} [{self.run_id}]"


@dataclass
class PassHandler:
    """Between the spider and the pass: turns responses into the pass's calls (see the module)."""

    source: Source
    sp: SourcePass
    images_dir: Path
    pool: ThreadPoolExecutor
    rechecked: bool = False
    closed_reason: str | None = None
    max_page_bytes: int = 10_000_000
    _first: list[dict[str, Any]] = field(default_factory=list)

    def first_requests(self) -> list[dict[str, Any]]:
        return self.sp.open()

    def kept_response(self, request: Any) -> Any:
        """The response a killed pass kept for this request's URL, or None."""
        blob, _ = crawl.kept(self.sp.store.engine, self.sp.run_id, url_key(request.meta["wt_url"]))
        return unpack_response(blob, request) if blob else None

    async def on_response(self, spider: Any, response: Any) -> list[tuple[str, str, int]]:
        """One response, handled; anything unexpected (a busy database, a full disk) fails that page
        with the reason, counted and listed, and the pass goes on."""
        url = response.meta["wt_url"]
        try:
            return await self._handle(spider, response)
        except Exception as exc:  # noqa: BLE001 - one page never stops a pass; it is reported
            why = f"{type(exc).__name__}: {exc}"[:500]
            self.sp.error(url, f"not handled: {why}")
            self.sp.done(url, "failed", why)
            return []

    async def _handle(self, spider: Any, response: Any) -> list[tuple[str, str, int]]:
        meta = response.meta
        url, kind, depth = meta["wt_url"], meta["wt_kind"], int(meta.get("wt_depth", 0))
        sp = self.sp
        sp.counts["pages"] += 1
        if len(response.body) > self.max_page_bytes:  # a rendered page has no download cap of its own
            why = f"page over the size cap: {len(response.body):,} bytes > {self.max_page_bytes:,}"
            sp.error(url, why)
            sp.done(url, "failed", why)
            return []
        if not self.source.in_domains(response.url):  # redirected off the source's sites
            why = f"redirected off the source's domains, to {response.url}"
            sp.error(url, why)
            sp.done(url, "refused", why)
            return []
        if kind == RECHECK and response.status in (404, 410):
            sp.gone(url, response.status)
            sp.done(url)
            return []
        if response.status >= 400:
            sp.error(url, f"HTTP {response.status}")
            sp.done(url, "failed", f"HTTP {response.status}")
            return []
        if not hasattr(response, "css"):
            why = f"not a web page ({response.headers.get(b'Content-Type', b'no Content-Type').decode('latin-1')})"
            sp.error(url, why)
            sp.done(url, "failed", why)
            return []
        if kind in (LISTING, RECHECK) or self.source.is_listing(response.url):
            if not meta.get("wt_kept"):
                crawl.keep_response(sp.store.engine, sp.run_id, url_key(url), pack_response(response))
            await self._listing(spider, url, response)
            sp.done(url)
            return []
        hrefs = [response.urljoin(h) for h in response.css("a::attr(href)").getall()
                 if not h.strip().lower().startswith(("javascript:", "data:", "mailto:", "tel:"))]
        if self.source.next_selector:
            hrefs += [response.urljoin(h) for h in
                      response.css(self.source.next_selector).xpath("@href").getall()]
        queued = sp.links(response.url, hrefs, depth)
        sp.done(url)
        return [(u, k, d) for _, u, k, d in queued]

    async def _listing(self, spider: Any, url: str, response: Any) -> None:
        sp = self.sp
        _, noted = crawl.kept(sp.store.engine, sp.run_id, url_key(url)) if response.meta.get("wt_kept") \
            else (None, None)
        if noted is None:  # not processed yet (a kept response whose pass was killed before is, again)
            extracted = extract(response.url, response.body, encoding=response.encoding, rules=self.source.extract,
                                platform=self.source.platform, key_pattern=self.source.listing_key)
            images = await self._images(spider, list(extracted.images)) if self.source.images.download else []
            outcome = sp.listing(url, response.status, extracted, images)
            if not (outcome.capture and outcome.listing_id):
                return
            noted = {"listing_id": outcome.listing_id, "risk": outcome.risk, "capture": True}
            crawl.note_outcome(sp.store.engine, sp.run_id, url_key(url), noted)  # stored: the capture is owed
        loop = asyncio.get_running_loop()
        capture = await loop.run_in_executor(self.pool, sp.capture, response.url, noted["listing_id"], noted["risk"],
                                             fetched_from(response))
        sp.captured(url, capture)

    async def _images(self, spider: Any, urls: list[str]) -> list[dict[str, Any]]:
        """Each image (up to the source's cap) fetched through the crawler (guard and politeness),
        size-capped, hashed and kept once by content under the monitor's image folder."""
        out: list[dict[str, Any]] = []
        cap = self.source.images
        for url in urls[:cap.max_per_listing]:
            key = "image:" + url_key(url)
            known = crawl.remembered(self.sp.store.engine, self.sp.run_id, key)
            if known is not None:  # fetched before this pass was killed: not fetched again
                out.append(known)
                continue
            out.append(await self._image(spider, url, cap.max_bytes))
            crawl.remember(self.sp.store.engine, self.sp.run_id, key, url, "image", out[-1])
        return out

    async def _image(self, spider: Any, url: str, max_bytes: int) -> dict[str, Any]:
        from scrapy.http import Request

        request = Request(url, meta={"download_maxsize": max_bytes, "handle_httpstatus_all": True, "dont_retry": True},
                          dont_filter=True)
        try:
            response = await spider.crawler.engine.download_async(request)
        except Exception as exc:  # noqa: BLE001 - an image that cannot be fetched is noted, the listing goes on
            return {"url": url, "error": f"{type(exc).__name__}: {exc}"[:300]}
        ctype = response.headers.get(b"Content-Type", b"").decode("latin-1").split(";")[0].strip().lower()
        if response.status != 200 or not ctype.startswith("image/"):
            return {"url": url, "error": f"HTTP {response.status} {ctype or 'no Content-Type'}"}
        body = bytes(response.body)
        digest = hashlib.sha256(body).hexdigest()
        ext = mimetypes.guess_extension(ctype) or ".bin"
        path = self.images_dir / digest[:2] / f"{digest}{ext}"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_write(path) as fh:
                fh.write(body)
        return {"url": url, "sha256": digest, "bytes": len(body), "content_type": ctype}

    def on_failure(self, failure: Any) -> None:
        from scrapy.exceptions import IgnoreRequest

        request = getattr(failure, "request", None)
        meta = request.meta if request is not None else {}
        url = meta.get("wt_url") or (request.url if request is not None else "?")
        why = str(failure.value) or type(failure.value).__name__
        if isinstance(failure.value, IgnoreRequest) and "robots.txt" in why:
            self.sp.counts["robots"] += 1
            self.sp.done(url, "refused", "disallowed by robots.txt")
            return
        if "address guard" in why:
            self.sp.counts["refused"] += 1
            hop = request.url if request is not None and request.url != url else None
            why = f"{why} (redirected to {hop})" if hop else why
            self.sp.error(url, why)
            self.sp.done(url, "refused", why)
            return
        self.sp.error(url, f"{type(failure.value).__name__}: {why}")
        self.sp.done(url, "failed", why[:500])

    def on_idle(self) -> list[tuple[str, str, int]]:
        if self.rechecked:
            return []
        self.rechecked = True
        return [(u, k, d) for _, u, k, d in self.sp.rechecks()]

    def on_closed(self, reason: str) -> None:
        self.closed_reason = reason
        finished = reason == "finished"
        self.sp.save(state="finished" if finished else "interrupted", finished=finished)


def _pairs(headers: Any) -> list[list[str]]:
    return [[k.decode("latin-1"), v.decode("latin-1")] for k, values in headers.items() for v in values]


def pack_response(response: Any) -> bytes:
    """A response as kept in the frontier (zlib JSON): URL, status, headers, body, and what the
    capture of it needs of the request (its headers as sent, the redirects that led to it)."""
    meta = response.meta
    return zlib.compress(orjson.dumps({
        "url": response.url, "status": response.status, "headers": _pairs(response.headers),
        "body": base64.b64encode(bytes(response.body)).decode(), "request_headers": _pairs(response.request.headers),
        "redirect_urls": list(meta.get("redirect_urls") or []), "redirect_reasons": list(meta.get("redirect_reasons")
                                                                                          or [])}))


def unpack_response(blob: bytes, request: Any) -> Any:
    """The response ``pack_response`` kept, as Scrapy's response of the right class."""
    from scrapy.http import Headers
    from scrapy.responsetypes import responsetypes

    data = orjson.loads(zlib.decompress(blob))
    headers = Headers()
    for k, v in data["headers"]:
        headers.appendlist(k, v)
    body = base64.b64decode(data["body"])
    sent = Headers()
    for k, v in data.get("request_headers", []):
        sent.appendlist(k, v)
    if sent:
        request.headers = sent  # as the first fetch sent them (this one never left)
    for key in ("redirect_urls", "redirect_reasons"):
        if data.get(key):
            request.meta[key] = data[key]
    cls = responsetypes.from_args(headers=headers, url=data["url"], body=body)
    return cls(url=data["url"], status=data["status"], headers=headers, body=body, request=request)


def fetched_from(response: Any) -> Fetched:
    """The crawler's response as the evidence module's exchange (the page the capture records)."""
    request = response.request
    # the body as the crawler holds it: decoded (Content-Encoding undone) or, for a javascript
    # source, the page as Chromium rendered it; the headers must describe that body
    headers = [(k, v) for k, v in _pairs(response.headers) if k.lower() not in _DECODED]
    headers.append(("Content-Length", str(len(response.body))))
    if "playwright" in response.flags or response.meta.get("playwright"):
        headers.append(("X-WildTrace-Rendered", "Chromium (the page as rendered after scrolling, not the bytes served)"))
    try:
        reason = http.HTTPStatus(response.status).phrase
    except ValueError:
        reason = ""
    exchange = Exchange(url=response.url, status=response.status, response_headers=headers, body=bytes(response.body),
                        request_headers=[(k, v) for k, v in _pairs(request.headers)], method=request.method,
                        reason=reason)
    hops = list(response.meta.get("redirect_urls") or [])
    statuses = list(response.meta.get("redirect_reasons") or [])
    redirects = [{"from": hop, "status": statuses[i] if i < len(statuses) else None,
                  "to": hops[i + 1] if i + 1 < len(hops) else response.url} for i, hop in enumerate(hops)]
    return Fetched([exchange], redirects)


@dataclass(frozen=True)
class RunOptions:
    """Where a run writes and how it signs."""

    options: Options = Options()
    evidence_dir: Path | None = None  # default: settings.evidence_dir / monitor-NAME
    key: Path | None = None  # signs custody entries and seals (default: settings.evidence_key)
    capture: bool = True
    screenshot: bool = True
    tsa_url: str | None = None


def run_sources(settings: Settings, sources: list[Source], run: RunOptions, store: Store,
                echo: Callable[[str], None] = lambda _: None) -> list[PassReport]:
    """One pass over each source (see the module); returns each pass's report."""
    from scrapy.crawler import AsyncCrawlerProcess

    from wildtrace.monitor.spider import (
        MonitorSpider,
        guard_origins,
        process_settings,
        scrapy_settings,
    )

    scanner = Scanner(settings)
    key = run.key or settings.evidence_key
    all_origins = frozenset().union(*(guard_origins(s, run.options) for s in sources))
    process = AsyncCrawlerProcess(process_settings(run.options, all_origins, run.options.log_level))
    handlers: list[PassHandler] = []
    pool = ThreadPoolExecutor(1, thread_name_prefix="wildtrace-capture")  # captures one at a time
    proxy = None
    if any(s.javascript is not None for s in sources):
        from wildtrace.monitor.proxy import GuardProxy

        proxy = GuardProxy(run.options.allow_private, all_origins)
    for source in sources:
        capturer = None
        if run.capture:
            folder = (run.evidence_dir or settings.evidence_dir) / f"monitor-{source.name}"
            capturer = Capturer(folder, CaptureOptions(key=key, screenshot=run.screenshot,
                                                       allow_private=run.options.allow_private))
        sp = SourcePass(source, store, scanner, capturer)
        handler = PassHandler(source, sp, settings.monitor_images_dir, pool,
                              max_page_bytes=run.options.max_page_bytes)
        handlers.append(handler)
        spider_cls = type(f"Monitor_{source.name.replace('-', '_')}", (MonitorSpider,),
                          {"custom_settings": scrapy_settings(source, run.options, all_origins,
                                                              proxy.url if proxy else None)})
        process.crawl(spider_cls, handler=handler)
    started = time.monotonic()
    try:
        process.start()
    finally:
        pool.shutdown(wait=True)
        if proxy is not None:
            proxy.close()
    reports = []
    for h in handlers:
        sp = h.sp
        if h.closed_reason is None:  # the crawl never started (a bad start URL, the reactor failed)
            sp.save(state="failed", finished=False)
        state = "finished" if h.closed_reason == "finished" else "interrupted"
        report = PassReport(h.source.name, sp.run_id, sp.resumed, state, dict(sp.counts), list(sp.errors),
                            list(sp.changes), evidence_dir=sp.capturer.dir if sp.capturer else None)
        if sp.capturer is not None:
            report.seal = seal_pass(sp, key, run.tsa_url or settings.tsa_url, settings.tsa_ca_file, run.options)
        reports.append(report)
    echo(f"monitor: {len(sources)} source(s) in {time.monotonic() - started:.1f} s")
    return reports


def seal_pass(sp: SourcePass, key: Path | None, tsa_url: str | None, tsa_ca_file: Path | None,
              options: Options) -> dict[str, Any] | None:
    """Package and seal every capture of the source's evidence folder not sealed yet (this pass's,
    and a killed pass's before it); without a key they stay unsigned (said so). None: nothing to seal."""
    assert sp.capturer is not None
    from wildtrace.evidence.seal import seal, unsealed

    if not (sp.capturer.dir / LOG_NAME).is_file():
        return None  # nothing was ever captured for this source
    try:
        waiting = unsealed(sp.capturer.dir)
    except WildTraceError as exc:
        return {"status": "failed", "captures": 0, "reason": str(exc)}
    if not waiting:
        return None
    if key is None:
        return {"status": "unsigned", "captures": len(waiting),
                "reason": "no evidence key (evidence keygen; --key or WILDTRACE_EVIDENCE_KEY)"}
    name, n = sp.run_id, 1
    while (sp.capturer.dir / "packages" / f"{name}.wacz").exists():  # a resumed pass sealed part already
        n += 1
        name = f"{sp.run_id}-{n}"
    try:
        done = seal(sp.capturer.dir, key_path=key, name=name, capture_ids=waiting, tsa_url=tsa_url,
                    tsa_ca_file=tsa_ca_file, allow_private=options.allow_private,
                    allow_origins=options.allow_origins)
    except WildTraceError as exc:  # a seal that cannot be made is said; the pass's work is kept
        return {"status": "failed", "captures": len(waiting), "reason": str(exc)}
    return {"status": "sealed", "captures": len(done.capture_ids), "package": str(done.package),
            "package_sha256": done.package_sha256, "signer": done.signer, "timestamp": done.timestamp.get("status"),
            "summary": done.summary()}


def due(store: Store, sources: list[Source], now: float | None = None) -> list[tuple[Source, float]]:
    """``(source, seconds until its next pass)`` for each scheduled source (0: due now; an
    unfinished pass is due at once, to resume it)."""
    import datetime as dt

    last = {row["source"]: row for row in crawl.status(store.engine)}
    now_ts = clock.now().timestamp() if now is None else now
    out = []
    for s in sources:
        if s.every_s is None:
            continue
        row = last.get(s.name)
        if row is None or not row["finished_at"]:
            out.append((s, 0.0))
            continue
        finished = dt.datetime.fromisoformat(str(row["finished_at"]).replace("Z", "+00:00")).timestamp()
        out.append((s, max(0.0, finished + s.every_s - now_ts)))
    return out


def schedule(store: Store, sources: list[Source], argv: list[str], *, echo: Callable[[str], None],
             once: bool = False, stop: Callable[[], bool] = lambda: False) -> None:
    """Run each scheduled source when due, one ``wildtrace monitor run`` process per pass (see the
    module); ``argv`` are the options passed on to each. ``once``: run what is due now, then return."""
    if not any(s.every_s for s in sources):
        raise ConfigError("no source has a schedule: give each source `schedule: {every: 6h}`")
    failures: dict[str, tuple[int, float]] = {}  # source -> (failures in a row, not before)
    while not stop():
        waits = due(store, sources)
        now = time.monotonic()
        ready = [s for s, wait in waits if wait <= 0 and failures.get(s.name, (0, 0.0))[1] <= now]
        for s in ready:
            assert s.path is not None
            echo(f"{clock.stamp()} running {s.name}")
            done = subprocess.run([sys.executable, "-m", "wildtrace.cli", "monitor", "run", str(s.path), *argv],
                                  check=False)
            if done.returncode == 0:
                failures.pop(s.name, None)
            else:  # a pass that fails is tried again later and later (1, 2, 4 ... 60 minutes)
                n = failures.get(s.name, (0, 0.0))[0] + 1
                wait = min(3600.0, 60.0 * 2 ** (n - 1))
                failures[s.name] = (n, time.monotonic() + wait)
                echo(f"{clock.stamp()} {s.name}: the pass failed (exit {done.returncode}); next try in {wait:.0f} s")
        if once:
            return
        if not ready:
            time.sleep(max(1.0, min(60.0, min(w for _, w in waits))))
