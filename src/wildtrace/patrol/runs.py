"""Run folders: where one patrol run's outputs live, written once and read by the CLI and workbench.

A run is a folder ``PATROL_DIR/<run_id>/`` (run ids look like ``2026-12-07T0612Z-1a2b3c``: the
UTC minute it started and six random hex digits). ``RunWriter`` makes a new folder (never an
existing one: outputs are evidence and are never overwritten), hands out paths for the other
writers (``risk-2026-01.png``, ``plan-2026-01.gpx`` ...), and ``finish`` writes ``manifest.json``
last and atomically. A folder without a manifest is an unfinished run: never listed, never served.

The manifest says what the run is and where it came from: ``run_id``, ``created`` (UTC),
``wildtrace_version``, ``model_version``, ``inputs`` (``[{name, sha256}]``) and their
``inputs_hash``, ``config``, ``synthetic``, ``park`` (``name, area_km2, cells, cell_km, crs``),
``months`` ('YYYY-MM', each with a risk map), ``files`` (``{month: {kind: file name}}``, kinds
as in ``KINDS``), ``evaluation`` (the evaluation file's name, or null), ``outputs`` (each file's
SHA-256 and size, filled in by ``finish``) and ``notes``.

The readers (``list_runs``, ``load_run``) treat the folder as untrusted: a run id or month from a
URL is checked against its pattern, file names come only from the manifest and must be plain
names, and a file must be a regular file inside the run folder (a link is refused, wherever it
points). A damaged manifest or JSON file is a ``DataError`` naming the run and the file.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wildtrace import __version__, clock
from wildtrace.atomic import atomic_write
from wildtrace.errors import DataError, Invalid, NotFound
from wildtrace.provenance import sha256_file, sha256_of

MANIFEST = "manifest.json"
#: ``2026-12-07T0612Z-1a2b3c``
RUN_ID = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{4}Z-[0-9a-f]{6}$")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
#: A plain file name: no separators, no leading dot (so no ``..`` and no hidden temporaries).
FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,119}$")
KIND = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
#: The kinds of per-month file a run holds, and what each is.
KINDS = {"risk_png": "risk map (PNG)", "risk_geojson": "risk map (GeoJSON)",
         "risk_tif": "risk map (GeoTIFF)", "plan_geojson": "patrol plan (GeoJSON)",
         "plan_gpx": "patrol plan (GPX)", "plan_json": "patrol plan (JSON)"}
#: The keys ``finish`` needs from its caller (it fills in run_id, created, inputs_hash, outputs).
REQUIRED = ("wildtrace_version", "model_version", "inputs", "config", "synthetic", "park", "months",
            "files", "evaluation")
#: Largest JSON file (manifest, evaluation, plan) a reader parses.
MAX_JSON_BYTES = 32 * 1024 * 1024
#: Largest file ``Run.read_bytes`` reads into memory (a GeoJSON of a 2,000-cell park is ~2 MB).
MAX_FILE_BYTES = 256 * 1024 * 1024


def new_run_id() -> str:
    """A fresh run id: the UTC minute and six random hex digits."""
    return f"{clock.now().strftime('%Y-%m-%dT%H%MZ')}-{secrets.token_hex(3)}"


def check_run_id(run_id: str) -> str:
    """``run_id`` when it has the run-id pattern, else NotFound (no run can have that name)."""
    if not isinstance(run_id, str) or not RUN_ID.fullmatch(run_id):
        raise NotFound(f"no patrol run {str(run_id)[:80]!r}: run ids look like 2026-12-07T0612Z-1a2b3c")
    return run_id


def check_month(month: str) -> str:
    if not isinstance(month, str) or not MONTH.fullmatch(month):
        raise Invalid(f"month {str(month)[:40]!r}: use YYYY-MM")
    return month


def check_name(name: str) -> str:
    """``name`` when it is a plain file name (letters, digits, ``_.-``; no separator, no leading
    dot), else Invalid."""
    if not isinstance(name, str) or not FILE_NAME.fullmatch(name) or ".." in name:
        raise Invalid(f"file name {str(name)[:80]!r}: only a plain name (letters, digits, _ . -)")
    return name


def inputs_hash(inputs: list[dict[str, str]]) -> str:
    """One SHA-256 over every input's name and SHA-256, in name order."""
    return sha256_of(f"{i['name']}\t{i['sha256']}" for i in sorted(inputs, key=lambda i: i["name"]))


