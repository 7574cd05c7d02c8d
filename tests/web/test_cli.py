"""`wildtrace users add` reads the password from stdin and stores only an argon2 hash."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from wildtrace.cli import cli, load_commands
from wildtrace.store.accounts import check_password
from wildtrace.store.schema import users
from wildtrace.store.sql import SQLStore


def test_users_add_reads_the_password_from_stdin(tmp_path: Path) -> None:
    load_commands()
    db = str(tmp_path / "w.sqlite")
    env = {"WILDTRACE_DATA_DIR": str(tmp_path / "data")}
    r = CliRunner().invoke(cli, ["users", "add", "alice", "--role", "analyst", "--db", db],
                           input="s3cret-passphrase\n", env=env)
    assert r.exit_code == 0, r.output
    engine = SQLStore(db).engine
    with engine.connect() as conn:
        stored = conn.execute(sa.select(users.c.password_hash, users.c.role)).one()
    assert stored.role == "analyst"
    assert stored.password_hash.startswith("$argon2") and "s3cret" not in stored.password_hash
    assert check_password(engine, "alice", "s3cret-passphrase") == {"name": "alice", "role": "analyst"}
    assert check_password(engine, "alice", "wrong") is None
    again = CliRunner().invoke(cli, ["users", "add", "alice", "--role", "admin", "--db", db],
                               input="another-pass-phrase\n", env=env)
    assert again.exit_code != 0 and "exists" in again.output
    short = CliRunner().invoke(cli, ["users", "add", "bob", "--role", "viewer", "--db", db], input="short\n", env=env)
    assert short.exit_code != 0 and "12 to 1,024" in short.output
    token = CliRunner().invoke(cli, ["users", "token", "alice", "--db", db], env=env)
    assert token.exit_code == 0 and token.output.startswith("wt_")
