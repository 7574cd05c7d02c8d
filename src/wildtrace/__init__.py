"""WildTrace: find, explain and rank wildlife-trade offers in online listings, offline.

The library is the product; the CLI, HTTP API and web UI are thin adapters over it::

    from wildtrace.scan import scan
    for result in scan([{"id": "1", "title": "Vảy tê tê giá tốt, liên hệ Zalo"}]):
        print(result.verdict, result.risk_score, result.reasons)

Names below are imported on first use (PEP 562), so ``import wildtrace`` and
``wildtrace --help`` stay fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from wildtrace.errors import ConfigError, DataError, InvalidRecord, WildTraceError
    from wildtrace.scan.listing import Listing
    from wildtrace.scan.readers import Reject, read_listings
    from wildtrace.scan.result import ScanResult
    from wildtrace.scan.scanner import Scanner
    from wildtrace.settings import Settings

_LAZY = {
    "ConfigError": "wildtrace.errors", "DataError": "wildtrace.errors", "InvalidRecord": "wildtrace.errors",
    "WildTraceError": "wildtrace.errors", "Listing": "wildtrace.scan.listing",
    "Reject": "wildtrace.scan.readers", "read_listings": "wildtrace.scan.readers",
    "ScanResult": "wildtrace.scan.result", "Scanner": "wildtrace.scan.scanner",
    "Settings": "wildtrace.settings",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'wildtrace' has no attribute {name!r}")


__all__ = ["ConfigError", "DataError", "InvalidRecord", "Listing", "Reject", "ScanResult", "Scanner",
           "Settings", "WildTraceError", "__version__", "read_listings"]
