"""The ``wildtrace`` command. Each command group is one thin module over the library.

Exit codes: 0 success; 1 error; 2 bad usage or option; 3 finished, but some
input records were rejected (see stderr and ``--rejects``).
"""

from __future__ import annotations

import sys
from typing import Any

import click

from wildtrace import __version__
from wildtrace.errors import WildTraceError
from wildtrace.settings import Settings

EXIT_REJECTS = 3


class _Group(click.Group):
    """Turns WildTraceError into one line on stderr and its exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except WildTraceError as exc:
            click.echo(f"wildtrace: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except BrokenPipeError:  # `wildtrace scan | head`
            sys.stderr.close()
            ctx.exit(0)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wildtrace")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Find, explain and rank wildlife-trade offers in online listings."""
    ctx.obj = Settings.from_env()


def load_commands() -> None:
    """Import every module of this package: each registers its commands on ``cli``."""
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


def main() -> None:
    load_commands()
    cli(prog_name="wildtrace")