def _plain(obj: Any) -> Any:
    """``obj`` as plain JSON: numpy scalars and arrays as numbers and lists, NaN and infinity as
    null (JSON has neither), paths as strings."""
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set):
        return [_plain(v) for v in obj]
    if hasattr(obj, "tolist") and not isinstance(obj, str | bytes):
        return _plain(obj.tolist())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, Path):
        return str(obj)
    if obj is None or isinstance(obj, str | int | bool):
        return obj
    raise Invalid(f"cannot write {type(obj).__name__} as JSON")


class RunWriter:
    """A new run folder: ``path(name)`` for other writers, ``write_json``, then ``finish``."""

    def __init__(self, patrol_dir: Path | str, run_id: str | None = None):
        root = Path(patrol_dir)
        if run_id is not None and not RUN_ID.fullmatch(str(run_id)):
            raise Invalid(f"run id {str(run_id)[:80]!r}: run ids look like 2026-12-07T0612Z-1a2b3c")
        root.mkdir(parents=True, exist_ok=True)
        for _ in range(20):
            rid = run_id if run_id is not None else new_run_id()
            try:
                (root / rid).mkdir()
            except FileExistsError:
                if run_id is not None:
                    raise Invalid(f"patrol run {rid} already exists in {root}; a run is never "
                                  "overwritten") from None
                continue
            self.run_id, self.dir, self.finished = rid, root / rid, False
            return
        raise DataError(f"cannot make a new run folder in {root}")  # pragma: no cover

    def path(self, name: str) -> Path:
        """Where to write the file ``name`` (a plain name, not the manifest) in this run."""
        if check_name(name) == MANIFEST:
            raise Invalid("manifest.json is written by finish(), last")
        if self.finished:
            raise Invalid(f"patrol run {self.run_id} is finished; its files are never changed")
        return self.dir / name

    def write_json(self, name: str, obj: Any) -> Path:
        """``obj`` as JSON into ``name``, whole or not at all."""
        target = self.path(name)
        body = json.dumps(_plain(obj), indent=2, ensure_ascii=False, allow_nan=False)
        with atomic_write(target) as fh:
            fh.write(body.encode("utf-8") + b"\n")
        return target

    def finish(self, manifest: Mapping[str, Any]) -> str:
        """Check the manifest against the files written, add ``run_id``, ``created``,
        ``inputs_hash`` and ``outputs`` (SHA-256 and bytes of every file), and write it last,
        atomically. Returns the run id. A manifest naming a file not written is a DataError."""
        if self.finished:
            raise Invalid(f"patrol run {self.run_id} is already finished")
        missing = [k for k in REQUIRED if k not in manifest]
        if missing:
            raise Invalid(f"the manifest lacks {', '.join(missing)}")
        out = dict(_plain(manifest))
        if out.get("run_id", self.run_id) != self.run_id:
            raise Invalid(f"the manifest names run {out['run_id']}, not {self.run_id}")
        out["run_id"] = self.run_id
        out.setdefault("created", clock.stamp())
        out.setdefault("wildtrace_version", __version__)
        out.setdefault("inputs_hash", inputs_hash(out["inputs"]))
        out.setdefault("notes", [])
        try:
            months, files, evaluation = _check_layout(out)
        except Invalid as exc:
            raise Invalid(f"patrol run {self.run_id}: {exc}") from None
        names = sorted({n for per in files.values() for n in per.values()}
                       | ({evaluation} if evaluation else set()))
        outputs = {}
        for name in names:
            path = self.dir / name
            if path.is_symlink() or not path.is_file():
                raise DataError(f"patrol run {self.run_id}: the manifest names {name}, "
                                "which was not written")
            outputs[name] = {"sha256": sha256_file(path), "bytes": path.stat().st_size}
        out["outputs"] = outputs
        body = json.dumps(out, indent=2, ensure_ascii=False, allow_nan=False)
        with atomic_write(self.dir / MANIFEST) as fh:
            fh.write(body.encode("utf-8") + b"\n")
        self.finished = True
        return self.run_id


