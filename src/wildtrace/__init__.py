"""WildTrace: find, explain and rank wildlife-trade offers in online listings, offline.

The library is the product; the CLI is a thin adapter over it::

    from wildtrace import scan
    for result in scan([{"id": "1", "title": "Vảy tê tê giá tốt, liên hệ Zalo"}]):
        print(result.verdict, result.risk_score, result.reasons)
"""

from __future__ import annotations

from .errors import ConfigError, DataError, InvalidRecord, WildTraceError
from .listing import Listing
from .readers import Reject, read_listings
from .result import ScanResult
from .scan import Scanner, scan
from .settings import Settings

__version__ = "0.1.0"

__all__ = [
    "ConfigError", "DataError", "InvalidRecord", "Listing", "Reject", "ScanResult", "Scanner",
    "Settings", "WildTraceError", "__version__", "read_listings", "scan",
]
