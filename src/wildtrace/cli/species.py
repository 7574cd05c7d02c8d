"""``wildtrace species NAME``: names, CITES status, products and the zoonotic profile of one taxon."""

from __future__ import annotations

import click
import orjson

from wildtrace.settings import Settings
from wildtrace.taxa import refdata
from wildtrace.zoonotic.hosts import default as default_evidence
from wildtrace.zoonotic.profile import DEFAULT_EXPOSURE, EXPOSURE_WORDS, Profiler
from wildtrace.zoonotic.species import render_text, species_profile


@click.command()
@click.argument("name", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the profile as one JSON object.")
@click.option("--product", "products", multiple=True, metavar="TYPE",
              help='Trade form, a product type such as "live" or "scales or spines". Repeatable.')
@click.option("--exposure", type=click.Choice(list(EXPOSURE_WORDS)), default=None,
              help="Exposure of the people handling it (overrides the trade form); default: the trade form's, "
                   f"or {DEFAULT_EXPOSURE} when none is given.")
@click.pass_obj
def species(settings: Settings, name: tuple[str, ...], as_json: bool, products: tuple[str, ...],
            exposure: str | None) -> None:
    """Show one species (or higher taxon) by scientific, synonym or common name.

    Exits 1 when the name is unknown or ambiguous (candidates are listed).

    Example: wildtrace species "Manis javanica" --json
    """
    ref = refdata.load(extra_taxa=[settings.cites_checklist_path])
    profile = species_profile(" ".join(name), Profiler(ref, default_evidence()), list(products), exposure)
    if as_json:
        click.echo(orjson.dumps(profile, option=orjson.OPT_INDENT_2).decode())
    else:
        click.echo(render_text(profile))
    if profile["status"] != "resolved":
        raise SystemExit(1)
