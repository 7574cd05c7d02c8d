"""What an analysis covers: which dataset it read, how many records, and what it did not read.

The CITES analyses (reconcile, screen, trends, routes) read CITES records only. A database that
holds LEMIS line items too, or LEMIS only, must not come back as "spike 0" or "new_route 0":
the result says "no LEMIS rows in this selection", and when there are no CITES records at all
its ``flag_counts`` are empty (nothing was counted), not zeros. CLI, API, pages and the
report all print ``covers["statement"]``.
"""

from __future__ import annotations

from typing import Any

import duckdb

from wildtrace.trade import schema

#: what each dataset is, in words
DATASETS = {schema.BULK: "CITES Trade Database shipment records (bulk download)",
            schema.COMPTAB: "CITES comparative tabulation rows",
            schema.LEMIS: "LEMIS (US Fish and Wildlife Service) line items"}


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Records loaded per dataset."""
    return {str(d): int(n) for d, n in con.execute("SELECT dataset, count(*) FROM records GROUP BY 1").fetchall()}


def covers(con: duckdb.DuckDBPyConnection, analysis: str, datasets: tuple[str, ...]) -> dict[str, Any]:
    """``{"analysis", "reads", "records", "lemis_records_not_read", "applies", "statement"}`` for an
    analysis that reads ``datasets``."""
    loaded = counts(con)
    n = sum(loaded.get(d, 0) for d in datasets)
    lemis = loaded.get(schema.LEMIS, 0) if schema.LEMIS not in datasets else 0
    reads = " and ".join(DATASETS[d] for d in datasets)
    parts = [f"{analysis} reads {reads}: {n:,} records"]
    if not n:
        cites = " or ".join(DATASETS[d] for d in (schema.BULK, schema.COMPTAB))
        parts = [f"{analysis} found no CITES records to read ({cites}), so it counts nothing: "
                 "its flag counts are not zeros but not applicable"]
    if lemis:
        parts.append(f"no LEMIS rows in this selection (the {lemis:,} LEMIS line items loaded are read by "
                     "`wildtrace trade outcome` and the report's LEMIS section)")
    return {"analysis": analysis, "reads": list(datasets), "records": n, "lemis_records_not_read": lemis,
            "applies": n > 0, "statement": "; ".join(parts)}


def apply(result: dict[str, Any], cover: dict[str, Any]) -> dict[str, Any]:
    """``result`` with ``covers``; with no records read, no counts (an empty ``flag_counts``)."""
    result["covers"] = cover
    if not cover["applies"]:
        result["flag_counts"] = {}
    return result
