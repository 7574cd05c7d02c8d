"""The one formula guard for CSV cells: text a spreadsheet shows as text and never runs.

Every CSV the project writes (scan results, term lists, graph tables, takedown lists, the
workbench's exports, patrol tables) passes its text cells through ``safe_cell``. It lives at the
bottom of the package so every layer can use it (the scan's writers and the patrol tables alike).
"""

from __future__ import annotations

from typing import Any

#: Spreadsheet programs run cells that start with these: neutralise them in CSV.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Spreadsheets hold at most 32,767 characters per cell; longer text is cut (JSON Lines keeps it).
MAX_CSV_CELL = 32_000


def safe_cell(value: Any) -> str:
    """The one formula guard: a CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    if len(text) > MAX_CSV_CELL:
        text = text[:MAX_CSV_CELL] + "…"
    if text.startswith(FORMULA_START):
        return "'" + text
    return text
