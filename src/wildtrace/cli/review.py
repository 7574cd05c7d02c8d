"""``wildtrace queue`` and ``wildtrace similar``: what to label next."""

from __future__ import annotations

from pathlib import Path

import click
import orjson

from wildtrace.cli._learn_options import LABELS_OPT, LISTINGS_ARG, report
from wildtrace.learn import review, sources
from wildtrace.settings import Settings


@click.command()
@LISTINGS_ARG
@LABELS_OPT
@click.option("--model", "model_dir", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Trained text model folder (wildtrace train -o MODEL_DIR) that scores the listings.")
@click.option("--strategy", type=click.Choice(["uncertainty", "diverse"]), default="uncertainty", show_default=True,
              help="uncertainty: the listings the model is least sure of; diverse: uncertain and unlike each other.")
@click.option("-n", "count", default=20, show_default=True, help="How many listings to propose.")
@click.pass_obj
def queue(settings: Settings, listings: Path | None, labels: Path | None, model_dir: Path, strategy: str,
          count: int) -> None:
    """Propose the next unlabelled listings to label (JSON Lines: id, probability, reason).

    Example: wildtrace queue listings.jsonl --model model -n 50
    """
    loaded = sources.Loaded()
    proposals = review.propose(settings, listings, labels, model_dir, strategy=strategy, n=count, loaded=loaded)
    report(loaded, listings, labels)
    for p in proposals:
        click.echo(orjson.dumps(p.to_dict()).decode())
    if not proposals:
        click.echo("wildtrace: nothing to propose: every listing is labelled already", err=True)


@click.command()
@LISTINGS_ARG
@LABELS_OPT
@click.option("--to", "seeds", multiple=True, help="Listing id to find look-alikes of (repeatable); "
              "default: every confirmed positive.")
@click.option("-k", default=20, show_default=True, help="How many neighbours.")
@click.pass_obj
def similar(settings: Settings, listings: Path | None, labels: Path | None, seeds: tuple[str, ...], k: int) -> None:
    """More like this: unlabelled listings nearest to confirmed positives (character n-grams).

    Example: wildtrace similar listings.jsonl --labels labels.csv -k 10
    """
    loaded = sources.Loaded()
    found = review.more_like_this(settings, listings, labels, seeds, k=k, loaded=loaded)
    report(loaded, listings, labels)
    for n in found:
        click.echo(orjson.dumps(n.to_dict()).decode())
    if not found:
        click.echo("wildtrace: no look-alikes: every listing is labelled already, or no seed was given or "
                   "confirmed positive", err=True)
