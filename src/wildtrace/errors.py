"""The one exception family of the package: every error WildTrace raises on purpose.

- ``InvalidRecord``: one input record is bad. Skip it, report it, go on.
- ``DataError``: the run cannot go on (unreadable reference data or input file).
- ``ConfigError``: a setting or option the user gave has a value WildTrace cannot use (exit 2).
- ``NotFound``: the listing, case, user or file named does not exist (exit 2; HTTP 404).
- ``Invalid``: a value the caller gave cannot be accepted (unknown label, empty title; exit 2; HTTP 422).
- ``AuthError``: not logged in, or the session or token is no longer valid (HTTP 401).

The CLI turns any ``WildTraceError`` into one line on stderr and its ``exit_code``;
the HTTP API turns it into one JSON error shape (``web/errors.py``).
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


class NotFound(WildTraceError):
    """The listing, case, user or capture named does not exist."""

    exit_code = 2


class Invalid(WildTraceError):
    """A value the caller gave cannot be accepted (unknown label, empty title, weak password...)."""

    exit_code = 2


class AuthError(WildTraceError):
    """Not logged in (401): ``code`` says why (login_required, session_expired, bad_token)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message
