"""Evidence capture: fetch a listing page, keep it as WARC, hash it, log it in the custody log.

Each capture gets its own new folder ``DIR/captures/<capture_id>/`` (created
exclusively, files opened with ``x``: evidence is never overwritten) holding:

- ``page.warc.gz``: a warcinfo record, then request and response records for
  every hop (redirects included), as sent and received;
- ``screenshot.png``: a full-page screenshot by headless Chromium, when installed, of the bytes
  in the WARC (served to Chromium from loopback, JavaScript off, no other request let out).

Every attempt, good or failed, is one custody-log entry (``capture`` or
``capture_failed`` with its ``reason``). Failures are data: the batch goes on.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import http.server
import io
import ipaddress
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from wildtrace import __version__
from wildtrace.errors import ConfigError
from wildtrace.evidence.custody import LOG_NAME, CustodyLog, sha256_file
from wildtrace.scan.result import Reject, read_results

USER_AGENT = f"WildTrace/{__version__} (evidence capture; +offline wildlife-crime toolkit)"
HTML_TYPES = ("text/html", "application/xhtml+xml")
CHROMIUM_NAMES = ("chromium", "chromium-browser")


@dataclass(frozen=True)
class CaptureOptions:
    operator: str = field(default_factory=getpass.getuser)
    timeout: float = 20.0
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    follow_offsite: bool = False
    screenshot: bool = True  # only when Chromium is installed
    verify_tls: bool | str = True  # True, False or a CA bundle path
    # Loopback, private, link-local, multicast, reserved and metadata addresses are refused (after
    # DNS resolution, on every hop) unless this is set: listing URLs are written by criminals.
    allow_private: bool = False


@dataclass
class Target:
    url: str
    listing_id: str | None = None
    risk_score: float | None = None


@dataclass
class Capture:
    capture_id: str
    url: str
    status: str  # "captured" or "failed"
    captured_at: str
    operator: str
    tool: str
    listing_id: str | None = None
    reason: str | None = None
    final_url: str | None = None
    http_status: int | None = None
    content_type: str | None = None
    payload_sha256: str | None = None
    payload_bytes: int | None = None
    redirects: list[dict[str, Any]] = field(default_factory=list)
    files: list[dict[str, Any]] = field(default_factory=list)  # path (relative to DIR), sha256, bytes
    screenshot: str | None = None  # why there is none, or the file

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class CaptureFailed(Exception):
    def __init__(self, reason: str, redirects: list[dict[str, Any]] | None = None,
                 hops: list[tuple[httpx.Request, httpx.Response, bytes]] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.redirects = redirects or []
        self.hops = hops or []


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(t: dt.datetime) -> str:
    return t.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _port(url: str) -> int | None:
    parts = urlsplit(url)
    return parts.port or {"http": 80, "https": 443}.get(parts.scheme)


def _is_tls_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError) or "SSL" in str(seen) or "certificate" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


#: Host names refused whatever they resolve to (cloud metadata services and local names).
BLOCKED_NAMES = ("localhost", "metadata.google.internal", "metadata", "instance-data")
BLOCKED_SUFFIXES = (".localhost", ".internal", ".local")


def checked_address(host: str, port: int) -> tuple[str | None, str | None]:
    """``(address, None)`` with the public address to connect to, or ``(None, why)`` when ``host``
    is, or resolves to, a non-public address.

    Every address the name resolves to must be public (``ipaddress``'s ``is_global``, not
    multicast); literal forms such as ``0x7f000001`` resolve like any other name. The caller
    connects to the returned address, so a second DNS answer cannot rebind the name.
    """
    name = host.strip("[]").lower().rstrip(".")
    if name in BLOCKED_NAMES or name.endswith(BLOCKED_SUFFIXES):
        return None, f"refused: {host} is a local or metadata host name"
    try:
        infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, ValueError) as exc:
        return None, f"unreachable: {host} does not resolve ({exc})"
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        mapped = getattr(ip, "ipv4_mapped", None)
        for addr in (ip, mapped) if mapped else (ip,):
            if not addr.is_global or addr.is_multicast:
                return None, (f"refused: {host} resolves to {addr}, a non-public address "
                              "(loopback, private, link-local, multicast or reserved); use --allow-private "
                              "to capture from your own network")
    return str(infos[0][4][0]), None


def refused_address(host: str, port: int) -> str | None:
    """Why ``host`` may not be fetched (see ``checked_address``), or None."""
    return checked_address(host, port)[1]


class _Deadline:
    """The end of the current page's time (connect and every read count against it)."""

    def __init__(self) -> None:
        self.at = float("inf")

    def left(self) -> float:
        return self.at - time.monotonic()


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream, deadline: _Deadline):
        self.stream, self.deadline = stream, deadline

    def _timeout(self, timeout: float | None) -> float:
        left = self.deadline.left()
        if left <= 0:
            raise httpcore.ReadTimeout("the page's total time is up")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.stream.read(max_bytes, self._timeout(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.stream.write(buffer, self._timeout(timeout))

    def close(self) -> None:
        self.stream.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self.stream.start_tls(ssl_context, server_hostname, self._timeout(timeout)),
                               self.deadline)

    def get_extra_info(self, info: str) -> Any:
        return self.stream.get_extra_info(info)


class _GuardedBackend(httpcore.SyncBackend):
    """Connects only to public addresses (unless allowed), to the address it checked (no second
    DNS lookup to rebind), within the page's deadline."""

    def __init__(self, options: CaptureOptions, deadline: _Deadline):
        self.options, self.deadline = options, deadline

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        left = self.deadline.left()
        if left <= 0:
            raise httpcore.ConnectTimeout("the page's total time is up")
        address = host
        if not self.options.allow_private:
            checked, why = checked_address(host, port)
            if checked is None:
                raise httpcore.ConnectError(why or f"refused: {host}")
            address = checked
        stream = super().connect_tcp(address, port, timeout=left if timeout is None else min(timeout, left),
                                     local_address=local_address, socket_options=socket_options)
        return _DeadlineStream(stream, self.deadline)


def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    length = response.headers.get("content-length")
    if length and length.isdigit() and int(length) > max_bytes:
        raise CaptureFailed(f"response over the size cap: Content-Length {int(length):,} > {max_bytes:,} bytes")
    buf = io.BytesIO()
    for chunk in response.iter_raw():
        buf.write(chunk)
        if buf.tell() > max_bytes:
            raise CaptureFailed(f"response over the size cap: more than {max_bytes:,} bytes")
    return buf.getvalue()


def fetch(client: httpx.Client, url: str, options: CaptureOptions
          ) -> tuple[list[tuple[httpx.Request, httpx.Response, bytes]], list[dict[str, Any]]]:
    """Follow redirects by hand; return every hop (request, response, raw body) and the redirect chain."""
    hops: list[tuple[httpx.Request, httpx.Response, bytes]] = []
    redirects: list[dict[str, Any]] = []
    seen = {url}
    current = url
    origin = (_host(url), _port(url))
    try:
        for _ in range(options.max_redirects + 1):
            if not options.allow_private:
                why = refused_address(_host(current), _port(current) or 80) if _host(current) else None
                if why is not None:
                    raise CaptureFailed(why, redirects, hops)
            request = client.build_request("GET", current)
            response = client.send(request, stream=True)
            try:
                if response.is_redirect:
                    body = _read_capped(response, options.max_bytes)
                    hops.append((request, response, body))
                    target = urljoin(current, response.headers.get("location", ""))
                    redirects.append({"from": current, "status": response.status_code, "to": target})
                    if target in seen:
                        raise CaptureFailed(f"redirect loop: {target} was already visited", redirects, hops)
                    if (_host(target), _port(target)) != origin and not options.follow_offsite:
                        raise CaptureFailed(
                            f"redirect to another host ({_host(target)}); not followed without --follow-offsite",
                            redirects, hops)
                    seen.add(target)
                    current = target
                    continue
                ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
                if response.status_code >= 400:
                    body = _read_capped(response, options.max_bytes)
                    hops.append((request, response, body))
                    raise CaptureFailed(f"HTTP {response.status_code} from {current}", redirects, hops)
                if ctype not in HTML_TYPES:
                    raise CaptureFailed(f"non-HTML content: {ctype or 'no Content-Type'}", redirects, hops)
                body = _read_capped(response, options.max_bytes)
                hops.append((request, response, body))
                return hops, redirects
            finally:
                response.close()
        raise CaptureFailed(f"too many redirects (more than {options.max_redirects})", redirects, hops)
    except CaptureFailed as exc:
        exc.redirects, exc.hops = redirects, hops
        raise
    except httpx.TimeoutException as exc:
        raise CaptureFailed(f"timeout: the page was not complete within {options.timeout:g} s (connect and "
                            f"every read count; {type(exc).__name__})", redirects, hops) from exc
    except httpx.ConnectError as exc:
        if str(exc).startswith(("refused:", "unreachable:")):
            raise CaptureFailed(str(exc), redirects, hops) from exc
        if _is_tls_error(exc):
            raise CaptureFailed(f"TLS error: {exc}", redirects, hops) from exc
        raise CaptureFailed(f"unreachable: {exc or type(exc).__name__}", redirects, hops) from exc
    except (httpx.ReadError, httpx.RemoteProtocolError) as exc:
        if _is_tls_error(exc):
            raise CaptureFailed(f"TLS error: {exc}", redirects, hops) from exc
        raise CaptureFailed(f"unreachable: {exc or type(exc).__name__}", redirects, hops) from exc
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        raise CaptureFailed(f"invalid URL: {exc}", redirects, hops) from exc
    except httpx.HTTPError as exc:
        raise CaptureFailed(f"HTTP error: {type(exc).__name__}: {exc}", redirects, hops) from exc


def _write_warc(fh: IO[bytes], hops: list[tuple[httpx.Request, httpx.Response, bytes]],
                captured_at: str, options: CaptureOptions, filename: str) -> None:
    writer = WARCWriter(fh, gzip=True, warc_version="WARC/1.1")
    writer.write_record(writer.create_warcinfo_record(filename, {
        "software": f"WildTrace/{__version__}", "operator": options.operator,
        "format": "WARC File Format 1.1", "http-header-user-agent": USER_AGENT}))
    for request, response, body in hops:
        url = str(request.url)
        target = request.url.raw_path.decode("ascii", "replace")
        req_headers = StatusAndHeaders(f"GET {target} HTTP/1.1", list(request.headers.items()),
                                       protocol="HTTP/1.1", is_http_request=True)
        # httpx hands over the body de-chunked: drop Transfer-Encoding so the record reads back.
        resp_header_list = [(k, v) for k, v in response.headers.multi_items()
                            if k.lower() != "transfer-encoding"]
        reason = response.reason_phrase or ""
        resp_headers = StatusAndHeaders(f"{response.status_code} {reason}".strip(), resp_header_list,
                                        protocol=response.http_version or "HTTP/1.1")
        warc_date = {"WARC-Date": captured_at}
        resp_rec = writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                             http_headers=resp_headers, warc_headers_dict=dict(warc_date))
        req_rec = writer.create_warc_record(url, "request", http_headers=req_headers,
                                            warc_headers_dict={
                                                **warc_date,
                                                "WARC-Concurrent-To": resp_rec.rec_headers.get_header("WARC-Record-ID")})
        writer.write_record(resp_rec)
        writer.write_record(req_rec)


