"""The kind of source a listing comes from: marketplace, social, web or news.

Whether an item is offered depends first on where it was posted. On a marketplace every
listing is an offer by its form unless it says otherwise ("wanted", "sold", "not for sale"); a
news site's prose is information unless strong offer evidence stands in it; a social post or a
web page needs offer evidence in its words. The kind is read, most specific first:

1. the record's own ``source_kind`` field;
2. the record's ``platform`` (``marketplace_platforms`` and ``source_kinds.social.platforms`` of
   ``data/rules.yaml``), the host of its ``url`` (``source_kinds.*.hosts``), or a marketplace
   name after the last `` | `` or `` - `` of its title ("Python skin wallet | eBay");
3. the scan's default (``wildtrace scan --source KIND``, ``Scanner(source_kind=...)``);

else it is unknown, and the words decide alone. ``SourceKinds.of`` says which evidence decided.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from wildtrace.errors import ConfigError
from wildtrace.scan.listing import SOURCE_KINDS as KINDS
from wildtrace.scan.listing import Listing
from wildtrace.scan.result import Match

#: how a kind the scan's default decided is said (``wildtrace scan --source``)
DEFAULT_HOW = "scan default (--source)"
_SUFFIX = re.compile(r"\s(?:\||-|–|—|::)\s*([^|\-–—:]{2,40})\s*$")


@dataclass(frozen=True, slots=True)
class Kind:
    """A listing's source kind and the evidence that decided it (``"platform: ebay"``)."""

    value: str
    how: str

    def as_cue(self, what: str, cue: str) -> Match:
        """The source as a cue of kind ``cue`` (sale, report), said as ``what (how)`` in the field
        ``source``: the match an intent facet lists when the source decided it."""
        return Match(f"{what} ({self.how})", (0, 0), "source", f"{cue}_cue", "source kind", "", "source")


def check(kind: str | None) -> str | None:
    """``kind`` if it is one of ``KINDS`` (or None); a ConfigError naming the choices otherwise."""
    if kind is None or kind in KINDS:
        return kind
    raise ConfigError(f"unknown source kind {kind!r}; one of {', '.join(KINDS)}")


class SourceKinds:
    """The platform names and hosts of ``data/rules.yaml`` (``source_kinds``, ``marketplace_platforms``)."""

    def __init__(self, rules: dict[str, Any]):
        kinds = rules.get("source_kinds") or {}
        self.platforms: dict[str, str] = {}
        self.hosts: dict[str, str] = {}
        for kind in ("social", "marketplace"):  # marketplace last: it wins a name both lists hold
            spec = kinds.get(kind) or {}
            self.platforms.update({str(p).casefold(): kind for p in spec.get("platforms", ())})
            self.hosts.update({str(h).casefold(): kind for h in spec.get("hosts", ())})
        self.platforms.update({str(p).casefold(): "marketplace" for p in rules.get("marketplace_platforms", ())})
        #: "facebook.com/marketplace": a kind by host and path prefix
        self.paths = {(h.partition("/")[0], "/" + h.partition("/")[2]): k for h, k in self.hosts.items() if "/" in h}

    def of(self, listing: Listing, default: str | None = None) -> Kind | None:
        """The listing's source kind, most specific evidence first (module docstring)."""
        own = (listing.source_kind or "").strip().casefold()
        if own in KINDS:
            return Kind(own, "source_kind field")
        platform = (listing.platform or "").strip().casefold()
        if platform in self.platforms:
            return Kind(self.platforms[platform], f"platform: {listing.platform}")
        host = self._host(listing.url)
        if host is not None:
            return host
        if listing.title:
            m = _SUFFIX.search(listing.title)
            if m and (name := m.group(1).strip().casefold()) in self.platforms:
                return Kind(self.platforms[name], f"title names {m.group(1).strip()}")
        if default is not None:
            return Kind(default, DEFAULT_HOW)
        return None

    def _host(self, url: str | None) -> Kind | None:
        if not url or "//" not in url:
            return None
        try:
            parts = urlsplit(url.strip()[:2048])
            host = (parts.hostname or "").casefold()
        except ValueError:
            return None
        if not host:
            return None
        labels = host.removeprefix("www.").split(".")
        # "ebay" in ebay.co.uk, "shopee" in shopee.vn (a label before the last); "t.me" and
        # "threads.net" as the host or its suffix; "facebook.com/marketplace" by host and path
        kind = next((self.hosts[x] for x in labels[:-1] if x in self.hosts), None)
        if kind is None:
            kind = next((self.hosts[".".join(labels[i:])] for i in range(len(labels) - 1)
                         if ".".join(labels[i:]) in self.hosts), None)
        if kind is None:
            site, path = ".".join(labels), parts.path.casefold()
            kind = next((k for (h, prefix), k in self.paths.items() if h == site and path.startswith(prefix)), None)
        return None if kind is None else Kind(kind, f"url host: {host}")
