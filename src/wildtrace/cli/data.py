"""``wildtrace data``: reference data (import the CITES checklist, check, describe)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from wildtrace.cli import HelpGroup
from wildtrace.settings import Settings
from wildtrace.taxa import merge, refdata
from wildtrace.taxa.checklist import ImportLimits, import_checklist


@click.group(cls=HelpGroup)
def data() -> None:
    """Reference data: taxa, products, code words, cues."""


@data.command("import-cites")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", metavar="YYYY-MM-DD",
              help="The day the export was downloaded, when its file name does not say (Species+ names it "
                   "Index_of_CITES_Species_YYYY-MM-DD HH_MM.csv).")
@click.option("--prefer-export", is_flag=True,
              help="Let the export's own listing replace a built-in status even where the built-in one is "
                   "newer or the export's date is unknown.")
@click.pass_obj
def import_cites(settings: Settings, file: Path, as_of: str | None, prefer_export: bool) -> None:
    """Import a Species+ "CITES listings" export you downloaded (.csv, .csv.gz, a .zip with one CSV,
    or pages of the Species+ API's taxon_concepts JSON).

    The scanner then knows every CITES taxon, its synonyms, names and distribution. A taxon the
    built-in data already has (under its exact name, or one synonym that names no other taxon) gains
    the export's synonyms and names; its status changes only where the export lists it differently
    and is newer than the built-in status (or with --prefer-export). Every status the export states
    differently is printed with what was done. The file is read, not copied: Species+ terms forbid
    redistribution. Exit 0, or 3 when rows were skipped (each one reported).

    Example: wildtrace data import-cites Index_of_CITES_Species.csv --as-of 2026-05-30
    """
    report = import_checklist(file, settings.cites_checklist_path, as_of=as_of, prefer_export=prefer_export,
                              limits=ImportLimits(settings.species_plus_max_bytes, settings.species_plus_max_rows,
                                                  settings.species_plus_max_field_chars))
    dated = f"the export of {report.as_of}" if report.as_of else "an export of unknown date"
    click.echo(f"Imported {report.taxa:,} taxa from {report.rows:,} rows of {dated} into {report.output}; "
               f"{report.inherited:,} inherit a higher-taxon listing that covers them, {report.not_inherited:,} "
               f"are under one that does not (not listed), {report.excluded_nc:,} are NC; "
               f"{report.with_distribution:,} have a distribution.")
    for note in report.notes:
        click.echo(f"note: {note}")
    plan = report.plan
    if plan is not None:
        click.echo(f"Built-in taxa the export names: {len(plan.matches):,}; {len(plan.shared_synonyms):,} synonyms "
                   f"claimed by two or more taxa name none of them; {plan.synonyms_of_builtin:,} synonyms of new "
                   "taxa that name a built-in taxon stay with it.")
        for category, count in plan.counts().items():
            click.echo(f"{category.replace('_', ' ')}: {count:,} ({merge.CATEGORIES[category]})")
            for change in plan.changes:
                if change.category == category:
                    alias = "" if change.export_name == change.name else f" (export: {change.export_name})"
                    click.echo(f"  {change.name}{alias}: built-in {change.builtin}, export {change.export}")
    for line, reason in report.rejected[:20]:
        click.echo(f"wildtrace: {file}: line {line}: skipped: {reason}", err=True)
    if len(report.rejected) > 20:
        click.echo(f"wildtrace: {file}: … and {len(report.rejected) - 20:,} more rows skipped", err=True)
    if report.rejected:
        raise SystemExit(3)


@data.command("info")
@click.pass_obj
def info(settings: Settings) -> None:
    """Describe the loaded reference data and its version.

    Example: wildtrace data info
    """
    ref = refdata.load(extra_taxa=[settings.cites_checklist_path])
    ranks = Counter(t.rank for t in ref.taxa)
    click.echo(f"rules {ref.rules['name']} {ref.rules['version']}, data sha256 {ref.sha256[:16]}")
    click.echo(f"taxa {len(ref.taxa):,} ({', '.join(f'{k} {v}' for k, v in ranks.most_common())})")
    click.echo(f"products {len(ref.products)}, code words {len(ref.codewords)}, cues {len(ref.cues)}, "
               f"patterns {len(ref.patterns)}")
    for path in ref.extra_taxa_files:
        click.echo(f"imported checklist: {path}")