def _check_layout(m: Mapping[str, Any]) -> tuple[list[str], dict[str, dict[str, str]], str | None]:
    """The manifest's months, files and evaluation name, each checked (Invalid says which)."""
    months = m.get("months")
    if not isinstance(months, list) or not all(isinstance(x, str) for x in months):
        raise Invalid("months must be a list of 'YYYY-MM'")
    for month in months:
        check_month(month)
    files = m.get("files")
    if not isinstance(files, dict):
        raise Invalid("files must map each month to its files")
    for month, per in files.items():
        check_month(month)
        if not isinstance(per, dict):
            raise Invalid(f"files of {month} must map kind to file name")
        for kind, name in per.items():
            if not KIND.fullmatch(str(kind)):
                raise Invalid(f"file kind {str(kind)[:40]!r}")
            check_name(name)
            if name == MANIFEST:
                raise Invalid(f"{kind} cannot be the manifest")
    evaluation = m.get("evaluation")
    if evaluation is not None and check_name(evaluation) == MANIFEST:
        raise Invalid("the evaluation cannot be the manifest")
    return list(months), files, evaluation


def _read_json(folder: Path, name: str, run_id: str) -> Any:
    """A JSON file of the run, read only when it is a regular file (not a link) in the folder."""
    path = folder / check_name(name)
    try:
        info = path.lstat()
    except FileNotFoundError:
        raise NotFound(f"patrol run {run_id} has no {name}") from None
    if not stat.S_ISREG(info.st_mode):
        raise NotFound(f"patrol run {run_id}: {name} is not a plain file in the run folder; refused")
    if info.st_size > MAX_JSON_BYTES:
        raise DataError(f"patrol run {run_id}: {name} is over {MAX_JSON_BYTES:,} bytes")
    try:
        return json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"patrol run {run_id}: {name} is damaged (not valid JSON: {exc})") from None


def figure(section: Any, key: str) -> tuple[float | None, list[float] | None]:
    """One figure of an evaluation section, ``(value, [lo, hi])``, whichever way it was written:
    ``{"pr_auc": 0.4, "pr_auc_ci": [lo, hi]}`` or ``{"pr_auc": {"value": 0.4, "ci95": [lo, hi]}}``
    (metrics.with_ci). Missing or not a number: None."""
    if not isinstance(section, Mapping):
        return None, None
    raw: Any = section.get(key)
    ci: Any = section.get(f"{key}_ci")
    if isinstance(raw, Mapping):
        raw, ci = raw.get("value"), raw.get("ci95", raw.get("ci", ci))
    value = float(raw) if isinstance(raw, int | float) and not isinstance(raw, bool) else None
    if value is not None and not math.isfinite(value):
        value = None
    if not (isinstance(ci, list | tuple) and len(ci) == 2
            and all(isinstance(c, int | float) and math.isfinite(c) for c in ci)):
        return value, None
    return value, [float(ci[0]), float(ci[1])]


