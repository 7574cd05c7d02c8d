"""Evidence capture: a listing page kept as WARC, hashed, screenshotted and logged in the custody log.

Each capture gets its own new folder ``DIR/captures/<capture_id>/`` (created
exclusively, files opened with ``x``: evidence is never overwritten) holding:

- ``page.warc.gz``: a warcinfo record, then request and response records for
  every hop (redirects included), as sent and received (``evidence.warc``);
- ``screenshot.png``: a full-page screenshot by headless Chromium, when installed, of the bytes
  in the WARC (``evidence.screenshot``), under a banner giving the URL, the capture time (UTC)
  and the page's SHA-256.

``capture(target, progress=...)`` calls ``progress`` with each step as it starts: ``fetching``,
``screenshot``, ``hashing``, then ``signed`` once the custody entry is written (a background job
shows these).

``Capturer.capture(url)`` fetches through the address guard (``evidence.net``) and records the
page; ``Capturer.record(target, fetched)`` records a page someone else fetched (a monitor that
called ``evidence.net.fetch`` itself, or holds the bytes, status and headers). Every attempt, good
or failed, is one custody-log entry (``capture`` or ``capture_failed`` with its ``reason``).
Failures are data: the batch goes on. With ``CaptureOptions(key=PATH)`` every entry is signed
(``evidence.keys``); without, each is marked ``signer: unsigned``. Each attempt starts with a write-ahead ``capture_started``
entry, so a capture whose process was killed is named by ``evidence verify`` with the files it
left; an unexpected error still writes ``capture_failed`` with every file so far, then is raised.
``targets_from_scan`` reads capture targets from
``wildtrace scan`` output.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from wildtrace import __version__, clock
from wildtrace.errors import ConfigError, Invalid
from wildtrace.evidence.custody import LOG_NAME, CustodyLog
from wildtrace.evidence.keys import UNSIGNED, evidence_folder_of, load_private
from wildtrace.evidence.net import Fetched, Fetcher, FetchFailed, FetchOptions
from wildtrace.evidence.screenshot import screenshot
from wildtrace.evidence.warc import payload_sha256, write_warc
from wildtrace.provenance import sha256_file
from wildtrace.rejects import Reject
from wildtrace.scan.result import read_results

#: A page that could not be captured (the guarded fetch's failure; a ``WildTraceError``).
CaptureFailed = FetchFailed
#: Told each step of a capture as it starts (``fetching``, ``screenshot``, ``hashing``, ``signed``)
Progress = Callable[[str], None]


def _quiet(step: str) -> None:
    """No one is told."""


@dataclass(frozen=True)
class CaptureOptions:
    operator: str = field(default_factory=getpass.getuser)
    timeout: float = 20.0
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    follow_offsite: bool = False
    screenshot: bool = True  # only when Chromium is installed
    verify_tls: bool | str = True  # True, False or a CA bundle path
    # Loopback, private, link-local, multicast, reserved and metadata addresses are refused (after
    # DNS resolution, on every hop) unless this is set: listing URLs are written by criminals.
    allow_private: bool = False
    # Origins (``scheme://host:port``) fetched although not public, and no other (``evidence.net``)
    allow_origins: frozenset[str] = frozenset()
    key: Path | None = None  # the private key (``evidence keygen``) that signs every custody entry

    def fetch_options(self) -> FetchOptions:
        """The guarded fetch's options (HTML pages only)."""
        return FetchOptions(timeout=self.timeout, max_bytes=self.max_bytes, max_redirects=self.max_redirects,
                            follow_offsite=self.follow_offsite, verify_tls=self.verify_tls,
                            allow_private=self.allow_private, allow_origins=self.allow_origins)


@dataclass
class Target:
    url: str
    listing_id: str | None = None
    risk_score: float | None = None


