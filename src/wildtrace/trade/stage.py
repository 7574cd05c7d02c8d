"""A trade file staged in DuckDB for one load: its rows as text (``st``, numbered as in the
file), malformed lines (``rj_errors``), the CITES codes the warnings compare with
(``known_codes``) and each distinct term and unit word mapped to its code (``words_map``;
for CITES bulk files ``words_seen``, every word the connection has resolved).

These are temporary tables of the load's connection; ``drop`` removes the per-file ones after
each file (``known_codes`` and ``words_seen`` stay with the connection).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from wildtrace.trade.codes import load_codes
from wildtrace.trade.inputs import MAX_LINE_BYTES

#: The temporary tables and views one file's load makes (dropped after it, whatever happened).
TEMP = ("st", "st_rows", "tx", "tx_rows", "tx0", "dups", "rj_errors", "rj_scans", "rj_errors_raw", "rj_scans_raw",
        "words_map")


def q(s: str) -> str:
    """``s`` as an SQL string literal."""
    return "'" + s.replace("'", "''") + "'"


def ensure_known_codes(con: duckdb.DuckDBPyConnection) -> None:
    """``known_codes (field, code)``: every purpose, source, term, unit and party code, once per
    connection."""
    codes = load_codes()
    rows = [(f, c) for f in ("purpose", "source", "term", "unit", "party") for c in codes.known(f)]
    con.execute("CREATE TEMP TABLE IF NOT EXISTS known_codes (field VARCHAR, code VARCHAR)")
    if con.execute("SELECT count(*) FROM known_codes").fetchall()[0][0] == 0:  # one statement, not one per code
        con.execute("INSERT INTO known_codes SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[])",
                    [[f for f, _ in rows], [c for _, c in rows]])


def row_number(con: duckdb.DuckDBPyConnection, table: str, alias: str) -> str:
    """SQL for the row number of a staged row: its rowid counted from the table's first, plus 1
    (the first rowid is read once: a constant in the views that use it)."""
    first = con.execute(f"SELECT coalesce(min(rowid), 0) FROM {table}").fetchall()[0][0]
    return f"({alias}.rowid - {int(first)} + 1)"


def drop(con: duckdb.DuckDBPyConnection, names: tuple[str, ...] = TEMP) -> None:
    """Drop these temporary tables and views, whichever each is."""
    views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE temporary").fetchall()}
    for name in names:
        con.execute(f"DROP {'VIEW' if name in views else 'TABLE'} IF EXISTS {name}")


def read_csv(local: Path, header: list[str], delim: str, *, store_rejects: bool = True,
             rejects: str = "rj") -> str:
    """The file as text columns c0..cN, malformed lines skipped (and, with ``store_rejects``,
    listed in ``{rejects}_errors``). Read again for the raw text of rejected rows, it stores its
    malformed lines apart (``rejects="rj_raw"``): without store_rejects DuckDB stops at some
    malformed lines instead of skipping them, and the rows after them would lose their text.
    A line longer than ``MAX_LINE_BYTES`` is skipped (DuckDB's limit counts a CR and the line
    end: one more byte than ``inputs.long_lines``, which finds them to reject them): otherwise
    the reader parsed one of up to 2 MB as a row, and the line was both loaded and rejected."""
    cols = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header)))
    rejects = (f"store_rejects=true, rejects_table='{rejects}_errors', rejects_scan='{rejects}_scans', "
               if store_rejects else "")
    return (f"""read_csv({q(str(local))}, header=true, auto_detect=false, delim={q(delim)}, quote='"',
                      escape='"', columns={{{cols}}}, {rejects}ignore_errors=true, encoding='utf-8',
                      max_line_size={MAX_LINE_BYTES + 1})""")


def stage(con: duckdb.DuckDBPyConnection, local: Path, header: list[str], delim: str,
          *, store_rejects: bool = True, rejects: str = "rj") -> None:
    """The file's rows as text, ``st``, with ``_row`` their number in the file (1 = the first
    record). The table keeps the file's order (insertion order is preserved), so ``_row`` is
    its rowid counted from the table's first: no serial row_number() pass (it cost a quarter of
    the staging). (Inside a transaction rowids start at 2**55, hence the offset.)"""
    con.execute("SET preserve_insertion_order = true")
    con.execute(f"CREATE TEMP TABLE st_rows AS SELECT * FROM {read_csv(local, header, delim, store_rejects=store_rejects, rejects=rejects)}")
    con.execute(f"CREATE TEMP VIEW st AS SELECT {row_number(con, 'st_rows', 'st_rows')} AS _row, * FROM st_rows")


def words_map(con: duckdb.DuckDBPyConnection, mapping: dict[str, int], source: str = "st",
              columns: dict[str, str] | None = None) -> None:
    """Each distinct term and unit of the file, as written, -> its CITES code: resolved once per
    value in Python (``codes.resolve``: codes, or English, French and Spanish words), joined in SQL."""
    codes = load_codes()
    found: list[tuple[str, str, str | None, bool]] = []
    for name in ("term", "unit"):
        if name in mapping:
            col = (columns or {}).get(name) or f"trim(c{mapping[name]})"
            for (raw,) in con.execute(f"SELECT DISTINCT {col} FROM {source} WHERE nullif({col}, '') IS NOT NULL").fetchall():
                code, known = codes.resolve(name, raw)
                found.append((name, raw, code, known))
    con.execute("CREATE OR REPLACE TEMP TABLE words_map (field VARCHAR, raw VARCHAR, code VARCHAR, known BOOLEAN)")
    if found:
        con.executemany("INSERT INTO words_map VALUES (?, ?, ?, ?)", found)


def ensure_words(con: duckdb.DuckDBPyConnection) -> None:
    """``words_seen (field, raw, code, known)``: terms and units as written -> their code, once per
    connection, seeded with each code and its description as files write them ("live", "Live",
    "kg"), each resolved by ``codes.resolve`` like any word; ``add_words`` adds what files bring."""
    con.execute("CREATE TEMP TABLE IF NOT EXISTS words_seen (field VARCHAR, raw VARCHAR, code VARCHAR, known BOOLEAN)")
    if con.execute("SELECT count(*) FROM words_seen").fetchall()[0][0] == 0:
        codes = load_codes()
        seeds: set[tuple[str, str]] = set()
        for name in ("term", "unit"):
            for code, text in getattr(codes, name).items():
                for s in (code, code.lower(), text, text.lower(), text.upper(), text.capitalize(), text.title()):
                    if s.strip() == s and s:
                        seeds.add((name, s))
            seeds.add((name, "Number of specimens"))
        add_words(con, sorted(seeds))


def add_words(con: duckdb.DuckDBPyConnection, pairs: list[tuple[str, str]]) -> None:
    """Resolve (field, raw) pairs with ``codes.resolve`` into ``words_seen``."""
    codes = load_codes()
    rows = [(f, raw, *codes.resolve(f, raw)) for f, raw in pairs]
    if rows:  # one statement (executemany ran one per row: 80 ms for the seeds)
        con.execute("INSERT INTO words_seen SELECT unnest(?::VARCHAR[]), unnest(?::VARCHAR[]), "
                    "unnest(?::VARCHAR[]), unnest(?::BOOLEAN[])", [list(col) for col in zip(*rows, strict=True)])


#: at most this many words go into one lookup (the SQL names each one); past it, ``seen_codes``
#: gives no lookup and the rows are coded by a join after the insert, as new words are
MAX_LOOKUP = 5000


def seen_codes(con: duckdb.DuckDBPyConnection, field: str, raw: str) -> tuple[str, set[str]]:
    """SQL for the code of ``raw`` (a term or unit as written) among the words the connection has
    resolved (``words_seen``), and the words it knows. The lookup is an ENUM cast of the word (a
    hash lookup) indexing the list of their codes: no join, so an insert that uses it keeps the
    file's order (and no UPDATE joins every row afterwards). A word it does not know gives NULL;
    with more than ``MAX_LOOKUP`` words it knows none."""
    found = con.execute("SELECT raw, code FROM words_seen WHERE field = ? ORDER BY raw", [field]).fetchall()
    if not found or len(found) > MAX_LOOKUP:
        return "NULL::VARCHAR", set()
    words = ", ".join(q(r) for r, _ in found)
    codes = ", ".join("NULL" if c is None else q(c) for _, c in found)
    return (f"([{codes}]::VARCHAR[])[enum_code(TRY_CAST({raw} AS ENUM({words}))) + 1]",
            {str(r) for r, _ in found})