@dataclass(frozen=True)
class Run:
    """A finished run: its folder and its checked manifest."""

    run_id: str
    folder: Path
    manifest: dict[str, Any]
    months: list[str] = field(default_factory=list)
    files: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def created(self) -> str:
        return str(self.manifest.get("created", ""))

    @property
    def synthetic(self) -> bool:
        return self.manifest.get("synthetic") is True

    @property
    def park(self) -> dict[str, Any]:
        park = self.manifest.get("park")
        return park if isinstance(park, dict) else {}

    @property
    def names(self) -> set[str]:
        """Every file name the manifest lists (the only files of the run that are ever served)."""
        named = {n for per in self.files.values() for n in per.values()}
        evaluation = self.manifest.get("evaluation")
        return named | ({evaluation} if isinstance(evaluation, str) else set())

    def named(self, name: str) -> Path:
        """The file ``name`` when the manifest lists it and it is a regular file inside the run
        folder (no link, wherever it points); else NotFound."""
        if not isinstance(name, str) or name not in self.names or name == MANIFEST:
            raise NotFound(f"patrol run {self.run_id} has no file {str(name)[:80]!r}")
        path = self.folder / check_name(name)
        try:
            info = path.lstat()
        except FileNotFoundError:
            raise NotFound(f"patrol run {self.run_id}: {name} is missing from the run folder") from None
        inside = path.resolve().parent == self.folder.resolve()
        if not stat.S_ISREG(info.st_mode) or not inside:
            raise NotFound(f"patrol run {self.run_id}: {name} is not a plain file in the run "
                           "folder; refused")
        return path

    def read_bytes(self, name: str, *, limit: int = MAX_FILE_BYTES) -> bytes:
        """The bytes of the file ``name`` (checked as ``named``, then opened without following a
        link, so a file swapped for a link after the check is refused too). When the manifest
        holds its SHA-256, the bytes must match: a file changed after the run finished is a
        DataError, never served as the run's."""
        path = self.named(name)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            raise NotFound(f"patrol run {self.run_id}: {name} cannot be opened; refused") from None
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise NotFound(f"patrol run {self.run_id}: {name} is not a plain file; refused")
            if info.st_size > limit:
                raise DataError(f"patrol run {self.run_id}: {name} is over {limit:,} bytes")
            body = fh.read(limit + 1)
        want = self.sha256(name)
        if want is not None and hashlib.sha256(body).hexdigest() != want:
            raise DataError(f"patrol run {self.run_id}: {name} has changed since the run finished "
                            "(its SHA-256 differs from the manifest's)")
        return body

    def _object(self, name: str) -> dict[str, Any]:
        """A JSON object file of the run (read as ``read_bytes``)."""
        try:
            found = json.loads(self.read_bytes(name, limit=MAX_JSON_BYTES))
        except (ValueError, UnicodeDecodeError) as exc:
            raise DataError(f"patrol run {self.run_id}: {name} is damaged (not valid JSON: {exc})"
                            ) from None
        if not isinstance(found, dict):
            raise DataError(f"patrol run {self.run_id}: {name} is damaged (not a JSON object)")
        return found

    def sha256(self, name: str) -> str | None:
        """The file's SHA-256 as the manifest recorded it (None for a manifest without one)."""
        outputs = self.manifest.get("outputs")
        entry = outputs.get(name) if isinstance(outputs, dict) else None
        value = entry.get("sha256") if isinstance(entry, dict) else None
        return value if isinstance(value, str) and re.fullmatch(r"[0-9a-f]{64}", value) else None

    def file(self, kind: str, month: str) -> Path:
        """The month's file of this kind (``KINDS``), checked as ``named``."""
        check_month(month)
        name = self.files.get(month, {}).get(kind)
        if name is None:
            raise NotFound(f"patrol run {self.run_id} has no {kind} for {month}")
        return self.named(name)

    def evaluation(self) -> dict[str, Any] | None:
        """The run's evaluation (``evaluate.year_ahead``'s dict), or None when it has none."""
        name = self.manifest.get("evaluation")
        if not isinstance(name, str):
            return None
        return self._object(name)

    def plan(self, month: str) -> dict[str, Any] | None:
        """The month's patrol plan (``plan_json``), or None when the run has none for it."""
        name = self.files.get(check_month(month), {}).get("plan_json")
        if name is None:
            return None
        return self._object(name)


