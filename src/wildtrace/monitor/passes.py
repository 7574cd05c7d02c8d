"""One pass of the monitor over one source, without the crawling engine: what to fetch next, what a
listing page gave, whether it is new, changed or a duplicate, scan and store it through the one
ingest pipeline, capture it on first sight, and count everything.

The Scrapy side (``monitor.spider``) fetches and hands each response here, so every decision is
made in one place and the store holds the state: a killed pass resumes from its frontier
(``store.crawl``) and fetches nothing twice.

A listing's change is judged on its extracted fields (title, text, price, currency, seller,
location and its images' content hashes), not on the page's bytes, so a page whose only change is
a session token or a "5 people are looking" counter is unchanged. A new or changed listing is a
new version in the store (the store keeps every version by content hash).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson

from wildtrace import clock
from wildtrace.evidence.capture import Capture, Capturer, Target
from wildtrace.evidence.net import Fetched
from wildtrace.monitor.extract import Extracted, canonical_url
from wildtrace.monitor.sources import Source
from wildtrace.pipeline import Collected, ingest
from wildtrace.scan.result import ScanResult
from wildtrace.scan.scanner import Scanner
from wildtrace.store import Store, crawl

PAGE, LISTING, RECHECK = "page", "listing", "recheck"
#: the extracted fields a change is judged on (with the images' content hashes)
CHANGE_FIELDS = ("title", "text", "price", "currency", "seller", "location")
MAX_ERRORS = 200


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _printable(text: str) -> str:
    """``text`` with control and bidi characters shown as ``\\xNN`` escapes."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def url_key(url: str) -> str:
    """The frontier's and crawl state's key of a URL: its canonical form (hashed when very long)."""
    canon = canonical_url(url)
    return canon if len(canon) <= 1000 else "sha256:" + hashlib.sha256(canon.encode()).hexdigest()


def listing_hash(record: dict[str, Any], image_hashes: list[str]) -> str:
    """SHA-256 of what a change is judged on (see the module)."""
    body = {k: record.get(k) for k in CHANGE_FIELDS}
    body["images"] = image_hashes
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


def changed_fields(old: dict[str, Any] | None, new: dict[str, Any]) -> list[str]:
    """Which of price, text, title, images, ... differ from the last stored version."""
    if old is None:
        return []
    out = [k for k in CHANGE_FIELDS if (old.get(k) or None) != (new.get(k) or None)]
    if sorted(i["sha256"] for i in old.get("image_files") or [] if i.get("sha256")) != \
            sorted(i["sha256"] for i in new.get("image_files") or [] if i.get("sha256")):
        out.append("images")
    return out


@dataclass
class Outcome:
    """What one listing page gave."""

    state: str  # new, changed, unchanged, duplicate, rejected
    listing_id: str | None = None
    risk: float | None = None
    changed: list[str] = field(default_factory=list)
    capture: bool = False  # to be captured now
    reason: str | None = None


