"""``wildtrace users``: workbench accounts (the password is read from stdin)."""

from __future__ import annotations

import sys

import click

from wildtrace.cli import HelpGroup
from wildtrace.cli.serve import database
from wildtrace.settings import Settings
from wildtrace.store.accounts import (
    add_user,
    create_token,
    end_sessions,
    list_users,
    set_disabled,
    set_password,
)
from wildtrace.store.sql import SQLStore


def _engine(settings: Settings, db: str | None):  # type: ignore[no-untyped-def]

    return SQLStore(database(settings, db)).engine


@click.group(cls=HelpGroup)
def users() -> None:
    """Add, list, disable and enable workbench users; set passwords; make API tokens; end sessions."""


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["admin", "analyst", "viewer"]), required=True,
              help="admin: manage users, and all an analyst may; analyst: label, build cases; viewer: read only.")
@click.option("--db", default=None, help="Database (default: as `wildtrace serve`).")
@click.pass_obj
def add(settings: Settings, name: str, role: str, db: str | None) -> None:
    """Add a user; the password is the first line of stdin.

    The password needs 12 or more characters, and may not be a common password or the user name.

    \b
    Example: printf '%s\\n' "$PASSWORD" | wildtrace users add alice --role analyst
    """
    password = sys.stdin.readline().rstrip("\r\n")
    add_user(_engine(settings, db), name, role, password, actor="cli")
    click.echo(f"added {name} ({role})", err=True)


@users.command("list")
@click.option("--db", default=None, help="Database (default: as `wildtrace serve`).")
@click.pass_obj
def list_(settings: Settings, db: str | None) -> None:
    """List users and roles.

    Example: wildtrace users list
    """
    for user in list_users(_engine(settings, db)):
        state = "\tdisabled" if user.get("disabled") else ""
        click.echo(f"{user['name']}\t{user['role']}\t{user['created_at']}{state}")


@users.command("token")
@click.argument("name")
@click.option("--label", default="", help="What the token is for.")
@click.option("--db", default=None, help="Database (default: as `wildtrace serve`).")
@click.pass_obj
def token(settings: Settings, name: str, label: str, db: str | None) -> None:
    """Print a new API token for a user (use it as `Authorization: Bearer TOKEN`).

    Example: wildtrace users token alice --label "nightly export"
    """
    engine = _engine(settings, db)
    if name not in {u["name"] for u in list_users(engine)}:
        raise click.UsageError(f"no user {name!r}")
    click.echo(create_token(engine, name, label))


@users.command("disable")
@click.argument("name")
@click.option("--db", default=None, help="Database (default: as `wildtrace serve`).")
@click.pass_obj
def disable(settings: Settings, name: str, db: str | None) -> None:
    """Disable a user: no login, and their sessions and API tokens are refused at once.

    Example: wildtrace users disable alice
    """
    set_disabled(_engine(settings, db), name, True, actor="cli")
    click.echo(f"disabled {name}", err=True)


@users.command("enable")
@click.argument("name")
@click.option("--db", default=None, help="Database (default: as `wildtrace serve`).")
@click.pass_obj
def enable(settings: Settings, name: str, db: str | None) -> None:
    """Enable a disabled user again (their API tokens that were not revoked work again).

    Example: wildtrace users enable alice
    """
    set_disabled(_engine(settings, db), name, False, actor="cli")
    click.echo(f"enabled {name}", err=True)


@users.command("password")
@click.argument("name")
@click.option("--db", default=None, help="Database (default: as `wildtrace serve`).")
@click.pass_obj
def password(settings: Settings, name: str, db: str | None) -> None:
    """Set a user's password from the first line of stdin; their sessions end at once.

    \b
    Example: printf '%s\\n' "$PASSWORD" | wildtrace users password alice
    """
    new = sys.stdin.readline().rstrip("\r\n")
    ended = set_password(_engine(settings, db), name, new, actor="cli")
    click.echo(f"password of {name} changed; {ended['sessions']} session(s) ended", err=True)


@users.command("sessions")
@click.argument("name")
@click.option("--end", is_flag=True, help="End every session and revoke every API token of the user.")
@click.option("--db", default=None, help="Database (default: as `wildtrace serve`).")
@click.pass_obj
def sessions(settings: Settings, name: str, end: bool, db: str | None) -> None:
    """End every session and API token of a user (with --end), effective at once.

    Example: wildtrace users sessions alice --end
    """
    if not end:
        raise click.UsageError("say --end to end every session and API token of the user")
    ended = end_sessions(_engine(settings, db), name, actor="cli")
    click.echo(f"{name}: {ended['sessions']} session(s) ended, {ended['tokens']} API token(s) revoked", err=True)
