"""The scanner: listings in, ScanResults (and Rejects) out, streaming.

The scanner takes a *scorer* (``Scorer``: something that rescores chunks of results, such as
the text model of ``wildtrace.learn.combine``, chosen by name: ``scan.scorers``); it imports
neither the store nor the learning code. ``wildtrace.pipeline.ingest`` runs it into the store and
the output.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from wildtrace import clock, plugins
from wildtrace.errors import InvalidRecord
from wildtrace.scan import definitions, enrich, imagetext, scorers, sourcekind
from wildtrace.scan.detect import Detector
from wildtrace.scan.lexicon import Lexicon
from wildtrace.scan.listing import Listing, listing_from_record
from wildtrace.scan.result import Reject, ScanResult
from wildtrace.scan.scorers import Scorer
from wildtrace.settings import Settings
from wildtrace.taxa import cache as refcache
from wildtrace.taxa import refdata
from wildtrace.text import lang as langid


class _FromSettings:
    """The default of ``Scanner(scorer=...)``: the scorer the settings name."""


FROM_SETTINGS = _FromSettings()


class Scanner:
    """Holds the lexicon and detector; build once, scan many listings."""

    def __init__(self, settings: Settings | None = None, ref: refdata.ReferenceData | None = None,
                 scorer: Scorer | None | _FromSettings = FROM_SETTINGS, ocr_root: Path | None = None,
                 definition: str = definitions.DEFAULT, source_kind: str | None = None):
        """``scorer``: rescores the rules' results; by default the one ``settings.text_model`` names
        (``scan.scorers``: ``none``, the rules alone, unless set otherwise), ``None`` for the rules alone.

        The local lexicon (``wildtrace lexicon add``, ``settings.local_lexicon``) is loaded
        beside the built-in one when it exists. ``ocr_root``: read the text of listing images
        stored under this folder (imagetext.py) and scan it too. ``definition``: which facets
        make the verdict (``scan.definitions``), applied after the scorer. ``source_kind``: where
        listings that do not say were posted (marketplace, social, web, news: ``scan.sourcekind``).
        """
        self.definition = definitions.get(definition)
        self.settings = settings or Settings()
        if ref is None:
            ref = refcache.load(extra_taxa=[self.settings.cites_checklist_path],
                                cache_dir=self.settings.refdata_cache_dir)
        self.ref = ref
        extra, codes, stamp = plugins.lexicons.get("local")(self.settings)
        self.lexicon = Lexicon(ref, extra_terms=extra)
        self.lexicon.codewords.update({k: v for k, v in codes.items() if k not in self.lexicon.codewords})
        self.detector = Detector(self.lexicon)
        self.detector.model = {**self.detector.model, **stamp}
        self.detector.default_kind = sourcekind.check(source_kind)
        self.enrichers = enrich.load()
        # the classifier (unpacked once: text/langmodel.py) loads on the first text that script and
        # function words leave unsure; many inputs never need it
        langid.warm(self.settings.refdata_cache_dir, model=False)
        self.ocr_root = ocr_root
        self.scorer: Scorer | None = scorers.resolve(self.settings) if isinstance(scorer, _FromSettings) else scorer

    def warm(self) -> None:
        """Load now what the first listings would load on use: the Chinese and Thai segmenters'
        dictionaries, the language classifier, and (by detecting and scoring the demo listings,
        results dropped, no enricher run) every other table read on first use. A one-listing scan
        need not pay for it; a parent whose forked workers then share it all does (``parallel``:
        a third of a CPU-second a worker)."""
        import orjson

        from wildtrace import manifest
        from wildtrace.text import segment

        segment.warm()
        langid.warm(self.settings.refdata_cache_dir)
        demo = manifest.path("demo_listings").read_bytes().splitlines()
        listings = [listing_from_record(orjson.loads(line)) for line in demo if line.strip()]
        pairs = [(self.detector.detect(listing), listing) for listing in listings]
        if self.scorer is not None:
            self.scorer.score(pairs)

    @property
    def model(self) -> dict[str, str]:
        """The rules' provenance stamp (a scorer adds its own to each result it rescores)."""
        return self.detector.model

    def scan_listing(self, listing: Listing, scanned_at: str | None = None) -> ScanResult:
        image_text = None
        if self.ocr_root is not None and listing.images:
            image_text = imagetext.read(listing, self.ocr_root)
            listing.image_text = image_text.text or None
        result = self.detector.detect(listing, scanned_at or clock.stamp_cached())
        if image_text is not None:
            result.ocr = image_text.to_dict()
        for enricher in self.enrichers:
            enricher(result)
        return result

    def scan(self, items: Iterable[Listing | Reject | dict[str, Any]]) -> Iterator[ScanResult | Reject]:
        """Scan in input order. Dicts are validated; a bad one becomes a Reject.

        With a scorer, listings are rescored in chunks of ``scorer.chunk``.
        """
        limits = self.settings.record_limits
        pending: list[tuple[ScanResult | Reject, Listing | None]] = []
        for number, item in enumerate(items, start=1):
            if isinstance(item, dict):
                try:
                    item = listing_from_record(item, limits=limits)
                except InvalidRecord as exc:
                    item = Reject(number, exc.reason, exc.record_id)
                except Exception as exc:  # noqa: BLE001 - one hostile record never stops the batch
                    item = Reject(number, f"record could not be read ({type(exc).__name__}: {exc})")
            out: ScanResult | Reject = item if isinstance(item, Reject) else self._scan_one(item, number)
            if self.scorer is None:
                if isinstance(out, ScanResult):
                    definitions.apply(self.definition, out)
                yield out
                continue
            pending.append((out, None if isinstance(item, Reject) else item))
            if len(pending) >= self.scorer.chunk:
                yield from self._rescore(pending)
                pending = []
        if pending:
            yield from self._rescore(pending)

    def _scan_one(self, listing: Listing, number: int) -> ScanResult | Reject:
        """``scan_listing``, with any failure on this listing turned into its Reject."""
        try:
            return self.scan_listing(listing)
        except Exception as exc:  # noqa: BLE001 - one hostile record never stops the batch
            return Reject(listing.source_line or number, f"scan failed on this record ({type(exc).__name__}: "
                          f"{str(exc)[:200]})", listing.id)

    def _rescore(self, chunk: list[tuple[ScanResult | Reject, Listing | None]]) -> list[ScanResult | Reject]:
        assert self.scorer is not None
        pairs = [(r, listing) for r, listing in chunk if isinstance(r, ScanResult) and listing is not None]
        failed: dict[int, Reject] = {}
        if pairs:
            try:
                self.scorer.score(pairs)
            except Exception:  # noqa: BLE001 - find the record that breaks the chunk, keep the rest
                for r, listing in pairs:
                    try:
                        self.scorer.score([(r, listing)])
                    except Exception as exc:  # noqa: BLE001
                        failed[id(r)] = Reject(listing.source_line, f"text model failed on this record "
                                               f"({type(exc).__name__}: {str(exc)[:200]})", listing.id)
        for r, _ in pairs:
            if id(r) not in failed:
                definitions.apply(self.definition, r)
        return [failed.get(id(r), r) for r, _ in chunk]


_DEFAULT: Scanner | None = None


def scan(items: Iterable[Listing | dict[str, Any]], *, scanner: Scanner | None = None) -> Iterator[ScanResult | Reject]:
    """Scan listings (Listing objects or plain dicts) as ``wildtrace scan`` does: the built-in
    reference data, the local lexicon and the text model the settings (``WILDTRACE_*``) name.

    >>> from wildtrace.scan import scan
    >>> [r.verdict for r in scan([{"id": "1", "title": "Rhino horn for sale, WhatsApp me"}])]
    ['wildlife_offer']
    """
    global _DEFAULT
    if scanner is None:
        if _DEFAULT is None:
            _DEFAULT = Scanner(Settings.from_env())
        scanner = _DEFAULT
    return scanner.scan(items)


__all__ = ["FROM_SETTINGS", "Scanner", "Scorer", "scan"]
