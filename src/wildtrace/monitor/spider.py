"""The Scrapy side of the monitor: one spider per source, its politeness, and the address guard.

- ``scrapy_settings(source, options)``: robots.txt obeyed (Protego), one request in flight per
  host and a delay (the source's ``rate``), AutoThrottle, a User-Agent naming WildTrace and the
  operator's contact, the source's cookies and headers, no meta-refresh following (a listing page
  does not steer the crawler), size caps and timeouts;
- ``GuardMiddleware``: the evidence address guard (``evidence.net.check_url``: no loopback,
  private, link-local, metadata or reserved address unless allowed) on every request the crawler
  makes, robots.txt, redirects and images included: a redirect is a new request, so each hop is
  checked; ``GuardedResolver`` refuses the same addresses when Twisted resolves a name to
  connect, so a name cannot pass the check and then rebind;
- ``Spaced`` download handlers: with a delay, a request to a host leaves only once the delay has
  passed since the previous answer came (Scrapy's own delay counts from its queue, which a busy
  crawler can shorten at the wire);
- ``BackoffMiddleware``: Scrapy's retry, plus back-off on 429 and 503: ``Retry-After`` (seconds or
  an HTTP date, capped) is honoured for the whole host, and without one the wait doubles;
- ``KeptResponseMiddleware``: a listing page a killed pass had fetched is answered from the
  response the store kept;
- ``MonitorSpider``: fetches what ``monitor.passes.SourcePass`` queues and hands every response
  back to it; pages of a ``javascript`` source are rendered in Chromium by scrapy-playwright and
  scrolled until no new content comes (its other pages are never rendered).
"""

from __future__ import annotations

import asyncio
import email.utils
import os
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Request, Response
from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer
from twisted.python.failure import Failure

from wildtrace import __version__
from wildtrace.errors import ConfigError
from wildtrace.evidence.net import allowed_origins, check_url, refused_ip
from wildtrace.evidence.screenshot import chromium_path
from wildtrace.monitor.sources import Source

MAX_RETRY_AFTER = 600.0  # seconds: a longer Retry-After gives the page up for this pass
#: Scroll to the bottom up to ``times`` times; after each scroll wait ``wait`` ms, then stop only when
#: the page has not grown for a grace period (at least 2 s: a busy machine or a slow site may take
#: longer than ``wait`` to append the next batch, and stopping early loses listings silently).
SCROLL_JS = """async ([times, wait]) => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const grace = Math.max(2000, 2 * wait);
  for (let i = 0; i < times; i++) {
    const before = document.body.scrollHeight;
    window.scrollTo(0, before);
    await sleep(wait);
    for (let waited = 0; document.body.scrollHeight === before && waited < grace; waited += 100) {
      await sleep(100);
    }
    if (document.body.scrollHeight === before) break;
  }
}"""


@dataclass(frozen=True)
class Options:
    """How a pass runs (from the CLI): the guard, the contact, politeness."""

    allow_private: bool = False
    allow_origins: frozenset[str] = frozenset()
    contact: str | None = None
    polite: bool = True  # False only for benchmarks on one's own loopback site
    log_level: str = "WARNING"
    max_page_bytes: int = 10_000_000
    timeout: float = 30.0


def process_settings(options: Options, all_origins: frozenset[str], log_level: str) -> dict[str, Any]:
    """The crawler process's own settings: the reactor, and the resolver every connection of every
    source goes through (Scrapy installs it from the process's settings, not a spider's)."""
    return {"TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
            "TWISTED_DNS_RESOLVER": "wildtrace.monitor.spider.GuardedResolver",
            "WILDTRACE_ALLOW_PRIVATE": options.allow_private,
            "WILDTRACE_ALLOW_HOSTS": sorted({urlsplit(o).hostname or "" for o in all_origins}),
            "LOG_LEVEL": log_level, "LOG_INSTALL_ROOT_HANDLER": True}


