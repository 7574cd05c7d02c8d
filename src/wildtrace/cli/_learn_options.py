"""Options and reporting shared by the learning commands (label, train, evaluate, queue, similar, lexicon)."""

from __future__ import annotations

from pathlib import Path

import click

from wildtrace.learn.sources import Loaded

LISTINGS_ARG = click.argument("listings", required=False, type=click.Path(exists=True, dir_okay=False,
                                                                          path_type=Path))
LABELS_OPT = click.option("--labels", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
                          help="Label file (CSV or JSONL: id,label,reviewer,note,labelled_at); default: the "
                               "labels in the database (imported and given in the workbench).")


def report(loaded: Loaded, listings: Path | None, labels: Path | None) -> None:
    """What was left out, on stderr."""
    for r in loaded.rejects[:20]:
        click.echo(f"wildtrace: {listings}: line {r.line}: rejected: {r.reason}", err=True)
    if len(loaded.rejects) > 20:
        click.echo(f"wildtrace: {listings}: … {len(loaded.rejects) - 20:,} more rejected records", err=True)
    for lr in loaded.label_rejects[:20]:
        click.echo(f"wildtrace: {labels}: line {lr.line}: label rejected: {lr.reason}", err=True)
    if loaded.unknown:
        click.echo(f"wildtrace: {len(loaded.unknown):,} labels name listing ids not among the listings and were "
                   f"left out (e.g. {', '.join(loaded.unknown[:5])})", err=True)
