"""The canonical trade schema: one DuckDB table of records for CITES and LEMIS rows,
plus the load log, per-row rejects and per-file warning counts.

The column names of each input format are data (``data/trade/headers.yaml``), matched on a
key that ignores case and punctuation, so ``Reporter.type`` and ``reporter_type`` (or
``Import.permit.RandomID`` and ``import_permit_random_id``) are the same column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb
import yaml

from wildtrace.errors import ConfigError, DataError, NotFound
from wildtrace.settings import PACKAGE_DATA

BULK = "cites_bulk"
COMPTAB = "cites_comptab"
LEMIS = "lemis"
HEADERS = PACKAGE_DATA / "trade" / "headers.yaml"


def header_key(name: str) -> str:
    """``Import.permit.RandomID`` and ``import_permit_random_id`` -> ``importpermitrandomid``."""
    return re.sub(r"[^a-z0-9]", "", name.strip().lower())


@dataclass(frozen=True)
class Format:
    """One input format: canonical column -> its names, and the columns a file must have."""

    name: str
    columns: dict[str, list[str]]
    required: tuple[str, ...]

    def keys(self) -> dict[str, str]:
        """Header key -> canonical column (the first name listed wins a clash)."""
        out: dict[str, str] = {}
        for canon, names in self.columns.items():
            for n in [canon, *names]:
                out.setdefault(header_key(n), canon)
        return out

    def header(self) -> dict[str, str]:
        """Canonical column -> the name the official download writes (the first listed)."""
        return {canon: names[0] for canon, names in self.columns.items()}


@lru_cache(maxsize=1)
def formats(path: Path = HEADERS) -> tuple[dict[str, Format], int]:
    """The formats of ``headers.yaml`` and the fewest known names a trade file has."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        out = {name: Format(name, {c: [str(n) for n in names] for c, names in f["columns"].items()},
                            tuple(f["required"]))
               for name, f in doc["formats"].items()}
        for f in out.values():
            missing = set(f.required) - set(f.columns)
            if missing:
                raise DataError(f"{path}: format {f.name} requires unknown columns {sorted(missing)}")
        return out, int(doc["min_known"])
    except (OSError, KeyError, TypeError, yaml.YAMLError) as exc:
        raise DataError(f"cannot read the trade header table {path}: {exc}") from exc


