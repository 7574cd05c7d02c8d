"""Scan on a Dask cluster (``wildtrace scan 'GLOB' --engine dask [--scheduler ADDRESS] -o OUTDIR``).

Each file the glob names is one partition (local paths or fsspec URLs: ``s3://``, ``gs://``,
``abfs://``...). A worker plugin (``ScannerPlugin``) builds the scanner once on every worker,
from the same ``ScannerSpec`` a local ``scan --jobs`` uses; each partition is read, scanned and
written by a worker straight into the output folder (``part-00000.jsonl``, or ``.csv``, or
``.parquet`` with pyarrow) with its rejects beside it (``rejects-00000.jsonl``), through the one
ingest pipeline, so every partition is exactly what a local scan of that file writes. The client
only merges the partitions' summaries, in partition order (``summary.json``: the same counts and
top risks as one scan of the files one after another).

Without a scheduler address a ``LocalCluster`` of worker processes (one thread each: a scanner
is used by one thread at a time) starts on this machine. Needs the ``dask`` extra.
"""

from __future__ import annotations

import hashlib
import pickle
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

from wildtrace import extras, plugins
from wildtrace.errors import ConfigError
from wildtrace.parallel import ScannerSpec, cores, merge_summary
from wildtrace.pipeline import Sinks, ingest
from wildtrace.rejects import Reject
from wildtrace.scan.result import ScanResult
from wildtrace.scan.summary import Summary

#: The name the scanner plugin is registered under on each worker
PLUGIN = "wildtrace-scanner"
#: Results per Parquet row group (a worker holds no more than this many at a time)
PARQUET_ROWS = 4096
FORMATS = ("jsonl", "csv", "parquet")

try:  # the base class when dask is installed; the plugin is only made where it is
    from distributed import WorkerPlugin as _PluginBase
except ImportError:  # pragma: no cover - without the dask extra, scan_files says which to install
    _PluginBase = object  # type: ignore[assignment,misc]


class ScannerPlugin(_PluginBase):  # type: ignore[misc,valid-type]
    """Builds the scanner once on each worker (and on each worker that joins later). Registered
    under a name that hashes its spec, as idempotent: a later scan with the same settings on a
    long-lived cluster finds the scanner built."""

    idempotent = True

    def __init__(self, spec: ScannerSpec) -> None:
        self.spec = spec
        self.scanner: Any = None
        self.name = f"{PLUGIN}-{hashlib.sha256(pickle.dumps(spec)).hexdigest()[:16]}"

    def setup(self, worker: Any) -> None:
        self.scanner = self.spec.build()


@dataclass
class ReadOptions:
    """How the partitions are read (the options of ``wildtrace scan``)."""

    input_format: str | None = None
    columns: dict[str, str] | None = None
    encoding: str = "utf-8"


@dataclass
class PartitionDone:
    """What a worker sends back for one partition: its summary and what it wrote."""

    index: int
    url: str
    summary: Summary
    files: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class ClusterScan:
    """The result of ``scan_files``: the merged summary, the partitions in order, the time taken."""

    summary: Summary
    partitions: list[PartitionDone]
    seconds: float
    rejects: list[str] = field(default_factory=list)


def expand(pattern: str) -> list[str]:
    """The files a glob names, sorted: local paths or fsspec URLs (``s3://bucket/listings/*.jsonl``)."""
    import fsspec

    fs, _, paths = fsspec.core.get_fs_token_paths(pattern)
    found = sorted(p for p in paths if fs.isfile(p))
    if not found:
        raise ConfigError(f"{pattern}: no file matches")
    return [fs.unstrip_protocol(p) if "://" in pattern else p for p in found]


def _out(outdir: str, name: str) -> str:
    return outdir.rstrip("/") + "/" + name


def _scanner(name: str) -> Any:
    from distributed import get_worker

    plugin: Any = get_worker().plugins.get(name)
    if plugin is None or plugin.scanner is None:
        raise ConfigError("the wildtrace scanner plugin is not set up on this worker")
    return plugin.scanner


def scan_partition(index: int, url: str, outdir: str, fmt: str, read: ReadOptions, top_n: int,
                   plugin: str) -> PartitionDone:
    """On a worker: scan one file into ``part-NNNNN.<fmt>`` and ``rejects-NNNNN.jsonl`` under
    ``outdir``, with the scanner the plugin named ``plugin`` built."""
    import fsspec

    from wildtrace.scan.readers import read_listings

    started = time.perf_counter()
    scanner = _scanner(plugin)
    settings = scanner.settings
    part = _out(outdir, f"part-{index:05d}.{fmt}")
    rejects_path = _out(outdir, f"rejects-{index:05d}.jsonl")
    wrote_rejects: list[IO[bytes]] = []

    with fsspec.open(url, "rb") as src, fsspec.open(part, "wb") as dst:
        def reject(r: Reject) -> None:
            if not wrote_rejects:
                wrote_rejects.append(fsspec.open(rejects_path, "wb").open())
            wrote_rejects[0].write(orjson.dumps({"source": url, **r.to_dict()}) + b"\n")

        items = read_listings(src, fmt=read.input_format, name=url, max_field_chars=settings.max_field_chars,
                              max_record_bytes=settings.max_record_bytes, encoding=read.encoding,
                              mapping=read.columns, limits=settings.record_limits)
        write, close = _writer(fmt, dst)
        try:
            summary = ingest(items, scanner, Sinks(write=write, reject=reject), top_n=top_n)
        finally:
            close()
            for stream in wrote_rejects:
                stream.close()
    files = [part] + ([rejects_path] if wrote_rejects else [])
    return PartitionDone(index, url, summary, files, time.perf_counter() - started)


