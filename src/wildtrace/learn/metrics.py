"""The learn report's names for the metrics in ``wildtrace.metrics`` (kept for older imports).

``compute`` is ``wildtrace.metrics.summary`` and ``bootstrap`` its group-bootstrap intervals,
``wildtrace.metrics.summary_ci``. New code imports ``wildtrace.metrics``.
"""

from __future__ import annotations

from wildtrace.metrics import BUDGETS, best_f1_threshold, with_ci
from wildtrace.metrics import SUMMARY as METRICS
from wildtrace.metrics import summary as compute
from wildtrace.metrics import summary_ci as bootstrap

__all__ = ["BUDGETS", "METRICS", "best_f1_threshold", "bootstrap", "compute", "with_ci"]
