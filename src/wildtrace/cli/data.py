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
@click.pass_obj
def import_cites(settings: Settings, file: Path) -> None:
    """Import a Species+ "CITES listings" export you downloaded (.csv, .csv.gz, a .zip with one CSV,
    or pages of the Species+ API's taxon_concepts JSON).

    The scanner then knows every CITES species, its synonyms and its names; a taxon the built-in
    data already has (under its name or a synonym) gains the export's synonyms, names and listing.
    Split listings (I/II, II/NC, I/II/III/NC...) keep every appendix. The file is read, not copied:
    Species+ terms forbid redistribution. The built-in appendices are checked against the export and
    each difference is listed. Exit 0, or 3 when rows were skipped (each one reported).

    Example: wildtrace data import-cites Index_of_CITES_Species.csv
    """
    report = import_checklist(file, settings.cites_checklist_path, limits=ImportLimits(
        settings.species_plus_max_bytes, settings.species_plus_max_rows, settings.species_plus_max_field_chars))
    click.echo(f"Imported {report.taxa:,} taxa from {report.rows:,} rows into {report.output}; "
               f"{report.inherited:,} inherit a higher-taxon listing, {report.excluded_nc:,} are NC (excluded).")
    agreement = report.agreement
    click.echo(f"Built-in taxa found in the export: {agreement.compared:,} of "
               f"{agreement.compared + agreement.not_in_export:,}; "
               + ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in agreement.counts.items()) + ".")
    for category, name, ours, theirs in agreement.details[:20]:
        click.echo(f"  {name}: built-in {ours}, export {theirs} ({merge.AGREEMENT[category]})")
    if len(agreement.details) > 20:
        click.echo(f"  … and {len(agreement.details) - 20:,} more; the export's own listing is used for each.")
    for line, reason in report.rejected[:20]:
        click.echo(f"wildtrace: {file}: line {line}: skipped: {reason}", err=True)
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
