"""``wildtrace evidence``: check an evidence folder."""

from __future__ import annotations

from pathlib import Path

import click
import orjson

from wildtrace.cli import HelpGroup
from wildtrace.evidence.verify import verify as verify_dir


@click.group(cls=HelpGroup)
def evidence() -> None:
    """Work with evidence folders made by `wildtrace capture`."""


@evidence.command()
@click.option("--evidence-dir", required=True, type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="The evidence folder that wildtrace capture wrote (WARCs, screenshots, custody.jsonl).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--head", "head", default=None, metavar="HASH",
              help="A head hash you wrote down earlier (printed by every verify): it must still be in the "
                   "chain, or the log was rewritten.")
def verify(evidence_dir: Path, as_json: bool, head: str | None) -> None:
    """Re-hash every file and re-walk the custody chain; exit 1 on any change.

    Example: wildtrace evidence verify --evidence-dir ev/ --head 3f2a…
    """
    report = verify_dir(evidence_dir, expected_head=head)
    if as_json:
        click.echo(orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2).decode())
    else:
        for problem in report.problems:
            click.echo(str(problem))
        state = "OK" if report.ok else f"FAILED ({len(report.problems)} problems)"
        click.echo(f"{state}: {report.entries} log entries, {report.files} files; head {report.head_hash}")
    if not report.ok:
        raise SystemExit(1)
