"""``wildtrace case``: group listings, sellers and evidence in the one case store; export them."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
import orjson

from wildtrace import cases, plugins
from wildtrace.cli import EXIT_REJECTS, HelpGroup
from wildtrace.cli.streams import open_input
from wildtrace.progress import Progress
from wildtrace.rejects import Reject
from wildtrace.settings import Settings
from wildtrace.store.sql import SQLStore

_db = click.option("--db", default=None, help="Database (default: WILDTRACE_DB, else DATA_DIR/wildtrace.sqlite).")
_author = click.option("--author", default=None, help="Who does this (default: the login name).")


@contextmanager
def _store(settings: Settings, db: str | None) -> Iterator[SQLStore]:
    store = SQLStore(db or settings.db_target)
    try:
        yield store
    finally:
        store.close()


@click.group(cls=HelpGroup)
def case() -> None:
    """Cases: listings, sellers and evidence for one investigation (the same cases as the workbench)."""


@case.command()
@click.argument("name")
@click.option("--title", default="", help="A title for people (default: the name).")
@_db
@_author
@click.pass_obj
def create(settings: Settings, name: str, title: str, db: str | None, author: str | None) -> None:
    """Create a new, empty case called NAME.

    Example: wildtrace case create op-scales --title "Pangolin scales, Q3"
    """
    with _store(settings, db) as store:
        made = cases.create(store, title, author or getpass.getuser(), name=name)
    click.echo(f"created case {made['name']} (id {made['id']})")


@case.command()
@click.argument("name")
@click.option("--results", type=click.Path(allow_dash=True, dir_okay=False), default=None,
              help="Add listings from `wildtrace scan` JSONL (- for stdin).")
@click.option("--min-risk", type=float, default=0.0, show_default=True, help="With --results: only risk ≥ this.")
@click.option("--id", "ids", multiple=True, help="With --results: only these listing ids.")
@click.option("--listing", "listings", multiple=True, help="Add a listing already in the database, by id.")
@click.option("--seller", "sellers", multiple=True, help="Add a seller account (platform:seller).")
@click.option("--evidence-dir", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
              help="Add captures from this evidence folder.")
@click.option("--capture", "captures", multiple=True, help="With --evidence-dir: only these capture ids.")
@click.option("--public-key", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="With --evidence-dir: every custody entry must be signed by this key (evidence keygen; "
                   "default: WILDTRACE_EVIDENCE_PUBLIC_KEY); a folder that fails verify is refused.")
@_db
@_author
@click.pass_obj
def add(settings: Settings, name: str, results: str | None, min_risk: float, ids: tuple[str, ...],
        listings: tuple[str, ...], sellers: tuple[str, ...], evidence_dir: Path | None, captures: tuple[str, ...],
        public_key: Path | None, db: str | None, author: str | None) -> None:
    """Add listings, sellers or captures to case NAME (append-only; repeats are ignored).

    Example: wildtrace scan l.jsonl | wildtrace case add op-scales --results - --min-risk 0.5
    """
    who = author or getpass.getuser()
    problems: list[Reject] = []
    with _store(settings, db) as store:
        cid = cases.find(store, name, legacy_dir=settings.legacy_cases_dir)
        if results:
            with open_input(results) as stream:
                n, problems = cases.add_results(store, cid, stream, author=who, min_risk=min_risk, ids=ids)
            click.echo(f"added {n} listings")
        if listings:
            click.echo(f"added {cases.add_listings(store, cid, listings, who)} listings")
        if sellers:
            click.echo(f"added {cases.add_sellers(store, cid, sellers, who)} sellers")
        if evidence_dir:
            added = cases.add_captures(store, cid, evidence_dir, author=who, capture_ids=captures,
                                       public_key=public_key or settings.evidence_public_key)
            click.echo(f"added {added} captures")
    for p in problems:
        click.echo(f"wildtrace: {results}: line {p.line}: {p.reason}", err=True)
    if problems:
        raise SystemExit(EXIT_REJECTS)


@case.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@_db
@click.pass_obj
def show(settings: Settings, name: str, as_json: bool, db: str | None) -> None:
    """Show what case NAME (or its id) holds.

    Example: wildtrace case show op-scales --json
    """
    with _store(settings, db) as store:
        data = cases.load(store, name, legacy_dir=settings.legacy_cases_dir)
    summary, members = data.summary(), [_member(r) for r in data.results]
    if as_json:
        click.echo(orjson.dumps({**summary, "members": members}, option=orjson.OPT_INDENT_2).decode())
        return
    for key, value in summary.items():
        click.echo(f"{key}: {', '.join(value) if isinstance(value, list) else value}")
    for m in members:
        click.echo(f"  {m['id']}\t{m['verdict']}\t{m['score']:.2f}\t{m['seller']}\t{m['title']}")


def _member(result: dict[str, Any]) -> dict[str, Any]:
    """One listing of a case as ``case show`` lists it (control characters of hostile text removed)."""
    listing = result.get("listing") or {}

    def clean(value: object, limit: int) -> str:
        return "".join(ch if ch.isprintable() else " " for ch in str(value or ""))[:limit]

    return {"id": clean(listing.get("id"), 200), "verdict": clean(result.get("verdict"), 20),
            "score": float(result.get("score") or 0.0), "seller": clean(listing.get("seller"), 60),
            "title": clean(listing.get("title"), 80)}


@case.command("export")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(plugins.exporters.names()), required=True,
              help="ftm (Aleph), gexf/graphml (Gephi), csv (Maltego/i2), html/pdf report, takedown.")
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="Output file (a folder for csv).")
@click.option("--judgements", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A judgements.jsonl kept before judgements moved into the database, imported once "
                   "(default: DATA_DIR/judgements.jsonl if there is one); the stored judgements apply.")
@click.option("--quiet", is_flag=True, help="No progress on stderr.")
@_db
@click.pass_obj
def export_(settings: Settings, name: str, fmt: str, output: Path, judgements: Path | None, quiet: bool,
            db: str | None) -> None:
    """Export case NAME (or its id), made here or in the workbench.

    Example: wildtrace case export op-scales --format pdf -o op-scales.pdf
    """
    with _store(settings, db) as store:
        data = cases.load(store, name, judgements=judgements or settings.judgements,
                          legacy_dir=settings.legacy_cases_dir)
    progress = Progress(f"case export {fmt}", items="rows", unit="row", quiet=quiet, every=settings.progress_every)
    n = cases.export(data, fmt, output, progress=progress.tick)
    progress.close()
    click.echo(f"wrote {fmt} ({n}) to {output}")
