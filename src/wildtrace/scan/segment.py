"""Moved to ``wildtrace.text.segment``; this name stays while the move settles (issue 22)."""

import sys

import wildtrace.text.segment as _moved
from wildtrace.text.segment import *  # noqa: F403

sys.modules[__name__] = _moved
