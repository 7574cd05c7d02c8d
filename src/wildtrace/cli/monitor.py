"""``wildtrace monitor``: crawl marketplace sources, see what changed, scan and capture on first sight."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import click
import orjson

from wildtrace.errors import ConfigError
from wildtrace.evidence.net import allowed_origins
from wildtrace.settings import Settings


def _store(settings: Settings, db: str | None) -> Any:
    from wildtrace.store import open_store

    return open_store(db or settings.db_target)


_DB = click.option("--db", default=None, help="The database (default: WILDTRACE_DB or DATA_DIR/wildtrace.sqlite).")
_GUARD = [
    click.option("--allow-private", is_flag=True,
                 help="Allow loopback, private and link-local addresses for every source (refused by default: "
                      "a listing's links and redirects are written by criminals)."),
    click.option("--allow-origin", "allow_origin", multiple=True, metavar="ORIGIN",
                 help="Let exactly this origin (scheme://host:port) through the address guard although it is "
                      "private (your own test site); repeatable. Every other private address stays refused."),
]


def _guard(f: Any) -> Any:
    for option in reversed(_GUARD):
        f = option(f)
    return f


@click.group()
def monitor() -> None:
    """Crawl marketplace sources (one YAML file each): new, changed and gone listings, scanned,
    stored and captured on first sight.

    Example: wildtrace monitor run examples/sources/*.yaml
    """


@monitor.command("run")
@click.argument("sources", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@_DB
@_guard
@click.option("--evidence-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where captures go, one folder per source (default: DATA_DIR/evidence/monitor-NAME).")
@click.option("--key", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Private key that signs custody entries and each pass's seal (wildtrace evidence keygen; "
                   "default: WILDTRACE_EVIDENCE_KEY). Without one, captures are unsigned.")
@click.option("--tsa-url", default=None, help="RFC 3161 timestamp authority for the seal (default: WILDTRACE_TSA_URL).")
@click.option("--contact", default=None,
              help="An e-mail or URL site operators can reach you at, put in the User-Agent "
                   "(default: WILDTRACE_MONITOR_CONTACT).")
@click.option("--no-capture", is_flag=True, help="Scan and store, capture nothing.")
@click.option("--no-screenshot", is_flag=True, help="Captures without the Chromium screenshot.")
@click.option("--json", "as_json", is_flag=True, help="One JSON report per source instead of a line.")
@click.option("--verbose", is_flag=True, help="Scrapy's log on stderr.")
@click.pass_obj
def run(settings: Settings, sources: tuple[Path, ...], db: str | None, allow_private: bool,
        allow_origin: tuple[str, ...], evidence_dir: Path | None, key: Path | None, tsa_url: str | None,
        contact: str | None, no_capture: bool, no_screenshot: bool, as_json: bool, verbose: bool) -> None:
    """One pass over each source: prints, per source, how many listings are new, changed and gone.

    A killed pass resumes where it stopped on the next run, fetching nothing twice.

    Example: wildtrace monitor run examples/sources/*.yaml --key keys/wildtrace-evidence.key
    """
    from wildtrace import extras

    extras.need("monitor", "scrapy", "extruct", "protego")
    from wildtrace.monitor.run import RunOptions, run_sources
    from wildtrace.monitor.sources import load_all
    from wildtrace.monitor.spider import Options

    loaded = load_all(sources)
    for source in loaded:
        if not source.robots:
            click.echo(f"monitor: source {source.name} does not obey robots.txt (robots: false in {source.path})",
                       err=True)
    key = key or settings.evidence_key
    if key is not None and not Path(key).is_file():
        raise ConfigError(f"--key {key}: no such file (make one with: wildtrace evidence keygen DIR)")
    contact = contact or settings.monitor_contact
    if not contact:
        click.echo("monitor: no contact in the User-Agent: set WILDTRACE_MONITOR_CONTACT or --contact", err=True)
    options = Options(allow_private=allow_private, allow_origins=allowed_origins(allow_origin), contact=contact,
                      log_level="INFO" if verbose else "ERROR")
    store = _store(settings, db)
    try:
        reports = run_sources(settings, loaded, RunOptions(options=options, evidence_dir=evidence_dir, key=key,
                                                           capture=not no_capture, screenshot=not no_screenshot,
                                                           tsa_url=tsa_url),
                              store)
    finally:
        store.close()
    for report in reports:
        if as_json:
            click.echo(orjson.dumps({"source": report.source, "run_id": report.run_id, "resumed": report.resumed,
                                     "state": report.state, "counts": report.counts, "errors": report.errors,
                                     "changes": report.changes, "seal": report.seal,
                                     "evidence_dir": str(report.evidence_dir) if report.evidence_dir else None},
                                    default=str).decode())
        else:
            click.echo(report.line())
            if report.seal is not None:
                seal = report.seal
                said = seal.get("summary") or f"{seal.get('captures')} captures not sealed ({seal.get('status')}: " \
                                              f"{seal.get('reason')})"
                click.echo(f"  evidence: {report.evidence_dir}: {said}")
            for err in report.errors[-5:]:
                click.echo(f"  error: {err['url']}: {err['reason']}")


@monitor.command("status")
@_DB
@click.option("--json", "as_json", is_flag=True, help="JSON Lines, one source per line.")
@click.pass_obj
def status(settings: Settings, db: str | None, as_json: bool) -> None:
    """The last pass of every source: when, its state, counts and last errors.

    Example: wildtrace monitor status
    """
    from wildtrace.store import crawl

    store = _store(settings, db)
    try:
        rows = crawl.status(store.engine)
    finally:
        store.close()
    if not rows:
        click.echo("no source has run yet: wildtrace monitor run SOURCE.yaml")
        return
    for row in rows:
        if as_json:
            click.echo(orjson.dumps(row, default=str).decode())
            continue
        c = row["counts"]
        state = row["state"] if row["finished_at"] else f"{row['state']} (unfinished: the next run resumes it)"
        click.echo(f"{row['source']}: last pass {row['started_at']} {state}; {c.get('new', 0)} new, "
                   f"{c.get('changed', 0)} changed, {c.get('gone', 0)} gone, {c.get('pages', 0)} pages, "
                   f"{c.get('captured', 0)} captured, {c.get('errors', 0)} errors; {row['listings_live']} listings "
                   f"live, {row['listings_gone']} gone; {row['passes']} passes")
        for err in row["errors"][-3:]:
            click.echo(f"  error: {err.get('url')}: {err.get('reason')}")


@monitor.command("schedule")
@click.argument("sources", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@_DB
@_guard
@click.option("--key", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Passed to each run (see monitor run --key).")
@click.option("--no-capture", is_flag=True, help="Passed to each run: scan and store, capture nothing.")
@click.option("--once", is_flag=True, help="Run the passes due now, then stop.")
@click.pass_obj
def schedule(settings: Settings, sources: tuple[Path, ...], db: str | None, allow_private: bool,
             allow_origin: tuple[str, ...], key: Path | None, no_capture: bool, once: bool) -> None:
    """Run each source every `schedule: {every: ...}` of its file, until stopped (Ctrl-C or SIGTERM).

    Each pass is its own `monitor run` process. Example systemd unit: docs/monitor.md.

    Example: wildtrace monitor schedule examples/sources/*.yaml --once
    """
    from wildtrace.monitor.run import schedule as run_schedule
    from wildtrace.monitor.sources import load_all

    loaded = load_all(sources)
    allowed_origins(allow_origin)  # a mistyped origin is one line now, not in every pass
    if key is not None and not Path(key).is_file():
        raise ConfigError(f"--key {key}: no such file (make one with: wildtrace evidence keygen DIR)")
    argv = [*(["--db", db] if db else []), *(["--allow-private"] if allow_private else []),
            *[a for o in allow_origin for a in ("--allow-origin", o)], *(["--key", str(key)] if key else []),
            *(["--no-capture"] if no_capture else [])]
    stopping: list[bool] = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    store = _store(settings, db)
    try:
        run_schedule(store, loaded, argv, echo=click.echo, once=once, stop=lambda: bool(stopping))
    except KeyboardInterrupt:
        click.echo("monitor schedule: stopped")
    finally:
        store.close()
