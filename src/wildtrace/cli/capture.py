"""``wildtrace capture``: preserve listing pages as evidence."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import IO

import click
import orjson

from wildtrace.cli import EXIT_REJECTS
from wildtrace.errors import ConfigError, NotFound
from wildtrace.evidence.capture import CaptureOptions, Capturer, Target, targets_from_scan
from wildtrace.progress import Progress
from wildtrace.rejects import Reject
from wildtrace.settings import Settings


def _open_scan(path: str) -> IO[bytes]:
    """The ``--from-scan`` input ('-': stdin); a file that cannot be opened is one line, exit 2."""
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")  # noqa: SIM115
    except FileNotFoundError:
        raise NotFound(f"cannot read {path}: no such file (--from-scan)") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc} (--from-scan)") from None


@click.command()
@click.argument("urls", nargs=-1)
@click.option("--from-scan", "from_scan", type=click.Path(allow_dash=True, dir_okay=False), default=None,
              help="Capture the listing URLs in this `wildtrace scan` JSONL output ('-' for stdin).")
@click.option("--min-risk", type=float, default=0.0, show_default=True,
              help="With --from-scan: only results with risk_score at least this.")
@click.option("--evidence-dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Evidence folder (created if missing; never overwritten).")
@click.option("--operator", default=None, help="Who captures (default: the login name).")
@click.option("--timeout", type=float, default=20.0, show_default=True,
              help="Seconds per page, in all: connecting, every read and every redirect.")
@click.option("--max-bytes", type=int, default=10_000_000, show_default=True, help="Size cap per page.")
@click.option("--max-redirects", type=int, default=5, show_default=True,
              help="Follow at most this many redirects per page (each hop is checked and logged).")
@click.option("--follow-offsite", is_flag=True, help="Follow redirects to another host.")
@click.option("--no-screenshot", is_flag=True, help="Skip the Chromium screenshot.")
@click.option("--allow-private", is_flag=True,
              help="Allow loopback, private and link-local addresses (refused by default: listing URLs "
                   "are written by criminals and may point at your network or a cloud metadata service).")
@click.option("--key", "key", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="Sign every custody entry with this private key (wildtrace evidence keygen; default: "
                   "WILDTRACE_EVIDENCE_KEY); without one, entries are marked unsigned.")
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr (failures are still said).")
@click.pass_obj
def capture(settings: Settings, urls: tuple[str, ...], from_scan: str | None, min_risk: float, evidence_dir: Path,
            operator: str | None, timeout: float, max_bytes: int, max_redirects: int,
            follow_offsite: bool, no_screenshot: bool, allow_private: bool, key: Path | None, quiet: bool) -> None:
    """Fetch listing pages into a WARC each, hash them and log them in the custody log.

    Prints one JSON line per capture (status captured or failed, with reason).
    Exit status 3 when any capture failed or any scan line was unusable.

    Example: wildtrace capture --from-scan results.jsonl --min-risk 0.6 --evidence-dir evidence/
    """
    if not urls and not from_scan:
        raise click.UsageError("give URLs or --from-scan RESULTS")
    key = key or settings.evidence_key
    typed = [u for u in urls if not u.lower().startswith(("http://", "https://"))]
    if typed and len(typed) == len(urls) and not from_scan:  # a typing mistake, not a batch with a bad record
        raise ConfigError(f"not an http(s) URL: {typed[0]}" + (f" (and {len(typed) - 1} more)" if len(typed) > 1 else ""))
    targets: list[Target] = [Target(u) for u in urls]
    problems = 0
    if from_scan:
        stream = _open_scan(from_scan)
        try:
            for item in targets_from_scan(stream, min_risk):
                if isinstance(item, Reject):
                    problems += 1
                    rid = f" (id {item.record_id})" if item.record_id else ""
                    click.echo(f"wildtrace: {from_scan}: line {item.line}{rid}: skipped: {item.reason}", err=True)
                else:
                    targets.append(item)
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()
    options = CaptureOptions(operator=operator or getpass.getuser(), timeout=timeout, max_bytes=max_bytes,
                             max_redirects=max_redirects, follow_offsite=follow_offsite,
                             screenshot=not no_screenshot, allow_private=allow_private, key=key)
    progress = Progress("capture", total=len(targets), items="pages", unit="page", quiet=quiet,
                        every=settings.progress_every)
    with Capturer(evidence_dir, options) as capturer:
        for n, record in enumerate(capturer.capture_all(targets), start=1):
            progress.tick(n)
            click.echo(orjson.dumps(record.to_dict()).decode())
            if record.status != "captured":
                problems += 1
                click.echo(f"wildtrace: capture failed: {record.url}: {record.reason}", err=True)
    progress.close()
    if problems:
        raise SystemExit(EXIT_REJECTS)
