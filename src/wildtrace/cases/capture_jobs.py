"""Capture jobs: a listing's page captured for a case in the background, with its progress.

``CaptureJobs(store, evidence_root, ...)`` owns a small thread pool. ``start(case_id, url, user)``
queues a job and returns it at once; a worker captures the page with ``evidence.capture.Capturer``
(the guarded fetch: only public addresses, plus exactly the origins in ``allow_origins``) into the
case's own evidence folder, ``evidence_root/case-<id>/``, then adds the custody entry to the case
(``store.cases.add_captures``, audited, with the user's name). A job's ``state`` runs ``queued`` →
``fetching`` → ``screenshot`` → ``hashing`` → ``signed`` → ``done``, or ends ``failed`` with the
reason (a refused address, a 404, a closed case: the capture's own failure is kept in the case
too, as ``wildtrace capture`` keeps it). The custody entries name the user as ``operator``.

Captures into one case folder run one at a time (one custody log, one writer); cases run side by
side. Jobs live in memory: the capture itself is in the evidence folder and the case, so a restart
loses only the progress of a job that was under way (its custody log then names it
``unfinished``).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from wildtrace import clock
from wildtrace.errors import Invalid, NotFound, WildTraceError
from wildtrace.evidence.capture import CaptureOptions, Capturer, Target
from wildtrace.evidence.custody import CustodyLog
from wildtrace.evidence.net import allowed_origins, origin_of
from wildtrace.store import cases
from wildtrace.store.sql import SQLStore

#: Every state of a job, in order; the last two are final
STATES = ("queued", "fetching", "screenshot", "hashing", "signed", "done", "failed")
FINAL = ("done", "failed")
#: Jobs kept in memory (the oldest finished ones are forgotten first)
MAX_JOBS = 500
#: Captures one user may have queued or running at once
MAX_WAITING = 20
MAX_URL = 2000


@dataclass
class CaptureJob:
    id: str
    case_id: int
    url: str
    user: str
    listing_id: str | None = None
    state: str = "queued"
    reason: str | None = None
    capture_id: str | None = None
    created_at: str = field(default_factory=lambda: clock.iso(clock.now()))
    updated_at: str = field(default_factory=lambda: clock.iso(clock.now()))

    @property
    def finished(self) -> bool:
        return self.state in FINAL

    @property
    def step(self) -> int:
        """The state's place in ``STATES`` (1-based; a failure counts as the end)."""
        return len(STATES) - 1 if self.state == "failed" else STATES.index(self.state) + 1

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "finished": self.finished}


def case_folder(evidence_root: Path, case_id: int) -> Path:
    """The evidence folder of case ``case_id`` (its own custody log)."""
    return Path(evidence_root) / f"case-{int(case_id)}"


class CaptureJobs:
    """The capture jobs of one workbench: start, look up, list per case."""

    def __init__(self, store: SQLStore, evidence_root: Path, *, allow_origins: frozenset[str] = frozenset(),
                 key: Path | None = None, workers: int = 2, timeout: float = 20.0):
        self.store, self.root = store, Path(evidence_root)
        self.allow_origins = allowed_origins(allow_origins)
        self.key, self.timeout = key, timeout
        self._jobs: OrderedDict[str, CaptureJob] = OrderedDict()
        self._lock = threading.Lock()
        self._folders: dict[int, threading.Lock] = {}
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="wildtrace-capture")

    def start(self, case_id: int, url: str, user: str, listing_id: str | None = None) -> CaptureJob:
        """Queue a capture of ``url`` for the case (open, or ``Invalid``); returns the job at once."""
        url = url.strip()
        origin = origin_of(url) if len(url) <= MAX_URL else None
        if origin is None or not origin.startswith(("http://", "https://")):
            raise Invalid(f"capture: give an http(s) address of at most {MAX_URL:,} characters")
        if cases.get_case(self.store.engine, case_id)["status"] != "open":
            raise Invalid(f"case {case_id} is closed; reopen it to capture for it")
        job = CaptureJob(id=uuid.uuid4().hex, case_id=case_id, url=url, user=user, listing_id=listing_id)
        with self._lock:
            waiting = sum(1 for j in self._jobs.values() if j.user == user and not j.finished)
            if waiting >= MAX_WAITING:
                raise Invalid(f"{waiting} of your captures are still under way; start more once they finish")
            self._jobs[job.id] = job
            self._forget()
        self._pool.submit(self._run, job)
        return job

    def get(self, job_id: str, case_id: int | None = None) -> CaptureJob:
        """Job ``job_id`` (of case ``case_id`` when given), else NotFound."""
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None or (case_id is not None and job.case_id != case_id):
            raise NotFound(f"no capture job {job_id!r}")
        return job

    def for_case(self, case_id: int) -> list[CaptureJob]:
        """The case's jobs still known, newest first."""
        with self._lock:
            return [j for j in reversed(self._jobs.values()) if j.case_id == case_id]

    def wait(self, job_id: str, timeout: float) -> CaptureJob:
        """Job ``job_id`` once it is finished or ``timeout`` seconds have passed (for the CLI and
        tests that have no page to poll)."""
        pause = threading.Event()
        deadline = time.monotonic() + timeout
        while not self.get(job_id).finished and time.monotonic() < deadline:
            pause.wait(0.05)
        return self.get(job_id)

    def close(self) -> None:
        """Stop taking jobs; queued ones are dropped, running ones finish."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _forget(self) -> None:
        while len(self._jobs) > MAX_JOBS:
            old = next((k for k, j in self._jobs.items() if j.finished), None)
            if old is None:
                break
            del self._jobs[old]

    def _set(self, job: CaptureJob, state: str, reason: str | None = None) -> None:
        with self._lock:
            job.state, job.updated_at = state, clock.iso(clock.now())
            if reason is not None:
                job.reason = reason

    def _run(self, job: CaptureJob) -> None:
        try:
            with self._lock:
                folder_lock = self._folders.setdefault(job.case_id, threading.Lock())
            with folder_lock:
                self._capture(job)
        except WildTraceError as exc:
            self._set(job, "failed", str(exc))
        except Exception as exc:  # noqa: BLE001 - a worker never dies silently: the page shows why
            self._set(job, "failed", f"error while capturing: {type(exc).__name__}: {exc}")

    def _capture(self, job: CaptureJob) -> None:
        folder = case_folder(self.root, job.case_id)
        options = CaptureOptions(operator=job.user, timeout=self.timeout, allow_origins=self.allow_origins,
                                 key=self.key)
        with Capturer(folder, options) as capturer:
            record = capturer.capture(Target(job.url, job.listing_id), progress=lambda s: self._set(job, s))
        job.capture_id = record.capture_id
        entry = _entry(folder, record.capture_id)
        cases.add_captures(self.store.engine, job.case_id, [{**entry, "evidence_dir": str(folder.resolve())}],
                           job.user)
        if record.status == "captured":
            self._set(job, "done")
        else:
            self._set(job, "failed", record.reason or "the capture failed")


def _entry(folder: Path, capture_id: str) -> dict[str, Any]:
    """The custody entry that closed capture ``capture_id``."""
    found: dict[str, Any] | None = None
    for _, entry in CustodyLog(folder).entries():
        if entry and entry.get("capture_id") == capture_id and entry.get("event") in ("capture", "capture_failed"):
            found = entry
    if found is None:
        raise NotFound(f"no custody entry closes capture {capture_id} in {folder}")
    return found


__all__ = ["FINAL", "STATES", "CaptureJob", "CaptureJobs", "case_folder"]