def user_agent(contact: str | None) -> str:
    who = f"+{contact}" if contact else "contact not set: WILDTRACE_MONITOR_CONTACT"
    return f"WildTrace/{__version__} (wildlife-trade monitor; {who})"


def guard_origins(source: Source, options: Options) -> frozenset[str]:
    return options.allow_origins | allowed_origins(source.allow_origins)


def scrapy_settings(source: Source, options: Options, all_origins: frozenset[str],
                    browser_proxy: str | None = None) -> dict[str, Any]:
    """The crawler settings of one source (see the module)."""
    polite = options.polite
    settings: dict[str, Any] = {
        "ROBOTSTXT_OBEY": source.robots,
        "ROBOTSTXT_PARSER": "scrapy.robotstxt.ProtegoRobotParser",
        "USER_AGENT": user_agent(options.contact),
        "CONCURRENT_REQUESTS": 16 if not polite else max(2, source.rate.concurrency * 2),
        "CONCURRENT_REQUESTS_PER_DOMAIN": 8 if not polite else source.rate.concurrency,
        "DOWNLOAD_DELAY": source.rate.delay if polite else 0,
        "RANDOMIZE_DOWNLOAD_DELAY": False,
        "AUTOTHROTTLE_ENABLED": polite and source.rate.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(source.rate.delay, 0.1),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(source.rate.concurrency),
        "METAREFRESH_ENABLED": False,
        "REDIRECT_MAX_TIMES": 5,
        "DOWNLOAD_MAXSIZE": options.max_page_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "DOWNLOAD_TIMEOUT": options.timeout,
        "RETRY_TIMES": 3,
        "RETRY_HTTP_CODES": [429, 500, 502, 503, 504, 522, 524, 408],
        "COOKIES_ENABLED": True,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": options.log_level,
        "LOGSTATS_INTERVAL": 0,
        "DEFAULT_REQUEST_HEADERS": {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
                                    "Accept-Encoding": "identity", **source.headers},
        "DOWNLOADER_MIDDLEWARES": {
            "wildtrace.monitor.spider.KeptResponseMiddleware": 30,
            "wildtrace.monitor.spider.GuardMiddleware": 40,
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "wildtrace.monitor.spider.BackoffMiddleware": 550,
        },
        "WILDTRACE_ALLOW_PRIVATE": options.allow_private,
        "WILDTRACE_ALLOW_ORIGINS": sorted(guard_origins(source, options)),
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "WILDTRACE_MIN_GAP": source.rate.delay if polite and source.rate.concurrency == 1 else 0.0,
        "DOWNLOAD_HANDLERS": {"http": "wildtrace.monitor.spider.SpacedHTTPHandler",
                              "https": "wildtrace.monitor.spider.SpacedHTTPHandler"},
    }
    if source.javascript is not None:
        binary = chromium_path()
        if binary is None:
            raise ConfigError(f"source {source.name}: javascript sources are rendered in Chromium, which is not "
                              "installed (Debian: apt-get install chromium)")
        root = hasattr(os, "geteuid") and os.geteuid() == 0  # Chromium's sandbox refuses to run as root
        settings.update({
            "DOWNLOAD_HANDLERS": {"http": "wildtrace.monitor.browser.SpacedBrowserHandler",
                                  "https": "wildtrace.monitor.browser.SpacedBrowserHandler"},
            "PLAYWRIGHT_BROWSER_TYPE": "chromium",
            # every connection the browser makes goes through the guard proxy (monitor.proxy), loopback too
            "PLAYWRIGHT_LAUNCH_OPTIONS": {"headless": True, "executable_path": binary, "chromium_sandbox": not root,
                                          **({"proxy": {"server": browser_proxy, "bypass": "<-loopback>"}}
                                             if browser_proxy else {}),
                                          "args": ["--disable-background-networking", "--disable-sync",
                                                   "--disable-component-update", "--disable-extensions",
                                                   "--no-first-run", "--disable-gpu",
                                                   "--proxy-bypass-list=<-loopback>"]},
            "PLAYWRIGHT_CONTEXTS": {"default": {"user_agent": user_agent(options.contact), "service_workers": "block",
                                                "accept_downloads": False, "java_script_enabled": True}},
            "PLAYWRIGHT_ABORT_REQUEST": _browser_guard(options.allow_private, guard_origins(source, options)),
            "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": 1,
            "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": options.timeout * 1000,
        })
    return settings


