"""Retrain from the analysts' labels, in the background, and compare with the model in use.

``retrain(store, settings, user)`` does the work, with the project's own training code:

1. the labelled listings: every stored listing's newest version x the labels table, resolved by
   the conflict rule (``learn.labels``), featurised with the rules' scores (``dataset.build``);
2. grouped by seller (``learn.grouping``: near-duplicates where no listing has a seller);
3. the new model evaluated by grouped cross-validation (``evaluate.cross_validate``: each outer
   fold trains on the others, threshold from its own inner folds; bootstrap CIs over groups);
4. the model in use (``workbench.scanner_for``: the accepted one, else the setting's) scored
   as it is on the same labelled listings, with the same groups for its CIs;
5. the new model fitted on every label (``training.train``) and saved in a new folder,
   ``DATA_DIR/models/<id>`` (made exclusively: an existing folder is never written into);
6. recorded as a ``candidate`` (``store.text_models.add``) with both evaluations. It is used only
   once an analyst accepts it.

``RetrainJobs`` runs one retrain at a time on a worker thread, as ``cases.capture_jobs`` runs
captures: ``start(user)`` returns the job at once; its ``state`` runs ``queued`` -> ``running``
(with a ``step``) -> ``done`` (``model_id``) or ``failed`` with one line saying why (too few
labels, one class only...). Jobs live in memory; the model and its evaluation are in the store.
"""

from __future__ import annotations

import shutil
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from wildtrace import clock
from wildtrace.errors import DataError, InvalidRecord, NotFound, WildTraceError
from wildtrace.learn import dataset, grouping, training
from wildtrace.learn import evaluate as ev
from wildtrace.learn import labels as lab
from wildtrace.learn.workbench import in_use, scanner_for
from wildtrace.scan.listing import Listing, listing_from_record
from wildtrace.scan.result import ScanResult
from wildtrace.scan.scanner import Scanner
from wildtrace.settings import Settings
from wildtrace.store import text_models
from wildtrace.store.sql import SQLStore

STATES = ("queued", "running", "done", "failed")
FINAL = ("done", "failed")
FOLDS = 5
#: Bootstrap resamples of each evaluation (as ``wildtrace evaluate``'s default)
REPS = 1000
MAX_JOBS = 100


def models_root(settings: Settings) -> Path:
    """Where workbench models are written: ``DATA_DIR/models``."""
    return Path(settings.data_dir) / "models"


def new_model_id() -> str:
    """A model id that is also its folder's name: the UTC time and a random suffix."""
    return f"{clock.now().strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"


def _listings(st: SQLStore, settings: Settings) -> list[Listing]:
    out = []
    for record in st.latest_records():
        try:
            out.append(listing_from_record(record, limits=settings.record_limits))
        except InvalidRecord:
            continue
    return out


def labelled_data(st: SQLStore, settings: Settings) -> tuple[dataset.Dataset, str, str | None]:
    """The labelled data set grouped by seller: (data set, grouping used, fallback note)."""
    resolved = lab.resolve(lab.stored(st.engine))
    if not resolved:
        raise DataError("no labels yet: label some listings in the queue first")
    targets = {k: int(v.positive) for k, v in resolved.items()}
    detector = Scanner(settings, scorer=None).detector
    ds, _ = dataset.build(_listings(st, settings), targets, group_by=grouping.column(grouping.DEFAULT),
                          detector=detector)
    training.check_trainable(ds.y, ds.groups, FOLDS)  # one clear line before any work
    group_by, note = grouping.settle(ds, grouping.DEFAULT)
    training.check_trainable(ds.y, ds.groups, FOLDS)
    return ds, group_by, note


