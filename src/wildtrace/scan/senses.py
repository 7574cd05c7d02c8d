"""Moved to ``wildtrace.taxa.senses``; this name stays while the move settles (issue 22)."""

import sys

import wildtrace.taxa.senses as _moved
from wildtrace.taxa.senses import *  # noqa: F403

sys.modules[__name__] = _moved
