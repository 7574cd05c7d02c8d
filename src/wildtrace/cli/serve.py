"""``wildtrace serve``: the analyst workbench (web UI and JSON API) under uvicorn."""

from __future__ import annotations

import base64
import os
import pickle
import socket
import webbrowser
from contextlib import closing
from pathlib import Path
from typing import Any

import click
import uvicorn
from uvicorn.supervisors import Multiprocess

from wildtrace import demosite
from wildtrace.errors import ConfigError
from wildtrace.scan.scanner import Scanner
from wildtrace.settings import Settings
from wildtrace.store.sql import SQLStore
from wildtrace.web.app import create_app
from wildtrace.web.demo import demo_login, demo_origin, load_demo


def database(settings: Settings, db: str | None) -> str:
    """``--db``, else $WILDTRACE_DB, else the default SQLite file in the data folder."""
    return db or settings.db or str(settings.db_path)


@click.command()
@click.option("--db", default=None, help="Database: a SQLite path or postgresql://USER@HOST:PORT/DB.")
@click.option("--host", default=None, help="Address to listen on (default: WILDTRACE_HOST, else 127.0.0.1).")
@click.option("--port", default=None, type=click.IntRange(1, 65535), help="Port (default: WILDTRACE_PORT, else 8150).")
@click.option("--demo", is_flag=True,
              help="Load the bundled synthetic demo listings, start their demo marketplace on 127.0.0.1 and "
                   "print a demo login (default database: demo-workbench.sqlite in the data folder).")
@click.option("--demo-port", default=None, type=click.IntRange(1, 65535),
              help="Port of the demo marketplace (with --demo; default: the port the demo database's "
                   "listing URLs name, else --port + 1). A new port stores new versions of the listings.")
@click.option("--trade-db", type=click.Path(path_type=Path), default=None,
              help="Trade DuckDB for /api/v1/trade (default: as `wildtrace trade`, DATA_DIR/trade.duckdb).")
@click.option("--trade-ranges", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="CSV taxon,range_state for the trade screen's outside_range check.")
@click.option("--trade-register", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="CSV taxon,country of registered Appendix-I breeding operations for the trade screen.")
@click.option("--open", "open_browser", is_flag=True, help="Open the workbench in the web browser once it listens.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes serving requests on the one port (uvicorn workers; e.g. the number "
                   "of cores). SQLite stays correct across them: WAL, a busy timeout, writes retried.")
@click.pass_obj
def serve(settings: Settings, db: str | None, host: str | None, port: int | None, demo: bool,
          demo_port: int | None, trade_db: Path | None, trade_ranges: Path | None, trade_register: Path | None,
          open_browser: bool, workers: int) -> None:
    """Run the workbench: triage queue, search, labels, dashboard and the JSON API (/api/v1).

    The port is bound first; the URL is printed only once it is ours. With --demo, the demo
    marketplace (the demo listings' pages and images, on 127.0.0.1) runs beside it until it stops,
    and captures started from the workbench may fetch from it.

    Example: wildtrace serve --demo --port 8150 --open
    """
    if demo_port is not None and not demo:
        raise click.UsageError("--demo-port is the demo marketplace's port: it needs --demo")
    host, port = host or settings.host, port or settings.port
    sock = bind(host, port)
    port = sock.getsockname()[1]
    if demo and not db:
        db = str(settings.demo_db)
    target = database(settings, db)
    site = _start_demo_site(target, demo_port, port) if demo else None
    try:
        app = create_app(target, settings, trade_db=trade_db, trade_ranges=trade_ranges,
                         trade_register=trade_register, capture_allow_origins={site.origin} if site else ())
        url = f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"
        if host not in ("127.0.0.1", "localhost", "::1"):
            click.echo(f"wildtrace: warning: listening on {host}: anyone who can reach it sees the login page",
                       err=True)
        if site is not None:
            store = app.state.store
            loaded = load_demo(store, Scanner(settings), origin=site.origin)
            name, password = demo_login(store.engine)
            click.echo(f"WildTrace workbench demo: {loaded.listings} SYNTHETIC listings loaded into {target}")
            click.echo(f"Seller network: {loaded.linked_accounts} of {loaded.accounts} accounts linked "
                       f"({loaded.links} links; stored as network {loaded.network_id})")
            click.echo(f"Demo marketplace (synthetic listing pages to capture): {site.origin}/")
            click.echo(f"Open {url} and log in as  {name} / {password}  (analyst)")
        else:
            click.echo(f"WildTrace workbench on {url} (database {target}); add users with `wildtrace users add`")
        if open_browser:
            webbrowser.open(url)
        if workers > 1:
            app.state.store.close()  # each worker opens its own (see ``worker_app``)
            _run_workers(workers, sock, (target, settings, {
                "trade_db": trade_db, "trade_ranges": trade_ranges, "trade_register": trade_register,
                "capture_allow_origins": {site.origin} if site else ()}))
        else:
            uvicorn.Server(uvicorn.Config(app, log_level="warning", proxy_headers=False)).run(sockets=[sock])
    finally:
        sock.close()
        if site is not None:
            site.close()


#: How ``serve --workers`` hands the app's arguments to its worker processes (started afresh by
#: uvicorn: they inherit the environment, not the parent's objects).
APP_ARGS = "WILDTRACE_SERVE_APP"


def _run_workers(workers: int, sock: socket.socket, args: tuple[Any, ...]) -> None:
    """Serve on ``sock`` from ``workers`` processes, each building the app with ``worker_app``."""
    os.environ[APP_ARGS] = base64.b64encode(pickle.dumps(args)).decode()
    config = uvicorn.Config("wildtrace.cli.serve:worker_app", factory=True, workers=workers,
                            log_level="warning", proxy_headers=False)
    Multiprocess(config, sockets=[sock]).run()


def worker_app() -> Any:
    """The workbench app of one ``serve --workers`` process (its own engine and caches)."""
    target, settings, kwargs = pickle.loads(base64.b64decode(os.environ[APP_ARGS]))  # noqa: S301 (our parent's)
    return create_app(target, settings, **kwargs)


def _start_demo_site(target: str, demo_port: int | None, port: int) -> demosite.DemoSite:
    """The demo marketplace on the port its stored listings name (or ``--demo-port``, or the
    workbench's port + 1 on a new demo database)."""
    with closing(SQLStore(target)) as store:
        origin = demo_origin(store, demo_port, default_port=port + 1 if port < 65535 else demosite.DEFAULT_PORT)
    return demosite.start(int(origin.rsplit(":", 1)[1]))


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or one clear line when the port is taken or the
    address is not this machine's."""
    try:
        family, kind, proto, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(128)
    except socket.gaierror as exc:
        raise ConfigError(f"cannot listen on {host!r}: {exc.strerror}; give --host an address of this machine") from exc
    except OSError as exc:
        if exc.errno in (98, 48, 10048):  # EADDRINUSE on Linux, macOS, Windows
            raise ConfigError(f"port {port} on {host} is already in use; choose another with --port "
                              f"(e.g. --port {port + 1 if port < 65535 else 8150})") from exc
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.set_inheritable(True)
    return sock
