"""`wildtrace users disable|enable|password|sessions --end` (issue 29, item 10): each change
is audited and takes effect at once on sessions and API tokens."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from wildtrace.cli import cli, load_commands
from wildtrace.errors import AuthError
from wildtrace.store import accounts as auth
from wildtrace.store.audit import audit_entries
from wildtrace.store.sql import SQLStore

PASSWORD = "correct horse battery"


def _principal_ok(engine: object, session: str, token: str) -> tuple[bool, bool]:
    out = []
    for check, value in ((auth.session_principal, session), (auth.token_principal, token)):
        try:
            check(engine, value)  # type: ignore[arg-type]
            out.append(True)
        except AuthError:
            out.append(False)
    return out[0], out[1]


def test_users_disable_enable_password_and_sessions_end(tmp_path: Path) -> None:
    load_commands()
    db = str(tmp_path / "w.sqlite")
    env = {"WILDTRACE_DATA_DIR": str(tmp_path / "data")}

    def run(*args: str, stdin: str = "") -> str:
        r = CliRunner().invoke(cli, ["users", *args, "--db", db], input=stdin, env=env)
        assert r.exit_code == 0, (args, r.output)
        return r.output

    run("add", "alice", "--role", "analyst", stdin=PASSWORD + "\n")
    engine = SQLStore(db).engine
    session, _ = auth.create_session(engine, "alice")
    token = auth.create_token(engine, "alice")
    assert _principal_ok(engine, session, token) == (True, True)

    run("disable", "alice")
    assert _principal_ok(engine, session, token) == (False, False)
    assert auth.check_password(engine, "alice", PASSWORD) is None
    assert "disabled" in run("list")
    run("enable", "alice")
    assert auth.check_password(engine, "alice", PASSWORD) is not None
    assert _principal_ok(engine, session, token) == (False, True)  # the session ended with the disable

    session, _ = auth.create_session(engine, "alice")
    run("password", "alice", stdin="a fresh passphrase 9\n")
    assert auth.check_password(engine, "alice", PASSWORD) is None
    assert auth.check_password(engine, "alice", "a fresh passphrase 9") is not None
    assert _principal_ok(engine, session, token) == (False, True)

    session, _ = auth.create_session(engine, "alice")
    run("sessions", "alice", "--end")
    assert _principal_ok(engine, session, token) == (False, False)

    refused = CliRunner().invoke(cli, ["users", "sessions", "alice", "--db", db], env=env)
    assert refused.exit_code != 0 and "--end" in refused.output
    missing = CliRunner().invoke(cli, ["users", "disable", "nobody", "--db", db], env=env)
    assert missing.exit_code != 0 and "no user" in missing.output
    weak = CliRunner().invoke(cli, ["users", "password", "alice", "--db", db], input="short\n", env=env)
    assert weak.exit_code != 0 and "12 to 1,024" in weak.output
    actions = [e["action"] for e in audit_entries(engine, target="user:alice")]
    for action in ("user.disable", "user.enable", "user.password", "user.sessions_end"):
        assert action in actions, actions
