"""The bookkeeping of a trade load: what happened to each file (``FileLoad``), its row in
``loads`` (hash, counts, citation, tool, time), its rejected rows in ``rejects`` (with the raw
text of the row) and its warning counts in ``warnings``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from wildtrace import __version__, clock
from wildtrace.trade import origin, schema
from wildtrace.trade.inputs import MAX_LINE_BYTES
from wildtrace.trade.stage import q, stage
from wildtrace.trade.transform import OK, READS_FILE

TOOL = f"wildtrace.trade.load {__version__}"

CITATIONS = {
    schema.BULK: "CITES Trade Database, compiled by UNEP-WCMC for the CITES Secretariat, Geneva, "
                 "Switzerland. Available at trade.cites.org. File {name} (sha256 {sha}), loaded {date}.",
    schema.COMPTAB: "CITES Trade Database comparative tabulation, compiled by UNEP-WCMC for the CITES "
                    "Secretariat, Geneva, Switzerland. Available at trade.cites.org. File {name} "
                    "(sha256 {sha}), loaded {date}.",
    schema.LEMIS: "US Fish and Wildlife Service LEMIS data as cleaned by Eskew et al. (2020), "
                  "Sci. Data 7:22, doi:10.1038/s41597-020-0354-5 (MIT licence). File {name} "
                  "(sha256 {sha}), loaded {date}.",
}
#: the citation of a file ``wildtrace trade synth`` made: never the CITES Trade Database's
SYNTHETIC_CITATION = ("Synthetic data made by {made_by} (seed {seed}) in the {layout} layout: invented records "
                      "with injected anomalies, not CITES Trade Database or LEMIS data; not to be cited as a "
                      "source of trade figures. File {name} (sha256 {sha}), loaded {date}.")
LAYOUTS = {schema.BULK: "CITES bulk download", schema.COMPTAB: "CITES comparative tabulation",
           schema.LEMIS: "LEMIS"}

#: Code columns checked against ``known_codes``: (column, code table)
CODE_FIELDS = (("purpose", "purpose"), ("source", "source"), ("importer", "party"),
               ("exporter", "party"), ("origin", "party"))


@dataclass
class FileLoad:
    """What happened to one input file."""

    path: str
    member: str | None
    sha256: str
    status: str  # loaded | unchanged | empty | skipped (not trade data) | rejected
    format: str | None = None
    header_style: str | None = None
    delimiter: str | None = None
    reason: str | None = None
    rows_in: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    records_written: int = 0
    reject_reasons: dict[str, int] = field(default_factory=dict)
    warnings: dict[str, int] = field(default_factory=dict)
    citation: str | None = None
    load_id: int | None = None
    origin: str | None = None

    @property
    def name(self) -> str:
        return f"{self.path}!{self.member}" if self.member else self.path

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def cite(self, fmt: str, synthetic: dict[str, Any] | None = None) -> None:
        """The citation of the file's source (``synthetic``: the ``trade synth`` manifest that lists
        it, see ``origin.py``), its name, hash and today's date (the clock's)."""
        name = Path(self.member or self.path).name
        if synthetic is not None:
            self.origin = origin.SYNTHETIC
            self.citation = SYNTHETIC_CITATION.format(
                made_by=synthetic.get("made_by", "wildtrace trade synth"), seed=synthetic.get("seed", "?"),
                layout=LAYOUTS[fmt], name=name, sha=self.sha256[:16], date=clock.today())
            return
        self.origin = origin.REAL[fmt]
        self.citation = CITATIONS[fmt].format(name=name, sha=self.sha256[:16], date=clock.today())


def log(con: duckdb.DuckDBPyConnection, res: FileLoad) -> None:
    """The file's row in ``loads``."""
    con.execute(
        "INSERT INTO loads (load_id, path, member, sha256, format, header_style, status, reason, rows_in, "
        "rows_loaded, rows_rejected, records_written, warnings, citation, tool_version, loaded_at, origin) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [res.load_id, res.path, res.member, res.sha256, res.format, res.header_style, res.status,
         res.reason, res.rows_in, res.rows_loaded, res.rows_rejected, res.records_written,
         sum(res.warnings.values()), res.citation, TOOL, clock.now().replace(tzinfo=None), res.origin])


