"""Provenance stamped on every analysis result: tool version, input hash and time."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import duckdb

from wildtrace import __version__

#: At most this many record ids go with one flag (the rows an analyst opens first)
IDS_PER_FLAG = 20


def input_hash(con: duckdb.DuckDBPyConnection) -> str:
    """SHA-256 over the sorted hashes of every file loaded into the database."""
    shas = [r[0] for r in con.execute(
        "SELECT sha256 FROM loads WHERE status = 'loaded' ORDER BY sha256").fetchall()]
    return hashlib.sha256("\n".join(shas).encode()).hexdigest()


def stamp(con: duckdb.DuckDBPyConnection, analysis: str, params: dict[str, Any]) -> dict[str, Any]:
    return {
        "analysis": analysis,
        "tool": f"wildtrace.trade.{analysis} {__version__}",
        "input_hash": input_hash(con),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "params": params,
    }


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    """Run a query and return its rows as dicts."""
    cur = con.execute(sql, params or [])
    names = [d[0] for d in cur.description or []]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def year_span(r: dict[str, Any]) -> str:
    """'2018' or '2011-2019' from a row's ``y0`` and ``y1``."""
    return str(r["y0"]) if r["y0"] == r["y1"] else f"{r['y0']}-{r['y1']}"
