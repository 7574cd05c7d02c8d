"""Moved to ``wildtrace.taxa.refdata``; this name stays while the move settles (issue 22)."""

import sys

import wildtrace.taxa.refdata as _moved
from wildtrace.taxa.refdata import *  # noqa: F403

sys.modules[__name__] = _moved
