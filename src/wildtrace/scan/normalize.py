"""Moved to ``wildtrace.text.normalize``; this name stays while the move settles (issue 22)."""

import sys

import wildtrace.text.normalize as _moved
from wildtrace.text.normalize import *  # noqa: F403

sys.modules[__name__] = _moved
