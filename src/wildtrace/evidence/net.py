"""The guarded fetch: get a page from an address a criminal wrote, without letting it reach inside.

- ``check_url(url, allow_private=False, allow_origins=())``: why a URL may not be fetched (not http(s), no host, a
  local or metadata host name, or a name resolving to a loopback, private, link-local,
  multicast or reserved address, or to an IPv6 address embedding one: NAT64, 6to4, Teredo,
  IPv4-mapped or IPv4-compatible), or None; an origin (``scheme://host:port``) named in
  ``allow_origins`` is let through whatever its address (the workbench's own loopback demo site),
  and no other private address is;
- ``fetch(url, options)`` / ``Fetcher(options).fetch(url)``: the page, redirects followed by hand
  with the guard on every hop, connections made only to the address that was checked (no
  second DNS lookup to rebind), one deadline for the whole page (connect, every read, every
  hop) and a size cap while reading. It returns a :class:`Fetched` (every hop as an
  :class:`~wildtrace.evidence.exchange.Exchange`, and the redirect chain) or raises
  :class:`FetchFailed` with the reason.

Evidence capture (``evidence.capture``) uses it; a marketplace monitor can too, and record what
it fetched with ``Capturer.record``.
"""

from __future__ import annotations

import io
import ipaddress
import socket
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from wildtrace import __version__
from wildtrace.errors import ConfigError, InvalidRecord
from wildtrace.evidence.exchange import Exchange

USER_AGENT = f"WildTrace/{__version__} (evidence capture; +offline wildlife-crime toolkit)"
HTML_TYPES = ("text/html", "application/xhtml+xml")
#: Host names refused whatever they resolve to (cloud metadata services and local names).
BLOCKED_NAMES = ("localhost", "metadata.google.internal", "metadata", "instance-data")
BLOCKED_SUFFIXES = (".localhost", ".internal", ".local")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")


@dataclass(frozen=True)
class FetchOptions:
    timeout: float = 20.0  # the whole page: connect, every read, every redirect hop
    max_bytes: int = 10_000_000
    max_redirects: int = 5
    follow_offsite: bool = False
    verify_tls: bool | str = True  # True, False or a CA bundle path
    # Loopback, private, link-local, multicast, reserved and metadata addresses are refused (after
    # DNS resolution, on every hop) unless this is set: listing URLs are written by criminals.
    allow_private: bool = False
    content_types: tuple[str, ...] | None = HTML_TYPES  # media types accepted; None: any
    # Origins (``scheme://host:port``) fetched although not public: exactly these, on every hop
    # (``origin_of`` spells them); every other non-public address is still refused.
    allow_origins: frozenset[str] = frozenset()


@dataclass
class Fetched:
    """A fetched page: every hop (redirects first, the page last) and the redirect chain."""

    exchanges: list[Exchange]
    redirects: list[dict[str, Any]] = field(default_factory=list)  # from, status, to

    @property
    def final(self) -> Exchange:
        return self.exchanges[-1]


class FetchFailed(InvalidRecord):
    """This page could not be fetched (refused, unreachable, too big, ...): record why, go on."""

    def __init__(self, reason: str, redirects: list[dict[str, Any]] | None = None,
                 hops: list[Exchange] | None = None):
        super().__init__(reason)
        self.redirects = redirects or []
        self.hops = hops or []


def checked_address(host: str, port: int) -> tuple[str | None, str | None]:
    """``(address, None)`` with the public address to connect to, or ``(None, why)`` when ``host``
    is, or resolves to, a non-public address.

    Every address the name resolves to must be public (``ipaddress``'s ``is_global``, not
    multicast), and so must the IPv4 address an IPv6 one embeds (``embedded_ipv4``: NAT64, 6to4,
    Teredo, IPv4-mapped and -compatible); literal forms such as ``0x7f000001`` resolve like any other name. The caller
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
        why = refused_ip(ip)
        if why is not None:
            return None, (f"refused: {host} resolves to {why}; use --allow-private to capture from your "
                          "own network")
    return str(infos[0][4][0]), None


def embedded_ipv4(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address an IPv6 address carries, with the form's name, or None: IPv4-mapped
    (``::ffff:a.b.c.d``), IPv4-compatible (``::a.b.c.d``), NAT64 (``64:ff9b::/96`` and the local-use
    ``64:ff9b:1::/48``, the last 32 bits), 6to4 (``2002::/16``, bits 16-47) and Teredo (``2001::/32``,
    the client address: the last 32 bits inverted). A packet to such an address reaches the IPv4
    host through a translator or tunnel, so the IPv4 host is what is judged."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    value = int(ip)
    if ip.ipv4_mapped is not None:
        return "IPv4-mapped", ip.ipv4_mapped
    if value >> 32 == 0 and value > 1:  # ::a.b.c.d (:: and ::1 are IPv6's own)
        return "IPv4-compatible", ipaddress.IPv4Address(value & 0xFFFFFFFF)
    if ip in _NAT64 or ip in _NAT64_LOCAL:
        return "NAT64", ipaddress.IPv4Address(value & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return "6to4", ip.sixtofour
    if ip.teredo is not None:
        return "Teredo", ip.teredo[1]
    return None


def refused_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why a connection to ``ip`` is refused (``"<ip>, a non-public address (...)"``), or None:
    it, and any IPv4 address it embeds (see ``embedded_ipv4``), must be global and not multicast."""
    kinds = "loopback, private, link-local, multicast or reserved"
    embedded = embedded_ipv4(ip)
    if embedded is not None:
        form, inner = embedded
        if not inner.is_global or inner.is_multicast:
            return f"{ip}, a {form} address of {inner}, a non-public address ({kinds})"
    if ip in _NAT64_LOCAL:
        return f"{ip}, a local-use NAT64 address (64:ff9b:1::/48): it reaches through a local translator"
    if not ip.is_global or ip.is_multicast:
        return f"{ip}, a non-public address ({kinds})"
    return None


