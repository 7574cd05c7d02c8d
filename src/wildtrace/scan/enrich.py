"""Enrichers: extra facts added to each ScanResult after detection.

An enricher is a callable ``(result: ScanResult) -> None`` that adds to the result in place
(for example a ``zoonotic`` object on each taxon); its module may define ``warm()`` to load
its data at start-up instead of on the first listing. Enrichers register by name in
``wildtrace.plugins.enrichers``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from wildtrace import plugins
from wildtrace.scan.result import ScanResult

Enricher = Callable[[ScanResult], None]


def load(names: list[str] | None = None) -> list[Enricher]:
    """The enrichers with these names (default: all registered), in registration order, warmed."""
    out: list[Enricher] = []
    for name in plugins.enrichers.names():
        if names is not None and name not in names:
            continue
        func = plugins.enrichers.get(name)
        module = importlib.import_module(func.__module__)
        if hasattr(module, "warm"):
            module.warm()
        out.append(func)
    return out