@dataclass
class Capture:
    capture_id: str
    url: str
    status: str  # "captured" or "failed"
    captured_at: str
    operator: str
    tool: str
    listing_id: str | None = None
    reason: str | None = None
    final_url: str | None = None
    http_status: int | None = None
    content_type: str | None = None
    payload_sha256: str | None = None
    payload_bytes: int | None = None
    redirects: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)  # path (relative to DIR), sha256, bytes
    screenshot: str | None = None  # why there is none, or the file
    signer: str = UNSIGNED  # the signing key's fingerprint, or "unsigned"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _new_capture_dir(evidence_dir: Path, url: str, when: dt.datetime) -> tuple[str, Path]:
    base = f"{when:%Y%m%dT%H%M%S%f}Z-{hashlib.sha256(url.encode()).hexdigest()[:8]}"
    root = evidence_dir / "captures"
    root.mkdir(parents=True, exist_ok=True)
    for n in range(1000):
        capture_id = base if n == 0 else f"{base}-{n}"
        path = root / capture_id
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return capture_id, path
    raise RuntimeError("could not create a new capture folder")  # pragma: no cover


class Capturer:
    """Captures listing pages into one evidence folder; one guarded fetcher for the batch."""

    def __init__(self, evidence_dir: Path, options: CaptureOptions | None = None):
        self.dir = Path(evidence_dir)
        if self.dir.is_dir() and any(self.dir.iterdir()) and not (self.dir / LOG_NAME).exists():
            raise ConfigError(f"{self.dir} holds other files and no custody log: not an evidence folder; "
                              "give a new or empty folder, or one made by `wildtrace capture`")
        if (self.dir / LOG_NAME).is_symlink():
            raise ConfigError(f"{self.dir / LOG_NAME} is a symbolic link; an evidence folder's custody log "
                              "must be a plain file")
        self.options = options or CaptureOptions()
        key = None
        if self.options.key is not None:
            if evidence_folder_of(Path(self.options.key).parent) == self.dir.resolve() or \
                    self.dir.resolve() in Path(self.options.key).resolve().parents:
                raise ConfigError(f"{self.options.key} is inside the evidence folder {self.dir}: keep the "
                                  "private key elsewhere")
            key = load_private(self.options.key)
        self.log = CustodyLog(self.dir, key)
        self._fetcher: Fetcher | None = None  # opened on the first capture (record() needs none)

    @property
    def fetcher(self) -> Fetcher:
        if self._fetcher is None:
            self._fetcher = Fetcher(self.options.fetch_options())
        return self._fetcher

    def close(self) -> None:
        if self._fetcher is not None:
            self._fetcher.close()

    def __enter__(self) -> Capturer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def capture(self, target: Target | str, progress: Progress | None = None) -> Capture:
        """Fetch ``target`` through the guard and record it; a failure is a ``failed`` Capture, logged.
        ``progress`` is told each step as it starts (see the module)."""
        target = Target(target) if isinstance(target, str) else target
        started = clock.now()
        capture_id, folder = _new_capture_dir(self.dir, target.url, started)
        record = self._new(capture_id, target, started)
        self._start(record, folder)
        step = progress or _quiet
        try:
            step("fetching")
            fetched = self.fetcher.fetch(target.url)
        except FetchFailed as exc:
            record.status, record.reason, record.redirects = "failed", exc.reason, exc.redirects
            folder.rmdir()
            self._log(record)
            return record
        except BaseException as exc:  # a bug or Ctrl-C: the entry still closes the capture, then it goes on up
            self._fail(record, folder, exc)
            raise
        return self._keep(record, folder, fetched, step)

    def record(self, target: Target | str, fetched: Fetched, *, captured_at: dt.datetime | None = None) -> Capture:
        """Record a page fetched elsewhere (by ``evidence.net.fetch``, or built from the bytes, status
        and headers a monitor holds) as a capture: WARC, screenshot and custody entry.

        ``captured_at`` is when it was fetched (default: now).
        """
        target = Target(target) if isinstance(target, str) else target
        if not fetched.exchanges:
            raise Invalid(f"nothing to record for {target.url}: no request and response")
        started = captured_at or clock.now()
        capture_id, folder = _new_capture_dir(self.dir, target.url, started)
        record = self._new(capture_id, target, started)
        self._start(record, folder)
        return self._keep(record, folder, fetched)

    def capture_all(self, targets: Iterable[Target | str]) -> Iterator[Capture]:
        for target in targets:
            yield self.capture(target)

    def _new(self, capture_id: str, target: Target, started: dt.datetime) -> Capture:
        return Capture(capture_id=capture_id, url=target.url, status="captured",
                       captured_at=clock.iso(started, "microseconds"), operator=self.options.operator,
                       tool=f"wildtrace {__version__}", listing_id=target.listing_id, signer=self.log.signer)

    def _keep(self, record: Capture, folder: Path, fetched: Fetched, step: Progress | None = None) -> Capture:
        """Fill ``record`` from ``fetched``, write its WARC (and screenshot) into ``folder``, hash
        them, log it."""
        step = step or _quiet
        final = fetched.final
        record.redirects = list(fetched.redirects)
        record.final_url = final.url
        record.http_status = final.status
        record.content_type = final.header("content-type")
        record.payload_sha256 = payload_sha256(final.body)
        record.payload_bytes = len(final.body)
        try:
            warc = folder / "page.warc.gz"
            with open(warc, "xb") as fh:
                write_warc(fh, fetched.exchanges, captured_at=record.captured_at, operator=self.options.operator,
                           filename=warc.name)
            shot = folder / "screenshot.png"
            if self.options.screenshot:
                step("screenshot")
                banner = (record.final_url or record.url, record.captured_at, record.payload_sha256 or "")
                why_not = screenshot(final.body, shot, content_type=record.content_type or "text/html",
                                     banner=banner)
                record.screenshot = shot.relative_to(self.dir).as_posix() if why_not is None else why_not
            step("hashing")
            self._add_file(record, warc)
            if shot.is_file():
                self._add_file(record, shot)
        except BaseException as exc:  # a full disk, a bug, Ctrl-C: what was written is logged, then raised
            self._fail(record, folder, exc)
            raise
        self._log(record)
        step("signed")
        return record

    def _start(self, record: Capture, folder: Path) -> None:
        """The write-ahead entry: a capture is under way in ``folder``. Its ``capture`` or
        ``capture_failed`` entry closes it; ``evidence verify`` names one that was never closed
        (the process was killed) and the files it left."""
        self.log.append("capture_started", capture_id=record.capture_id, status="started", url=record.url,
                        listing_id=record.listing_id, captured_at=record.captured_at, operator=record.operator,
                        tool=record.tool, folder=folder.relative_to(self.dir).as_posix())

    def _fail(self, record: Capture, folder: Path, exc: BaseException) -> None:
        """Close a capture that an unexpected error stopped: every file it left is hashed and listed."""
        record.status = "failed"
        record.reason = f"error while capturing: {type(exc).__name__}: {exc}".strip()
        listed = {f["path"] for f in record.files}
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            if path.relative_to(self.dir).as_posix() not in listed:
                self._add_file(record, path)
        self._log(record)

    def _add_file(self, record: Capture, path: Path) -> None:
        record.files.append({"path": path.relative_to(self.dir).as_posix(), "sha256": sha256_file(path),
                             "bytes": path.stat().st_size})

    def _log(self, record: Capture) -> None:
        fields = record.to_dict()
        fields["logged_at"] = clock.iso(clock.now(), "microseconds")
        self.log.append("capture" if record.status == "captured" else "capture_failed", **fields)


def targets_from_scan(stream: IO[bytes], min_risk: float = 0.0) -> Iterator[Target | Reject]:
    """Targets from ``wildtrace scan`` JSON Lines: results with ``risk_score >= min_risk`` and a listing
    URL; a line that cannot be used is a ``Reject``."""
    for number, item in read_results(stream):
        if isinstance(item, Reject):
            yield item
            continue
        if item.risk_score < min_risk:
            continue
        url = item.listing.get("url")
        if not isinstance(url, str) or not url.strip():
            yield Reject(number, "listing has no url", item.id)
            continue
        yield Target(url.strip(), item.id, item.risk_score)


__all__ = ["Capture", "CaptureFailed", "CaptureOptions", "Capturer", "Progress", "Target", "targets_from_scan"]