def _browser_guard(allow_private: bool, origins: frozenset[str]) -> Any:
    """scrapy-playwright's abort predicate: every request the browser makes (scripts, XHR, images)
    goes through the same address guard; and nothing but http(s)."""
    verdicts: dict[str, bool] = {}  # per origin: a page's hundreds of sub-requests resolve a name once

    def abort(request: Any) -> bool:
        url = str(request.url)
        if url.startswith(("data:", "blob:", "about:")):
            return False
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        if origin not in verdicts:
            verdicts[origin] = check_url(url, allow_private, origins) is not None
        return verdicts[origin]  # the guard proxy checks every connection anyway (monitor.proxy)
    return abort


class Spaced:
    """A download handler's politeness at the wire: with a delay, a request to a host leaves only
    when ``delay`` seconds have passed since the answer to the previous one came in. Scrapy's own
    delay counts from when a request leaves its queue, so a request that leaves late (the crawler
    was busy) lets the next one follow it closer than the delay; this one cannot."""

    _wt_gap: float
    _wt_done: dict[str, float]

    def _wt_setup(self, crawler: Any) -> None:
        self._wt_gap = crawler.settings.getfloat("WILDTRACE_MIN_GAP")
        self._wt_done = {}

    async def download_request(self, request: Request) -> Response:
        host = urlsplit(request.url).netloc.lower()
        if self._wt_gap > 0 and host in self._wt_done:
            wait = self._wt_done[host] + self._wt_gap - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
        try:
            response: Response = await super().download_request(request)  # type: ignore[misc]
            return response
        finally:
            self._wt_done[host] = time.monotonic()