@lru_cache(maxsize=1)
def not_records(path: Path = HEADERS) -> dict[str, tuple[frozenset[str], str]]:
    """Downloads that hold no records: name -> (header keys they carry, why they are skipped)."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {name: (frozenset(header_key(c) for c in f["columns"]), " ".join(str(f["why"]).split()))
            for name, f in (doc.get("not_records") or {}).items()}


def records_free(header: list[str]) -> str | None:
    """Why a file with this header holds no records (a gross/net table), or None."""
    keys = [header_key(h) for h in header]
    for cols, why in not_records().values():
        rest = [k for k in keys if k not in cols]
        if cols <= set(keys) and rest and all(re.fullmatch(r"(19|20)\d\d", k) for k in rest):
            return why
    return None


#: Canonical column -> header in the CITES bulk download (title style), and the others
BULK_COLUMNS = formats()[0][BULK].header()
#: The same file with lower-case snake_case headers ("Export.permit.RandomID" -> "export_permit_random_id").
BULK_SNAKE = {k: re.sub(r"(?<=[a-z])(?=[A-Z])", "_", v).lower().replace(".", "_") for k, v in BULK_COLUMNS.items()}
COMPTAB_COLUMNS = formats()[0][COMPTAB].header()
LEMIS_COLUMNS = formats()[0][LEMIS].header()


def header_style(names: list[str]) -> str:
    """``title``, ``snake`` or ``mixed`` (both styles among multi-part or capitalised names)."""
    snake = [n for n in names if n == n.lower()]
    title = [n for n in names if n != n.lower()]
    if snake and title:
        return "mixed"
    return "snake" if snake else "title"


#: The LEMIS declaration and outcome fields (NULL for CITES rows), with their types
LEMIS_FIELDS: tuple[tuple[str, str], ...] = (
    ("control_number", "VARCHAR"), ("species_code", "VARCHAR"), ("value", "DOUBLE"), ("port", "VARCHAR"),
    ("shipment_date", "DATE"), ("import_export", "VARCHAR"), ("us_co", "VARCHAR"), ("foreign_co", "VARCHAR"),
    ("action", "VARCHAR"), ("disposition", "VARCHAR"), ("disposition_date", "DATE"), ("cleaning_notes", "VARCHAR"),
)
#: Every column of ``records``, in order, with its type
RECORD_COLUMNS: tuple[tuple[str, str], ...] = (
    ("record_id", "VARCHAR"), ("load_id", "INTEGER"), ('"row"', "BIGINT"), ("dataset", "VARCHAR"),
    ("year", "INTEGER"), ("appendix", "VARCHAR"), ("taxon", "VARCHAR"), ("class", "VARCHAR"), ('"order"', "VARCHAR"),
    ("family", "VARCHAR"), ("genus", "VARCHAR"), ("term", "VARCHAR"), ("quantity", "DOUBLE"), ("unit", "VARCHAR"),
    ("importer", "VARCHAR"), ("exporter", "VARCHAR"), ("origin", "VARCHAR"), ("purpose", "VARCHAR"),
    ("source", "VARCHAR"), ("reporter_type", "VARCHAR"), ("import_permit", "VARCHAR"), ("export_permit", "VARCHAR"),
    ("origin_permit", "VARCHAR"), *LEMIS_FIELDS,
    # the term and unit as the file wrote them (words or codes), and columns no format knows
    ("term_raw", "VARCHAR"), ("unit_raw", "VARCHAR"), ("extra", "VARCHAR"),
)
#: The LEMIS columns a CITES row never fills
LEMIS_ONLY = frozenset(name for name, _ in LEMIS_FIELDS)
#: Where the rows are (write to these; read the view ``records``, see ``views``):
#: CITES rows (bulk downloads and comparative tabulations) in ``records_cites``, which has no
#: LEMIS columns (DuckDB writes every column of every row it stores, an empty one too: the
#: twelve cost about 0.2 of the 1.4 CPU-s a 470,000-row bulk file took), and LEMIS rows in
#: ``records_full``, which also holds every row of a database made before the two were split
#: (its ``records`` table, renamed).
CITES_TABLE, FULL_TABLE = "records_cites", "records_full"
#: ``record_rows``: ``records`` with ``rid``, each row's identity, in the order the rows were
#: stored (``records_full``'s before ``records_cites``': a database made before the split holds
#: its older rows there). Analyses that pick a row by its order read it.
RID_OFFSET = 1 << 48


def views(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)make ``records`` and ``record_rows`` over the tables that hold rows (both when both
    do or neither does). A view over one table reads like the table; over a union, even with an
    empty side, routes, screen, spikes and reconcile ran 3-33 % slower in alternating runs (the
    planner losing the columns' statistics, it seems; not confirmed). Run when a database opens
    for writing and after each file's rows are written."""
    names = ", ".join(n for n, _ in RECORD_COLUMNS)
    cites = ", ".join(f"NULL::{t} AS {n}" if n in LEMIS_ONLY else n for n, t in RECORD_COLUMNS)
    held = {t: bool(con.execute(f"SELECT EXISTS (FROM {t})").fetchall()[0][0]) for t in (FULL_TABLE, CITES_TABLE)}
    both = held[FULL_TABLE] == held[CITES_TABLE]
    parts = [(names, FULL_TABLE, "rowid")] if both or held[FULL_TABLE] else []
    if both or held[CITES_TABLE]:
        parts.append((cites, CITES_TABLE, f"rowid + {RID_OFFSET}"))
    con.execute("CREATE OR REPLACE VIEW records AS " + " UNION ALL ".join(
        f"SELECT {cols} FROM {table}" for cols, table, _ in parts))
    con.execute("CREATE OR REPLACE VIEW record_rows AS " + " UNION ALL ".join(
        f"SELECT {rid} AS rid, {cols} FROM {table}" for cols, table, rid in parts))


