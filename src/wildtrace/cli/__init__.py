"""The ``wildtrace`` command: a thin adapter. Each command module parses options, calls one
library function and formats its answer.

Commands register by name in ``wildtrace.plugins.commands`` (the one extension mechanism) with
their one-line help, so ``wildtrace --help`` lists them without importing any of them.

Exit codes: 0 success; 1 error; 2 bad usage or option; 3 finished, but some
input records were rejected (see stderr and ``--rejects``).
"""

from __future__ import annotations

import sys
from typing import Any

import click

from wildtrace import __version__, extras, plugins
from wildtrace.errors import WildTraceError
from wildtrace.settings import Settings

EXIT_REJECTS = 3

#: name -> (module:attribute, one-line help)
COMMANDS = {
    "scan": ("wildtrace.cli.scan:scan", "Scan listings (JSON Lines or CSV, file or stdin) and write one result per listing."),
    "demo": ("wildtrace.cli.demo:demo", "Scan the bundled synthetic demo listings and print the ranked summary."),
    "serve": ("wildtrace.cli.serve:serve", "Run the analyst workbench: web UI and JSON API."),
    "label": ("wildtrace.cli.label:label", "Analysts' labels (stored append-only in the database)."),
    "train": ("wildtrace.cli.train:train", "Fit a calibrated text model on labelled listings."),
    "evaluate": ("wildtrace.cli.train:evaluate", "Honest evaluation with group-aware folds and bootstrap CIs."),
    "queue": ("wildtrace.cli.review:queue", "Propose the next unlabelled listings to label."),
    "similar": ("wildtrace.cli.review:similar", "More like this: listings nearest to confirmed positives."),
    "lexicon": ("wildtrace.cli.lexicon:lexicon", "Code-word discovery and the local lexicon."),
    "capture": ("wildtrace.cli.capture:capture", "Capture listing pages as evidence (WARC, hashes, custody log)."),
    "evidence": ("wildtrace.cli.evidence:evidence", "Verify an evidence folder against its custody log."),
    "network": ("wildtrace.cli.network:network", "Seller networks from scan results; analyst judgements."),
    "case": ("wildtrace.cli.case:case", "Cases: listings, sellers and evidence for one investigation."),
    "species": ("wildtrace.cli.species:species", "Everything WildTrace knows about a species, with its zoonotic profile."),
    "data": ("wildtrace.cli.data:data", "Reference data: import a Species+ export."),
    "trade": ("wildtrace.cli.trade:trade", "CITES trade database and LEMIS shipment analytics."),
    "users": ("wildtrace.cli.users:users", "Workbench users, roles and API tokens."),
    "monitor": ("wildtrace.cli.monitor:monitor", "Crawl marketplace sources: new, changed and gone listings, captured on first sight."),
    "patrol": ("wildtrace.cli.patrol:patrol", "Patrols: where illegal activity will be found next, from SMART and EarthRanger records."),
}
for _name, (_target, _help) in COMMANDS.items():
    plugins.commands.register_lazy(_name, _target, help=_help)

#: The extra a command needs as a whole: what a missing package of it names (scan and demo need none;
#: ``scan --db`` names the store's when it reaches for it)
COMMAND_EXTRAS = {
    "serve": "workbench", "users": "workbench", "label": "learn", "train": "learn", "evaluate": "learn",
    "queue": "learn", "similar": "learn", "lexicon": "learn", "capture": "investigations",
    "evidence": "investigations", "network": "investigations", "case": "investigations", "trade": "trade",
    "patrol": "patrol",
}


def summary_line(cmd: click.Command) -> str:
    """The first paragraph of a command's help, whole (click would cut it at 45 characters or at
    the first full stop, "Res. Conf." included)."""
    first = (cmd.help or "").strip().split("\n\n")[0]
    return " ".join(first.replace("\b", " ").split())


class HelpGroup(click.Group):
    """A command group whose listing shows each subcommand's whole first paragraph."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, summary_line(cmd)) for name, cmd in self.commands.items() if not cmd.hidden]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _missing_extra(ctx: click.Context, exc: ImportError, command: str | None = None) -> None:
    """An optional package that is not installed: the one line naming its extra (the command's own
    extra when it is known: installing only the package's would not be enough), exit 2."""
    missing = extras.from_import_error(exc)
    if missing is not None and command in COMMAND_EXTRAS:
        missing = extras.MissingExtra(COMMAND_EXTRAS[command], missing.module)
    if missing is not None:
        click.echo(f"wildtrace: error: {missing}", err=True)
        ctx.exit(missing.exit_code)


class _Group(click.Group):
    """Commands from the registry, imported only when run; WildTraceError -> one line and its exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return plugins.commands.names()

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in plugins.commands.names():
            return None
        try:
            command: click.Command = plugins.commands.get(cmd_name)
        except ImportError as exc:  # a command whose extra is not installed: one line, exit 2
            _missing_extra(ctx, exc, cmd_name)
            raise
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, plugins.commands.help(name)) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except WildTraceError as exc:
            click.echo(f"wildtrace: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except ImportError as exc:
            _missing_extra(ctx, exc, ctx.invoked_subcommand)
            raise
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
    """Import every registered command (tests and docs generation use this; the CLI does not need it)."""
    for name in plugins.commands.names():
        plugins.commands.get(name)


def main() -> None:
    cli(prog_name="wildtrace")
