"""``wildtrace case``: group listings, sellers and evidence; export them."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click
import orjson

from wildtrace.cli import EXIT_REJECTS, cli
from wildtrace.export import EXPORTERS
from wildtrace.export.case import Case
from wildtrace.export.run import export as run_export
from wildtrace.settings import Settings

_cases_dir = click.option("--cases-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                          help="Where cases live (default: DATA_DIR/cases).")
_author = click.option("--author", default=None, help="Who does this (default: the login name).")


def _dir(settings: Settings, cases_dir: Path | None) -> Path:
    return cases_dir or settings.data_dir / "cases"


@cli.group()
def case() -> None:
    """Cases: listings, sellers and evidence for one investigation."""


@case.command()
@click.argument("name")
@click.option("--title", default="")
@_cases_dir
@_author
@click.pass_obj
def create(settings: Settings, name: str, title: str, cases_dir: Path | None, author: str | None) -> None:
    """Create a new, empty case."""
    c = Case.create(_dir(settings, cases_dir), name, author=author or getpass.getuser(), title=title)
    click.echo(f"created case {name} in {c.dir}")


@case.command()
@click.argument("name")
@click.option("--results", type=click.Path(allow_dash=True, dir_okay=False), default=None,
              help="Add listings from `wildtrace scan` JSONL.")
@click.option("--min-risk", type=float, default=0.0, show_default=True)
@click.option("--id", "ids", multiple=True, help="With --results: only these listing ids.")
@click.option("--seller", "sellers", multiple=True, help="Add a seller account (platform:seller).")
@click.option("--evidence-dir", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
              help="Add captures from this evidence folder.")
@click.option("--capture", "captures", multiple=True, help="With --evidence-dir: only these capture ids.")
@_cases_dir
@_author
@click.pass_obj
def add(settings: Settings, name: str, results: str | None, min_risk: float, ids: tuple[str, ...],
        sellers: tuple[str, ...], evidence_dir: Path | None, captures: tuple[str, ...],
        cases_dir: Path | None, author: str | None) -> None:
    """Add listings, sellers or captures to a case (append-only; repeats are ignored)."""
    c = Case.open(_dir(settings, cases_dir), name)
    who = author or getpass.getuser()
    problems: list[str] = []
    if results:
        stream = sys.stdin.buffer if results == "-" else open(results, "rb")  # noqa: SIM115
        try:
            n, problems = c.add_results(stream, author=who, min_risk=min_risk, ids=ids)
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()
        click.echo(f"added {n} listings")
    if sellers:
        click.echo(f"added {c.add_sellers(sellers, author=who)} sellers")
    if evidence_dir:
        click.echo(f"added {c.add_captures(evidence_dir, author=who, capture_ids=captures)} captures")
    for p in problems:
        click.echo(f"wildtrace: {results}: {p}", err=True)
    if problems:
        raise SystemExit(EXIT_REJECTS)


@case.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@_cases_dir
@click.pass_obj
def show(settings: Settings, name: str, as_json: bool, cases_dir: Path | None) -> None:
    """Show what a case holds."""
    data = Case.open(_dir(settings, cases_dir), name).load()
    summary = data.summary()
    if as_json:
        click.echo(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode())
        return
    for key, value in summary.items():
        click.echo(f"{key}: {', '.join(value) if isinstance(value, list) else value}")


@case.command("export")
@click.argument("name")
@click.option("--format", "fmt", type=click.Choice(list(EXPORTERS)), required=True)
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="Output file (a folder for csv).")
@click.option("--judgements", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Analyst judgements to apply (default: DATA_DIR/judgements.jsonl).")
@_cases_dir
@click.pass_obj
def export_(settings: Settings, name: str, fmt: str, output: Path, judgements: Path | None,
            cases_dir: Path | None) -> None:
    """Export a case: ftm (Aleph), gexf/graphml (Gephi), csv (Maltego/i2), html/pdf report, takedown."""
    data = Case.open(_dir(settings, cases_dir), name).load(judgements or settings.data_dir / "judgements.jsonl")
    n = run_export(data, fmt, output)
    click.echo(f"wrote {fmt} ({n}) to {output}")
