"""SQLite's full-text triggers re-index a queue row only when its indexed text changes
(revision 0017): a write that leaves the text as it was costs no index work, and a change is
still indexed (the old text no longer found, the new one found)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from wildtrace.store import grams
from wildtrace.store.sql import SQLStore


def _store_with_rows(path: Path) -> sqlite3.Connection:
    SQLStore(str(path)).close()  # the head schema, every migration run
    con = sqlite3.connect(path)
    grams.register(con)  # the short-search trigger's function, as the store registers it
    cols = {row[1]: row for row in con.execute("PRAGMA table_info(queue)")}
    assert {"search_text", "species", "products"} <= cols.keys()
    required = [name for name, row in cols.items() if row[3] and row[4] is None and not row[5]]
    values = {name: "x" for name in required}
    values.update({"listing_id": "a", "search_text": "carved ivory bangle", "species": "Loxodonta africana",
                   "products": "ivory"})
    names = ", ".join(values)
    con.execute(f"INSERT INTO queue ({names}) VALUES ({', '.join('?' for _ in values)})",  # noqa: S608
                list(values.values()))
    con.commit()
    return con


def _changes(con: sqlite3.Connection, sql: str) -> int:
    before = con.total_changes  # counts the rows trigger programs write too
    con.execute(sql)
    con.commit()
    return con.total_changes - before


def test_same_text_written_again_touches_no_index(tmp_path: Path) -> None:
    con = _store_with_rows(tmp_path / "s.sqlite")
    assert _changes(con, "UPDATE queue SET search_text = search_text") == 1
    assert _changes(con, "UPDATE queue SET species = species, products = products") == 1


def test_changed_text_is_indexed_again(tmp_path: Path) -> None:
    con = _store_with_rows(tmp_path / "s.sqlite")
    assert con.execute("SELECT count(*) FROM queue_fts WHERE queue_fts MATCH '\"ivory bangle\"'").fetchone() == (1,)
    assert _changes(con, "UPDATE queue SET search_text = 'pangolin scales for sale'") > 1
    assert con.execute("SELECT count(*) FROM queue_fts WHERE queue_fts MATCH '\"ivory bangle\"'").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM queue_fts WHERE queue_fts MATCH '\"pangolin\"'").fetchone() == (1,)
    assert _changes(con, "UPDATE queue SET products = 'scales'") > 1
    assert con.execute("SELECT count(*) FROM queue_tags WHERE queue_tags MATCH 'products:\"scales\"'").fetchone() == (1,)
    assert con.execute("SELECT count(*) FROM queue_tags WHERE queue_tags MATCH 'products:\"ivory\"'").fetchone() == (0,)
    # the FTS tables agree with their content table (FTS5's own check)
    con.execute("INSERT INTO queue_fts(queue_fts) VALUES ('integrity-check')")
    con.execute("INSERT INTO queue_tags(queue_tags) VALUES ('integrity-check')")
