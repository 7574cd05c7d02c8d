"""``python -m wildtrace.cli``: the ``wildtrace`` command (``monitor schedule`` starts each pass so)."""

from wildtrace.cli import main

main()