def current_evaluation(st: SQLStore, settings: Settings, ds: dataset.Dataset,
                       setting: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """The model in use scored as it is on the labelled listings (its own verdicts), with the
    data set's groups for the CIs; and its name."""
    scanner = scanner_for(settings, st.engine)
    wanted = set(ds.ids)
    by_id = {x.id: x for x in _listings(st, settings) if x.id in wanted}
    results = {r.id: r for r in scanner.scan([by_id[i] for i in ds.ids]) if isinstance(r, ScanResult)}
    score = np.array([results[i].wildlife_score for i in ds.ids], dtype=np.float64)
    pred = np.array([results[i].verdict == "wildlife_offer" for i in ds.ids], dtype=bool)
    info = {"mode": "the model in use, as it is, on the same labelled listings", "n": len(ds),
            "positives": int(ds.y.sum()), "groups": len(set(ds.groups.tolist())),
            "bootstrap": f"{REPS} resamples of whole groups, 95% percentile interval", **setting}
    evaluation = ev.Evaluation(info, ds.y, score, pred, ds.groups, ds.langs, ds.platforms, {}, [], REPS, 0)
    return evaluation.report(), in_use(settings, st.engine)


def _save_new(model: Any, folder: Path) -> None:
    """Write the model into ``folder``, which must not exist yet (never overwrite a model)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir()
    except FileExistsError:
        raise DataError(f"model folder {folder} exists already; models are never overwritten") from None
    try:
        model.save(folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # ours, half-written
        raise


def retrain(st: SQLStore, settings: Settings, user: str,
            step: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """Train, evaluate beside the model in use, save, record as a candidate; returns its row."""
    step("reading the labels and scoring them with the rules")
    ds, group_by, note = labelled_data(st, settings)
    setting = {"group_by": group_by}
    step("cross-validating the new model by groups")
    new = ev.cross_validate(ds, folds=FOLDS, reps=REPS, setting=setting).report()
    step("scoring the labelled listings with the model in use")
    current, current_name = current_evaluation(st, settings, ds, setting)
    step("training the new model on every label")
    model_id = new_model_id()
    name = f"workbench-{model_id}"
    model = training.train(ds, folds=FOLDS, name=name,
                           extra_meta={"group_by": group_by, "trained_by": user, "source": "workbench labels"})
    folder = models_root(settings) / model_id
    _save_new(model, folder)
    evaluation = {"new": new, "current": current, "current_model": current_name, "group_by": group_by,
                  "note": note, "labels": len(ds), "positives": int(ds.y.sum()),
                  "groups": len(set(ds.groups.tolist()))}
    return text_models.add(st.engine, model_id=model_id, path=str(folder.resolve()), name=model.name,
                           version=model.version, created_by=user, labels=len(ds),
                           positives=int(ds.y.sum()), evaluation=evaluation)


@dataclass
class RetrainJob:
    id: str
    user: str
    state: str = "queued"
    step: str = ""
    reason: str | None = None
    model_id: str | None = None
    created_at: str = field(default_factory=lambda: clock.iso(clock.now()))
    updated_at: str = field(default_factory=lambda: clock.iso(clock.now()))

    @property
    def finished(self) -> bool:
        return self.state in FINAL

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "finished": self.finished}


class RetrainJobs:
    """The workbench's retraining jobs: one runs at a time; start, look up, list."""

    def __init__(self, store: SQLStore, settings: Settings):
        self.store, self.settings = store, settings
        self._jobs: OrderedDict[str, RetrainJob] = OrderedDict()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="wildtrace-retrain")

    def start(self, user: str) -> RetrainJob:
        """Queue a retrain for ``user``; returns the job at once. While one is queued or running,
        that job is returned instead of starting a second one."""
        with self._lock:
            waiting = next((j for j in self._jobs.values() if not j.finished), None)
            if waiting is not None:
                return waiting
            job = RetrainJob(id=uuid.uuid4().hex, user=user)
            self._jobs[job.id] = job
            while len(self._jobs) > MAX_JOBS:
                self._jobs.popitem(last=False)
        self._pool.submit(self._run, job)
        return job

    def get(self, job_id: str) -> RetrainJob:
        with self._lock:
            job = self._jobs.get(job_id)
        if job is None:
            raise NotFound(f"no retraining job {job_id!r}")
        return job

    def all(self) -> list[RetrainJob]:
        """The jobs still known, newest first."""
        with self._lock:
            return list(reversed(self._jobs.values()))

    def wait(self, job_id: str, timeout: float) -> RetrainJob:
        """The job once finished or after ``timeout`` seconds (for callers with no page to poll)."""
        deadline = time.monotonic() + timeout
        pause = threading.Event()
        while not self.get(job_id).finished and time.monotonic() < deadline:
            pause.wait(0.1)
        return self.get(job_id)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _set(self, job: RetrainJob, state: str, *, step: str | None = None, reason: str | None = None) -> None:
        with self._lock:
            job.state, job.updated_at = state, clock.iso(clock.now())
            if step is not None:
                job.step = step
            if reason is not None:
                job.reason = reason

    def _run(self, job: RetrainJob) -> None:
        self._set(job, "running")
        try:
            row = retrain(self.store, self.settings, job.user, step=lambda s: self._set(job, "running", step=s))
            job.model_id = row["id"]
            self._set(job, "done", step="")
        except WildTraceError as exc:
            self._set(job, "failed", reason=" ".join(str(exc).split()))
        except Exception as exc:  # noqa: BLE001 - a worker never dies silently: the page shows why
            self._set(job, "failed", reason=f"error while training: {type(exc).__name__}: {exc}")


__all__ = ["FINAL", "STATES", "RetrainJob", "RetrainJobs", "models_root", "retrain"]