def format_warnings(con: duckdb.DuckDBPyConnection, fmt: str, load_id: int) -> None:
    """Warnings of a format's own: LEMIS partners given as NA; rows identical to an earlier
    row where rows have no record id (kept: they can be separate records)."""
    if fmt == schema.LEMIS:
        con.execute(f"""INSERT INTO warnings SELECT {load_id},
            'country_imp_exp is NA: the partner is unknown (missing, or Namibia: ambiguous in LEMIS)', NULL,
            count(*), min(_row) FROM tx WHERE {OK} AND (importer IS NULL OR exporter IS NULL) HAVING count(*) > 0""")
    if fmt != schema.BULK:
        dup = con.execute(f"SELECT count(*), min(_row) FROM tx WHERE _dup > 1 AND {OK}").fetchall()[0]
        if dup and dup[0]:
            why = ("LEMIS line items have no record id" if fmt == schema.LEMIS else
                   "comparative tabulation rows have no record id; the real downloads hold such pairs")
            con.execute("INSERT INTO warnings VALUES (?, ?, NULL, ?, ?)",
                        [load_id, f"row identical to an earlier row (kept: {why})", dup[0], dup[1]])


def rejects(con: duckdb.DuckDBPyConnection, fmt: str, load_id: int, header: list[str], local: Path,
            delim: str) -> None:
    """The rejected rows of ``tx`` with their reason and raw text, and the malformed CSV lines
    (CITES bulk: ``bulk_rejects``)."""
    raw = "json_object(" + ", ".join(f"{q(h)}, c{i}" for i, h in enumerate(header)) + ")"
    if fmt not in READS_FILE:
        con.execute(f"""INSERT INTO rejects SELECT {load_id}, tx._row, NULL, reason, {raw}
            FROM tx JOIN st USING (_row) WHERE reason IS NOT NULL""")
    malformed(con, load_id)


def bulk_rejects(con: duckdb.DuckDBPyConnection, load_id: int, header: list[str], local: Path,
                 delim: str) -> int:
    """Move the rows of a bulk load that a check rejected (their reason in ``dataset``, see
    ``transform.insert_bulk``) from ``records`` to ``rejects``, with their raw text (the file
    read again, only when there are any), and store the malformed CSV lines; return how many
    rows were moved."""
    bad = f"load_id = {int(load_id)} AND dataset <> '{schema.BULK}'"
    table = schema.records_table(schema.BULK)
    n = int(con.execute(f"SELECT count(*) FROM {table} WHERE {bad}").fetchall()[0][0])
    if n:
        raw = "json_object(" + ", ".join(f"{q(h)}, c{i}" for i, h in enumerate(header)) + ")"
        stage(con, local, header, delim, rejects="rj_raw")
        con.execute(f"""INSERT INTO rejects SELECT {load_id}, r."row", NULL, r.dataset, {raw}
            FROM {table} r JOIN st ON st._row = r."row" WHERE r.{bad} ORDER BY r."row" """)
        con.execute(f"DELETE FROM {table} WHERE {bad}")
    malformed(con, load_id)
    return n


def malformed(con: duckdb.DuckDBPyConnection, load_id: int) -> None:
    """The malformed CSV lines the reader skipped (``rj_errors``), one reject each, but for the
    lines already rejected by number (``line_rejects``: too long, say; the reader skips those
    too, and a line is one reject). An error of the whole line (no column: a line over
    DuckDB's ``max_line_size``) names the reason when the line has no column's."""
    con.execute(f"""INSERT INTO rejects SELECT {load_id}, NULL, line,
        'malformed CSV line: ' || lower(coalesce(arg_min(error_type::VARCHAR, column_idx), min(error_type::VARCHAR))),
        any_value(csv_line)
        FROM rj_errors WHERE line NOT IN (SELECT line FROM rejects WHERE load_id = {int(load_id)} AND "row" IS NULL
                                          AND line IS NOT NULL)
        GROUP BY line""")


def line_rejects(con: duckdb.DuckDBPyConnection, load_id: int, found: list[tuple[int, str, bytes]]) -> None:
    """Lines the load rejects by number, before the reader's own rejects (``malformed``): (line,
    reason, its first bytes)."""
    for line, reason, head in found:
        con.execute("INSERT INTO rejects VALUES (?, NULL, ?, ?, ?)",
                    [load_id, line, reason, head.decode("utf-8", "replace")])


def long_lines(found: list[tuple[int, int, bytes]]) -> list[tuple[int, str, bytes]]:
    """Lines too long to be records (DuckDB skips those of 33 MB and more silently; it is told
    to skip the others, see ``stage.read_csv``), as ``line_rejects`` takes them."""
    return [(line, f"line is {size:,} bytes long, over the limit of {MAX_LINE_BYTES:,}", head)
            for line, size, head in found]


