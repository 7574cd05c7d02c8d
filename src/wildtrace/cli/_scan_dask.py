"""``wildtrace scan 'GLOB' --engine dask``: the command-line side of ``wildtrace.cluster``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
import orjson

from wildtrace.cli import EXIT_REJECTS
from wildtrace.errors import ConfigError
from wildtrace.parallel import ScannerSpec

MAX_STDERR_REJECTS = 100


def scan_cli(spec: ScannerSpec, pattern: str, outdir: str, *, fmt: str, scheduler: str | None,
             input_format: str | None, columns: dict[str, str], encoding: str, rejects: str | None,
             show_summary: bool, summary_json: str | None, quiet: bool, store: bool,
             workers: int | None) -> None:
    """Scan the files ``pattern`` names on a Dask cluster into the folder ``outdir``; say the
    summary and the rejects as a local scan does (exit 3 when any record was rejected)."""
    from wildtrace.cluster import ReadOptions, iter_rejects, scan_files, start_client

    if outdir == "-":
        raise ConfigError("--engine dask writes one file per partition: give -o FOLDER")
    if store:
        raise ConfigError("--engine dask writes partitions, not the store: use a local scan (--jobs N) with --db")
    if spec.ocr_root is not None:
        raise ConfigError("--ocr-images reads local image folders: use a local scan (--jobs N)")
    client, cluster = start_client(scheduler, workers)
    try:
        if not quiet:
            click.echo(f"wildtrace: dask: {len(client.scheduler_info().get('workers', {}))} workers at "
                       f"{client.scheduler.address}", err=True)
        done = scan_files(spec, pattern, outdir, client=client, fmt=fmt,
                          read=ReadOptions(input_format, columns or None, encoding))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    summary = done.summary
    shown = 0
    out = open(rejects, "wb") if rejects else None  # noqa: SIM115 - closed below
    try:
        for line in iter_rejects(done):
            if out is not None:
                out.write(line)
            if shown < MAX_STDERR_REJECTS:
                r = orjson.loads(line)
                where = f"line {r['line']}" + (f" (id {r['id']})" if r.get("id") else "")
                click.echo(f"wildtrace: {r['source']}: {where}: rejected: {r['reason']}", err=True)
            shown += 1
    finally:
        if out is not None:
            out.close()
    if not quiet:
        click.echo(f"wildtrace: dask: {len(done.partitions)} partitions in {done.seconds:.1f} s -> {outdir}",
                   err=True)
    if summary_json:
        Path(summary_json).write_bytes(orjson.dumps(summary.to_dict(), option=orjson.OPT_INDENT_2))
    if show_summary:
        click.echo(summary.render(), err=False)
    elif summary.rejected:
        click.echo(f"wildtrace: {summary.scanned:,} scanned, {summary.rejected:,} rejected", err=True)
    sys.stdout.flush()
    if summary.rejected:
        raise SystemExit(EXIT_REJECTS)
