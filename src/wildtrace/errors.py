"""One exception family for the whole package.

- ``InvalidRecord``: one input record is bad. Skip it, report it, go on.
- ``DataError``: the run cannot go on (unreadable reference data, bad option).

The CLI turns any ``WildTraceError`` into one line on stderr and an exit code;
the HTTP API turns it into one JSON error shape.
"""

from __future__ import annotations


class WildTraceError(Exception):
    """Base class of every error WildTrace raises on purpose."""

    exit_code = 1


class InvalidRecord(WildTraceError):
    """A single input record cannot be used. The batch goes on."""

    def __init__(self, reason: str, *, line: int | None = None, record_id: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.record_id = record_id


class DataError(WildTraceError):
    """Input or reference data that stops the run (not a single bad record)."""


class ConfigError(WildTraceError):
    """A setting or option has a value WildTrace cannot use."""

    exit_code = 2
