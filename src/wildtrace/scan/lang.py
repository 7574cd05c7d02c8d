"""Moved to ``wildtrace.text.lang``; this name stays while the move settles (issue 22)."""

import sys

import wildtrace.text.lang as _moved
from wildtrace.text.lang import *  # noqa: F403

sys.modules[__name__] = _moved
