"""``wildtrace users``: workbench accounts (the password is read from stdin)."""

from __future__ import annotations

import sys

import click

from wildtrace.cli import HelpGroup
from wildtrace.cli.serve import database
from wildtrace.settings import Settings
from wildtrace.store.accounts import add_user, create_token, list_users
from wildtrace.store.sql import SQLStore


def _engine(settings: Settings, db: str | None):  # type: ignore[no-untyped-def]

    return SQLStore(database(settings, db)).engine


@click.group(cls=HelpGroup)
def users() -> None:
    """Add and list workbench users; make API tokens."""


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
        click.echo(f"{user['name']}\t{user['role']}\t{user['created_at']}")


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
