"""Export a case in a registered format (``wildtrace.plugins.exporters``: FtM, GEXF, GraphML, CSV,
HTML, PDF, takedown); the writers themselves live in ``wildtrace.export``."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path

from wildtrace import plugins
from wildtrace.cases.case import Case


def export(case: Case, fmt: str, path: Path, progress: Callable[[], None] | None = None) -> int:
    """Write ``case`` in format ``fmt``; ``progress`` is called once per row or entity written, by
    the writers that take it. Returns how many rows or entities were written."""
    writer = plugins.exporters.get(fmt)
    if progress is not None and "progress" in inspect.signature(writer).parameters:
        return int(writer(case, path, progress=progress))
    return int(writer(case, path))