def refused_address(host: str, port: int) -> str | None:
    """Why ``host`` may not be fetched (see ``checked_address``), or None."""
    return checked_address(host, port)[1]


def origin_of(url: str) -> str | None:
    """``scheme://host:port`` of ``url`` (host lower-case, IPv6 in brackets, the port always
    written), or None when it has none: the one spelling ``allow_origins`` is compared in."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except ValueError:
        return None
    host = (parts.hostname or "").lower().rstrip(".")
    if not host or port is None:
        return None
    return f"{parts.scheme.lower()}://{f'[{host}]' if ':' in host else host}:{port}"


def allowed_origins(origins: Iterable[str]) -> frozenset[str]:
    """``origins`` (strings) in ``origin_of``'s spelling; one that is not an origin is a ConfigError."""
    out = set()
    for given in origins:
        origin = origin_of(str(given))
        if origin is None or origin.split("://", 1)[0] not in ("http", "https"):
            raise ConfigError(f"allowed origin {given!r}: give scheme://host:port")
        out.add(origin)
    return frozenset(out)


def check_url(url: str, allow_private: bool = False, allow_origins: frozenset[str] = frozenset()) -> str | None:
    """Why ``url`` may not be fetched, or None: it must be http(s) with a host, and (unless
    ``allow_private``, or its origin is one of ``allow_origins``) the host must be public (see
    ``checked_address``)."""
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError as exc:
        return f"invalid URL: {url}: {exc}"
    if parts.scheme not in ("http", "https"):
        return f"invalid URL: {url}: the scheme must be http or https"
    if not parts.hostname:
        return f"invalid URL: {url}: no host"
    if allow_private or (allow_origins and origin_of(url) in allow_origins):
        return None
    return refused_address(parts.hostname, port or 80)


def _origin(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url)
    return (parts.hostname or "").lower(), parts.port or {"http": 80, "https": 443}.get(parts.scheme)


def _is_tls_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError) or "SSL" in str(seen) or "certificate" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


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
    """Connects only to public addresses (unless allowed: all of them, or the ``(host, port)`` of
    an allowed origin), to the address it checked (no second DNS lookup to rebind), within the
    page's deadline."""

    def __init__(self, allow_private: bool, deadline: _Deadline,
                 allow_hosts: frozenset[tuple[str, int]] = frozenset()):
        self.allow_private, self.deadline, self.allow_hosts = allow_private, deadline, allow_hosts

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> httpcore.NetworkStream:
        left = self.deadline.left()
        if left <= 0:
            raise httpcore.ConnectTimeout("the page's total time is up")
        address = host
        if not self.allow_private and (host.strip("[]").lower().rstrip("."), port) not in self.allow_hosts:
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
        raise FetchFailed(f"response over the size cap: Content-Length {int(length):,} > {max_bytes:,} bytes")
    buf = io.BytesIO()
    for chunk in response.iter_raw():
        buf.write(chunk)
        if buf.tell() > max_bytes:
            raise FetchFailed(f"response over the size cap: more than {max_bytes:,} bytes")
    return buf.getvalue()


def _exchange(request: httpx.Request, response: httpx.Response, body: bytes) -> Exchange:
    return Exchange(url=str(request.url), status=response.status_code,
                    response_headers=list(response.headers.multi_items()), body=body,
                    request_headers=list(request.headers.items()), method=request.method,
                    reason=response.reason_phrase or "", http_version=response.http_version or "HTTP/1.1")


