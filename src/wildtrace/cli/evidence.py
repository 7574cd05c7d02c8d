"""``wildtrace evidence``: check an evidence folder (``verify``), make the key that signs one
(``keygen``), package, sign and timestamp its captures (``seal``)."""

from __future__ import annotations

from pathlib import Path

import click
import orjson

from wildtrace import clock
from wildtrace.cli import HelpGroup
from wildtrace.errors import ConfigError
from wildtrace.evidence.keys import generate
from wildtrace.evidence.verify import verify as verify_dir
from wildtrace.settings import Settings


@click.group(cls=HelpGroup)
def evidence() -> None:
    """Work with evidence folders made by `wildtrace capture`."""


@evidence.command()
@click.argument("folder", metavar="[DIR]", required=False,
                type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--evidence-dir", default=None, type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="The evidence folder that wildtrace capture wrote (WARCs, screenshots, custody.jsonl); "
                   "or give it as DIR.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--head", "head", default=None, metavar="HASH",
              help="A head hash you wrote down earlier (printed by every verify): it must still be in the "
                   "chain, or the log was rewritten.")
@click.option("--public-key", "public_key", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="The public key (evidence keygen) every entry must be signed by: unsigned and forged "
                   "entries are problems (default: WILDTRACE_EVIDENCE_PUBLIC_KEY).")
@click.option("--tsa-ca-file", "tsa_ca_file", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="PEM certificates of the timestamp authority (root and chain) seals' timestamps must chain "
                   "to (default: WILDTRACE_TSA_CA_FILE; unset: the chain is not checked, and verify says so).")
@click.pass_obj
def verify(settings: Settings, folder: Path | None, evidence_dir: Path | None, as_json: bool, head: str | None,
           public_key: Path | None, tsa_ca_file: Path | None) -> None:
    """Re-hash every file, re-walk the custody chain and check every seal; exit 1 on any change.

    Example: wildtrace evidence verify --evidence-dir ev/ --head 3f2a… --public-key keys/wildtrace-evidence.pub
    """
    evidence_dir = _one_folder(folder, evidence_dir, "verify")
    report = verify_dir(evidence_dir, expected_head=head, public_key=public_key or settings.evidence_public_key,
                        tsa_ca_file=tsa_ca_file or settings.tsa_ca_file)
    if as_json:
        click.echo(orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2).decode())
    else:
        for problem in report.problems:
            click.echo(str(problem))
        for checked in report.seals:
            for line in checked.ok:
                click.echo(f"ok: {checked.what}: {line}")
        state = "OK" if report.ok else f"FAILED ({len(report.problems)} problems)"
        signed = f"; signed by {report.signer}" if report.signer and report.ok else ""
        click.echo(f"{state}: {report.entries} log entries, {report.files} files; head {report.head_hash}{signed}")
    if not report.ok:
        raise SystemExit(1)


def _one_folder(given: Path | None, option: Path | None, command: str) -> Path:
    """The folder named as an argument or by ``--evidence-dir`` (one of them; the same if both)."""
    if given is not None and option is not None and given.resolve() != option.resolve():
        raise ConfigError(f"two evidence folders given ({given} and --evidence-dir {option}): give one")
    folder = given or option
    if folder is None:
        raise ConfigError(f"give the evidence folder: wildtrace evidence {command} DIR")
    return folder


@evidence.command()
@click.argument("out_dir", metavar="[OUT]", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--out", "out", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for wildtrace-evidence.key (mode 0600) and wildtrace-evidence.pub; never an "
                   "evidence folder (or give it as OUT; default: the current folder).")
def keygen(out_dir: Path | None, out: Path | None) -> None:
    """Make an Ed25519 key pair that signs custody entries (capture --key); print its fingerprint.

    Keep the private key off the evidence folder; give the public key to whoever verifies.
    Example: wildtrace evidence keygen --out keys
    """
    if out_dir is not None and out is not None and out_dir.resolve() != out.resolve():
        raise ConfigError(f"two folders given ({out_dir} and --out {out}): give one")
    private, public, fp = generate(out_dir or out or Path("."))
    click.echo(f"private key: {private} (mode 0600; capture --key {private})")
    click.echo(f"public key:  {public} (evidence verify --public-key {public})")
    click.echo(f"fingerprint: {fp}")


@evidence.command()
@click.argument("evidence_dir", metavar="DIR", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--name", default=None, help="The package's name: DIR/packages/NAME.wacz (default: seal-<UTC time>); "
                                           "letters, digits, '.', '_', '-'. A package is never overwritten.")
@click.option("--key", "key", default=None, type=click.Path(dir_okay=False, path_type=Path),
              help="The private key (evidence keygen) that signs the seal (default: WILDTRACE_EVIDENCE_KEY).")
@click.option("--tsa-url", "tsa_url", default=None, metavar="URL",
              help="An RFC 3161 timestamp authority (default: WILDTRACE_TSA_URL; unset: no timestamp is asked, "
                   "and the seal records that none was).")
@click.option("--allow-private", is_flag=True,
              help="Let the timestamp authority be on a loopback or private address (your own TSA).")
@click.pass_obj
def seal(settings: Settings, evidence_dir: Path, name: str | None, key: Path | None, tsa_url: str | None,
         allow_private: bool) -> None:
    """Package every capture not yet sealed into one WACZ, sign it and timestamp it; log the seal.

    `evidence verify` then checks the package, the signature and the timestamp.
    Example: wildtrace evidence seal ev/ --name case-17 --key keys/wildtrace-evidence.key
    """
    from wildtrace.evidence.seal import seal as make_seal

    key = key or settings.evidence_key
    if key is None:
        raise ConfigError("no key to sign the seal: give --key or set WILDTRACE_EVIDENCE_KEY "
                          "(make one with `wildtrace evidence keygen`)")
    made = make_seal(evidence_dir, key_path=key, name=name or f"seal-{clock.now():%Y%m%dT%H%M%SZ}",
                     tsa_url=tsa_url or settings.tsa_url, tsa_ca_file=settings.tsa_ca_file,
                     allow_private=allow_private)
    click.echo(made.summary())
