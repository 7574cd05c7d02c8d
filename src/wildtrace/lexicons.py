"""The terms analysts add, handed to the scanner: the registry entry ``plugins.lexicons["local"]``.

It sits above both the scan (which may not import the store) and the store (which keeps the
lexicon's change log, ``store/lexicon.py``), as the ingest pipeline does. Without a database file
and without a legacy log there is no local lexicon: ``([], {}, {})``, and neither SQLAlchemy nor a
database is touched (a one-listing scan stays fast). On an install without the ``store`` extra,
the legacy JSON Lines log is read directly.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from wildtrace.scan.locallex import ForScan, for_scan
from wildtrace.settings import Settings


def local(settings: Settings) -> ForScan:
    """(lexicon entries, code words, provenance stamp) of the local lexicon the settings name."""
    target, log = settings.db_target, settings.local_lexicon
    if isinstance(target, Path) and not target.exists() and not log.exists():
        return [], {}, {}
    if importlib.util.find_spec("sqlalchemy") is None:  # the core install: no store, the log alone
        return for_scan(log)
    from wildtrace.store.lexicon import LocalLexicon

    with LocalLexicon(target, legacy=log) as lexicon:
        return lexicon.for_scan()
