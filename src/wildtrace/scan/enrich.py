"""Enrichers: extra facts added to each ScanResult after detection (an extension point).

An enricher is a callable ``(result: ScanResult) -> None`` that adds to the
result in place (its module may define ``warm()`` to load its data at start-up) (for example a ``zoonotic`` object on each taxon). Enrichers
register by name here as ``"module:function"`` strings, imported on first use,
so a new enricher is a new module plus one line below.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from wildtrace.scan.result import ScanResult

Enricher = Callable[[ScanResult], None]

#: name -> "module:function" (imported lazily)
ENRICHERS: dict[str, str] = {
    "zoonotic": "wildtrace.zoonotic.profile:enrich",
}


def load(names: list[str] | None = None) -> list[Enricher]:
    """The enrichers with these names (default: all registered), in registration order."""
    out: list[Enricher] = []
    for name, target in ENRICHERS.items():
        if names is not None and name not in names:
            continue
        module_name, _, func = target.partition(":")
        module = importlib.import_module(module_name)
        if hasattr(module, "warm"):
            module.warm()  # load its data now, at start-up, not on the first listing
        out.append(getattr(module, func))
    return out
