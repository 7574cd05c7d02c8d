"""Export a case in a registered format (``wildtrace.plugins.exporters``: FtM, GEXF, GraphML, CSV,
HTML, PDF, takedown); the writers themselves live in ``wildtrace.export``.

Every export is written whole or not at all: the writer writes to a temporary path beside the
target, which is renamed over it only when the writer finished (an interrupted FtM export no longer
looks complete). A target that is evidence (a custody log, a capture's WARC or screenshot, anything
inside an evidence folder) is refused: an export never overwrites source evidence.
"""

from __future__ import annotations

import errno
import inspect
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from wildtrace import plugins
from wildtrace.cases.case import Case
from wildtrace.errors import ConfigError, DataError

#: A folder holding this file is an evidence folder (``wildtrace.evidence.custody.LOG_NAME``)
CUSTODY_LOG = "custody.jsonl"


def refuse_evidence(path: Path, case: Case | None = None) -> None:
    """ConfigError when ``path`` is, or would be written inside, evidence."""
    target = Path(path).resolve()
    for parent in (target, *target.parents):
        if (parent / CUSTODY_LOG).is_file() and parent != target:
            raise ConfigError(f"{path} is inside the evidence folder {parent}; export somewhere else "
                              "(evidence is never overwritten)")
    if target.name in (CUSTODY_LOG, "custody.head"):
        raise ConfigError(f"{path} is a custody log; export somewhere else (evidence is never overwritten)")
    for cap in (case.captures if case is not None else ()):
        folder = cap.get("evidence_dir")
        if folder and (target == Path(str(folder)).resolve() or Path(str(folder)).resolve() in target.parents):
            raise ConfigError(f"{path} is inside the evidence folder of capture {cap.get('capture_id')}; "
                              "export somewhere else (evidence is never overwritten)")


def export(case: Case, fmt: str, path: Path, progress: Callable[[], None] | None = None) -> int:
    """Write ``case`` in format ``fmt``; ``progress`` is called once per row or entity written, by
    the writers that take it. Returns how many rows or entities were written."""
    writer = plugins.exporters.get(fmt)
    target = Path(path)
    refuse_evidence(target, case)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.stem}.{os.getpid()}.tmp{target.suffix}")  # writers read the suffix
    try:
        if progress is not None and "progress" in inspect.signature(writer).parameters:
            n = int(writer(case, tmp, progress=progress))
        else:
            n = int(writer(case, tmp))
        if tmp.is_dir() and target.is_dir():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except OSError as exc:
        _remove(tmp)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DataError(f"cannot write {target}: the disk is full; nothing was written") from exc
        raise
    except BaseException:
        _remove(tmp)
        raise
    return n


def _remove(tmp: Path) -> None:
    if tmp.is_dir():
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        tmp.unlink(missing_ok=True)
