"""Evidence: capture listing pages (WARC), a hash-chained custody log, and verification."""

from wildtrace.evidence.capture import Capture, CaptureOptions, Capturer, Target, targets_from_scan
from wildtrace.evidence.custody import CustodyLog
from wildtrace.evidence.verify import Problem, Report, verify

__all__ = ["Capture", "CaptureOptions", "Capturer", "CustodyLog", "Problem", "Report", "Target",
           "targets_from_scan", "verify"]