@dataclass
class SourcePass:
    """The state of one pass over ``source`` (see the module)."""

    source: Source
    store: Store
    scanner: Scanner
    capturer: Capturer | None = None  # None: no capture (--no-capture)
    run_id: str = ""
    resumed: bool = False
    counts: Counter[str] = field(default_factory=Counter)
    errors: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)  # new/changed/gone listings of this pass
    captures: list[str] = field(default_factory=list)  # capture ids of this pass
    seen_ids: dict[str, str] = field(default_factory=dict)  # listing id -> content hash, this pass
    started_at: str = ""  # when this pass began (a resumed pass: when it first began)
    truncated: bool = False  # max_pages reached: gone listings are not judged

    def open(self) -> list[dict[str, Any]]:
        """Start (or resume) the pass; returns the frontier entries to request first."""
        self.run_id, self.resumed = crawl.start_run(self.store.engine, self.source.name, self.source.sha256)
        self.started_at = crawl.run_started(self.store.engine, self.run_id)
        if self.resumed:
            self.counts.update(crawl.run_counts(self.store.engine, self.run_id))
            self.errors = crawl.run_errors(self.store.engine, self.run_id)
            self.counts["resumed"] += 1
            if crawl.frontier_size(self.store.engine, self.run_id):
                return crawl.pending(self.store.engine, self.run_id)
        self.queue([(u, PAGE, 0) for u in self.source.start_urls])
        return crawl.pending(self.store.engine, self.run_id)

    def queue(self, links: list[tuple[str, str, int]]) -> list[tuple[str, str, str, int]]:
        """Queue ``(url, kind, depth)``; returns ``(key, url, kind, depth)`` of those new to this pass
        (within ``max_pages``)."""
        unique: dict[str, tuple[str, str, str, int]] = {}
        for u, kind, depth in links:  # one URL linked twice (or in two spellings) is queued once
            key = url_key(u)
            unique.setdefault(key, (key, u, kind, depth))
        items = list(unique.values())
        room = self.source.max_pages - self.counts["queued"]
        if room <= 0:
            self.truncated = self.truncated or bool(items)
            return []
        if len(items) > room:
            self.truncated, items = True, items[:room]
        added = set(crawl.add_to_frontier(self.store.engine, self.run_id, items))
        self.counts["queued"] += len(added)
        return [i for i in items if i[0] in added]

    def links(self, page_url: str, hrefs: list[str], depth: int) -> list[tuple[str, str, str, int]]:
        """Sort a page's links into listings and pages to follow, queue the new ones."""
        out: list[tuple[str, str, int]] = []
        for href in hrefs:
            if not self.source.in_domains(href):
                continue
            if self.source.is_listing(href):
                out.append((href, LISTING, depth + 1))
            elif self.source.is_followed(href):
                out.append((href, PAGE, depth + 1))
        return self.queue(out)

    def listing(self, url: str, status: int, extracted: Extracted, image_files: list[dict[str, Any]]) -> Outcome:
        """Judge, scan and store one listing page (see the module)."""
        key, canon = url_key(url), canonical_url(url)
        record = dict(extracted.record)
        if not (record.get("title") or record.get("text")):
            why = "no listing found on the page: " + ("; ".join(extracted.problems[:3]) or "no title or text")
            self.error(url, why)
            self.counts["rejected"] += 1
            return Outcome("rejected", reason=why)
        listing_id = f"{self.source.name}:{extracted.key}"
        record.update(id=listing_id, url=record.get("url") or url, platform=record.get("platform")
                      or self.source.platform, source_kind=self.source.kind)
        if image_files:
            record["image_files"] = image_files
        record["extracted_by"] = dict(extracted.methods)  # which evidence on the page gave each field
        digest = listing_hash(record, sorted(i["sha256"] for i in image_files if i.get("sha256")))
        if listing_id in self.seen_ids and self.seen_ids[listing_id] != digest:
            # two pages claim one listing key (a sku a page chose) with different content: both kept
            listing_id = f"{listing_id}#{hashlib.sha256(canon.encode()).hexdigest()[:8]}"
            record["id"] = listing_id
            self.error(url, f"listing key {extracted.key!r} already used by another page in this pass: stored as "
                            f"{listing_id}")
        def seen(duplicate_of: str | None = None) -> str:
            """Note this fetch in the crawl state; new, changed or unchanged by the fields' hash."""
            return crawl.record(self.store.engine, self.source.name, key, canonical_url=canon, content_sha256=digest,
                                status=status, kind=LISTING, listing_id=listing_id, run_id=self.run_id,
                                duplicate_of=duplicate_of)

        if listing_id in self.seen_ids:  # the same listing under a second URL in this pass
            seen(duplicate_of=listing_id)
            self.counts["duplicates"] += 1
            return Outcome("duplicate", listing_id)
        twin = crawl.duplicate_of(self.store.engine, digest, listing_id)
        if twin is not None:
            seen(duplicate_of=twin)
            self.counts["duplicates"] += 1
            return Outcome("duplicate", twin, reason=f"same content as {twin}")
        self.seen_ids[listing_id] = digest
        last = crawl.get(self.store.engine, self.source.name, key)
        if last is not None and last.get("listing_sha256") == digest and last.get("listing_id") == listing_id \
                and last.get("last_run") != self.run_id:
            # seen before with the same fields: not scanned again, only its last sight moves
            seen()
            self.counts["listings"] += 1
            self.counts[crawl.UNCHANGED] += 1
            return Outcome(crawl.UNCHANGED, listing_id)
        versions = self.store.versions(listing_id)
        previous = versions[-1]["record"] if versions else None
        collected = Collected()
        ingest([record], self.scanner, collected.sinks(save=self.store.save))
        if collected.rejects or not collected.results:
            why = collected.rejects[0].reason if collected.rejects else "not scanned"
            self.error(url, f"listing refused: {why}")
            self.counts["rejected"] += 1
            return Outcome("rejected", listing_id, reason=why)
        result: ScanResult = collected.results[0]
        state = seen()
        if previous is None:
            state = crawl.NEW  # first time this listing id is stored, whatever URL it came under
        elif last is not None and last.get("last_run") == self.run_id:
            # a killed pass stored this page already: judge it as that pass did, against the state
            # before the pass began, so a new listing stays new (and its capture is not lost)
            first_version = next((v for v in versions if v["content_sha256"] == result.input_sha256), versions[-1])
            in_pass = str(first_version["first_seen"])[:19] >= self.started_at[:19]  # to the second
            if in_pass and len(versions) == 1:
                state = crawl.NEW
            elif in_pass:
                state, previous = crawl.CHANGED, versions[-2]["record"]
        elif state == crawl.NEW:
            state = crawl.CHANGED if result.input_sha256 != versions[-1]["content_sha256"] else crawl.UNCHANGED
        changed = changed_fields(previous, record) if state == crawl.CHANGED else []
        if state == crawl.CHANGED and not changed:
            state = crawl.UNCHANGED
        self.counts["listings"] += 1
        self.counts[state] += 1
        outcome = Outcome(state, listing_id, result.risk_score, changed)
        if state in (crawl.NEW, crawl.CHANGED):
            self.changes.append({"listing_id": listing_id, "state": state, "changed": changed, "url": url,
                                 "risk": result.risk_score, "verdict": result.verdict})
            outcome.capture = self.capturer is not None and result.risk_score >= self.source.capture_min_risk
        return outcome

    def capture(self, url: str, listing_id: str, risk: float | None, fetched: Fetched) -> Capture:
        """Record the page the crawler fetched (answered at ``url``) as evidence: WARC, screenshot,
        custody entry. Touches nothing else, so it can run in a worker thread; ``captured`` then
        counts it."""
        assert self.capturer is not None
        return self.capturer.record(Target(url, listing_id, risk), fetched)

    def captured(self, page_url: str, capture: Capture) -> None:
        """Count a capture of the page queued as ``page_url`` and note it in the crawl state."""
        if capture.status == "captured":
            self.counts["captured"] += 1
            self.captures.append(capture.capture_id)
            crawl.captured(self.store.engine, self.source.name, url_key(page_url), capture.capture_id)
        else:
            self.counts["capture_failed"] += 1
            self.error(page_url, f"capture failed: {capture.reason}")

    def gone(self, url: str, status: int) -> None:
        row = crawl.get(self.store.engine, self.source.name, url_key(url))
        crawl.mark_gone(self.store.engine, self.source.name, url_key(url), status=status, run_id=self.run_id)
        self.counts["gone"] += 1
        self.changes.append({"listing_id": row.get("listing_id") if row else None, "state": "gone", "url": url,
                             "status": status})

    def rechecks(self) -> list[tuple[str, str, str, int]]:
        """After the pass reached every page: the source's listings it did not see, queued to be
        fetched once more (a 404 or 410 is gone). None when the pass was cut short by max_pages."""
        if self.truncated:
            return []
        unseen = crawl.unseen_listings(self.store.engine, self.source.name, self.run_id)
        items = [(r["url_key"], r["canonical_url"], RECHECK, 0) for r in unseen]
        added = set(crawl.add_to_frontier(self.store.engine, self.run_id, items))
        return [i for i in items if i[0] in added]

    def done(self, url: str, state: str = "done", reason: str | None = None) -> None:
        """The queued ``url`` is finished; the pass's counts are stored with it."""
        crawl.done(self.store.engine, self.run_id, url_key(url), state, reason, counts=dict(self.counts),
                   errors=self.errors)

    def error(self, url: str, reason: str) -> None:
        """Count and keep an error; the URL and reason lose control characters (they come from
        hostile pages and end up in terminals and logs)."""
        self.counts["errors"] += 1
        self.errors.append({"url": _printable(url)[:2000], "reason": _printable(reason)[:500], "at": clock.stamp()})
        del self.errors[:-MAX_ERRORS]

    def save(self, *, state: str | None = None, finished: bool = False) -> None:
        crawl.save_run(self.store.engine, self.run_id, dict(self.counts), self.errors, state=state,
                       finished=finished)
        if finished:  # the frontiers of the source's earlier passes are no longer needed
            crawl.prune(self.store.engine, self.source.name, keep=self.run_id)
