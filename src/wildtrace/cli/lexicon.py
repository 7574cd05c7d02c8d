"""``wildtrace lexicon``: code-word discovery and the local lexicon the scan uses (kept in the store)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click
import orjson

from wildtrace.cli import HelpGroup
from wildtrace.cli._learn_options import LABELS_OPT, LISTINGS_ARG, report
from wildtrace.learn import review, sources
from wildtrace.settings import Settings

if TYPE_CHECKING:
    from wildtrace.store.lexicon import LocalLexicon

_db = click.option("--db", default=None, help="Database (default: WILDTRACE_DB, else DATA_DIR/wildtrace.sqlite).")


@contextmanager
def _lexicon(settings: Settings, db: str | None) -> Iterator[LocalLexicon]:
    """The local lexicon in the store (DATA_DIR/local_lexicon.jsonl, if any, imported once)."""
    from wildtrace.store.lexicon import LocalLexicon

    with LocalLexicon.for_settings(settings, db) as lexicon:
        yield lexicon


@click.group(cls=HelpGroup)
def lexicon() -> None:
    """Code-word discovery and the local lexicon the scan uses beside the built-in one."""


@lexicon.command("suggest")
@LISTINGS_ARG
@LABELS_OPT
@click.option("--top", default=30, show_default=True, help="How many candidate terms to list.")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines instead of a table.")
@click.pass_obj
def lexicon_suggest(settings: Settings, listings: Path | None, labels: Path | None, top: int, as_json: bool) -> None:
    """Rank candidate terms distinctive of confirmed positives, with example listings.

    Example: wildtrace lexicon suggest --top 20
    """
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
              default="code_word", show_default=True,
              help="What the term is: a code word for a wildlife product, a sale or depiction cue, or an innocent phrase.")
@click.option("--lang", default="und", show_default=True, help="Language of the term (ISO 639-1, e.g. vi; und: any).")
@click.option("--means-product", default=None, help="Product type the code word stands for.")
@click.option("--means-taxon", default=None, help="Scientific name the code word stands for.")
@click.option("--context-required", is_flag=True, help="Counts only beside other wildlife evidence.")
@click.option("--author", default="unknown", show_default=True, help="Who adds the term (kept in the history).")
@click.option("--note", default=None, help="Why: the evidence or source for the term (kept in the history).")
@_db
@click.pass_obj
def lexicon_add(settings: Settings, term: str, kind: str, lang: str, means_product: str | None,
                means_taxon: str | None, context_required: bool, author: str, note: str | None,
                db: str | None) -> None:
    """Add TERM to the local lexicon (a new version; the scan uses it from now on).

    Example: wildtrace lexicon add "white gold" --means-product ivory --lang en --author ana --note "seen in 12 ads"
    """
    with _lexicon(settings, db) as lex:
        version = lex.add(term, kind=kind, lang=lang, means_product=means_product, means_taxon=means_taxon,
                          context_required=context_required, author=author, note=note)
    click.echo(f"local lexicon v{version}: added {term!r} ({kind})", err=True)


@lexicon.command("remove")
@click.argument("term")
@click.option("--author", default="unknown", show_default=True, help="Who removes the term (kept in the history).")
@click.option("--note", default=None, help="Why it is removed (kept in the history).")
@_db
@click.pass_obj
def lexicon_remove(settings: Settings, term: str, author: str, note: str | None, db: str | None) -> None:
    """Remove TERM from the local lexicon (a new version; the history keeps it).

    Example: wildtrace lexicon remove "white gold" --author ana --note "too many jewellery ads"
    """
    with _lexicon(settings, db) as lex:
        version = lex.remove(term, author=author, note=note)
    click.echo(f"local lexicon v{version}: removed {term!r}", err=True)


@lexicon.command("list")
@click.option("--version", "version", type=int, default=None, help="List an earlier version.")
@_db
@click.pass_obj
def lexicon_list(settings: Settings, version: int | None, db: str | None) -> None:
    """The local lexicon's terms (JSON Lines), at its latest or a given version.

    Example: wildtrace lexicon list --version 1
    """
    with _lexicon(settings, db) as lex:
        reached, terms = lex.terms(version)
    click.echo(f"local lexicon v{reached}: {len(terms)} terms", err=True)
    for t in terms:
        click.echo(orjson.dumps(t.to_dict()).decode())


@lexicon.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True,
              help="csv: the columns of data/codewords.csv; jsonl: one term per line.")
@click.option("--version", "version", type=int, default=None, help="Export this version of the lexicon (default: the latest).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write here (default: stdout).")
@_db
@click.pass_obj
def lexicon_export(settings: Settings, fmt: str, version: int | None, output: Path | None, db: str | None) -> None:
    """Export the local lexicon (CSV in the columns of data/codewords.csv, or JSON Lines).

    Example: wildtrace lexicon export --format csv -o local_codewords.csv
    """
    with _lexicon(settings, db) as lex:
        text = lex.export(fmt, version)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
