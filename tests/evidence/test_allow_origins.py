"""``allow_origins``: the workbench's capture may fetch exactly the origins it names (its loopback
demo site) and no other private address, on the first hop and on every redirect."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import quote

import pytest
from evidence.conftest import Market

from wildtrace.errors import ConfigError
from wildtrace.evidence.capture import CaptureOptions, Capturer
from wildtrace.evidence.net import (
    FetchFailed,
    FetchOptions,
    allowed_origins,
    check_url,
    fetch,
    origin_of,
)


def _other_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _opts(market: Market, **kw: object) -> FetchOptions:
    return FetchOptions(timeout=10, allow_origins=frozenset({market.url}), **kw)  # type: ignore[arg-type]


def test_the_allowed_origin_is_fetched(marketplace: Market) -> None:
    page = fetch(f"{marketplace.url}/listing/1", _opts(marketplace))
    assert page.final.status == 200 and b"Rhino" in page.final.body, page.final


def test_without_it_loopback_is_refused(marketplace: Market) -> None:
    with pytest.raises(FetchFailed, match="^refused"):
        fetch(f"{marketplace.url}/listing/1", FetchOptions(timeout=10))


@pytest.mark.parametrize("spelling", ["http://127.0.0.1:{other}/listing/1", "https://127.0.0.1:{port}/listing/1",
                                      "http://localhost:{port}/listing/1", "http://127.0.0.2:{port}/listing/1",
                                      "http://[::1]:{port}/listing/1", "http://2130706433:{port}/listing/1"])
def test_any_other_private_origin_is_refused(marketplace: Market, spelling: str) -> None:
    url = spelling.format(port=marketplace.url.rsplit(":", 1)[1], other=_other_port())
    assert check_url(url, allow_origins=allowed_origins([marketplace.url])) is not None, url
    with pytest.raises(FetchFailed, match="^refused") as err:
        fetch(url, _opts(marketplace))
    assert err.value.hops == [], url  # nothing was sent


@pytest.mark.parametrize("target", ["http://127.0.0.1:{other}/listing/2", "http://127.0.0.2:{port}/listing/2",
                                    "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/"])
def test_a_redirect_from_the_allowed_origin_to_a_private_address_is_refused(marketplace: Market, target: str) -> None:
    to = target.format(port=marketplace.url.rsplit(":", 1)[1], other=_other_port())
    url = f"{marketplace.url}/redirect?to={quote(to, safe='')}"
    with pytest.raises(FetchFailed, match="^refused") as err:  # even when following other hosts
        fetch(url, _opts(marketplace, follow_offsite=True))
    assert err.value.redirects == [{"from": url, "status": 302, "to": to}], err.value.redirects
    with pytest.raises(FetchFailed):  # and by default, as a redirect to another host
        fetch(url, _opts(marketplace))


def test_a_redirect_within_the_allowed_origin_is_followed(marketplace: Market) -> None:
    page = fetch(f"{marketplace.url}/moved", _opts(marketplace))
    assert page.final.url == f"{marketplace.url}/listing/7" and len(page.exchanges) == 2, page.redirects


def test_origins_are_spelled_one_way() -> None:
    assert origin_of("HTTP://Example.ORG./a?b") == "http://example.org:80"
    assert origin_of("https://[::1]/") == "https://[::1]:443"
    assert allowed_origins(["http://127.0.0.1:8001/"]) == frozenset({"http://127.0.0.1:8001"})
    for bad in ("127.0.0.1:8001", "ftp://127.0.0.1:21", "http://"):
        with pytest.raises(ConfigError):
            allowed_origins([bad])


def test_a_capture_names_its_operator_and_reports_its_steps(tmp_path: Path, marketplace: Market) -> None:
    steps: list[str] = []
    opts = CaptureOptions(operator="alice", timeout=10, screenshot=False, allow_origins=frozenset({marketplace.url}))
    with Capturer(tmp_path / "ev", opts) as capturer:
        rec = capturer.capture(f"{marketplace.url}/listing/3", progress=steps.append)
        refused = capturer.capture(f"http://127.0.0.1:{_other_port()}/x", progress=steps.append)
    assert rec.status == "captured" and rec.operator == "alice" and rec.files, rec
    assert refused.status == "failed" and refused.reason and refused.reason.startswith("refused"), refused
    assert steps == ["fetching", "hashing", "signed", "fetching"], steps
