"""Evidence: capture listing pages (WARC), a hash-chained custody log, and verification."""

from .capture import Capture, CaptureOptions, Capturer, Target, targets_from_scan
from .custody import CustodyLog
from .verify import Problem, Report, verify

__all__ = ["Capture", "CaptureOptions", "Capturer", "CustodyLog", "Problem", "Report", "Target",
           "targets_from_scan", "verify"]
