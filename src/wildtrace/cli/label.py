"""``wildtrace label``: import and list analysts' labels (the store's one labels table)."""

from __future__ import annotations

from pathlib import Path

import click
import orjson

from wildtrace.cli import EXIT_REJECTS, HelpGroup
from wildtrace.learn import sources
from wildtrace.settings import Settings


@click.group(cls=HelpGroup)
def label() -> None:
    """Analysts' labels (stored append-only in the database, beside the workbench's)."""


@label.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--listings", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Check ids against this listings file (default: listings saved in the database).")
@click.option("--unchecked", is_flag=True, help="Store labels even when their ids cannot be checked.")
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write rejected label rows here (JSON Lines).")
@click.pass_obj
def label_import(settings: Settings, file: Path, listings: Path | None, unchecked: bool,
                 rejects: Path | None) -> None:
    """Import labels from FILE (CSV or JSONL: id, label, reviewer, note, labelled_at).

    A label is 1 or 0, or wildlife_offer, depiction_or_faux or not_wildlife.
    Labels whose id is not among the known listings are rejected (exit 3).

    Example: wildtrace label import labels.csv
    """
    report = sources.import_labels(settings, file, listings_path=listings, unchecked=unchecked)
    for r in report.rejects[:20]:
        click.echo(f"wildtrace: {file}: line {r.line}" + (f" (id {r.record_id})" if r.record_id else "")
                   + f": rejected: {r.reason}", err=True)
    if rejects is not None:
        rejects.write_bytes(b"".join(orjson.dumps({"source": str(file), **r.to_dict()}) + b"\n"
                                     for r in report.rejects))
    click.echo(f"{report.read:,} rows read: {report.added:,} labels added, {report.duplicates:,} already stored, "
               f"{len(report.rejects):,} rejected")
    if report.rejects:
        raise SystemExit(EXIT_REJECTS)


@label.command("list")
@click.option("--conflicts", is_flag=True, help="Only listings whose reviewers disagree.")
@click.pass_obj
def label_list(settings: Settings, conflicts: bool) -> None:
    """Resolved labels, one JSON object per listing (label, conflict, each reviewer's vote).

    Example: wildtrace label list --conflicts
    """
    shown = 0
    for r in sources.resolved_labels(settings):
        if conflicts and not r.conflict:
            continue
        shown += 1
        click.echo(orjson.dumps({"id": r.listing_id, "label": r.label, "conflict": r.conflict,
                                 "votes": r.votes}).decode())
    if not shown:
        click.echo("wildtrace: no conflicting labels" if conflicts else "wildtrace: no labels stored yet", err=True)
