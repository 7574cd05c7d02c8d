"""The client address (issue 29, item 10): the socket's peer; X-Forwarded-For only from a
trusted proxy, and then its right-most untrusted address."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from wildtrace import Settings
from wildtrace.errors import ConfigError
from wildtrace.store import accounts as auth
from wildtrace.store.audit import audit_entries
from wildtrace.web.app import create_app
from wildtrace.web.client import client_address, trusted_networks

from .conftest import PASSWORD, _free_port, running

PROXIES = trusted_networks("127.0.0.1, 10.0.0.0/8")


@pytest.mark.parametrize(("peer", "forwarded", "expected"), [
    ("203.0.113.9", ["1.2.3.4"], "203.0.113.9"),              # not a proxy: the header is ignored
    ("127.0.0.1", [], "127.0.0.1"),                           # a proxy, no header
    ("127.0.0.1", ["1.2.3.4"], "1.2.3.4"),
    ("127.0.0.1", ["6.6.6.6, 1.2.3.4"], "1.2.3.4"),           # the client's own entry is to the left
    ("127.0.0.1", ["6.6.6.6, 1.2.3.4, 10.1.2.3"], "1.2.3.4"),  # through two trusted proxies
    ("127.0.0.1", ["6.6.6.6", "1.2.3.4:5555"], "1.2.3.4"),     # two headers; a port
    ("127.0.0.1", ["[2001:db8::1]:443"], "2001:db8::1"),
    ("127.0.0.1", ["1.2.3.4, not-an-address"], "127.0.0.1"),   # malformed: the peer
    ("127.0.0.1", ["10.0.0.1"], "127.0.0.1"),                  # only proxies: the peer
])
def test_client_address(peer: str, forwarded: list[str], expected: str) -> None:
    assert client_address(peer, forwarded, PROXIES) == expected
    assert client_address(peer, forwarded, ()) == peer  # no trusted proxy: always the socket


def test_a_bad_trusted_proxy_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="WILDTRACE_TRUSTED_PROXIES"):
        trusted_networks("127.0.0.1, example.org")


def test_behind_a_trusted_proxy_the_forwarded_client_is_audited(tmp_path: Path) -> None:
    app = create_app(str(tmp_path / "w.sqlite"), Settings(data_dir=tmp_path / "data"), trusted_proxies="127.0.0.1")
    auth.add_user(app.state.store.engine, "proxied", "viewer", PASSWORD, actor="test")
    port = _free_port()
    with running(app, port), httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert csrf
        r = client.post("/login", data={"name": "proxied", "password": PASSWORD, "csrf_token": csrf.group(1)},
                        headers={"X-Forwarded-For": "6.6.6.6, 198.51.100.7"})
        assert r.status_code == 303, r.text
    entries = audit_entries(app.state.store.engine, target="user:proxied")
    assert [e["after"]["client"] for e in entries if e["action"] == "login.ok"] == ["198.51.100.7"]