def chromium_path() -> str | None:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


_REFRESH = re.compile(rb"""http-equiv\s*=\s*["']?\s*refresh\s*["']?""", re.IGNORECASE)
#: The host name Chromium loads the captured page from (mapped to the one-shot loopback server).
SHOT_HOST = "capture.wildtrace.invalid"


class _OneShot(http.server.BaseHTTPRequestHandler):
    """Serves the captured body at ``/`` and nothing else (a 404 for every other path)."""

    body = b""
    content_type = "text/html"

    def do_GET(self) -> None:  # noqa: N802
        status, payload = (200, self.body) if self.path == "/" else (404, b"")
        self.send_response(status)
        self.send_header("Content-Type", self.content_type if status == 200 else "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


def screenshot(body: bytes, out: Path, *, content_type: str = "text/html", timeout: float = 60.0) -> str | None:
    """Full-page PNG of the captured ``body`` (the bytes in the WARC, not a second fetch) into the
    new file ``out``; the reason when there is none.

    Chromium loads the body from a one-shot loopback server whose Content-Security-Policy
    (``default-src 'none'``, inline styles allowed) blocks every script, image, frame, font and
    fetch — JavaScript cannot run; every other host, loopback included (no implicit bypass), is
    sent to a dead proxy, so a link leads nowhere, and a ``<meta http-equiv="refresh">`` is
    disabled in the copy Chromium is shown (the WARC keeps the bytes as received); Chromium runs sandboxed unless
    the user is root. (``--blink-settings=scriptEnabled=false`` would stop the headless
    screenshot itself, so the CSP does that job.)
    """
    binary = chromium_path()
    if binary is None:
        return "not taken: chromium is not installed"
    tmp = out.with_name(out.stem + ".partial" + out.suffix)
    # the one change to the bytes shown: a meta refresh would navigate away from them
    shown = _REFRESH.sub(b'http-equiv="x-wildtrace-refresh-disabled"', body)
    handler = type("Shot", (_OneShot,), {"body": shown, "content_type": content_type})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    try:
        with tempfile.TemporaryDirectory(prefix="wildtrace-chromium-") as profile:
            cmd = [binary, "--headless", "--disable-gpu", "--disable-background-networking",
                   "--disable-extensions", "--disable-sync", "--no-first-run", "--disable-component-update",
                   "--hide-scrollbars", "--window-size=1280,4096",
                   f"--host-resolver-rules=MAP {SHOT_HOST} 127.0.0.1",
                   "--proxy-server=http://127.0.0.1:9", f"--proxy-bypass-list=<-loopback>;{SHOT_HOST}",
                   f"--user-agent={USER_AGENT}", f"--user-data-dir={profile}", f"--screenshot={tmp}",
                   f"http://{SHOT_HOST}:{port}/"]
            if hasattr(os, "geteuid") and os.geteuid() == 0:
                cmd.insert(1, "--no-sandbox")  # Chromium's sandbox refuses to run as root
            try:
                subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
            except subprocess.TimeoutExpired:
                tmp.unlink(missing_ok=True)
                return f"not taken: chromium did not finish within {timeout:g} s"
    finally:
        server.shutdown()
        server.server_close()
    if not tmp.exists() or tmp.stat().st_size == 0:
        tmp.unlink(missing_ok=True)
        return "not taken: chromium wrote no screenshot"
    os.link(tmp, out)  # fails if `out` exists: never overwrite
    tmp.unlink()
    return None


def _new_capture_dir(evidence_dir: Path, url: str, when: dt.datetime) -> tuple[str, Path]:
    base = f"{when:%Y%m%dT%H%M%S%f}Z-{hashlib.sha256(url.encode()).hexdigest()[:8]}"
    root = evidence_dir / "captures"
    root.mkdir(parents=True, exist_ok=True)
    for n in range(1000):
        capture_id = base if n == 0 else f"{base}-{n}"
        path = root / capture_id
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return capture_id, path
    raise RuntimeError("could not create a new capture folder")  # pragma: no cover


class Capturer:
    """Captures listing pages into one evidence folder; one httpx client for the batch."""

    def __init__(self, evidence_dir: Path, options: CaptureOptions | None = None):
        self.dir = Path(evidence_dir)
        if self.dir.is_dir() and any(self.dir.iterdir()) and not (self.dir / LOG_NAME).exists():
            raise ConfigError(f"{self.dir} holds other files and no custody log: not an evidence folder; "
                              "give a new or empty folder, or one made by `wildtrace capture`")
        if (self.dir / LOG_NAME).is_symlink():
            raise ConfigError(f"{self.dir / LOG_NAME} is a symbolic link; an evidence folder's custody log "
                              "must be a plain file")
        self.options = options or CaptureOptions()
        self.log = CustodyLog(self.dir)
        self.deadline = _Deadline()
        transport = httpx.HTTPTransport(verify=self.options.verify_tls)
        transport._pool._network_backend = _GuardedBackend(self.options, self.deadline)  # noqa: SLF001
        self.client = httpx.Client(
            transport=transport, follow_redirects=False, timeout=self.options.timeout,
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity",
                     "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"})

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Capturer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def capture(self, target: Target | str) -> Capture:
        if isinstance(target, str):
            target = Target(target)
        started = _now()
        capture_id, folder = _new_capture_dir(self.dir, target.url, started)
        record = Capture(capture_id=capture_id, url=target.url, status="captured", captured_at=_iso(started),
                         operator=self.options.operator, tool=f"wildtrace {__version__}",
                         listing_id=target.listing_id)
        # one deadline for the whole page: connect, every read, every redirect hop
        self.deadline.at = time.monotonic() + self.options.timeout
        try:
            hops, redirects = fetch(self.client, target.url, self.options)
        except CaptureFailed as exc:
            record.status, record.reason, record.redirects = "failed", exc.reason, exc.redirects
            folder.rmdir()
            self._log(record)
            return record
        request, response, body = hops[-1]
        record.redirects = redirects
        record.final_url = str(request.url)
        record.http_status = response.status_code
        record.content_type = response.headers.get("content-type")
        record.payload_sha256 = hashlib.sha256(body).hexdigest()
        record.payload_bytes = len(body)
        warc = folder / "page.warc.gz"
        with open(warc, "xb") as fh:
            _write_warc(fh, hops, record.captured_at, self.options, warc.name)
        self._add_file(record, warc)
        if self.options.screenshot:
            shot = folder / "screenshot.png"
            why_not = screenshot(body, shot, content_type=record.content_type or "text/html")
            if why_not is None:
                self._add_file(record, shot)
                record.screenshot = shot.relative_to(self.dir).as_posix()
            else:
                record.screenshot = why_not
        self._log(record)
        return record

    def _add_file(self, record: Capture, path: Path) -> None:
        record.files.append({"path": path.relative_to(self.dir).as_posix(), "sha256": sha256_file(path),
                             "bytes": path.stat().st_size})

    def _log(self, record: Capture) -> None:
        fields = record.to_dict()
        fields["logged_at"] = _iso(_now())
        self.log.append("capture" if record.status == "captured" else "capture_failed", **fields)

    def capture_all(self, targets: Iterable[Target | str]) -> Iterator[Capture]:
        for target in targets:
            yield self.capture(target)


@dataclass
class ScanReject:
    line: int
    reason: str
    record_id: str | None = None


def targets_from_scan(stream: IO[bytes], min_risk: float = 0.0) -> Iterator[Target | ScanReject]:
    """Targets from ``wildtrace scan`` JSON Lines: results with ``risk_score >= min_risk`` and a listing URL."""
    for number, item in read_results(stream):
        if isinstance(item, Reject):
            yield ScanReject(item.line, item.reason, item.record_id)
            continue
        if item.risk_score < min_risk:
            continue
        url = item.listing.get("url")
        if not isinstance(url, str) or not url.strip():
            yield ScanReject(number, "listing has no url", item.id)
            continue
        yield Target(url.strip(), item.id, item.risk_score)
