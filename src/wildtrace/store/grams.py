"""Short CJK and Thai search keys: the characters and character pairs of a listing's search text
that full-text trigram indexes cannot look up (a 2-character query such as 象牙 is below their
3-character minimum, so it used to scan every row with LIKE).

``grams(text)``: every character of the scripts written without spaces (CJK ideographs, kana,
Hangul, Thai) and every pair of two such characters side by side, each once. A query of one or
two such characters is in a text exactly when it is one of the text's grams (these scripts have
no case, so LIKE and ILIKE agree). Revision 0014 keeps them: on SQLite in ``queue_grams`` (one
row per gram and queue row, written by triggers that call ``wildtrace_grams``, registered on
every connection by ``wildtrace.store.db``); on PostgreSQL in a GIN index over the same
function written in SQL (``PG_FUNCTION``), kept by PostgreSQL itself.
"""

from __future__ import annotations

import re
import sqlite3

import orjson

#: Code point ranges indexed: Thai, kana, CJK extension A, CJK unified ideographs, Hangul.
RANGES = ((0x0E00, 0x0E7F), (0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7AF))
_CLASS = "".join(f"{chr(a)}-{chr(b)}" for a, b in RANGES)
_RUN = re.compile(f"[{_CLASS}]+")
#: The SQL function's name on both backends.
FUNCTION = "wildtrace_grams"

#: The same function in PostgreSQL (IMMUTABLE, so an expression index may use it): a text array.
PG_FUNCTION = (
    f"CREATE OR REPLACE FUNCTION {FUNCTION}(t text) RETURNS text[] LANGUAGE sql IMMUTABLE STRICT "
    "PARALLEL SAFE AS $$ SELECT coalesce(array_agg(DISTINCT g), '{}') FROM ("
    " SELECT substr(r[1], i, n) AS g FROM regexp_matches(t, '["
    + "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in RANGES)
    + "]+', 'g') AS r, generate_series(1, 2) AS n, generate_series(1, length(r[1]) - n + 1) AS i"
    ") s $$"
)


def grams(text: str) -> set[str]:
    """The characters and adjacent pairs of ``text`` in the indexed scripts."""
    out: set[str] = set()
    for run in _RUN.findall(text):
        out.update(run)
        out.update(run[i:i + 2] for i in range(len(run) - 1))
    return out


def servable(query: str) -> bool:
    """Whether the gram index answers ``query``: one or two characters, all indexed."""
    return 1 <= len(query) <= 2 and _RUN.fullmatch(query) is not None


def sqlite_grams(text: str | None) -> str:
    """``grams`` as a JSON array (what SQLite's ``json_each`` reads in the triggers)."""
    return orjson.dumps(sorted(grams(text or ""))).decode() if text else "[]"


def register(connection: sqlite3.Connection) -> None:
    """Make ``wildtrace_grams`` callable on a SQLite connection (deterministic: the same text
    always gives the same grams)."""
    connection.create_function(FUNCTION, 1, sqlite_grams, deterministic=True)
