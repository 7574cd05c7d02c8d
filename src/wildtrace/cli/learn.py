"""``wildtrace label|train|evaluate|queue|similar|lexicon``: learning from analysts.

Thin: the logic lives in ``wildtrace.learn``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import numpy as np
import orjson

from wildtrace.cli import EXIT_REJECTS, cli
from wildtrace.errors import ConfigError, DataError
from wildtrace.learn.dataset import Dataset
from wildtrace.scan.listing import Listing
from wildtrace.settings import Settings

LISTINGS_ARG = click.argument("listings", required=False, type=click.Path(exists=True, dir_okay=False,
                                                                          path_type=Path))
LABELS_OPT = click.option("--labels", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
                          help="Label file (CSV or JSONL: id,label,reviewer,note,labelled_at); default: the "
                               "labels in the database.")


def _listings(settings: Settings, path: Path | None) -> list[Listing]:
    from wildtrace.learn import io

    if path is None:
        listings = io.read_store(settings)
        if not listings:
            raise ConfigError(f"no listings given and none saved in {settings.db_path}; "
                              "pass a LISTINGS file or run `wildtrace scan --save` first")
        return listings
    listings, rejects = io.read_file(path, settings)
    for r in rejects[:20]:
        click.echo(f"wildtrace: {path}: line {r.line}: rejected: {r.reason}", err=True)
    if len(rejects) > 20:
        click.echo(f"wildtrace: {path}: … {len(rejects) - 20:,} more rejected records", err=True)
    return listings


def _labels(settings: Settings, path: Path | None) -> dict[str, int]:
    """Resolved labels (the conflict rule) as 1 = wildlife_offer, 0 = otherwise."""
    from wildtrace.learn import labels as lab

    if path is not None:
        items = [item for _, item in lab.read_label_file(path, default_time="")]
        bad = [x for x in items if isinstance(x, lab.LabelReject)]
        for r in bad[:20]:
            click.echo(f"wildtrace: {path}: line {r.line}: label rejected: {r.reason}", err=True)
        resolved = lab.resolve(x for x in items if isinstance(x, lab.Label))
    else:
        with lab.LabelStore(settings.db_path) as store:
            resolved = store.resolved()
    if not resolved:
        raise DataError("no labels: import some with `wildtrace label import FILE` or pass --labels")
    return {k: int(v.positive) for k, v in resolved.items()}


def _report_unknown(unknown: list[str]) -> None:
    if unknown:
        click.echo(f"wildtrace: {len(unknown):,} labels name listing ids not among the listings and were left out "
                   f"(e.g. {', '.join(unknown[:5])})", err=True)


def _dataset(settings: Settings, listings_path: Path | None, labels_path: Path | None, group_by: str | None,
             rules: bool) -> tuple[Dataset, list[str]]:
    from wildtrace.learn import dataset
    from wildtrace.scan.scanner import Scanner

    listings = _listings(settings, listings_path)
    targets = _labels(settings, labels_path)
    detector = Scanner(settings).detector if rules else None
    near = group_by in ("near-duplicates", "neardup")
    ds, unknown = dataset.build(listings, targets, group_by=None if near else group_by, detector=detector)
    if near:
        ds.groups = dataset.near_duplicate_groups(ds.texts)
    return ds, unknown


# -- labels ----------------------------------------------------------------------------


@cli.group()
def label() -> None:
    """Analysts' labels (stored append-only in the database)."""


