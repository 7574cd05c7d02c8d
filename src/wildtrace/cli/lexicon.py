"""``wildtrace lexicon``: code-word discovery and the local lexicon the scan uses (kept in the store)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click
import orjson

from wildtrace.cli import EXIT_REJECTS, HelpGroup
from wildtrace.cli._learn_options import LABELS_OPT, LISTINGS_ARG, report
from wildtrace.errors import ConfigError
from wildtrace.learn import review, sources
from wildtrace.settings import Settings

if TYPE_CHECKING:
    from wildtrace.scan import termlist
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


@lexicon.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@click.option("--author", default="unknown", show_default=True,
              help="Who imports the terms (kept in the history of each).")
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the rejected rows here (JSON Lines: line, reason, term).")
@click.option("--json", "as_json", is_flag=True, help="Print the whole report as one JSON object.")
@_db
@click.pass_obj
def lexicon_import(settings: Settings, file: Path, dry_run: bool, author: str, rejects: Path | None,
                   as_json: bool, db: str | None) -> None:
    """Import a shared term list (CSV: term, language, taxon, product, note) into the local lexicon.

    Each row is added (a new version each) or rejected with its line and reason: a taxon, product
    or language that resolves to nothing, an empty or over-long term, a control character, a term
    already in the built-in or local lexicon. Exit 3 when any row is rejected. See docs/terms.md.

    Example: wildtrace lexicon import terms.csv --author ana
    """
    from wildtrace.scan import termlist
    from wildtrace.taxa import refdata

    rows, unread = termlist.read_term_list(file)  # no term list: stop before opening the store
    ref = refdata.load(extra_taxa=[settings.cites_checklist_path])
    if dry_run and _no_database(settings, db):  # a dry run creates no database
        report = termlist.import_terms(_snapshot(settings), rows, author, True, ref=ref,
                                       unread=unread)
    else:
        with _lexicon(settings, db) as lex:
            report = termlist.import_terms(lex, rows, author, dry_run, ref=ref, unread=unread)
    for r in report.rejects[:50]:
        click.echo(f"wildtrace: {file}: line {r.line}: rejected: {r.reason}", err=True)
    if len(report.rejects) > 50:
        click.echo(f"wildtrace: {file}: … {len(report.rejects) - 50:,} more rejected rows "
                   "(see --rejects)", err=True)
    if report.extra_columns:
        click.echo(f"wildtrace: {file}: columns ignored: {', '.join(report.extra_columns)}",
                   err=True)
    if rejects is not None:
        rejects.write_bytes(b"".join(orjson.dumps({"source": str(file), **r.to_dict()}) + b"\n"
                                     for r in report.rejects))
    if as_json:
        click.echo(orjson.dumps(report.to_dict()).decode())
    else:
        done = "would be imported (dry run; nothing written)" if dry_run else "imported"
        click.echo(f"{file}: {report.read:,} rows read: {len(report.imported):,} {done}, "
                   f"{len(report.rejects):,} rejected; local lexicon v{report.version}")
    if report.rejects:
        raise SystemExit(EXIT_REJECTS)


def _no_database(settings: Settings, db: str | None) -> bool:
    target = db if db and "://" in db else Path(db) if db else settings.db_target
    return isinstance(target, Path) and not target.exists()


def _snapshot(settings: Settings) -> termlist.Snapshot:
    """The lexicon as the old JSON Lines log holds it (empty without one), without a database."""
    from wildtrace.scan import locallex, termlist

    log = settings.local_lexicon
    if not log.exists():
        return termlist.Snapshot()
    version, terms = locallex.replay(locallex.read_file(log))
    return termlist.Snapshot(terms, version)


@lexicon.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "terms"]), default=None,
              help="csv: the columns of data/codewords.csv; jsonl: one term per line; terms: "
                   "the shared term list (term, language, taxon, product, note), which `lexicon "
                   "import` reads back (default: csv, terms with --all).")
@click.option("--all", "with_builtin", is_flag=True,
              help="With the built-in taxon names, product words and code words (--format terms).")
@click.option("--version", "version", type=int, default=None, help="Export this version of the lexicon (default: the latest).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write here (default: stdout).")
@_db
@click.pass_obj
def lexicon_export(settings: Settings, fmt: str | None, with_builtin: bool, version: int | None,
                   output: Path | None, db: str | None) -> None:
    """Export the local lexicon (CSV in data/codewords.csv columns, JSON Lines, or a term list).

    Example: wildtrace lexicon export --format csv -o local_codewords.csv
    """
    if with_builtin and fmt not in (None, "terms"):
        raise ConfigError(f"--all writes a term list: use it with --format terms, not {fmt}")
    fmt = fmt or ("terms" if with_builtin else "csv")
    with _lexicon(settings, db) as lex:
        if fmt == "terms":
            from wildtrace.scan import termlist
            from wildtrace.taxa import refdata

            ref = refdata.load(extra_taxa=[settings.cites_checklist_path]) if with_builtin else None
            text = termlist.export_terms(lex.terms(version)[1], ref=ref)
        else:
            text = lex.export(fmt, version)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
