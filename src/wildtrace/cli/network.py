"""``wildtrace network``: link seller accounts; record analyst judgements. Judgements and built
networks are kept in the store (``--db``, default ``settings.db_target``)."""

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
from wildtrace.sellers.network import NetworkBuilder, NetworkOptions, save_network
from wildtrace.settings import Settings

_judgements = click.option("--judgements", type=click.Path(dir_okay=False, path_type=Path), default=None,
                           help="A judgements file kept before judgements moved into the database, imported "
                                "once (default: DATA_DIR/judgements.jsonl).")
_db = click.option("--db", default=None, help="Database (default: WILDTRACE_DB, else DATA_DIR/wildtrace.sqlite).")


def _store(settings: Settings, path: Path | None, db: str | None) -> JudgementStore:
    return JudgementStore(db or settings.db_target, legacy=path or settings.judgements)


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
@_db
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
@click.pass_obj
def build(settings: Settings, results: str, output: str, image_distance: int, text_distance: int,
          judgements: Path | None, db: str | None, quiet: bool) -> None:
    """Link accounts in `wildtrace scan` JSONL; write nodes, edges, components and key players as JSON.

    The network is also stored in the database (--db), with its provenance, so the workbench
    and case exports can read the latest instead of rebuilding it.

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
    with _store(settings, judgements, db) as store:
        in_force = store.current()
        net_dict = builder.build(in_force).to_dict()
        network_id = save_network(store.engine, net_dict, in_force, source=results)
    data = orjson.dumps(net_dict, option=orjson.OPT_INDENT_2)
    if output == "-":
        sys.stdout.buffer.write(data + b"\n")
    else:
        Path(output).write_bytes(data)
    s = net_dict["summary"]
    click.echo(f"{s['accounts']} accounts, {s['links']} links, {s['components']} linked groups, "
               f"{s['entities']} entities (stored as network {network_id})", err=True)


@network.command()
@click.argument("account_a")
@click.argument("account_b")
@click.argument("judgement", type=click.Choice(JUDGEMENTS))
@click.option("--author", default=None, help="Who judges (default: the login name of this shell, getpass).")
@click.option("--note", default="", help="Why: what the judgement rests on.")
@_judgements
@_db
@click.pass_obj
def judge(settings: Settings, account_a: str, account_b: str, judgement: str, author: str | None, note: str,
          judgements: Path | None, db: str | None) -> None:
    """Record that two accounts are the same, different, or unsure.

    Example: wildtrace network judge shop:a shop:b same --note "same phone number"
    """
    with _store(settings, judgements, db) as store:
        j = store.judge(account_a, account_b, judgement, author or getpass.getuser(), note)
    click.echo(orjson.dumps(j.to_dict()).decode())


@network.command()
@click.argument("judgement_id")
@click.option("--author", default=None, help="Who judges (default: the login name of this shell, getpass).")
@click.option("--note", default="", help="Why: what the judgement rests on.")
@_judgements
@_db
@click.pass_obj
def retract(settings: Settings, judgement_id: str, author: str | None, note: str, judgements: Path | None,
            db: str | None) -> None:
    """Withdraw a judgement (a new record; the old one stays in the history).

    JUDGEMENT_ID is the id that `network judge` printed, or its first 6 or more characters.

    Example: wildtrace network retract 66d224f9 --note "phone number was a reseller's"
    """
    with _store(settings, judgements, db) as store:
        j = store.retract(judgement_id, author or getpass.getuser(), note)
    click.echo(orjson.dumps(j.to_dict()).decode())


@network.command()
@_judgements
@_db
@click.pass_obj
def judgements(settings: Settings, judgements: Path | None, db: str | None) -> None:
    """List every judgement ever recorded, in order.

    Example: wildtrace network judgements
    """
    with _store(settings, judgements, db) as store:
        history = store.history()
    for j in history:
        click.echo(orjson.dumps(j.to_dict()).decode())
