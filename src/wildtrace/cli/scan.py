"""``wildtrace scan``: the main job."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click
import orjson

from wildtrace import plugins
from wildtrace.cli import EXIT_REJECTS
from wildtrace.cli.interrupt import EXIT_INTERRUPTED, interruptible
from wildtrace.cli.streams import open_input, open_output
from wildtrace.errors import ConfigError
from wildtrace.parallel import ScannerSpec, check_jobs, default_jobs, read_input
from wildtrace.pipeline import Sinks, ingest
from wildtrace.progress import Progress, input_size
from wildtrace.scan import definitions, scorers
from wildtrace.scan.listing import SOURCE_KINDS
from wildtrace.scan.readers import Reject, parse_mapping, read_listings
from wildtrace.scan.result import ScanResult
from wildtrace.settings import Settings

MAX_STDERR_REJECTS = 100


@click.command()
@click.argument("input", required=False, default="-", type=click.Path(allow_dash=True, dir_okay=False))
@click.option("-o", "--output", default="-", type=click.Path(allow_dash=True),
              help="Write results here (default: stdout); with --engine dask, a folder of partitions.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "parquet"]), default="jsonl", show_default=True,
              help="Output format (parquet: with --engine dask).")
@click.option("--input-format", type=click.Choice(["jsonl", "json", "csv", "xlsx"]), default=None,
              help="Input format (default: from the file name, else from the first bytes).")
@click.option("--map", "mapping", multiple=True, metavar="FIELD=COLUMN",
              help='CSV column for a listing field, e.g. --map title="Item Name". Repeatable.')
@click.option("--encoding", default="utf-8", show_default=True, help="Input text encoding.")
@click.option("--rejects", type=click.Path(dir_okay=False), default=None,
              help="Write rejected records here (JSON Lines: line, id, reason, preview).")
@click.option("--summary", "show_summary", is_flag=True,
              help="Print counts by verdict, species and product, and the top risks.")
@click.option("--summary-json", type=click.Path(dir_okay=False), default=None,
              help="Write the summary as JSON to this file.")
@click.option("--ocr-images", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Read the text in listing images stored under this folder (tesseract; about 1 s an image) "
                   "and scan it as the field image_text.")
@click.option("--save", is_flag=True, help="Also store listings and results in the default database.")
@click.option("--db", default=None,
              help="Store listings and results in this database: a SQLite path or a postgresql:// URL (implies --save).")
@click.option("--model", "model_dir", default=None, type=click.Path(exists=True, file_okay=False),
              help="Combine the rules with this trained text model (wildtrace train -o MODEL_DIR); by default "
                   "the rules alone (WILDTRACE_TEXT_MODEL).")
@click.option("--rules-only", is_flag=True,
              help="The rules alone, without a text model (the same as WILDTRACE_TEXT_MODEL=none).")
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr (rejects and warnings are still said).")
@click.option("--definition", type=click.Choice(list(definitions.DEFINITIONS)), default=definitions.DEFAULT,
              show_default=True, help="What counts as positive (the verdict): " + "; ".join(
                  f"{d.name}: {d.doc}" for d in definitions.DEFINITIONS.values()) + ".")
@click.option("--source", "source_kind", type=click.Choice(list(SOURCE_KINDS)), default=None,
              help="Where the listings were posted, for records that do not say (their source_kind, platform, "
                   "URL or title): on a marketplace every listing is an offer by its form unless it says "
                   "otherwise; news prose is information unless it offers; social posts and web pages need "
                   "offer wording.")
@click.option("--jobs", "-j", type=int, default=None,
              help="Worker processes (default: every core for inputs of 4 MB or more, else 1); the output "
                   "keeps the input's order and --db is written by this process alone.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="dask: scan the files INPUT names (a glob; local paths or fsspec URLs) as partitions on a "
                   "Dask cluster, writing one file per partition and summary.json into the -o folder "
                   "(pip install 'wildtrace[dask]'; docs/scale.md).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="With --engine dask: the scheduler to use (tcp://HOST:8786); default: a local cluster.")
@click.pass_obj
def scan(settings: Settings, input: str, output: str, fmt: str, input_format: str | None,
         mapping: tuple[str, ...], encoding: str, rejects: str | None, show_summary: bool,
         summary_json: str | None, ocr_images: Path | None, save: bool, db: str | None,
         model_dir: str | None, rules_only: bool, quiet: bool, definition: str, source_kind: str | None,
         jobs: int | None, engine: str, scheduler: str | None) -> None:
    """Scan listings (JSON Lines or CSV, file or stdin) and write one result per listing.

    Every input record ends up in the output or among the rejects; the exit
    status is 3 when any record was rejected.

    Example: wildtrace scan listings.jsonl -o results.jsonl --summary --save --source marketplace

    Example: wildtrace scan 'listings/*.jsonl' --engine dask -o results/ --summary
    """
    if db:
        settings = dataclasses.replace(settings, db=db)
    columns = parse_mapping(mapping)
    if rules_only or model_dir:
        settings = dataclasses.replace(settings, text_model=scorers.NONE if rules_only else str(model_dir))
    spec = ScannerSpec(settings, ocr_root=ocr_images, definition=definition, source_kind=source_kind)
    if engine == "dask":
        from wildtrace.cli._scan_dask import scan_cli

        scan_cli(spec, input, output, fmt=fmt, scheduler=scheduler, input_format=input_format, columns=columns,
                 encoding=encoding, rejects=rejects, show_summary=show_summary, summary_json=summary_json,
                 quiet=quiet, store=bool(save or db), workers=jobs)
        return
    if fmt == "parquet":
        raise ConfigError("--format parquet writes partitions: use it with --engine dask -o FOLDER")
    if scheduler:
        raise ConfigError("--scheduler needs --engine dask")
    if output != "-" and Path(output).is_dir():
        raise ConfigError(f"-o {output} is a folder; a local scan writes one file (--engine dask writes folders)")
    jobs = check_jobs(jobs) if jobs is not None else default_jobs(input_size(input))
    scanner = spec if jobs > 1 else spec.build()
    store = None
    if save or db:
        from wildtrace.store import open_store  # the store extra, only when asked to save

        store = open_store(settings.db_target)
    shown = 0
    with open_input(input) as in_stream, open_output(output) as out_stream, \
            open_output(rejects) as rejects_stream:
        assert out_stream is not None
        writer = plugins.writers.get(fmt)(out_stream)
        size = input_size(input)
        progress = Progress(f"scan {Path(input).name if input != '-' else 'stdin'}", total=size, items="listings",
                            quiet=quiet, every=settings.progress_every)

        def position() -> int | None:
            try:
                return in_stream.tell() if size else None
            except (OSError, ValueError):  # the CSV reader's text wrapper closes the file when done
                return None

        def on_result(r: ScanResult) -> None:
            for problem in (r.ocr or {}).get("errors") or ():  # a missing image is said, not only stored
                click.echo(f"wildtrace: {input}: id {r.id}: image not read: {problem.get('image')}: "
                           f"{problem.get('reason')}", err=True)
            writer.write(r)
            progress.tick(position())

        def on_reject(r: Reject) -> None:
            nonlocal shown
            if shown < MAX_STDERR_REJECTS:
                where = f"line {r.line}" + (f" (id {r.record_id})" if r.record_id else "")
                click.echo(f"wildtrace: {input}: {where}: rejected: {r.reason}", err=True)
            shown += 1
            progress.tick(position())
            if rejects_stream:
                rejects_stream.write(orjson.dumps({"source": input, **r.to_dict()}) + b"\n")

        def on_rendered(data: bytes, n: int) -> None:  # --jobs: a chunk the workers wrote
            out_stream.write(data)
            progress.tick(position(), n)

        def on_notice(message: str) -> None:
            click.echo(f"wildtrace: {input}: warning: {message}", err=True)

        try:
            read = read_input if jobs > 1 else read_listings  # --jobs: the workers parse JSON Lines
            items = read(in_stream, fmt=input_format, name=None if input == "-" else input,
                         max_field_chars=settings.max_field_chars,
                         max_record_bytes=settings.max_record_bytes, encoding=encoding,
                         mapping=columns or None, limits=settings.record_limits, on_notice=on_notice)
            with interruptible() as stop:
                sinks = Sinks(write=on_result, reject=on_reject,  # OCR problems are said per result
                              rendered=(fmt, on_rendered) if ocr_images is None else None)
                if store is not None:  # stored listings' own image files are fingerprinted (near-duplicates)
                    from wildtrace.images.gallery import indexer

                    sinks.save, sinks.after_save = store.save, indexer(store.engine, settings.data_dir)
                summary = ingest(items, scanner, sinks, stop=stop, jobs=jobs)
        finally:
            progress.close()
            writer.close()
            if store is not None:
                store.close()
    if summary.interrupted:
        click.echo(f"wildtrace: interrupted: {summary.scanned:,} scanned and {summary.rejected:,} rejected before "
                   "Ctrl-C; every result written is whole" + (" and stored" if store is not None else ""), err=True)
        raise SystemExit(EXIT_INTERRUPTED)
    if not summary.scanned and not summary.rejected:
        click.echo(f"wildtrace: {input}: warning: the input holds no listings; nothing was scanned", err=True)
    if shown > MAX_STDERR_REJECTS:
        click.echo(f"wildtrace: … {shown - MAX_STDERR_REJECTS:,} more rejected records not shown", err=True)
    if summary_json:
        Path(summary_json).write_bytes(orjson.dumps(summary.to_dict(), option=orjson.OPT_INDENT_2))
    if show_summary:
        click.echo(summary.render(), err=output == "-")
    elif summary.rejected:
        click.echo(f"wildtrace: {summary.scanned:,} scanned, {summary.rejected:,} rejected", err=True)
    if summary.rejected:
        raise SystemExit(EXIT_REJECTS)
