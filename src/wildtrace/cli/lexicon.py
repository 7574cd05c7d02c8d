"""``wildtrace lexicon``: code-word discovery and the local lexicon the scan uses."""

from __future__ import annotations

from pathlib import Path

import click
import orjson

from wildtrace.cli._learn_options import LABELS_OPT, LISTINGS_ARG, report
from wildtrace.learn import review, sources
from wildtrace.scan import locallex
from wildtrace.settings import Settings


@click.group()
def lexicon() -> None:
    """Code-word discovery and the local lexicon the scan uses beside the built-in one."""


@lexicon.command("suggest")
@LISTINGS_ARG
@LABELS_OPT
@click.option("--top", default=30, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="JSON Lines instead of a table.")
@click.pass_obj
def lexicon_suggest(settings: Settings, listings: Path | None, labels: Path | None, top: int, as_json: bool) -> None:
    """Rank candidate terms distinctive of confirmed positives, with example listings."""
    loaded = sources.Loaded()
    found = review.suggest_codewords(settings, listings, labels, top=top, loaded=loaded)
    report(loaded, listings, labels)
    for c in found:
        if as_json:
            click.echo(orjson.dumps(c.to_dict()).decode())
        else:
            click.echo(f"{c.term:24} z={c.z:6.2f} pos={c.positives:<5} neg={c.negatives:<5} "
                       f"precision={c.precision:.2f} keyword-free={c.keyword_free:<4} "
                       f"with={c.cooccurs_with or '-':16} e.g. {', '.join(c.examples)}")


@lexicon.command("add")
@click.argument("term")
@click.option("--kind", type=click.Choice(["code_word", "sale_cue", "depiction_cue", "innocent"]),
              default="code_word", show_default=True)
@click.option("--lang", default="und", show_default=True)
@click.option("--means-product", default=None, help="Product type the code word stands for.")
@click.option("--means-taxon", default=None, help="Scientific name the code word stands for.")
@click.option("--context-required", is_flag=True, help="Counts only beside other wildlife evidence.")
@click.option("--author", default="unknown", show_default=True)
@click.option("--note", default=None)
@click.pass_obj
def lexicon_add(settings: Settings, term: str, kind: str, lang: str, means_product: str | None,
                means_taxon: str | None, context_required: bool, author: str, note: str | None) -> None:
    """Add TERM to the local lexicon (a new version; the scan uses it from now on)."""
    version = locallex.add(settings.local_lexicon, term, kind=kind, lang=lang, means_product=means_product,
                           means_taxon=means_taxon, context_required=context_required, author=author, note=note)
    click.echo(f"local lexicon v{version}: added {term!r} ({kind})", err=True)


@lexicon.command("remove")
@click.argument("term")
@click.option("--author", default="unknown", show_default=True)
@click.option("--note", default=None)
@click.pass_obj
def lexicon_remove(settings: Settings, term: str, author: str, note: str | None) -> None:
    """Remove TERM from the local lexicon (a new version; the history keeps it)."""
    version = locallex.remove(settings.local_lexicon, term, author=author, note=note)
    click.echo(f"local lexicon v{version}: removed {term!r}", err=True)


@lexicon.command("list")
@click.option("--version", "version", type=int, default=None, help="List an earlier version.")
@click.pass_obj
def lexicon_list(settings: Settings, version: int | None) -> None:
    """The local lexicon's terms (JSON Lines), at its latest or a given version."""
    reached, terms = locallex.terms(settings.local_lexicon, version)
    click.echo(f"local lexicon v{reached}: {len(terms)} terms", err=True)
    for t in terms:
        click.echo(orjson.dumps(t.to_dict()).decode())


@lexicon.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@click.option("--version", "version", type=int, default=None)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.pass_obj
def lexicon_export(settings: Settings, fmt: str, version: int | None, output: Path | None) -> None:
    """Export the local lexicon (CSV in the columns of data/codewords.csv, or JSON Lines)."""
    text = locallex.export(settings.local_lexicon, fmt, version)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
