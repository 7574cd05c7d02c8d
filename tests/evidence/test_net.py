"""The guarded fetch (evidence.net) on its own, as a monitor would call it: against the loopback
test marketplace, with the guard on (refused) and off (--allow-private)."""

from __future__ import annotations

import pytest

from wildtrace.errors import InvalidRecord, WildTraceError
from wildtrace.evidence.capture import CaptureFailed
from wildtrace.evidence.net import Fetcher, FetchFailed, FetchOptions, check_url, fetch

OPEN = FetchOptions(timeout=2.0, allow_private=True)


@pytest.mark.parametrize("url,start", [
    ("ftp://example.org/x", "invalid URL"),
    ("example.org/listing", "invalid URL"),
    ("http:///no-host", "invalid URL"),
    ("http://example.org:99999/", "invalid URL"),
    ("http://169.254.169.254/latest/meta-data/", "refused: 169.254.169.254"),
    ("http://127.0.0.1:8080/", "refused: 127.0.0.1"),
    ("https://[::1]/", "refused"),
    ("http://metadata.google.internal/", "refused: metadata.google.internal"),
])
def test_check_url_says_why_a_url_may_not_be_fetched(url: str, start: str) -> None:
    why = check_url(url)
    assert why is not None and why.startswith(start), (url, why)


def test_check_url_lets_public_addresses_and_allowed_private_ones_through() -> None:
    assert check_url("http://93.184.216.34/item/1") is None
    assert check_url("https://[2606:2800:220:1:248:1893:25c8:1946]/") is None
    assert check_url("http://127.0.0.1:8080/", allow_private=True) is None
    assert check_url("ftp://127.0.0.1/", allow_private=True) is not None  # the scheme is checked anyway


def test_fetch_refuses_loopback_unless_allowed(marketplace) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FetchFailed) as info:
        fetch(f"{marketplace.url}/listing/1", FetchOptions(timeout=2.0))
    assert info.value.reason.startswith("refused: 127.0.0.1"), info.value.reason
    assert isinstance(info.value, WildTraceError) and isinstance(info.value, InvalidRecord)
    assert CaptureFailed is FetchFailed and issubclass(CaptureFailed, WildTraceError)
    page = fetch(f"{marketplace.url}/listing/1", OPEN)
    assert page.final.status == 200 and b"WhatsApp +84 912 345 678" in page.final.body, page.final
    assert page.final.content_type == "text/html" and page.redirects == []
    assert dict(page.final.request_headers)["user-agent"].startswith("WildTrace/"), page.final.request_headers


def test_fetch_follows_redirects_and_keeps_every_hop(marketplace) -> None:  # type: ignore[no-untyped-def]
    with Fetcher(OPEN) as fetcher:
        page = fetcher.fetch(f"{marketplace.url}/moved")
        again = fetcher.fetch(f"{marketplace.url}/listing/2")  # one client, a fresh deadline per page
    assert [e.status for e in page.exchanges] == [302, 200], page.exchanges
    assert page.final.url == f"{marketplace.url}/listing/7" and page.final.request_target == "/listing/7"
    assert page.redirects == [{"from": f"{marketplace.url}/moved", "status": 302, "to": f"{marketplace.url}/listing/7"}]
    assert again.final.status == 200


def test_fetch_failures_carry_the_hops_so_far(marketplace) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FetchFailed) as info:
        fetch(f"{marketplace.url}/loop-a", OPEN)
    assert info.value.reason.startswith("redirect loop"), info.value.reason
    assert len(info.value.hops) == 2 and len(info.value.redirects) == 2, info.value.hops
    with pytest.raises(FetchFailed, match="HTTP 404"):
        fetch(f"{marketplace.url}/gone", OPEN)
    with pytest.raises(FetchFailed, match="response over the size cap"):
        fetch(f"{marketplace.url}/big-chunked", FetchOptions(timeout=2.0, allow_private=True, max_bytes=1000))


def test_content_types_are_a_fetch_option(marketplace) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FetchFailed, match="non-HTML content: image/jpeg"):
        fetch(f"{marketplace.url}/photo.jpg", OPEN)
    with pytest.raises(FetchFailed, match="unaccepted content: image/jpeg"):
        fetch(f"{marketplace.url}/photo.jpg", FetchOptions(timeout=2.0, allow_private=True,
                                                           content_types=("application/json",)))
    photo = fetch(f"{marketplace.url}/photo.jpg", FetchOptions(timeout=2.0, allow_private=True, content_types=None))
    assert photo.final.body.startswith(b"\xff\xd8") and photo.final.content_type == "image/jpeg"
