"""The canonical trade schema: one DuckDB table of records for CITES and LEMIS rows,
plus the load log, per-row rejects and per-file warning counts.

Header maps for the three input formats live here too. Column names are matched on
a key that ignores case and punctuation, so ``Reporter.type`` and ``reporter_type``
(or ``Import.permit.RandomID`` and ``import_permit_random_id``) are the same column.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

BULK = "cites_bulk"
COMPTAB = "cites_comptab"
LEMIS = "lemis"

#: Canonical column -> header in the CITES bulk download (title style).
BULK_COLUMNS = {
    "id": "Id", "year": "Year", "appendix": "Appendix", "taxon": "Taxon", "class": "Class",
    "order": "Order", "family": "Family", "genus": "Genus", "term": "Term",
    "quantity": "Quantity", "unit": "Unit", "importer": "Importer", "exporter": "Exporter",
    "origin": "Origin", "purpose": "Purpose", "source": "Source",
    "reporter_type": "Reporter.type", "import_permit": "Import.permit.RandomID",
    "export_permit": "Export.permit.RandomID", "origin_permit": "Origin.permit.RandomID",
}
#: The same file with lower-case snake_case headers ("Export.permit.RandomID" -> "export_permit_random_id").
BULK_SNAKE = {k: re.sub(r"(?<=[a-z])(?=[A-Z])", "_", v).lower().replace(".", "_") for k, v in BULK_COLUMNS.items()}
COMPTAB_COLUMNS = {
    "year": "Year", "appendix": "App.", "taxon": "Taxon", "class": "Class", "order": "Order",
    "family": "Family", "genus": "Genus", "importer": "Importer", "exporter": "Exporter",
    "origin": "Origin", "importer_quantity": "Importer reported quantity",
    "exporter_quantity": "Exporter reported quantity", "term": "Term", "unit": "Unit",
    "purpose": "Purpose", "source": "Source",
}
LEMIS_COLUMNS = {c: c for c in (
    "control_number", "species_code", "taxa", "class", "genus", "species", "subspecies",
    "specific_name", "generic_name", "description", "quantity", "unit", "value",
    "country_origin", "country_imp_exp", "purpose", "source", "action", "disposition",
    "disposition_date", "disposition_year", "shipment_date", "shipment_year", "import_export",
    "port", "us_co", "foreign_co", "cleaning_notes")}

FORMATS: dict[str, dict[str, str]] = {BULK: BULK_COLUMNS, COMPTAB: COMPTAB_COLUMNS, LEMIS: LEMIS_COLUMNS}


def header_key(name: str) -> str:
    """``Import.permit.RandomID`` and ``import_permit_random_id`` -> ``importpermitrandomid``."""
    return re.sub(r"[^a-z0-9]", "", name.strip().lower())


def header_style(names: list[str]) -> str:
    """``title``, ``snake`` or ``mixed`` (both styles among multi-part or capitalised names)."""
    snake = [n for n in names if n == n.lower()]
    title = [n for n in names if n != n.lower()]
    if snake and title:
        return "mixed"
    return "snake" if snake else "title"


RECORDS_DDL = """
CREATE TABLE IF NOT EXISTS records (
    record_id VARCHAR, load_id INTEGER, "row" BIGINT, dataset VARCHAR,
    year INTEGER, appendix VARCHAR, taxon VARCHAR, class VARCHAR, "order" VARCHAR,
    family VARCHAR, genus VARCHAR, term VARCHAR, quantity DOUBLE, unit VARCHAR,
    importer VARCHAR, exporter VARCHAR, origin VARCHAR, purpose VARCHAR, source VARCHAR,
    reporter_type VARCHAR, import_permit VARCHAR, export_permit VARCHAR, origin_permit VARCHAR,
    -- LEMIS declaration and outcome fields (NULL for CITES rows)
    control_number VARCHAR, species_code VARCHAR, value DOUBLE, port VARCHAR,
    shipment_date DATE, import_export VARCHAR, us_co VARCHAR, foreign_co VARCHAR,
    action VARCHAR, disposition VARCHAR, disposition_date DATE, cleaning_notes VARCHAR
);
CREATE SEQUENCE IF NOT EXISTS load_ids START 1;
CREATE TABLE IF NOT EXISTS loads (
    load_id INTEGER PRIMARY KEY, path VARCHAR, member VARCHAR, sha256 VARCHAR, format VARCHAR,
    header_style VARCHAR, status VARCHAR, reason VARCHAR, rows_in BIGINT, rows_loaded BIGINT,
    rows_rejected BIGINT, records_written BIGINT, warnings BIGINT, citation VARCHAR,
    tool_version VARCHAR, loaded_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS rejects (
    load_id INTEGER, "row" BIGINT, line BIGINT, reason VARCHAR, raw VARCHAR
);
CREATE TABLE IF NOT EXISTS warnings (
    load_id INTEGER, reason VARCHAR, value VARCHAR, n BIGINT, first_row BIGINT
);
"""


def connect(db: Path | str, *, memory_limit: str | None = "2GB", threads: int | None = None,
            read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open (and create) the trade database. ``memory_limit`` bounds DuckDB; it spills
    to a temp folder beside the database instead of growing."""
    path = Path(db)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    if memory_limit:
        con.execute(f"SET memory_limit='{memory_limit}'")
    if threads:
        con.execute(f"SET threads={int(threads)}")
    con.execute(f"SET temp_directory='{path.parent / (path.name + '.tmp')}'")
    if not read_only:
        con.execute(RECORDS_DDL)
    return con


def holds_records(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the database has been loaded (``records`` and ``loads`` exist)."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    return {"records", "loads"} <= tables
