"""The download handler of ``javascript`` sources: scrapy-playwright's (pages rendered in Chromium),
spaced like the plain one (``monitor.spider.Spaced``). Its own module, so that scrapy-playwright is
imported only by a source that needs a browser."""

from __future__ import annotations

from typing import Any

from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from wildtrace.monitor.spider import Spaced


class SpacedBrowserHandler(Spaced, ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's handler, spaced (see ``Spaced``)."""

    def __init__(self, crawler: Any):
        super().__init__(crawler)
        self._wt_setup(crawler)