class Fetcher:
    """One guarded httpx client; pages fetched one after another, each with its own deadline."""

    def __init__(self, options: FetchOptions | None = None):
        self.options = options or FetchOptions()
        self._origins = allowed_origins(self.options.allow_origins)
        self._deadline = _Deadline()
        transport = httpx.HTTPTransport(verify=self.options.verify_tls)
        hosts = frozenset((o.split("://", 1)[1].rsplit(":", 1)[0].strip("[]"), int(o.rsplit(":", 1)[1]))
                          for o in self._origins)
        transport._pool._network_backend = _GuardedBackend(self.options.allow_private, self._deadline,  # noqa: SLF001
                                                           hosts)
        self.client = httpx.Client(
            transport=transport, follow_redirects=False, timeout=self.options.timeout,
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "identity",
                     "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"})

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fetch(self, url: str) -> Fetched:
        """The page at ``url`` (see the module); raises :class:`FetchFailed` with the reason."""
        self._deadline.at = time.monotonic() + self.options.timeout  # connect, reads and hops all count
        hops: list[Exchange] = []
        redirects: list[dict[str, Any]] = []
        try:
            return self._follow(url, hops, redirects)
        except FetchFailed as exc:
            exc.redirects, exc.hops = redirects, hops
            raise
        except httpx.TimeoutException as exc:
            raise FetchFailed(f"timeout: the page was not complete within {self.options.timeout:g} s (connect "
                              f"and every read count; {type(exc).__name__})", redirects, hops) from exc
        except httpx.ConnectError as exc:
            if str(exc).startswith(("refused:", "unreachable:")):
                raise FetchFailed(str(exc), redirects, hops) from exc
            if _is_tls_error(exc):
                raise FetchFailed(f"TLS error: {exc}", redirects, hops) from exc
            raise FetchFailed(f"unreachable: {exc or type(exc).__name__}", redirects, hops) from exc
        except (httpx.ReadError, httpx.RemoteProtocolError) as exc:
            if _is_tls_error(exc):
                raise FetchFailed(f"TLS error: {exc}", redirects, hops) from exc
            raise FetchFailed(f"unreachable: {exc or type(exc).__name__}", redirects, hops) from exc
        except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError) as exc:
            raise FetchFailed(f"invalid URL: {exc}", redirects, hops) from exc
        except httpx.HTTPError as exc:
            raise FetchFailed(f"HTTP error: {type(exc).__name__}: {exc}", redirects, hops) from exc

    def _follow(self, url: str, hops: list[Exchange], redirects: list[dict[str, Any]]) -> Fetched:
        """Follow redirects by hand, the guard on every hop; ``hops`` and ``redirects`` grow as it goes."""
        options = self.options
        seen, current, origin = {url}, url, _origin(url)
        for _ in range(options.max_redirects + 1):
            why = check_url(current, options.allow_private, self._origins)
            if why is not None:
                raise FetchFailed(why)
            request = self.client.build_request("GET", current)
            response = self.client.send(request, stream=True)
            try:
                if response.is_redirect:
                    hops.append(_exchange(request, response, _read_capped(response, options.max_bytes)))
                    target = urljoin(current, response.headers.get("location", ""))
                    redirects.append({"from": current, "status": response.status_code, "to": target})
                    if target in seen:
                        raise FetchFailed(f"redirect loop: {target} was already visited")
                    if _origin(target) != origin and not options.follow_offsite:
                        raise FetchFailed(f"redirect to another host ({_origin(target)[0]}); not followed "
                                          "without --follow-offsite")
                    seen.add(target)
                    current = target
                    continue
                ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
                if response.status_code >= 400:
                    hops.append(_exchange(request, response, _read_capped(response, options.max_bytes)))
                    raise FetchFailed(f"HTTP {response.status_code} from {current}")
                if options.content_types is not None and ctype not in options.content_types:
                    what = "non-HTML" if options.content_types == HTML_TYPES else "unaccepted"
                    raise FetchFailed(f"{what} content: {ctype or 'no Content-Type'}")
                hops.append(_exchange(request, response, _read_capped(response, options.max_bytes)))
                return Fetched(list(hops), list(redirects))
            finally:
                response.close()
        raise FetchFailed(f"too many redirects (more than {options.max_redirects})")


def fetch(url: str, options: FetchOptions | None = None) -> Fetched:
    """One page through the guard (see the module); raises :class:`FetchFailed` with the reason.
    For many pages, keep one :class:`Fetcher` open instead."""
    with Fetcher(options) as fetcher:
        return fetcher.fetch(url)


__all__ = ["BLOCKED_NAMES", "BLOCKED_SUFFIXES", "HTML_TYPES", "USER_AGENT", "FetchFailed", "FetchOptions",
           "Fetched", "Fetcher", "allowed_origins", "check_url", "checked_address", "embedded_ipv4", "fetch",
           "origin_of", "refused_address", "refused_ip"]