@dataclass(frozen=True)
class RunSummary:
    """One line of the run list. ``problem`` says why a run could not be read (it is listed all
    the same: a damaged run is shown, not hidden)."""

    run_id: str
    created: str = ""
    park: dict[str, Any] = field(default_factory=dict)
    months: list[str] = field(default_factory=list)
    synthetic: bool = False
    model_version: str = ""
    wildtrace_version: str = ""
    inputs_hash: str = ""
    headline: dict[str, dict[str, tuple[float | None, list[float] | None]]] = field(
        default_factory=dict)
    test_year: Any = None
    problem: str | None = None

    def to_dict(self) -> dict[str, Any]:
        head = {who: {k: {"value": v, "ci95": ci} for k, (v, ci) in figs.items()}
                for who, figs in self.headline.items()}
        return {"run_id": self.run_id, "created": self.created, "park": self.park,
                "months": self.months, "synthetic": self.synthetic,
                "model_version": self.model_version, "wildtrace_version": self.wildtrace_version,
                "inputs_hash": self.inputs_hash, "test_year": self.test_year, "evaluation": head,
                "problem": self.problem}


#: The figures of the run list's headline, for the model and the baseline.
HEADLINE = ("pr_auc", "roc_auc")


def summarize(run: Run) -> RunSummary:
    """A run's line in the list: what, when, and the headline evaluation (model vs baseline)."""
    m = run.manifest
    evaluation = run.evaluation() or {}
    headline = {who: {k: figure(evaluation.get(who), k) for k in HEADLINE}
                for who in ("model", "baseline") if isinstance(evaluation.get(who), Mapping)}
    return RunSummary(run_id=run.run_id, created=run.created, park=run.park, months=run.months,
                      synthetic=run.synthetic, model_version=str(m.get("model_version", "")),
                      wildtrace_version=str(m.get("wildtrace_version", "")),
                      inputs_hash=str(m.get("inputs_hash", "")), headline=headline,
                      test_year=evaluation.get("test_year"))


def list_runs(patrol_dir: Path | str, *, limit: int = 500) -> list[RunSummary]:
    """Every finished run in the folder, newest first (at most ``limit``). Folders without a
    manifest (unfinished) and anything not named like a run are left out; a run whose manifest or
    evaluation is damaged is listed with its ``problem``."""
    root = Path(patrol_dir)
    if not root.is_dir():
        return []
    found: list[RunSummary] = []
    for entry in root.iterdir():
        if not RUN_ID.fullmatch(entry.name) or entry.is_symlink() or not entry.is_dir():
            continue
        if not (entry / MANIFEST).exists() and not (entry / MANIFEST).is_symlink():
            continue
        try:
            found.append(summarize(load_run(root, entry.name)))
        except (DataError, NotFound, Invalid) as exc:
            found.append(RunSummary(run_id=entry.name, problem=str(exc)))
    found.sort(key=lambda s: (s.created or s.run_id[:16], s.run_id), reverse=True)
    return found[:limit]


def load_run(patrol_dir: Path | str, run_id: str) -> Run:
    """The finished run ``run_id``: NotFound when there is none (or it never finished), DataError
    when its manifest is damaged (naming the file and why)."""
    root = Path(patrol_dir)
    folder = root / check_run_id(run_id)
    if folder.is_symlink() or not folder.is_dir():
        raise NotFound(f"no patrol run {run_id}")
    if not (folder / MANIFEST).exists() and not (folder / MANIFEST).is_symlink():
        raise NotFound(f"patrol run {run_id} never finished (it has no {MANIFEST})")
    manifest = _read_json(folder, MANIFEST, run_id)
    if not isinstance(manifest, dict):
        raise DataError(f"patrol run {run_id}: {MANIFEST} is damaged (not a JSON object)")
    if manifest.get("run_id") != run_id:
        raise DataError(f"patrol run {run_id}: {MANIFEST} is damaged (it names run "
                        f"{str(manifest.get('run_id'))[:80]!r})")
    try:
        months, files, _ = _check_layout(manifest)
    except Invalid as exc:
        raise DataError(f"patrol run {run_id}: {MANIFEST} is damaged ({exc})") from None
    return Run(run_id=run_id, folder=folder, manifest=manifest, months=sorted(months), files=files)
