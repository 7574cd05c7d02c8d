#!/usr/bin/env python3
"""Start (and stop) a throwaway PostgreSQL cluster for the tests, when none is given.

    scripts/pg_test_cluster.py start     # prints the URL and the folder; stays running
    scripts/pg_test_cluster.py stop DIR

The tests import this file: they use $WILDTRACE_TEST_PG_URL when it is set (an existing
server where they may create and drop databases), else they start a cluster here on a free
port on 127.0.0.1 (initdb into a temp folder, trust auth on loopback only, fsync off) and
stop it at the end. PostgreSQL refuses to run as root, so as root it runs as the
``postgres`` user (Debian's package creates it) through ``runuser``.
Needs Debian's ``postgresql`` package (system-packages.txt; ``make test`` installs it).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql; see system-packages.txt)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    folder: Path
    port: int
    as_user: str | None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if self.as_user:
            cmd = ["runuser", "-u", self.as_user, "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def stop(self) -> None:
        try:
            self._run(str(_bindir() / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate",
                      "-w", "stop")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.folder, ignore_errors=True)


def start(*, durable: bool = False, extra: str = "") -> Cluster:
    """A throwaway cluster; ``durable``: fsync and synchronous commit on (as a real server runs:
    the default cluster turns them off for speed), ``extra``: more ``-c name=value`` options."""
    bindir = _bindir()
    folder = Path(tempfile.mkdtemp(prefix="wildtrace-pg-"))
    as_user = None
    if os.geteuid() == 0:
        as_user = "postgres"
        user = pwd.getpwnam(as_user)
        os.chown(folder, user.pw_uid, user.pw_gid)
    cluster = Cluster(folder, _free_port(), as_user)
    try:
        cluster._run(str(bindir / "initdb"), "-D", str(folder / "data"), "-U", "postgres",
                     "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        fast = "" if durable else "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
        options = (f"-p {cluster.port} -k {folder} -c listen_addresses=127.0.0.1 {fast}"
                   f"-c max_connections=200 {extra}")
        cluster._run(str(bindir / "pg_ctl"), "-D", str(folder / "data"), "-o", options,
                     "-l", str(folder / "log"), "-w", "-t", "60", "start")
    except subprocess.CalledProcessError as exc:
        log = (folder / "log").read_text(errors="replace") if (folder / "log").exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"cannot start PostgreSQL: {exc.stderr.decode(errors='replace')}\n{log}") from exc
    return cluster


_shared: Cluster | None = None


def shared_url() -> str:
    """For the tests: $WILDTRACE_TEST_PG_URL, else one cluster per process, stopped at exit."""
    global _shared
    if os.environ.get("WILDTRACE_TEST_PG_URL"):
        return os.environ["WILDTRACE_TEST_PG_URL"]
    if _shared is None:
        import atexit

        _shared = start()
        atexit.register(_shared.stop)
    return _shared.url


def main(argv: list[str]) -> int:
    if argv[:1] == ["start"]:
        c = start()
        print(c.url)
        print(c.folder)
        return 0
    if argv[:1] == ["stop"] and len(argv) == 2:
        folder = Path(argv[1])
        owner = folder.stat().st_uid
        Cluster(folder, 0, pwd.getpwuid(owner).pw_name if os.geteuid() == 0 else None).stop()
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
