"""Cases: the one Case of an investigation and its operations.

- ``case``: the Case (a case in the store with its results, sellers, captures and network),
  ``find`` and ``load`` by name or id, and the import of legacy case folders;
- ``members``: create a case and add listings, scan results, sellers and captures to it (the CLI
  and the workbench call these same functions);
- ``export``: write a case in any registered format (the writers live in ``wildtrace.export``).

The rows belong to ``wildtrace.store.cases``.
"""

from __future__ import annotations

from wildtrace.cases.case import Case, find, import_legacy, load
from wildtrace.cases.export import export
from wildtrace.cases.members import add_captures, add_listings, add_results, add_sellers, create

__all__ = ["Case", "add_captures", "add_listings", "add_results", "add_sellers", "create", "export", "find",
           "import_legacy", "load"]
