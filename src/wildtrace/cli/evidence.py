"""``wildtrace evidence``: check an evidence folder (``verify``), make the key that signs one (``keygen``)."""

from __future__ import annotations

from pathlib import Path

import click
import orjson

from wildtrace.cli import HelpGroup
from wildtrace.evidence.keys import generate
from wildtrace.evidence.verify import verify as verify_dir
from wildtrace.settings import Settings


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
@click.option("--public-key", "public_key", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="The public key (evidence keygen) every entry must be signed by: unsigned and forged "
                   "entries are problems (default: WILDTRACE_EVIDENCE_PUBLIC_KEY).")
@click.pass_obj
def verify(settings: Settings, evidence_dir: Path, as_json: bool, head: str | None, public_key: Path | None) -> None:
    """Re-hash every file and re-walk the custody chain; exit 1 on any change.

    Example: wildtrace evidence verify --evidence-dir ev/ --head 3f2a… --public-key keys/wildtrace-evidence.pub
    """
    report = verify_dir(evidence_dir, expected_head=head, public_key=public_key or settings.evidence_public_key)
    if as_json:
        click.echo(orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2).decode())
    else:
        for problem in report.problems:
            click.echo(str(problem))
        state = "OK" if report.ok else f"FAILED ({len(report.problems)} problems)"
        signed = f"; signed by {report.signer}" if report.signer and report.ok else ""
        click.echo(f"{state}: {report.entries} log entries, {report.files} files; head {report.head_hash}{signed}")
    if not report.ok:
        raise SystemExit(1)


@evidence.command()
@click.option("--out", "out", default=".", show_default=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for wildtrace-evidence.key (mode 0600) and wildtrace-evidence.pub; never an "
                   "evidence folder.")
def keygen(out: Path) -> None:
    """Make an Ed25519 key pair that signs custody entries (capture --key); print its fingerprint.

    Keep the private key off the evidence folder; give the public key to whoever verifies.
    Example: wildtrace evidence keygen --out keys
    """
    private, public, fp = generate(out)
    click.echo(f"private key: {private} (mode 0600; capture --key {private})")
    click.echo(f"public key:  {public} (evidence verify --public-key {public})")
    click.echo(f"fingerprint: {fp}")
