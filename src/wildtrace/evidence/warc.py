"""The WARC: a page's request and response records, as sent and received, in one WARC 1.1 file.

``write_warc(fh, exchanges, ...)`` writes a ``warcinfo`` record, then for every
:class:`~wildtrace.evidence.exchange.Exchange` (redirect hops first, the page last) a
``response`` record and the ``request`` record concurrent to it, gzipped; warcio adds each
record's block and payload digests. The exchanges may come from the guarded fetch
(``evidence.net``) or from anyone who holds the bytes, status and headers (a monitor).
``payload_sha256(body)`` is the hash a capture records for the page's body.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from typing import IO

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from wildtrace import __version__
from wildtrace.evidence.exchange import Exchange
from wildtrace.evidence.net import USER_AGENT


def payload_sha256(body: bytes) -> str:
    """The SHA-256 (hex) of a response body: a capture's ``payload_sha256``."""
    return hashlib.sha256(body).hexdigest()


def write_warc(fh: IO[bytes], exchanges: Sequence[Exchange], *, captured_at: str, operator: str,
               filename: str) -> None:
    """Write the WARC of ``exchanges`` to ``fh`` (opened ``xb`` by the caller: never overwrite).

    ``captured_at`` is every record's WARC-Date (ISO 8601 UTC); ``operator`` and ``filename`` go in
    the warcinfo record.
    """
    writer = WARCWriter(fh, gzip=True, warc_version="WARC/1.1")
    writer.write_record(writer.create_warcinfo_record(filename, {
        "software": f"WildTrace/{__version__}", "operator": operator,
        "format": "WARC File Format 1.1", "http-header-user-agent": USER_AGENT}))
    for exchange in exchanges:
        req_headers = StatusAndHeaders(f"{exchange.method} {exchange.request_target} HTTP/1.1",
                                       list(exchange.request_headers), protocol="HTTP/1.1", is_http_request=True)
        # the body is handed over de-chunked: drop Transfer-Encoding so the record reads back
        resp_header_list = [(k, v) for k, v in exchange.response_headers if k.lower() != "transfer-encoding"]
        resp_headers = StatusAndHeaders(f"{exchange.status} {exchange.reason}".strip(), resp_header_list,
                                        protocol=exchange.http_version or "HTTP/1.1")
        warc_date = {"WARC-Date": captured_at}
        resp_rec = writer.create_warc_record(exchange.url, "response", payload=io.BytesIO(exchange.body),
                                             http_headers=resp_headers, warc_headers_dict=dict(warc_date))
        req_rec = writer.create_warc_record(exchange.url, "request", http_headers=req_headers,
                                            warc_headers_dict={
                                                **warc_date,
                                                "WARC-Concurrent-To": resp_rec.rec_headers.get_header("WARC-Record-ID")})
        writer.write_record(resp_rec)
        writer.write_record(req_rec)


__all__ = ["payload_sha256", "write_warc"]
