"""The client address of a request: the socket's peer, and ``X-Forwarded-For`` only when that
peer is a trusted proxy (``trusted_proxies``: addresses or CIDR networks; none by default).

Then only the right-most address that is not itself a trusted proxy is taken: what the client
wrote into the header is to its left and never believed. The login throttle and the audit log
use this address, so a forged header neither picks a fresh throttle bucket nor forges the log.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from wildtrace.errors import ConfigError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(spec: str | Iterable[str] | None) -> tuple[Network, ...]:
    """``"10.0.0.5, 192.168.0.0/24"`` (or a list of them) -> networks; a bad entry is a ConfigError."""
    if spec is None:
        return ()
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    out: list[Network] = []
    for item in (str(i).strip() for i in items):
        if not item:
            continue
        try:
            out.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ConfigError(f"trusted proxy {item[:100]!r} is not an address or CIDR network "
                              "(WILDTRACE_TRUSTED_PROXIES, e.g. 127.0.0.1,10.0.0.0/8)") from exc
    return tuple(out)


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("["):  # [v6]:port
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address | None, trusted: tuple[Network, ...]) -> bool:
    return address is not None and any(address.version == net.version and address in net for net in trusted)


def client_address(peer: str, forwarded: Iterable[str], trusted: tuple[Network, ...]) -> str:
    """The client's address: ``peer`` (the socket), unless ``peer`` is a trusted proxy and the
    ``X-Forwarded-For`` values name the right-most untrusted address (a malformed one: ``peer``)."""
    if not trusted or not _trusted(_ip(peer), trusted):
        return peer
    hops = [hop for value in forwarded for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _ip(hop)
        if address is None:
            return peer
        if not _trusted(address, trusted):
            return str(address)
    return peer


def socket_peer(scope: Any, receive: Any) -> tuple[str, int] | None:
    """The socket's other end. The server's transport when the ``receive`` callable exposes it
    (uvicorn's does): a server's own proxy-header handling (uvicorn trusts ``X-Forwarded-For``
    from loopback by default) has already rewritten ``scope["client"]`` by then. Else the
    scope's ``client``."""
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    peername = transport.get_extra_info("peername") if transport is not None else None
    if isinstance(peername, tuple) and len(peername) >= 2:
        return str(peername[0]), int(peername[1])
    client = scope.get("client")
    return (str(client[0]), int(client[1])) if client else None