def _writer(fmt: str, stream: IO[bytes]) -> tuple[Callable[[ScanResult], None], Callable[[], None]]:
    """``write(result)`` and ``close()`` for a partition file."""
    if fmt != "parquet":
        writer = plugins.writers.get(fmt)(stream)
        return writer.write, writer.close
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([("id", pa.string()), ("verdict", pa.string()), ("wildlife_score", pa.float64()),
                        ("risk_score", pa.float64()), ("specimen", pa.string()), ("intent", pa.string()),
                        ("taxa", pa.list_(pa.string())), ("cites_appendices", pa.list_(pa.string())),
                        ("product_types", pa.list_(pa.string())), ("lang", pa.string()),
                        ("scanned_at", pa.string()), ("result", pa.string())])
    out = pq.ParquetWriter(stream, schema)
    rows: list[dict[str, Any]] = []

    def flush() -> None:
        if rows:
            out.write_table(pa.Table.from_pylist(rows, schema=schema))
            rows.clear()

    def write(r: ScanResult) -> None:
        rows.append({"id": r.id, "verdict": r.verdict, "wildlife_score": r.wildlife_score,
                     "risk_score": r.risk_score, "specimen": r.specimen.get("value"),
                     "intent": r.intent.get("value"), "taxa": [str(t.get("scientific_name", "")) for t in r.taxa],
                     "cites_appendices": [str(t.get("cites_appendix", "")) for t in r.taxa],
                     "product_types": list(r.product_types), "lang": r.lang, "scanned_at": r.scanned_at,
                     "result": orjson.dumps(r.to_dict()).decode()})
        if len(rows) >= PARQUET_ROWS:
            flush()

    def close() -> None:
        flush()
        out.close()

    return write, close


def start_client(scheduler: str | None, workers: int | None) -> tuple[Any, Any]:
    """A client of the scheduler at ``scheduler``, or of a new ``LocalCluster`` on this machine
    (``workers`` processes, default one a core; loopback only). Returns (client, cluster or None)."""
    extras.need("dask", "distributed")
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    cluster = LocalCluster(n_workers=workers or cores(), threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address=None)
    return Client(cluster), cluster


def scan_files(spec: ScannerSpec, pattern: str, outdir: str, *, client: Any, fmt: str = "jsonl",
               read: ReadOptions | None = None, top_n: int = 10) -> ClusterScan:
    """Scan every file ``pattern`` names on the cluster ``client`` talks to; write the partitions
    and ``summary.json`` into ``outdir`` (a folder or an fsspec URL). Partitions come back in
    file order whatever order they finish in."""
    import fsspec

    if fmt not in FORMATS:
        raise ConfigError(f"--format {fmt}: a partition is one of {', '.join(FORMATS)}")
    if fmt == "parquet":
        extras.need("dask", "pyarrow")
    urls = expand(pattern)
    fs, _, (root,) = fsspec.core.get_fs_token_paths(outdir)
    fs.makedirs(root, exist_ok=True)
    started = time.perf_counter()
    plugin = ScannerPlugin(spec)
    client.register_plugin(plugin, name=plugin.name)
    futures = [client.submit(scan_partition, i, url, outdir, fmt, read or ReadOptions(), top_n, plugin.name,
                             key=f"wildtrace-scan-{i:05d}-{time.time_ns()}", pure=False)
               for i, url in enumerate(urls)]
    done: list[PartitionDone] = client.gather(futures)
    summary = Summary(top_n=top_n)
    for part in done:
        merge_summary(summary, part.summary)
    with fsspec.open(_out(outdir, "summary.json"), "wb") as fh:
        fh.write(orjson.dumps({**summary.to_dict(), "partitions": [
            {"index": p.index, "source": p.url, "scanned": p.summary.scanned, "rejected": p.summary.rejected,
             "files": p.files, "seconds": round(p.seconds, 3)} for p in done]}, option=orjson.OPT_INDENT_2))
    rejects = [f for p in done for f in p.files if f.rsplit("/", 1)[-1].startswith("rejects-")]
    return ClusterScan(summary, done, time.perf_counter() - started, rejects)


def iter_rejects(scan: ClusterScan) -> Iterator[bytes]:
    """Every reject line the partitions wrote, in partition order."""
    import fsspec

    for path in scan.rejects:
        with fsspec.open(path, "rb") as fh:
            yield from fh


__all__ = ["ClusterScan", "PartitionDone", "ReadOptions", "ScannerPlugin", "expand", "iter_rejects",
           "scan_files", "scan_partition", "start_client"]
