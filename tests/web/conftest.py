"""A real workbench server on loopback, per backend, seeded with the demo listings,
hostile listings, and one user per role. Shared by the API, hostile-content and browser tests."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright
from store.conftest import drop_pg_database, fresh_pg_database

from wildtrace import Scanner, Settings
from wildtrace.store import accounts as auth
from wildtrace.web.app import create_app
from wildtrace.web.demo import load_demo

PASSWORD = "correct horse battery"
ROLES = ("admin", "analyst", "viewer")
BIG_TITLE = "Rhino horn " + "W" * 1_000_000
HOSTILE = [
    {"id": "evil-script", "title": "<script>alert('xss')</script> rhino horn for sale",
     "text": "<img src=x onerror=alert(1)> ivory <b>bold</b> \"quotes\" & ampersands",
     "seller": "<b onmouseover=alert(2)>evil</b><script>alert(3)</script>",
     "url": "javascript:alert(4)", "platform": "<i>plat</i>", "posted_at": "2026-11-09"},
    {"id": "evil-url", "title": "Pangolin scales, WhatsApp", "url": "JaVaScRiPt:alert(5)",
     "seller": "</td></tr></table><h1>broken</h1>", "posted_at": "2026-11-10"},
    {"id": "evil-big", "title": BIG_TITLE, "seller": "bigseller", "posted_at": "2026-11-11"},
    {"id": "th-ivory", "title": "ขายงาช้างแท้ ราคาถูก ส่งฟรี", "seller": "ร้านงา", "platform": "line",
     "posted_at": "2026-11-12"},
]


@dataclass
class Server:
    url: str
    app: Any
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def engine(self) -> Any:
        return self.app.state.store.engine

    def api(self, role: str) -> httpx.Client:
        """An API client with a bearer token of this role."""
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.tokens[role]}"},
                            timeout=30)

    def login(self, role: str) -> tuple[httpx.Client, str]:
        """A browser-like client logged in with a session cookie; returns (client, CSRF token)."""
        client = httpx.Client(base_url=self.url, timeout=30)
        page = client.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf, page.text
        r = client.post("/login", data={"name": role, "password": PASSWORD, "csrf_token": csrf.group(1)})
        assert r.status_code == 303, r.text
        home = client.get("/")
        token = re.search(r'name="csrf-token" content="([^"]+)"', home.text)
        assert token, home.text
        return client, token.group(1)

    def sign_in(self, page: Page, role: str) -> None:
        """Sign a browser page in through the login form, as this role, and wait for the queue."""
        page.goto(f"{self.url}/login")
        page.fill("input[name=name]", role)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{self.url}/")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: Start-up polls of a loopback server (every 0.05 s; a bound against a hang, not a timing check).
STARTUP_POLLS = 400


@contextmanager
def running(app: Any, port: int) -> Iterator[None]:
    """Serve ``app`` with uvicorn on 127.0.0.1:``port`` in a thread until the block ends."""
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    for _ in range(STARTUP_POLLS):
        if uv.started or not thread.is_alive():
            break
        time.sleep(0.05)
    assert uv.started, "the server did not start"
    try:
        yield
    finally:
        uv.should_exit = True
        thread.join(10)


def _serve(db: str, tmp: Path) -> Iterator[Server]:
    settings = Settings(data_dir=tmp / "data", max_field_chars=1_100_000, max_record_bytes=4_000_000)
    app = create_app(db, settings, max_body=3_000_000)
    scanner = Scanner(settings)
    app.state.scanner = scanner
    store = app.state.store
    load_demo(store, scanner)
    store.save([r for r in scanner.scan(HOSTILE)])  # type: ignore[misc]
    server = Server(f"http://127.0.0.1:{_free_port()}", app)
    for role in ROLES:
        auth.add_user(store.engine, role, role, PASSWORD, actor="test")
        server.tokens[role] = auth.create_token(store.engine, role, "tests")
    with running(app, int(server.url.rsplit(":", 1)[1])):
        yield server


@pytest.fixture(scope="session")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("web-sqlite")
    yield from _serve(str(tmp / "w.sqlite"), tmp)


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    url, admin_url = fresh_pg_database()
    yield from _serve(url, tmp_path_factory.mktemp("web-pg"))
    drop_pg_database(url, admin_url)


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest) -> Server:
    """The workbench on each backend (the same tests run on both)."""
    name = "sqlite_server" if request.param == "sqlite" else "pg_server"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


#: How long an ``expect`` waits for the page to reach what it asserts (Playwright's default is
#: 5 s): a capture's screenshot in Chromium took longer on this 2-core machine under a loaded
#: suite. A passing check returns as soon as it holds, so this slows no passing test.
expect.set_options(timeout=60_000)

#: Debian's Chromium, driven by Playwright (never `playwright install`)
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium per test module."""
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()
