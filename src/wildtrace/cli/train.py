"""``wildtrace train`` and ``wildtrace evaluate``: fit and honestly evaluate the text model."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import orjson

# imported at the top although scikit-learn costs ~5 s of start-up: these commands always use it
from wildtrace.cli import EXIT_REJECTS
from wildtrace.cli._learn_options import LABELS_OPT, LISTINGS_ARG, report
from wildtrace.errors import ConfigError
from wildtrace.learn import evaluate as ev
from wildtrace.learn import grouping, model, sources, training
from wildtrace.learn.dataset import Dataset
from wildtrace.progress import Progress
from wildtrace.settings import Settings


@click.command()
@LISTINGS_ARG
@LABELS_OPT
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Model directory to write.")
@click.option("--group-by", default=grouping.DEFAULT, show_default=True,
              help="Keep groups apart in validation folds: a listing column (seller, platform…), "
              "near-duplicates (the fallback where no listing has a seller), or none.")
@click.option("--folds", default=5, show_default=True, help="Validation folds (calibration and threshold).")
@click.option("--no-rules", is_flag=True, help="Text only: do not combine with the rules' score.")
@click.option("--name", default="wildtrace-text", show_default=True, help="Model name.")
@click.option("--quiet", is_flag=True, help="No progress on stderr.")
@click.pass_obj
def train(settings: Settings, listings: Path | None, labels: Path | None, output: Path, group_by: str,
          folds: int, no_rules: bool, name: str, quiet: bool) -> None:
    """Fit a calibrated text model on labelled LISTINGS and save it to -o MODEL_DIR.

    Without LISTINGS and --labels, it learns from the database: listings saved by `scan --save`
    or the workbench, and every label imported or given in the workbench.

    Validation folds keep each seller's listings together (--group-by; near-duplicates where no
    listing has a seller).

    Example: wildtrace train listings.jsonl --labels labels.csv -o model
    """
    every = settings.progress_every
    scoring = Progress("train: rules score", items="listings", unit="listing", quiet=quiet, every=every)
    ds, loaded = sources.assemble(settings, listings, labels, group_by=grouping.column(group_by),
                                  rules=not no_rules, progress=scoring.tick)
    scoring.close()
    report(loaded, listings, labels)
    group_by = _grouped(ds, group_by)
    unknown = loaded.unknown
    fitting = Progress("train: fits", total=folds + 1, items="fits", unit="fit", quiet=quiet, every=every)
    m = training.train(ds, folds=folds, name=name, progress=lambda: fitting.tick(fitting.count + 1),
                       extra_meta={"group_by": group_by, "labels_without_listing": len(unknown)})
    fitting.close()
    m.save(output)
    v = m.meta["validation"]
    click.echo(f"{m.name} {m.version}: {len(ds):,} listings ({int(ds.y.sum()):,} positive); validation "
               f"(out-of-fold) F1 {v['f1']:.3f}, PR-AUC {v['pr_auc']:.3f}, threshold {m.threshold:.3f} -> {output}",
               err=True)
    if unknown:
        raise SystemExit(EXIT_REJECTS)


@click.command()
@LISTINGS_ARG
@LABELS_OPT
@click.option("--model", "model_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Evaluate this saved model on the labelled listings (they must be new to it).")
@click.option("--cv", "folds", type=int, default=None, help="Cross-validate with K group-aware folds (default 5).")
@click.option("--group-by", default=grouping.DEFAULT, show_default=True,
              help="Column to keep apart across folds (seller…), near-duplicates, or none.")
@click.option("--no-rules", is_flag=True, help="Text only: leave the rules' score out of the model.")
@click.option("--reps", default=1000, show_default=True, help="Bootstrap resamples.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def evaluate(settings: Settings, listings: Path | None, labels: Path | None, model_dir: Path | None,
             folds: int | None, group_by: str, no_rules: bool, reps: int, as_json: bool) -> None:
    """Precision, recall, F1, PR-AUC, precision@k, recall at budget, with bootstrap 95% CIs.

    Folds keep each seller's listings together unless --group-by says otherwise.

    Example: wildtrace evaluate listings.jsonl --labels labels.csv --cv 5
    """
    if model_dir is not None and folds is not None:
        raise ConfigError("give --model or --cv, not both")
    ds, loaded = sources.assemble(settings, listings, labels, group_by=grouping.column(group_by),
                                  rules=not no_rules)
    report(loaded, listings, labels)
    used = _grouped(ds, group_by)
    setting = {"group_by": used if used != grouping.NONE else "none (each listing its own group)"}
    if model_dir is not None:
        result = ev.holdout(model.load(model_dir), ds, reps=reps, setting=setting)
    else:
        result = ev.cross_validate(ds, folds=folds or 5, reps=reps, setting=setting)
    summary = result.report()
    if as_json:
        sys.stdout.buffer.write(orjson.dumps(summary, option=orjson.OPT_INDENT_2) + b"\n")
    else:
        click.echo(ev.render(summary))


def _grouped(ds: Dataset, requested: str) -> str:
    """The grouping the data set ends up with; a fallback is said in one line on stderr."""
    used, note = grouping.settle(ds, requested)
    if note:
        click.echo(f"wildtrace: {note}", err=True)
    return used
