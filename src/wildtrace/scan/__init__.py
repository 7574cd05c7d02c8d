"""The scan pipeline: listings in, ScanResults and Rejects out. Imports neither store nor learn.

``scan`` and ``Scanner`` are imported on first use, so that importing one stage
(``wildtrace.scan.result``) does not load the reference data.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wildtrace.scan.scanner import Scanner, scan


def __getattr__(name: str) -> Any:
    if name in ("scan", "Scanner"):
        return getattr(importlib.import_module("wildtrace.scan.scanner"), name)
    raise AttributeError(f"module 'wildtrace.scan' has no attribute {name!r}")


__all__ = ["Scanner", "scan"]
