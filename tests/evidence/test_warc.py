"""The WARC writer (evidence.warc) on an exchange nobody fetched through WildTrace: a monitor's bytes,
status and headers, read back with warcio."""

from __future__ import annotations

import hashlib
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from wildtrace.evidence.exchange import Exchange
from wildtrace.evidence.warc import payload_sha256, write_warc

BODY = b"<html><body><h1>Pangolin scales 2kg</h1><p>wa.me/84912345678</p></body></html>"
REDIRECT = Exchange(url="https://market.example/i/1", status=301, reason="Moved Permanently",
                    response_headers=[("Location", "https://market.example/item/1?ref=x"), ("Content-Length", "0")],
                    body=b"", request_headers=[("Host", "market.example"), ("User-Agent", "monitor/1")])
PAGE = Exchange(url="https://market.example/item/1?ref=x", status=200, reason="OK",
                response_headers=[("Content-Type", "text/html; charset=utf-8"), ("Transfer-Encoding", "chunked"),
                                  ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")],
                body=BODY, request_headers=[("Host", "market.example"), ("User-Agent", "monitor/1")])


def test_a_monitors_exchanges_become_a_warc_that_reads_back(tmp_path: Path) -> None:
    warc = tmp_path / "page.warc.gz"
    with open(warc, "xb") as fh:
        write_warc(fh, [REDIRECT, PAGE], captured_at="2026-03-01T10:00:00.123456Z", operator="monitor",
                   filename=warc.name)
    with open(warc, "rb") as fh:
        records = [(r.rec_type, r.rec_headers, r.http_headers, r.content_stream().read()) for r in ArchiveIterator(fh)]
    assert [r[0] for r in records] == ["warcinfo", "response", "request", "response", "request"], records
    assert b"operator: monitor" in records[0][3]
    response, request = records[3], records[4]
    assert response[1].get_header("WARC-Target-URI") == PAGE.url
    assert response[1].get_header("WARC-Date") == "2026-03-01T10:00:00.123456Z"
    assert response[3] == BODY and payload_sha256(BODY) == hashlib.sha256(BODY).hexdigest()
    assert response[2].get_statuscode() == "200"
    assert response[2].get_header("Transfer-Encoding") is None  # the body is de-chunked
    assert [v for k, v in response[2].headers if k == "Set-Cookie"] == ["a=1", "b=2"]
    assert (request[2].protocol, request[2].statusline) == ("GET", "/item/1?ref=x HTTP/1.1"), request[2]
    assert request[2].get_header("User-Agent") == "monitor/1"
    assert request[1].get_header("WARC-Concurrent-To") == response[1].get_header("WARC-Record-ID")
    assert records[1][2].get_statuscode() == "301"


def test_exchange_headers_and_request_target() -> None:
    assert PAGE.header("content-type") == "text/html; charset=utf-8" and PAGE.content_type == "text/html"
    assert PAGE.header("set-cookie") == "a=1, b=2" and PAGE.header("x-none") is None
    assert Exchange(url="http://h", status=200, response_headers=[], body=b"").request_target == "/"