RECORDS_DDL = f"""
CREATE TABLE IF NOT EXISTS {FULL_TABLE} ({", ".join(f"{n} {t}" for n, t in RECORD_COLUMNS)});
ALTER TABLE {FULL_TABLE} ADD COLUMN IF NOT EXISTS term_raw VARCHAR;
ALTER TABLE {FULL_TABLE} ADD COLUMN IF NOT EXISTS unit_raw VARCHAR;
ALTER TABLE {FULL_TABLE} ADD COLUMN IF NOT EXISTS extra VARCHAR;
CREATE TABLE IF NOT EXISTS {CITES_TABLE} ({", ".join(f"{n} {t}" for n, t in RECORD_COLUMNS if n not in LEMIS_ONLY)});
CREATE SEQUENCE IF NOT EXISTS load_ids START 1;
CREATE TABLE IF NOT EXISTS loads (
    load_id INTEGER PRIMARY KEY, path VARCHAR, member VARCHAR, sha256 VARCHAR, format VARCHAR,
    header_style VARCHAR, status VARCHAR, reason VARCHAR, rows_in BIGINT, rows_loaded BIGINT,
    rows_rejected BIGINT, records_written BIGINT, warnings BIGINT, citation VARCHAR,
    tool_version VARCHAR, loaded_at TIMESTAMP
);
-- where a file comes from: the CITES Trade Database, LEMIS or synthetic (trade/origin.py)
ALTER TABLE loads ADD COLUMN IF NOT EXISTS origin VARCHAR;
CREATE TABLE IF NOT EXISTS rejects (
    load_id INTEGER, "row" BIGINT, line BIGINT, reason VARCHAR, raw VARCHAR
);
CREATE TABLE IF NOT EXISTS warnings (
    load_id INTEGER, reason VARCHAR, value VARCHAR, n BIGINT, first_row BIGINT
);
"""


def records_table(fmt: str) -> str:
    """The table the rows of a format are written to (analyses read the view ``records``)."""
    return FULL_TABLE if fmt == LEMIS else CITES_TABLE


def _split_records(con: duckdb.DuckDBPyConnection) -> None:
    """A database made before the split has a ``records`` table: it becomes ``records_full``
    (its rows stay, in their order; ``records`` is then the view)."""
    kind = con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = 'records' "
                       "AND table_schema = 'main' AND table_catalog = current_database()").fetchall()
    if kind and kind[0][0] == "BASE TABLE":
        con.execute(f"ALTER TABLE records RENAME TO {FULL_TABLE}")


def connect(db: Path | str, *, memory_limit: str | None = "2GB", threads: int | None = None,
            read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (and create) the trade database. ``memory_limit`` bounds DuckDB; it spills
    to a temp folder beside the database instead of growing."""
    path = Path(db)
    _check_kind(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    # offline by design: DuckDB must never fetch an extension (it would, for a SQLite file)
    con = duckdb.connect(str(path), read_only=read_only,
                         config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    if memory_limit:
        con.execute(f"SET memory_limit='{memory_limit}'")
    if threads:
        con.execute(f"SET threads={int(threads)}")
    con.execute(f"SET temp_directory='{path.parent / (path.name + '.tmp')}'")
    if not read_only:
        _split_records(con)
        con.execute(RECORDS_DDL)
        views(con)
    elif not con.execute("SELECT 1 FROM duckdb_views() WHERE view_name = 'record_rows'").fetchall() \
            and holds_records(con):
        # a database made before the split, opened read-only: its rows' identities on the spot
        con.execute("CREATE TEMP VIEW record_rows AS SELECT rowid AS rid, * FROM records")
    return con


#: DuckDB's database files carry this at byte 8
DUCKDB_MAGIC = b"DUCK"


class NotATradeDatabase(ConfigError):
    """The file given as the trade database is something else (a SQLite store, a CSV...)."""


def _check_kind(path: Path) -> None:
    """A file that exists must be a DuckDB database: a SQLite file (the scan's database), a CSV or
    anything else is the user's mistake, one line, and is left untouched."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ConfigError(f"cannot read the trade database {path}: {exc.strerror or exc}") from exc
    if not head or head[8:12] == DUCKDB_MAGIC:
        return
    kind = "a SQLite database (the scan's store?)" if head.startswith(b"SQLite format 3") else "not a DuckDB file"
    raise NotATradeDatabase(f"{path} is {kind}, not a trade database; give --db a file made by `wildtrace trade load`")


def open_loaded(db: Path | str, **kwargs: object) -> duckdb.DuckDBPyConnection:
    """Open a trade database for analysis; a missing file or one with no loaded records is
    the user's mistake (one line, exit 2), never an empty database made on the spot."""
    path = Path(db)
    if not path.is_file():
        raise NotFound(f"no trade database at {path}; load files first: wildtrace trade load FILES --db {path}")
    try:
        con = connect(path, **kwargs)  # type: ignore[arg-type]
    except duckdb.Error as exc:
        raise DataError(f"cannot open the trade database {path}: {exc}") from exc
    if not con.execute("SELECT count(*) FROM records").fetchall()[0][0]:
        con.close()
        raise NotFound(f"the trade database {path} holds no trade records; load files first: "
                       f"wildtrace trade load FILES --db {path}")
    return con


def holds_records(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the database has been loaded (``records`` and ``loads`` exist)."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    return {"records", "loads"} <= tables
