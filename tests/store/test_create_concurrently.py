"""Ten processes opening one new database at once (issue 29, item 6): on SQLite 6 of 20 trials ended
in "unknown schema version None" or "table alembic_version already exists", on PostgreSQL 8 of 20 in a
UniqueViolation traceback. Now they take turns; every one opens it, and it is at the newest revision."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from wildtrace.errors import ConfigError
from wildtrace.store import db
from wildtrace.store.sql import SQLStore

OPEN = """
import sys, time
from pathlib import Path
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.005)
from wildtrace.store.sql import SQLStore
SQLStore(sys.argv[1]).engine.dispose()
print("ok")
"""


@pytest.mark.parametrize("trial", range(2))
def test_ten_processes_create_one_database_at_once(db_url: str, tmp_path: Path, trial: int) -> None:
    go = tmp_path / f"go{trial}"
    procs = [subprocess.Popen([sys.executable, "-c", OPEN, db_url, str(go)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(10)]
    time.sleep(1.0)  # let every child import and wait at the start line (a head start, not a check)
    go.touch()
    outcomes = [p.communicate(timeout=300) for p in procs]
    failed = [err[-800:] for p, (out, err) in zip(procs, outcomes, strict=True) if p.returncode or out.strip() != "ok"]
    assert not failed, failed
    store = SQLStore(db_url)
    try:
        assert db.current_revision(store.engine) == db.head_revision()
    finally:
        store.close()


@pytest.mark.parametrize("content", [b"id,title\n1,ivory\n", b'{"id": "1", "verdict": "x"}\n', b"DUCK" * 4096])
def test_a_file_that_is_not_a_database_is_one_clear_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "not-a-db.sqlite"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match="not a database"):
        SQLStore(path)
    assert path.read_bytes() == content, "the file is left as it was"
