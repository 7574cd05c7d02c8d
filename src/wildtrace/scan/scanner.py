"""The scan pipeline: listings in, ScanResults (and Rejects) out, streaming."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wildtrace.errors import InvalidRecord
from wildtrace.scan import enrich, refdata
from wildtrace.scan import lang as langid
from wildtrace.scan.detect import Detector
from wildtrace.scan.lexicon import Lexicon
from wildtrace.scan.listing import Listing, listing_from_record
from wildtrace.scan.readers import Reject
from wildtrace.scan.result import ScanResult
from wildtrace.scan.summary import Summary
from wildtrace.settings import Settings
from wildtrace.store import Store

if TYPE_CHECKING:
    from wildtrace.learn.model import TextModel

#: Listings scored together by a text model (``Scanner(model=...)``).
MODEL_CHUNK = 256


class Scanner:
    """Holds the lexicon and detector; build once, scan many listings."""

    def __init__(self, settings: Settings | None = None, ref: refdata.ReferenceData | None = None,
                 model: TextModel | Path | str | None = None, ocr_root: Path | None = None):
        """``model``: a trained text model (or its directory) combined with the rules.

        The local lexicon (``wildtrace lexicon add``) in ``settings.data_dir`` is
        loaded beside the built-in one when it exists. ``ocr_root``: read the text of
        listing images stored under this folder (imagetext.py) and scan it too.
        """
        from wildtrace.scan import locallex

        self.settings = settings or Settings()
        if ref is None:
            ref = refdata.load(extra_taxa=[self.settings.cites_checklist_path])
        self.ref = ref
        extra, codes, stamp = locallex.for_scan(self.settings.data_dir)
        self.lexicon = Lexicon(ref, extra_terms=extra)
        self.lexicon.codewords.update({k: v for k, v in codes.items() if k not in self.lexicon.codewords})
        self.detector = Detector(self.lexicon)
        self.detector.model = {**self.detector.model, **stamp}
        self.enrichers = enrich.load()
        langid.warm()
        self.ocr_root = ocr_root
        self.text_model: TextModel | None = None
        if model is not None:
            self._use_model(model)

    def _use_model(self, model: TextModel | Path | str) -> None:
        from wildtrace.errors import ConfigError
        from wildtrace.learn import model as learn_model

        if not isinstance(model, learn_model.TextModel):
            model = learn_model.load(Path(model))
        if model.meta.get("target", "wildlife_offer") != "wildlife_offer":
            raise ConfigError(f"model {model.name} predicts {model.meta.get('target')!r}, not wildlife_offer; "
                              "the scan can only combine a wildlife_offer model with its rules")
        self.text_model = model
        rules = self.detector.model
        self._combined_model = {
            **rules,
            "name": f"{rules['name']}+{model.name}", "version": f"{rules['version']}+{model.version}",
            "rules": f"{rules['name']} {rules['version']}", "text_model": f"{model.name} {model.version}",
            "text_model_training_data_sha256": str(model.meta.get("training_data_sha256", ""))[:16],
        }

    @property
    def model(self) -> dict[str, str]:
        return self._combined_model if self.text_model is not None else self.detector.model

    def scan_listing(self, listing: Listing, scanned_at: str | None = None) -> ScanResult:
        image_text = None
        if self.ocr_root is not None and listing.images:
            from wildtrace.scan import imagetext

            image_text = imagetext.read(listing, self.ocr_root)
            listing.image_text = image_text.text or None
        result = self.detector.detect(listing, scanned_at or _now())
        if image_text is not None:
            result.ocr = image_text.to_dict()
        sample = " ".join(t for t in (listing.title, listing.text) if t)
        result.lang = langid.detect(sample, listing.lang)
        for enricher in self.enrichers:
            enricher(result)
        return result

    def scan(self, items: Iterable[Listing | Reject | dict[str, Any]]) -> Iterator[ScanResult | Reject]:
        """Scan in input order. Dicts are validated; a bad one becomes a Reject.

        With a text model, listings are scored in chunks of ``MODEL_CHUNK``.
        """
        max_chars = self.settings.max_field_chars
        pending: list[tuple[ScanResult | Reject, Listing | None]] = []
        for number, item in enumerate(items, start=1):
            if isinstance(item, dict):
                try:
                    item = listing_from_record(item, max_field_chars=max_chars)
                except InvalidRecord as exc:
                    item = Reject(number, exc.reason, exc.record_id)
            out: ScanResult | Reject = item if isinstance(item, Reject) else self.scan_listing(item)
            if self.text_model is None:
                yield out
                continue
            pending.append((out, None if isinstance(item, Reject) else item))
            if len(pending) >= MODEL_CHUNK:
                yield from self._apply_model(pending)
                pending = []
        if pending:
            yield from self._apply_model(pending)

    def _apply_model(self, chunk: list[tuple[ScanResult | Reject, Listing | None]]) -> list[ScanResult | Reject]:
        """Combine each rules result with the text model's calibrated probability."""
        from wildtrace.learn import dataset, features

        model = self.text_model
        assert model is not None
        scored = [(r, listing) for r, listing in chunk if isinstance(r, ScanResult) and listing is not None]
        if scored:
            # the scan already put the text in match form: the same text features.listing_text makes
            texts = [r.match_text or features.listing_text(listing) for r, listing in scored]  # type: ignore[union-attr]
            rules = [r.wildlife_score for r, _ in scored]  # type: ignore[union-attr]
            logits = [dataset.rule_logit(s) for s in rules]
            import numpy as np

            probs = model.predict_texts(texts, np.array(logits)).tolist()
            # the words that raise the score, hashed for all the chunk's offers at once
            offers = [i for i, p in enumerate(probs) if p >= model.threshold]
            words: list[list[str]] = [[] for _ in probs]
            for i, picked in zip(offers, model.explain_many([texts[i] for i in offers]), strict=True):
                words[i] = picked
            for (result, _), rule_score, p, why in zip(scored, rules, probs, words, strict=True):
                assert isinstance(result, ScanResult)
                self._combine(result, why, rule_score, p)
        return [r for r, _ in chunk]

    def _combine(self, result: ScanResult, words: list[str], rule_score: float, p: float) -> None:
        """``words``: the text's word n-grams that raise its score most (``TextModel.explain``)."""
        model = self.text_model
        assert model is not None
        factor = result.risk_score / rule_score if rule_score > 0 else 0.0
        rules_verdict = result.verdict
        if p >= model.threshold:
            verdict = "wildlife_offer"
        elif rules_verdict == "depiction_or_faux":
            verdict = rules_verdict
        else:
            verdict = "not_wildlife"
        how = "combined with the rules' score" if model.combo is not None else "text alone"
        reason = (f"Text model {model.name} {model.version}: probability {p:.2f} of a wildlife offer "
                  f"({how}, rules {rule_score:.2f}; threshold {model.threshold:.2f})")
        if verdict == "wildlife_offer" and words:
            reason += "; words that raise it: " + ", ".join(f"“{w}”" for w in words)
        if verdict != rules_verdict:
            reason += f"; the rules alone said {rules_verdict}"
        result.reasons.append(reason + ".")
        result.wildlife_score = round(p, 4)
        result.risk_score = round(min(1.0, p * factor), 4)
        result.verdict = verdict
        result.model = self._combined_model


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


_CLOCK: list[tuple[int, str]] = [(0, "")]


def _now() -> str:
    """UTC time to the second, formatted once per second."""
    second = int(time.time())
    if _CLOCK[0][0] != second:
        stamp = dt.datetime.fromtimestamp(second, dt.UTC).isoformat().replace("+00:00", "Z")
        _CLOCK[0] = (second, stamp)
    return _CLOCK[0][1]


_DEFAULT: Scanner | None = None


def scan(items: Iterable[Listing | dict[str, Any]], *, scanner: Scanner | None = None) -> Iterator[ScanResult | Reject]:
    """Scan listings (Listing objects or plain dicts) with the built-in reference data.

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


__all__ = ["Scanner", "scan", "run"]
