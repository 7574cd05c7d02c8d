"""``wildtrace demo``: scan the bundled synthetic demo set and print the ranked summary."""

from __future__ import annotations

import click

from wildtrace import manifest
from wildtrace.pipeline import Sinks, ingest
from wildtrace.scan.readers import read_listings
from wildtrace.scan.scanner import Scanner
from wildtrace.settings import Settings

DEMO_FILE = manifest.path("demo_listings")


@click.command()
@click.option("-n", "--top", default=15, show_default=True, help="How many listings to rank.")
@click.pass_obj
def demo(settings: Settings, top: int) -> None:
    """Scan the bundled demo listings (synthetic, several languages) and rank them.

    Example: wildtrace demo --top 5
    """
    scanner = Scanner(settings)
    click.echo(f"WildTrace demo: {DEMO_FILE.name} holds SYNTHETIC listings written for this demo.\n")
    with open(DEMO_FILE, "rb") as fh:
        items = read_listings(fh, fmt="jsonl", max_field_chars=settings.max_field_chars,
                              max_record_bytes=settings.max_record_bytes)
        summary = ingest(items, scanner, Sinks(), top_n=top)
    click.echo(summary.render())
    click.echo("\nFull results: wildtrace scan " + str(DEMO_FILE) + " | less")
    click.echo("Investigate them in the workbench, beside their demo marketplace: wildtrace serve --demo")
