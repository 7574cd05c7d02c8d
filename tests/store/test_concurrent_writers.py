"""Two scans writing one SQLite file at the same time (issue 12, finding 4): both finish and
every listing is stored, once. Real processes, a real SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from wildtrace.store.schema import listings, queue
from wildtrace.store.sql import SQLStore


def _write(path: Path, start: int, n: int, tag: str) -> None:
    with path.open("w") as fh:
        for i in range(start, start + n):
            fh.write(json.dumps({"id": f"L{i}", "title": f"tiger skin {i} for sale {tag}",
                                 "seller": f"s{i % 50}"}) + "\n")


def test_parallel_scans_into_one_database_all_finish_and_store_every_row(tmp_path: Path, db_url: str) -> None:
    """Before: in 2 of 5 runs one scan exited with "database is locked", and in one run 1,000
    changed listings were never stored. The same two processes into one PostgreSQL database."""
    db = db_url
    SQLStore(db).engine.dispose()  # migrate once, as a team would before sharing the file
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    _write(a, 0, 2500, "first")
    _write(b, 1500, 2500, "second")  # 1,000 listings overlap: a second version each
    env = {**os.environ, "WILDTRACE_DATA_DIR": str(tmp_path / "data"), "WILDTRACE_TEXT_MODEL": "none"}
    procs = [subprocess.Popen([str(Path(sys.executable).with_name("wildtrace")), "scan", str(src), "--db", str(db),
                               "-o", str(tmp_path / f"{src.stem}.out")], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for src in (a, b)]
    outs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1].decode()[-2000:] for o in outs]
    engine = SQLStore(db, migrate=False).engine
    with engine.connect() as conn:
        ids = conn.execute(sa.select(sa.func.count(sa.distinct(listings.c.listing_id)))).scalar_one()
        versions = conn.execute(sa.select(sa.func.count()).select_from(listings)).scalar_one()
        queued = conn.execute(sa.select(sa.func.count()).select_from(queue)).scalar_one()
    assert ids == 4000 and queued == 4000
    assert versions == 5000  # the 1,000 shared ids have two versions, the others one
    for src in (a, b):
        assert sum(1 for _ in (tmp_path / f"{src.stem}.out").open()) == 2500


def test_a_write_lock_held_past_the_busy_timeout_is_waited_out_not_fatal(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Another process holds SQLite's write lock longer than the busy timeout: the batch is
    retried with back-off and stored, instead of failing with "database is locked"."""
    import sqlite3
    import threading

    from wildtrace import Scanner, Settings
    from wildtrace.store import db as dbmod

    monkeypatch.setattr(dbmod, "BUSY_TIMEOUT_MS", 100)
    path = tmp_path / "w.sqlite"
    store = SQLStore(path)
    results = [r for r in Scanner(Settings()).scan([{"id": f"x{i}", "title": "ivory bangle"} for i in range(20)])]
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # the other writer
    release = threading.Timer(1.0, lambda: holder.execute("COMMIT"))
    release.start()
    try:
        store.save(results)  # type: ignore[arg-type]
    finally:
        release.join()
        holder.close()
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(queue)).scalar_one() == 20


def test_workbench_writes_wait_out_a_held_write_lock_too(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Labels, cases and accounts go through the same retrying write as the scan store: a
    workbench label given while a scan in another process holds the lock is stored, once."""
    import sqlite3
    import threading

    from wildtrace import Scanner, Settings
    from wildtrace.store import accounts, cases, labels
    from wildtrace.store import db as dbmod
    from wildtrace.store.schema import labels as labels_table

    monkeypatch.setattr(dbmod, "BUSY_TIMEOUT_MS", 100)
    path = tmp_path / "w.sqlite"
    store = SQLStore(path)
    store.save([r for r in Scanner(Settings()).scan([{"id": "x1", "title": "ivory bangle"}])])  # type: ignore[misc]
    engine = store.engine
    done: list[str] = []
    for step in ("label", "case", "user"):
        holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN IMMEDIATE")
        release = threading.Timer(0.8, lambda h=holder: h.execute("COMMIT"))  # type: ignore[misc]
        release.start()
        try:
            if step == "label":
                labels.add_labels(engine, ["x1"], "wildlife_offer", "ana")
            elif step == "case":
                cases.add_listings(engine, cases.create_case(engine, "Ivory", "ana")["id"], ["x1"], "ana")
            else:
                accounts.add_user(engine, "bea", "analyst", "a long enough passphrase 7")
            done.append(step)
        finally:
            release.join()
            holder.close()
    assert done == ["label", "case", "user"]
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(labels_table)).scalar_one() == 1
        assert conn.execute(sa.select(queue.c.label).where(queue.c.listing_id == "x1")).scalar_one() == "wildlife_offer"
    assert [m["listing_id"] for m in cases.get_case(engine, 1)["listings"]] == ["x1"]
    assert [u["name"] for u in accounts.list_users(engine)] == ["bea"]


def test_a_postgresql_deadlock_is_rerun_not_fatal(tmp_path: Path) -> None:
    """PostgreSQL breaks a deadlock by failing one transaction (SQLSTATE 40P01): db.write reruns it."""
    import psycopg.errors

    from wildtrace.store import db as dbmod

    engine = SQLStore(tmp_path / "d.sqlite").engine
    calls: list[int] = []

    def work(conn: sa.Connection) -> str:
        calls.append(1)
        if len(calls) == 1:
            raise sa.exc.OperationalError("UPDATE ...", {}, psycopg.errors.DeadlockDetected("deadlock detected"))
        return "stored"

    assert dbmod.write(engine, work) == "stored" and len(calls) == 2
    assert not dbmod.is_locked(sa.exc.IntegrityError("INSERT", {}, psycopg.errors.UniqueViolation("dup")))
