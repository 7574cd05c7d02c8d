"""The trade analyses' provenance: ``wildtrace.provenance.stamp`` with the analysis name, the
input hash over every loaded file and the trade reference data's hash; and the small query
helpers the analyses share.
"""

from __future__ import annotations

import hashlib
from typing import Any

import duckdb

from wildtrace import manifest, provenance
from wildtrace.trade import origin

#: At most this many record ids go with one flag (the rows an analyst opens first)
IDS_PER_FLAG = 20


def input_hash(con: duckdb.DuckDBPyConnection) -> str:
    """SHA-256 over the sorted hashes of every file loaded into the database."""
    shas = [r[0] for r in con.execute(
        "SELECT sha256 FROM loads WHERE status = 'loaded' ORDER BY sha256").fetchall()]
    return hashlib.sha256("\n".join(shas).encode()).hexdigest()


def stamp(con: duckdb.DuckDBPyConnection, analysis: str, params: dict[str, Any]) -> dict[str, Any]:
    """The one stamp (tool ``wildtrace.trade.<analysis>``, version, ``input_sha256``, time,
    params) plus ``analysis``, ``input_hash`` (the same hash, the name reports and clients read)
    and ``data_sha256`` (the trade code tables, ``manifest.sha256("trade")``, first 16), and
    ``data_origin``: where the loaded files come from (``origin.py``; synthetic data says so)."""
    digest = input_hash(con)
    return provenance.stamp(f"trade.{analysis}", input_sha256=digest, params=params, analysis=analysis,
                            input_hash=digest, data_sha256=manifest.sha256("trade")[:16],
                            data_origin=origin.origins(con))


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    """Run a query and return its rows as dicts."""
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def year_span(r: dict[str, Any]) -> str:
    """'2018' or '2011-2019' from a row's ``y0`` and ``y1``."""
    return str(r["y0"]) if r["y0"] == r["y1"] else f"{r['y0']}-{r['y1']}"
