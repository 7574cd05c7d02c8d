"""The scan pipeline: listings in, ScanResults (and Rejects) out, streaming."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from . import enrich
from . import lang as langid
from . import refdata
from .detect import Detector
from .errors import InvalidRecord
from .lexicon import Lexicon
from .listing import Listing, listing_from_record
from .readers import Reject
from .result import ScanResult
from .settings import DEFAULT_MAX_FIELD_CHARS, Settings
from .store import Store
from .summary import Summary


class Scanner:
    """Holds the lexicon and detector; build once, scan many listings."""

    def __init__(self, settings: Settings | None = None, ref: refdata.ReferenceData | None = None):
        self.settings = settings or Settings()
        if ref is None:
            ref = refdata.load(extra_taxa=[self.settings.cites_checklist_path])
        self.ref = ref
        self.lexicon = Lexicon(ref)
        self.detector = Detector(self.lexicon)
        self.enrichers = enrich.load()

    @property
    def model(self) -> dict[str, str]:
        return self.detector.model

    def scan_listing(self, listing: Listing, scanned_at: str | None = None) -> ScanResult:
        result = self.detector.detect(listing, scanned_at or _now())
        sample = " ".join(t for t in (listing.title, listing.text) if t)
        result.lang = langid.detect(sample, listing.lang)
        for enricher in self.enrichers:
            enricher(result)
        return result

    def scan(self, items: Iterable[Listing | Reject | dict[str, Any]]) -> Iterator[ScanResult | Reject]:
        """Scan in input order. Dicts are validated; a bad one becomes a Reject."""
        max_chars = self.settings.max_field_chars
        for number, item in enumerate(items, start=1):
            if isinstance(item, dict):
                try:
                    item = listing_from_record(item, max_field_chars=max_chars)
                except InvalidRecord as exc:
                    yield Reject(number, exc.reason, exc.record_id)
                    continue
            if isinstance(item, Reject):
                yield item
            else:
                yield self.scan_listing(item)


def run(scanner: Scanner, items: Iterable[Listing | Reject], *, write: Callable[[ScanResult], None],
        reject: Callable[[Reject], None], store: Store | None = None, batch: int = 500,
        top_n: int = 10) -> Summary:
    """Scan a stream: write each result, report each reject, store in batches, summarise.

    Memory stays flat: nothing but the current batch and the summary counters is held.
    """
    summary = Summary(top_n=top_n)
    pending: list[ScanResult] = []
    for item in scanner.scan(items):
        summary.add(item)
        if isinstance(item, Reject):
            reject(item)
            continue
        write(item)
        if store is not None:
            pending.append(item)
            if len(pending) >= batch:
                store.save(pending)
                pending.clear()
    if store is not None and pending:
        store.save(pending)
    return summary


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


_DEFAULT: Scanner | None = None


def scan(items: Iterable[Listing | dict[str, Any]], *, scanner: Scanner | None = None) -> Iterator[ScanResult | Reject]:
    """Scan listings (Listing objects or plain dicts) with the built-in reference data.

    >>> from wildtrace import scan
    >>> [r.verdict for r in scan([{"id": "1", "title": "Rhino horn for sale, WhatsApp me"}])]
    ['wildlife_offer']
    """
    global _DEFAULT
    if scanner is None:
        if _DEFAULT is None:
            _DEFAULT = Scanner(Settings.from_env())
        scanner = _DEFAULT
    return scanner.scan(items)


__all__ = ["Scanner", "scan", "run", "DEFAULT_MAX_FIELD_CHARS"]
