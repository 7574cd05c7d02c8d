"""``trade export --parquet``: the canonical tables as Hive-partitioned Parquet that another engine
reads back whole (DuckDB with hive_partitioning, and pyarrow's dataset reader, as Spark and Trino
read Hive layouts): the same rows, the same sums, one folder per dataset and year (issue 27)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from wildtrace.errors import ConfigError
from wildtrace.trade.export import export_parquet
from wildtrace.trade.load import load_paths
from wildtrace.trade.schema import connect
from wildtrace.trade.synth import SynthResult

DATA = Path(__file__).resolve().parent / "data"


def _check(db: Path, out: Path) -> None:
    """Every table read back from the Parquet equals the table in the database."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{db}' AS src (READ_ONLY)")
    fields = "count(*), sum(quantity), count(DISTINCT record_id), min(year), max(year), count(DISTINCT taxon)"
    want = con.execute(f"SELECT dataset, {fields} FROM src.records GROUP BY dataset ORDER BY dataset").fetchall()
    got = con.execute(f"SELECT dataset, {fields} FROM read_parquet('{out}/records/**/*.parquet', "
                      "hive_partitioning = true) GROUP BY dataset ORDER BY dataset").fetchall()
    assert got == want and want
    for table in ("loads", "rejects", "warnings"):
        assert con.execute(f"SELECT count(*) FROM '{out}/{table}.parquet'").fetchone() == \
            con.execute(f"SELECT count(*) FROM src.{table}").fetchone()
    years = con.execute("SELECT DISTINCT dataset, year FROM src.records").fetchall()
    folders = {(p.parent.name.split("=", 1)[1], p.name.split("=", 1)[1])
               for p in (out / "records").glob("dataset=*/year=*")}
    assert folders == {(d, str(y) if y is not None else "NULL") for d, y in years}
    con.close()


def test_the_tables_come_back_whole_from_partitioned_parquet(synth_dir: SynthResult, tmp_path: Path) -> None:
    db = tmp_path / "trade.duckdb"
    con = connect(db)
    load_paths(con, [*synth_dir.bulk_files, synth_dir.comptab, DATA / "trade_db_1.csv"])
    manifest = export_parquet(con, tmp_path / "parquet")
    con.close()
    assert manifest["tables"]["records"]["partition_by"] == ["dataset", "year"]
    assert manifest["tables"]["records"]["files"] > 10
    _check(db, tmp_path / "parquet")
    ds = pytest.importorskip("pyarrow.dataset")  # the Hive layout as another engine reads it
    table = ds.dataset(tmp_path / "parquet" / "records", format="parquet", partitioning="hive").to_table()
    assert table.num_rows == manifest["tables"]["records"]["rows"]
    assert {"dataset", "year", "taxon", "quantity"} <= set(table.column_names)
    with pytest.raises(ConfigError, match="not an empty folder"):
        export_parquet(connect(db, read_only=True), tmp_path / "parquet")


def test_the_command_exports_a_loaded_database(tmp_path: Path) -> None:
    env = {**os.environ, "WILDTRACE_DATA_DIR": str(tmp_path / "data")}
    db = tmp_path / "t.duckdb"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "wildtrace.cli", "trade", *args], capture_output=True,
                              text=True, timeout=300, env=env, cwd=tmp_path)

    assert run("load", str(DATA / "trade_db_1.csv"), "--db", str(db), "-q").returncode == 0
    r = run("export", "--db", str(db), "--parquet", str(tmp_path / "pq"), "--compression", "snappy")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["tables"]["records"]["rows"] > 0
    _check(db, tmp_path / "pq")
    r = run("export", "--db", str(tmp_path / "missing.duckdb"), "--parquet", str(tmp_path / "pq2"))
    assert r.returncode == 2 and "load files first" in r.stderr