class SpacedHTTPHandler(Spaced, HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 download handler, spaced (see ``Spaced``)."""

    def __init__(self, crawler: Any):
        super().__init__(crawler)
        self._wt_setup(crawler)


class KeptResponseMiddleware:
    """A listing page a killed pass fetched is answered from the response the store kept, not
    fetched again (``store.crawl.keep_response``)."""

    def __init__(self, crawler: Any):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> KeptResponseMiddleware:
        return cls(crawler)

    def process_request(self, request: Request) -> Response | None:
        if not request.meta.get("wt_kept"):
            return None
        response: Response | None = self.crawler.spider.handler.kept_response(request)
        if response is None:
            request.meta["wt_kept"] = False  # nothing kept after all: fetch it
        return response


class GuardMiddleware:
    """Refuse, with the reason, any request to a non-public address (see the module)."""

    def __init__(self, allow_private: bool, origins: frozenset[str]):
        self.allow_private, self.origins = allow_private, origins
        self._cache: dict[str, str | None] = {}

    @classmethod
    def from_crawler(cls, crawler: Any) -> GuardMiddleware:
        s = crawler.settings
        return cls(s.getbool("WILDTRACE_ALLOW_PRIVATE"), frozenset(s.getlist("WILDTRACE_ALLOW_ORIGINS")))

    def process_request(self, request: Request) -> None:
        parts = urlsplit(request.url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        if origin not in self._cache:
            self._cache[origin] = check_url(request.url, self.allow_private, self.origins)
        why = self._cache[origin]
        if why is not None:
            raise IgnoreRequest(f"address guard: {why}")


class GuardedResolver(CachingThreadedResolver):
    """Names resolved for a connection must be public (or an allowed origin's host)."""

    allow_private = False
    allow_hosts: frozenset[str] = frozenset()

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> GuardedResolver:
        resolver = super().from_crawler(crawler, reactor)
        resolver.allow_private = crawler.settings.getbool("WILDTRACE_ALLOW_PRIVATE")
        resolver.allow_hosts = frozenset(crawler.settings.getlist("WILDTRACE_ALLOW_HOSTS"))
        return resolver

    def getHostByName(self, name: str, timeout: Any = ()) -> defer.Deferred[str]:  # noqa: N802 - Twisted's name
        d = super().getHostByName(name, timeout)
        if self.allow_private or name.lower() in self.allow_hosts:
            return d

        def check(address: str) -> str:
            import ipaddress

            why = refused_ip(ipaddress.ip_address(address))
            if why is not None:
                raise IgnoreRequest(f"address guard: {name} resolves to {why}")
            return address
        return d.addCallback(check)


def _retry_after(value: bytes | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - now)


class BackoffMiddleware(RetryMiddleware):
    """Retry; on 429 and 503 wait as the server asks before any request to that host (see the module)."""

    def __init__(self, settings: Any):
        super().__init__(settings)
        self.blocked_until: dict[str, float] = {}
        self.waits: dict[str, float] = {}

    async def process_request(self, request: Request) -> None:
        host = urlsplit(request.url).netloc.lower()
        wait = self.blocked_until.get(host, 0.0) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Request | Response:
        if response.status in (429, 503) and not request.meta.get("dont_retry"):
            host = urlsplit(request.url).netloc.lower()
            asked = _retry_after(response.headers.get(b"Retry-After"), time.time())
            if asked is not None and asked > MAX_RETRY_AFTER:
                return response  # the page is given up for this pass; the pass records why
            wait = asked if asked is not None else min(60.0, self.waits.get(host, 1.0) * 2)
            self.waits[host] = wait
            self.blocked_until[host] = max(self.blocked_until.get(host, 0.0), time.monotonic() + wait)
            assert self.crawler.spider is not None
            retry = get_retry_request(request, spider=self.crawler.spider, reason=f"HTTP {response.status}",
                                      max_retry_times=self.max_retry_times)
            return retry or response
        return super().process_response(request, response)


class MonitorSpider(scrapy.Spider):
    """Fetches what the pass queues; hands each response to the pass (``monitor.run``)."""

    name = "wildtrace-monitor"

    def __init__(self, handler: Any, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.handler = handler  # monitor.run.PassHandler
        self.allowed_domains = list(handler.source.allowed_domains)

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> MonitorSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.closed_pass, signal=signals.spider_closed)
        return spider

    async def start(self) -> Any:
        for item in self.handler.first_requests():
            yield self.request(item["url"], item["kind"], int(item["depth"]), kept=item.get("state") == "fetched")

    def request(self, url: str, kind: str, depth: int, kept: bool = False) -> Request:
        meta: dict[str, Any] = {"wt_kind": kind, "wt_depth": depth, "wt_url": url, "wt_kept": kept}
        source = self.handler.source
        if source.javascript is not None:
            from scrapy_playwright.page import PageMethod

            meta["playwright"] = True
            if kind == "page" and source.javascript.scroll:
                meta["playwright_page_methods"] = [PageMethod(
                    "evaluate", SCROLL_JS, [source.javascript.scroll, int(source.javascript.wait * 1000)])]
        if kind == "recheck":
            meta["handle_httpstatus_list"] = [404, 410]
        return Request(url, callback=self.parse_any, errback=self.failed, meta=meta, cookies=source.cookies,
                       dont_filter=True)

    async def parse_any(self, response: Response) -> Any:
        for url, kind, depth in await self.handler.on_response(self, response):
            yield self.request(url, kind, depth)

    def failed(self, failure: Failure) -> None:
        self.handler.on_failure(failure)

    def idle(self) -> None:
        follow = self.handler.on_idle()
        if follow:
            for url, kind, depth in follow:
                self.crawler.engine.crawl(self.request(url, kind, depth))
            raise DontCloseSpider

    def closed_pass(self, spider: Any, reason: str) -> None:
        self.handler.on_closed(reason)
