"""CITES rows and LEMIS rows in tables of their own, ``records`` the view over both.

A CITES row never fills the twelve LEMIS columns, and DuckDB writes every column of every row
it stores: CITES rows go to ``records_cites``, which lacks them, LEMIS rows to ``records_full``.
Readers see one ``records`` with the columns in their order, and ``record_rows`` adds each
row's identity in the order the rows were stored. A database made before the split (one
``records`` table) opens as it was: the table becomes ``records_full``, its rows in their
order, and every analysis gives what it gave on a database made after.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from wildtrace.trade import schema
from wildtrace.trade.load import load_paths
from wildtrace.trade.reconcile import reconcile
from wildtrace.trade.routes import routes
from wildtrace.trade.schema import connect
from wildtrace.trade.screen import read_ranges, screen
from wildtrace.trade.synth import SynthResult
from wildtrace.trade.trends import spikes


def _plain(result: dict[str, Any]) -> str:
    out = json.loads(json.dumps(result, default=str))
    out.get("provenance", {}).pop("generated_at", None)
    return json.dumps(out)


def _analyses(con: duckdb.DuckDBPyConnection, synth: SynthResult) -> list[str]:
    return [_plain(reconcile(con)), _plain(routes(con)), _plain(spikes(con)),
            _plain(screen(con, ranges=read_ranges(synth.ranges)))]


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]


def _kind(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    found = con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = ? "
                        "AND table_catalog = current_database()", [name]).fetchall()
    return found[0][0] if found else None


def _made_before(new: Path, old: Path) -> None:
    """``new``'s rows as an earlier version stored them: one ``records`` table, in their order."""
    con = duckdb.connect(str(old))
    con.execute(f"ATTACH '{new}' AS n (READ_ONLY)")
    con.execute("CREATE TABLE records AS SELECT * EXCLUDE (rid) FROM n.record_rows ORDER BY rid")
    for table in ("loads", "rejects", "warnings"):
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM n.{table}")
    top = con.execute("SELECT max(load_id) FROM loads").fetchall()[0][0]
    con.execute(f"CREATE SEQUENCE load_ids START {int(top) + 1}")
    con.close()


def _view_reads(con: duckdb.DuckDBPyConnection) -> set[str]:
    sql = con.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'records' AND NOT temporary").fetchall()[0][0]
    return {t for t in (schema.CITES_TABLE, schema.FULL_TABLE) if t in sql}


def test_cites_rows_lack_the_lemis_columns_and_records_reads_both(synth_dir: SynthResult, tmp_path: Path) -> None:
    con = connect(tmp_path / "t.duckdb", threads=1)
    assert _view_reads(con) == {"records_cites", "records_full"}  # neither holds rows yet
    res = load_paths(con, [*synth_dir.bulk_files, synth_dir.comptab])
    assert _view_reads(con) == {"records_cites"}  # a view over one table plans like the table
    res += load_paths(con, [synth_dir.lemis])
    assert _view_reads(con) == {"records_cites", "records_full"}
    assert [r.status for r in res] == ["loaded"] * len(res)
    assert _kind(con, "records") == "VIEW" and _kind(con, "records_cites") == "BASE TABLE"
    names = [n.strip('"') for n, _ in schema.RECORD_COLUMNS]
    assert _columns(con, "records") == names
    assert _columns(con, "record_rows") == ["rid", *names]
    lemis_only = {n for n in schema.LEMIS_ONLY}
    assert lemis_only and not lemis_only & set(_columns(con, "records_cites"))
    by_table = dict(con.execute("""SELECT 'cites', count(*) FILTER (WHERE dataset = 'lemis') FROM records_cites
        UNION ALL SELECT 'full', count(*) FILTER (WHERE dataset <> 'lemis') FROM records_full""").fetchall())
    assert by_table == {"cites": 0, "full": 0}  # each row in its format's table
    n_lemis = con.execute("SELECT count(*) FROM records WHERE dataset = 'lemis'").fetchall()[0][0]
    assert n_lemis == sum(r.records_written for r in res if r.format == "lemis") > 0
    # a LEMIS row keeps its declaration's fields; a CITES row reads them as NULL
    filled = con.execute("""SELECT count(*) FILTER (WHERE port IS NOT NULL AND dataset = 'lemis'),
        count(*) FILTER (WHERE port IS NOT NULL AND dataset <> 'lemis') FROM records""").fetchall()[0]
    assert filled[0] > 0 and filled[1] == 0
    # the identities are unique and follow the tables' order
    assert con.execute("SELECT count(DISTINCT rid) = count(*) FROM record_rows").fetchall()[0][0]
    total = sum(r.records_written for r in res)
    assert con.execute("SELECT count(*) FROM records").fetchall()[0][0] == total


def test_a_database_made_before_the_split_opens_as_it_was(synth_dir: SynthResult, tmp_path: Path) -> None:
    new_db, old_db = tmp_path / "new.duckdb", tmp_path / "old.duckdb"
    con = connect(new_db, threads=1)
    load_paths(con, [*synth_dir.bulk_files, synth_dir.comptab])
    want = _analyses(con, synth_dir)
    rows = con.execute("SELECT * FROM records ORDER BY record_id").fetchall()
    con.close()
    _made_before(new_db, old_db)

    # read-only, as the analyses open it: not changed, and the analyses give the same
    ro = connect(old_db, read_only=True)
    assert _kind(ro, "records") == "BASE TABLE"
    assert _analyses(ro, synth_dir) == want
    ro.close()

    # opened for writing: the table becomes records_full, its rows as they were
    old = connect(old_db, threads=1)
    assert _kind(old, "records") == "VIEW" and _kind(old, "records_full") == "BASE TABLE"
    assert _view_reads(old) == {"records_full"}
    assert old.execute("SELECT count(*) FROM records_cites").fetchall()[0][0] == 0
    assert old.execute("SELECT * FROM records ORDER BY record_id").fetchall() == rows
    assert _analyses(old, synth_dir) == want
    old.close()
    # opening it again changes nothing more
    again = connect(old_db, threads=1)
    assert _analyses(again, synth_dir) == want
    # the same files again: nothing to do; a new file's rows go to their format's table
    assert {r.status for r in load_paths(again, synth_dir.bulk_files)} == {"unchanged"}
    res = load_paths(again, [synth_dir.lemis])
    assert res[0].status == "loaded" and res[0].records_written > 0
    assert again.execute("SELECT count(*) FROM records_full WHERE dataset = 'lemis'").fetchall()[0][0] == \
        res[0].records_written
    assert again.execute("SELECT count(*) FROM records").fetchall()[0][0] == len(rows) + res[0].records_written
    again.close()
