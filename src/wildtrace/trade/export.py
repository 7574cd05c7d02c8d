"""The canonical trade tables as partitioned Parquet, for engines on many machines.

Trade analyses run on DuckDB in one process: a full CITES download (~25M rows) fits one machine.
When a team wants the same tables in Spark, Trino or DuckDB on many machines, ``export_parquet``
writes them with DuckDB's own ``COPY ... (FORMAT PARQUET, PARTITION_BY ...)`` (no pyarrow needed):
``records`` partitioned Hive-style by ``dataset`` and ``year`` (``records/dataset=lemis/year=2016/
data_0.parquet``; those two columns live in the folder names, as Hive, Spark and Trino expect),
and ``loads``, ``rejects`` and ``warnings`` as one file each. ``manifest.json`` lists the tables,
their row counts and partition columns. docs/scale.md shows how each engine reads them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from wildtrace import clock
from wildtrace.errors import ConfigError

#: table -> the columns it is partitioned by (none: one file)
TABLES: dict[str, tuple[str, ...]] = {"records": ("dataset", "year"), "loads": (), "rejects": (),
                                      "warnings": ()}


def _literal(path: Path) -> str:
    """A path as a SQL string literal (COPY takes no parameters for its target)."""
    return "'" + str(path).replace("'", "''") + "'"


def export_parquet(con: duckdb.DuckDBPyConnection, outdir: Path, *,
                   compression: str = "zstd") -> dict[str, Any]:
    """Write the canonical tables under ``outdir`` (which must be empty or new) as Parquet; returns
    the manifest (also written as ``outdir/manifest.json``)."""
    if compression not in ("zstd", "snappy", "gzip", "uncompressed"):
        raise ConfigError(f"unknown Parquet compression {compression!r}")
    if outdir.exists() and (not outdir.is_dir() or any(outdir.iterdir())):
        raise ConfigError(f"{outdir} is not an empty folder; give a new one (nothing is overwritten)")
    outdir.mkdir(parents=True, exist_ok=True)
    tables: dict[str, Any] = {}
    for table, partition in TABLES.items():
        rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]  # noqa: S608
        if partition:
            target = outdir / table
            con.execute(f"COPY (SELECT * FROM {table}) TO {_literal(target)} "  # noqa: S608 - fixed names
                        f"(FORMAT PARQUET, COMPRESSION {compression}, PARTITION_BY ({', '.join(partition)}))")
            files = sorted(str(p.relative_to(outdir)) for p in target.rglob("*.parquet"))
        else:
            target = outdir / f"{table}.parquet"
            con.execute(f"COPY (SELECT * FROM {table}) TO {_literal(target)} "  # noqa: S608
                        f"(FORMAT PARQUET, COMPRESSION {compression})")
            files = [target.name]
        tables[table] = {"rows": int(rows), "partition_by": list(partition), "files": len(files),
                         "path": target.name}
    manifest = {"exported_at": clock.stamp(), "format": "parquet", "hive_partitioning": True,
                "compression": compression, "tables": tables}
    (outdir / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


__all__ = ["TABLES", "export_parquet"]