def code_warnings(con: duckdb.DuckDBPyConnection, fmt: str, load_id: int) -> None:
    """Unknown codes and words (kept as written) and unknown parties, counted per value. A bulk
    load's are counted over its records (inserted and settled), the others' over ``tx``."""
    bulk = fmt == schema.BULK
    rows, row, ok = ("records", '"row"', f"load_id = {int(load_id)}") if bulk else ("tx", "_row", OK)
    # every code column counted in one scan (the rows' distinct code tuples, then grouping sets
    # over those; one query per column cost five scans), then the values no code table knows
    # kept, column by column as before
    names = [col for col, _ in CODE_FIELDS]
    which = "CASE " + " ".join(f"WHEN grouping({c}) = 0 THEN {i}" for i, c in enumerate(names)) + " END"
    tables = ", ".join(f"({i}, {q(c)}, {q(t)})" for i, (c, t) in enumerate(CODE_FIELDS))
    tuples = f"""SELECT {", ".join(names)}, count(*) AS n, min({row}) AS first FROM {rows} WHERE {ok}
                 GROUP BY ALL"""
    con.execute(f"""INSERT INTO warnings SELECT {load_id}, 'unknown ' || f.col || ' code', g.value, g.n, g.first
        FROM (SELECT {which} AS i, coalesce({", ".join(names)}) AS value, sum(n)::BIGINT AS n, min(first) AS first
              FROM ({tuples}) GROUP BY GROUPING SETS ({", ".join(f"({c})" for c in names)})) g
        JOIN (VALUES {tables}) f(i, col, tab) USING (i)
        WHERE g.value IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM known_codes k WHERE k.field = f.tab AND k.code = g.value)
        ORDER BY g.i, g.value""")
    if fmt != schema.LEMIS:  # LEMIS uses its own description and unit codes
        for col in ("term", "unit"):
            known = (f"JOIN words_seen w ON w.field = '{col}' AND w.raw = r.{col}_raw WHERE r.{ok} AND NOT w.known"
                     if bulk else f"WHERE {ok} AND NOT {col}_known")
            con.execute(f"""INSERT INTO warnings SELECT {load_id}, 'unknown {col} (kept as written)', {col}_raw,
                count(*), min({row}) FROM {rows} r {known} GROUP BY {col}_raw""")
        con.execute(f"""INSERT INTO warnings SELECT {load_id}, 'importer or exporter unknown (blank or XX)', NULL,
            count(*), min({row}) FROM {rows} WHERE {ok} AND (importer IS NULL OR exporter IS NULL)
            HAVING count(*) > 0""")


def count(con: duckdb.DuckDBPyConnection, res: FileLoad, load_id: int,
          bulk_rejected: int | None = None) -> None:
    """The file-level warnings stored, then the load's counts, reject reasons and warnings read
    back onto ``res`` (most frequent first; ties by name, so any thread count gives one order).
    A bulk load's rows are its records and the ``bulk_rejected`` it moved."""
    for reason, value in res.warnings.items():
        con.execute("INSERT INTO warnings VALUES (?, ?, NULL, ?, NULL)", [load_id, reason, value])
    written = con.execute("SELECT count(*) FROM records WHERE load_id = ?", [load_id]).fetchall()[0]
    res.records_written = int(written[0]) if written else 0
    if bulk_rejected is not None:
        counts: tuple[int, int] | None = (res.records_written, bulk_rejected)
    else:
        counts = con.execute(f"""SELECT count(*) FILTER (WHERE {OK}), count(*) FILTER (WHERE NOT {OK})
                                 FROM tx""").fetchall()[0]
    assert counts is not None
    # lines rejected whole (the reader's malformed lines, those rejected by number): one each
    malformed = con.execute(f"""SELECT count(DISTINCT line) FROM rejects WHERE load_id = {int(load_id)}
        AND "row" IS NULL""").fetchall()[0]
    res.rows_loaded = int(counts[0])
    res.rows_rejected = int(counts[1]) + int(malformed[0] if malformed else 0)
    res.rows_in = res.rows_loaded + res.rows_rejected
    res.reject_reasons = dict(con.execute(
        "SELECT reason, count(*) FROM rejects WHERE load_id = ? GROUP BY 1 ORDER BY 2 DESC, 1",
        [load_id]).fetchall())
    res.warnings = {(r if v is None else f"{r}: {v}"): int(n) for r, v, n in con.execute(
        "SELECT reason, value, n FROM warnings WHERE load_id = ? ORDER BY n DESC, reason, value",
        [load_id]).fetchall()}