@label.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--listings", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Check ids against this listings file (default: listings saved in the database).")
@click.option("--unchecked", is_flag=True, help="Store labels even when their ids cannot be checked.")
@click.option("--rejects", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write rejected label rows here (JSON Lines).")
@click.pass_obj
def label_import(settings: Settings, file: Path, listings: Path | None, unchecked: bool,
                 rejects: Path | None) -> None:
    """Import labels from FILE (CSV or JSONL: id, label, reviewer, note, labelled_at).

    A label is 1 or 0, or wildlife_offer, depiction_or_faux or not_wildlife.
    Labels whose id is not among the known listings are rejected (exit 3).
    """
    from wildtrace.learn.labels import LabelStore

    with LabelStore(settings.db_path) as store:
        known: set[str] | None
        if listings is not None:
            known = {x.id for x in _listings(settings, listings)}
        else:
            known = store.known_listing_ids()
            if known is None and not unchecked:
                raise ConfigError("cannot check the label ids: no listings saved in the database; pass "
                                  "--listings FILE, or --unchecked to store them anyway")
        report = store.import_file(file, known_ids=known)
    for r in report.rejects[:20]:
        click.echo(f"wildtrace: {file}: line {r.line}" + (f" (id {r.listing_id})" if r.listing_id else "")
                   + f": rejected: {r.reason}", err=True)
    if rejects is not None:
        rejects.write_bytes(b"".join(orjson.dumps({"source": str(file), **r.to_dict()}) + b"\n"
                                     for r in report.rejects))
    click.echo(f"{report.read:,} rows read: {report.added:,} labels added, {report.duplicates:,} already stored, "
               f"{len(report.rejects):,} rejected")
    if report.rejects:
        raise SystemExit(EXIT_REJECTS)


@label.command("list")
@click.option("--conflicts", is_flag=True, help="Only listings whose reviewers disagree.")
@click.pass_obj
def label_list(settings: Settings, conflicts: bool) -> None:
    """Resolved labels, one JSON object per listing (label, conflict, each reviewer's vote)."""
    from wildtrace.learn.labels import LabelStore

    with LabelStore(settings.db_path) as store:
        for r in store.resolved().values():
            if conflicts and not r.conflict:
                continue
            click.echo(orjson.dumps({"id": r.listing_id, "label": r.label, "conflict": r.conflict,
                                     "votes": r.votes}).decode())


# -- train / evaluate --------------------------------------------------------------------


@cli.command()
@LISTINGS_ARG
@LABELS_OPT
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Model directory to write.")
@click.option("--group-by", default=None, help="Keep groups apart in validation folds: a listing column "
              "(seller, platform…) or near-duplicates.")
@click.option("--folds", default=5, show_default=True, help="Validation folds (calibration and threshold).")
@click.option("--no-rules", is_flag=True, help="Text only: do not combine with the rules' score.")
@click.option("--name", default="wildtrace-text", show_default=True, help="Model name.")
@click.pass_obj
def train(settings: Settings, listings: Path | None, labels: Path | None, output: Path, group_by: str | None,
          folds: int, no_rules: bool, name: str) -> None:
    """Fit a calibrated text model on labelled LISTINGS and save it to -o MODEL_DIR."""
    from wildtrace.learn import model

    ds, unknown = _dataset(settings, listings, labels, group_by, not no_rules)
    _report_unknown(unknown)
    m = model.train(ds, folds=folds, name=name,
                    extra_meta={"group_by": group_by, "labels_without_listing": len(unknown)})
    m.save(output)
    v = m.meta["validation"]
    click.echo(f"{m.name} {m.version}: {len(ds):,} listings ({int(ds.y.sum()):,} positive); validation "
               f"(out-of-fold) F1 {v['f1']:.3f}, PR-AUC {v['pr_auc']:.3f}, threshold {m.threshold:.3f} -> {output}",
               err=True)
    if unknown:
        raise SystemExit(EXIT_REJECTS)


@cli.command()
@LISTINGS_ARG
@LABELS_OPT
@click.option("--model", "model_dir", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Evaluate this saved model on the labelled listings (they must be new to it).")
@click.option("--cv", "folds", type=int, default=None, help="Cross-validate with K group-aware folds (default 5).")
@click.option("--group-by", default=None, help="Column to keep apart across folds (seller…), or near-duplicates.")
@click.option("--no-rules", is_flag=True, help="Text only: leave the rules' score out of the model.")
@click.option("--reps", default=1000, show_default=True, help="Bootstrap resamples.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def evaluate(settings: Settings, listings: Path | None, labels: Path | None, model_dir: Path | None,
             folds: int | None, group_by: str | None, no_rules: bool, reps: int, as_json: bool) -> None:
    """Precision, recall, F1, PR-AUC, precision@k, recall at budget, with bootstrap 95% CIs."""
    from wildtrace.learn import evaluate as ev
    from wildtrace.learn import model

    if model_dir is not None and folds is not None:
        raise ConfigError("give --model or --cv, not both")
    ds, unknown = _dataset(settings, listings, labels, group_by, not no_rules)
    _report_unknown(unknown)
    setting = {"group_by": group_by or "none (each listing its own group)"}
    if model_dir is not None:
        result = ev.holdout(model.load(model_dir), ds, reps=reps, setting=setting)
    else:
        result = ev.cross_validate(ds, folds=folds or 5, reps=reps, setting=setting)
    report = result.report()
    if as_json:
        sys.stdout.buffer.write(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
    else:
        click.echo(ev.render(report))


# -- queue / similar ---------------------------------------------------------------------


def _labelled_ids(settings: Settings, labels: Path | None) -> dict[str, int]:
    try:
        return _labels(settings, labels)
    except DataError:
        return {}


@cli.command()
@LISTINGS_ARG
@LABELS_OPT
@click.option("--model", "model_dir", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--strategy", type=click.Choice(["uncertainty", "diverse"]), default="uncertainty", show_default=True)
@click.option("-n", "count", default=20, show_default=True, help="How many listings to propose.")
@click.pass_obj
def queue(settings: Settings, listings: Path | None, labels: Path | None, model_dir: Path, strategy: str,
          count: int) -> None:
    """Propose the next unlabelled listings to label (JSON Lines: id, probability, reason)."""
    from wildtrace.learn import dataset, features, model
    from wildtrace.learn import queue as q
    from wildtrace.scan.scanner import Scanner

    m = model.load(model_dir)
    items = _listings(settings, listings)
    rule_logit = None
    if m.combo is not None:
        detector = Scanner(settings).detector
        rule_logit = np.array([dataset.rule_logit(detector.detect(x).wildlife_score) for x in items])
    x = features.counts([features.listing_text(i) for i in items])
    done = set(_labelled_ids(settings, labels))
    for p in q.propose(m, [i.id for i in items], x, strategy=strategy, n=count, rule_logit=rule_logit,
                       exclude=done):
        click.echo(orjson.dumps(p.to_dict()).decode())


@cli.command()
@LISTINGS_ARG
@LABELS_OPT
@click.option("--to", "seeds", multiple=True, help="Listing id to find look-alikes of (repeatable); "
              "default: every confirmed positive.")
@click.option("-k", default=20, show_default=True, help="How many neighbours.")
@click.pass_obj
def similar(settings: Settings, listings: Path | None, labels: Path | None, seeds: tuple[str, ...], k: int) -> None:
    """More like this: unlabelled listings nearest to confirmed positives (character n-grams)."""
    from wildtrace.learn import features
    from wildtrace.learn.similar import more_like_this, vectors

    items = _listings(settings, listings)
    known = _labelled_ids(settings, labels)
    chosen = list(seeds) or [i for i, y in known.items() if y]
    if not chosen:
        raise DataError("no seeds: give --to ID or label some listings as wildlife_offer")
    ids = [i.id for i in items]
    missing = [s for s in chosen if s not in set(ids)]
    if seeds and missing:
        raise DataError(f"unknown listing id(s): {', '.join(missing[:5])}")
    x = vectors([features.listing_text(i) for i in items])
    for n in more_like_this(ids, x, chosen, k=k, exclude=set(known)):
        click.echo(orjson.dumps(n.to_dict()).decode())


# -- lexicon -----------------------------------------------------------------------------


@cli.group()
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
    from wildtrace.learn import codewords, features
    from wildtrace.scan import locallex
    from wildtrace.scan.normalize import normalize_term
    from wildtrace.scan.scanner import Scanner

    items = _listings(settings, listings)
    targets = _labels(settings, labels)
    chosen = [x for x in items if x.id in targets]
    if not chosen:
        raise DataError("none of the labelled ids is among the listings")
    scanner = Scanner(settings)
    hit = np.array([any(m.kind in ("taxon", "product", "code_word") for m in scanner.detector.matches(x))
                    for x in chosen])
    exclude = {normalize_term(t.term) for t in locallex.terms(settings.data_dir)[1]}
    exclude |= {normalize_term(cw) for cw in scanner.lexicon.codewords}
    exclude |= {normalize_term(n) for t in scanner.ref.taxa for ns in t.names.values() for n in ns}
    found = codewords.suggest([x.id for x in chosen], [features.listing_text(x) for x in chosen],
                              np.array([targets[x.id] for x in chosen]), exclude=exclude, lexicon_hit=hit, top=top)
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
    from wildtrace.scan import locallex

    version = locallex.add(settings.data_dir, term, kind=kind, lang=lang, means_product=means_product,
                           means_taxon=means_taxon, context_required=context_required, author=author, note=note)
    click.echo(f"local lexicon v{version}: added {term!r} ({kind})", err=True)


@lexicon.command("remove")
@click.argument("term")
@click.option("--author", default="unknown", show_default=True)
@click.option("--note", default=None)
@click.pass_obj
def lexicon_remove(settings: Settings, term: str, author: str, note: str | None) -> None:
    """Remove TERM from the local lexicon (a new version; the history keeps it)."""
    from wildtrace.scan import locallex

    version = locallex.remove(settings.data_dir, term, author=author, note=note)
    click.echo(f"local lexicon v{version}: removed {term!r}", err=True)


@lexicon.command("list")
@click.option("--version", "version", type=int, default=None, help="List an earlier version.")
@click.pass_obj
def lexicon_list(settings: Settings, version: int | None) -> None:
    """The local lexicon's terms (JSON Lines), at its latest or a given version."""
    from wildtrace.scan import locallex

    reached, terms = locallex.terms(settings.data_dir, version)
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
    from wildtrace.scan import locallex

    text = locallex.export(settings.data_dir, fmt, version)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
