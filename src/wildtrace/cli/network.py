"""``wildtrace network``: link seller accounts; record analyst judgements."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click
import orjson

from wildtrace.cli import HelpGroup
from wildtrace.cli.streams import open_input
from wildtrace.progress import Progress, input_size
from wildtrace.scan.result import Reject, read_results
from wildtrace.sellers.judgements import JUDGEMENTS, JudgementStore
from wildtrace.sellers.network import NetworkBuilder, NetworkOptions
from wildtrace.settings import Settings

_judgements = click.option("--judgements", type=click.Path(dir_okay=False, path_type=Path), default=None,
                           help="Judgements file (default: DATA_DIR/judgements.jsonl).")


def _store(settings: Settings, path: Path | None) -> JudgementStore:
    return JudgementStore(path or settings.judgements)


@click.group(cls=HelpGroup)
def network() -> None:
    """Seller networks from scan results."""


@network.command()
@click.argument("results", type=click.Path(allow_dash=True, dir_okay=False))
@click.option("-o", "--output", default="-", type=click.Path(allow_dash=True, dir_okay=False),
              help="Write the network JSON here (default: stdout).")
@click.option("--image-distance", type=int, default=6, show_default=True,
              help="Link two accounts whose images' perceptual hashes differ by at most this many bits.")
@click.option("--text-distance", type=int, default=3, show_default=True,
              help="Link two accounts whose listing texts' SimHashes differ by at most this many bits.")
@_judgements
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
@click.pass_obj
def build(settings: Settings, results: str, output: str, image_distance: int, text_distance: int,
          judgements: Path | None, quiet: bool) -> None:
    """Link accounts in `wildtrace scan` JSONL; write nodes, edges, components and key players as JSON.

    Example: wildtrace network build results.jsonl -o network.json
    """
    builder = NetworkBuilder(NetworkOptions(image_distance=image_distance, text_distance=text_distance))
    size = input_size(results)
    progress = Progress(f"network {Path(results).name if results != '-' else 'stdin'}", total=size,
                        items="results", quiet=quiet, every=settings.progress_every)
    with open_input(results) as stream:
        for number, item in read_results(stream):
            progress.tick(stream.tell() if size else None)
            if isinstance(item, Reject):
                click.echo(f"wildtrace: {results}: line {number}: skipped: {item.reason}", err=True)
                continue
            builder.add_result(item.to_dict())
    progress.close()
    net = builder.build(_store(settings, judgements).current())
    data = orjson.dumps(net.to_dict(), option=orjson.OPT_INDENT_2)
    if output == "-":
        sys.stdout.buffer.write(data + b"\n")
    else:
        Path(output).write_bytes(data)
    s = net.to_dict()["summary"]
    click.echo(f"{s['accounts']} accounts, {s['links']} links, {s['components']} linked groups, "
               f"{s['entities']} entities", err=True)


@network.command()
@click.argument("account_a")
@click.argument("account_b")
@click.argument("judgement", type=click.Choice(JUDGEMENTS))
@click.option("--author", default=None, help="Who judges (default: the login name of this shell, getpass).")
@click.option("--note", default="", help="Why: what the judgement rests on.")
@_judgements
@click.pass_obj
def judge(settings: Settings, account_a: str, account_b: str, judgement: str, author: str | None, note: str,
          judgements: Path | None) -> None:
    """Record that two accounts are the same, different, or unsure.

    Example: wildtrace network judge shop:a shop:b same --note "same phone number"
    """
    j = _store(settings, judgements).judge(account_a, account_b, judgement, author or getpass.getuser(), note)
    click.echo(orjson.dumps(j.to_dict()).decode())


@network.command()
@click.argument("judgement_id")
@click.option("--author", default=None, help="Who judges (default: the login name of this shell, getpass).")
@click.option("--note", default="", help="Why: what the judgement rests on.")
@_judgements
@click.pass_obj
def retract(settings: Settings, judgement_id: str, author: str | None, note: str, judgements: Path | None) -> None:
    """Withdraw a judgement (a new record; the old one stays in the history).

    JUDGEMENT_ID is the id that `network judge` printed, or its first 6 or more characters.

    Example: wildtrace network retract 66d224f9 --note "phone number was a reseller's"
    """
    j = _store(settings, judgements).retract(judgement_id, author or getpass.getuser(), note)
    click.echo(orjson.dumps(j.to_dict()).decode())


@network.command()
@_judgements
@click.pass_obj
def judgements(settings: Settings, judgements: Path | None) -> None:
    """List every judgement ever recorded, in order.

    Example: wildtrace network judgements
    """
    for j in _store(settings, judgements).history():
        click.echo(orjson.dumps(j.to_dict()).decode())
