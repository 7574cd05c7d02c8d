"""Run a registered exporter by name."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, cast

from wildtrace.errors import ConfigError
from wildtrace.export import EXPORTERS

if TYPE_CHECKING:
    from wildtrace.export.case import CaseData


def export(case: CaseData, fmt: str, path: Path) -> int:
    target = EXPORTERS.get(fmt)
    if target is None:
        raise ConfigError(f"unknown export format {fmt!r}; known: {', '.join(EXPORTERS)}")
    module, _, func = target.partition(":")
    writer = cast(Callable[["CaseData", Path], int], getattr(importlib.import_module(module), func))
    return writer(case, path)
