"""``wildtrace demo``: scan the bundled synthetic demo set and print the ranked summary; with
``--marketplace``, serve the demo marketplace for ``wildtrace monitor`` until Ctrl-C."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import click

from wildtrace import demosite, manifest
from wildtrace.pipeline import Sinks, ingest
from wildtrace.scan.readers import read_listings
from wildtrace.scan.scanner import Scanner
from wildtrace.settings import Settings

DEMO_FILE = manifest.path("demo_listings")
MONITOR_COMMAND = "wildtrace monitor run examples/sources/*.yaml"


@click.command()
@click.option("-n", "--top", default=15, show_default=True, help="How many listings to rank.")
@click.option("--marketplace", is_flag=True,
              help="Instead, serve the demo marketplace (a grid, a JSON-LD shop and a scrolling feed of the "
                   "demo listings) on 127.0.0.1 until Ctrl-C, for wildtrace monitor to crawl.")
@click.option("--port", default=None, type=click.IntRange(1, 65535),
              help=f"The demo marketplace's port (with --marketplace; default {demosite.DEFAULT_PORT}, "
                   "the port the example sources name).")
@click.pass_obj
def demo(settings: Settings, top: int, marketplace: bool, port: int | None) -> None:
    """Scan the bundled demo listings (synthetic, several languages) and rank them.

    With --marketplace, serve them as a demo marketplace on 127.0.0.1 instead, in the
    foreground until Ctrl-C, and monitor it from another terminal with
    wildtrace monitor run examples/sources/*.yaml (wildtrace demo --marketplace --port 8151).

    Example: wildtrace demo --top 5
    """
    if port is not None and not marketplace:
        raise click.UsageError("--port is the demo marketplace's port: it needs --marketplace")
    if marketplace:
        serve_marketplace(demosite.DEFAULT_PORT if port is None else port)
        return
    scanner = Scanner(settings)
    click.echo(f"WildTrace demo: {DEMO_FILE.name} holds SYNTHETIC listings written for this demo.\n")
    with open(DEMO_FILE, "rb") as fh:
        items = read_listings(fh, fmt="jsonl", max_field_chars=settings.max_field_chars,
                              max_record_bytes=settings.max_record_bytes)
        summary = ingest(items, scanner, Sinks(), top_n=top)
    click.echo(summary.render())
    click.echo("\nFull results: wildtrace scan " + str(DEMO_FILE) + " | less")
    click.echo("Investigate them in the workbench, beside their demo marketplace: wildtrace serve --demo")
    click.echo("Watch them as a marketplace: wildtrace demo --marketplace, then wildtrace monitor run "
               "examples/sources/*.yaml")


def serve_marketplace(port: int) -> None:
    """The demo marketplace in the foreground: its URL and the next command, then nothing until
    Ctrl-C or SIGTERM (exit 0)."""
    site = demosite.start(port)
    stop = threading.Event()

    def on_term(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_term)
    # Ctrl-C stops it even when this process was started with SIGINT ignored (a parent that ignores
    # it passes that on, and Python then raises no KeyboardInterrupt: a CI run waited 20 s for one)
    previous_int = signal.signal(signal.SIGINT, on_term)
    try:
        click.echo(f"WildTrace demo marketplace (SYNTHETIC listings) at {site.origin}/")
        click.echo(f"  grid {site.origin}/grid   shop {site.origin}/shop   feed {site.origin}/feed")
        if port != demosite.DEFAULT_PORT:
            click.echo(f"  (the example sources name port {demosite.DEFAULT_PORT}: copy them and change "
                       f"start_urls and allow_origins to {site.origin})")
        click.echo(f"Next, in another terminal: {MONITOR_COMMAND}")
        click.echo("Stop it with Ctrl-C.")
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)
        site.close()
    click.echo("Demo marketplace stopped.")
