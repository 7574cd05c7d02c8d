"""Moved to ``wildtrace.taxa.checklist``; this name stays while the move settles (issue 22)."""

import sys

import wildtrace.taxa.checklist as _moved
from wildtrace.taxa.checklist import *  # noqa: F403

sys.modules[__name__] = _moved
