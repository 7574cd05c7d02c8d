"""One canonical form of a listing's URL, so the same listing is recognised across runs and sources.

``canonical_url`` lower-cases the scheme and host, drops the default port, any user name and
password, the fragment and the tracking parameters that marketplaces and ad networks append
(``utm_*``, ``fbclid``, ``gclid``, ``spm``…), normalises percent-encoding and sorts what is left of
the query (w3lib's ``canonicalize_url`` does the encoding and the sorting). It never raises: a URL
it cannot read comes back trimmed, unchanged otherwise.
"""

from __future__ import annotations

from urllib.parse import unquote_plus, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

#: query parameters that say how a visitor arrived, never which listing it is (compared lower-cased)
TRACKING = frozenset({
    "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "igsh",
    "twclid", "ttclid", "li_fat_id", "epik", "srsltid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok",
    "ref", "ref_", "ref_src", "ref_url", "referrer", "spm", "scm", "s_kwcid", "ef_id", "trk",
    "trkcampaign", "sc_cid", "mbid", "cmpid", "_openstat", "zanpid", "oly_anon_id", "oly_enc_id",
    "vero_id", "wickedid", "rb_clickid", "at_medium", "at_campaign",
})
#: prefixes of tracking parameter families (Google Analytics, Mailchimp, Matomo, Piwik, HubSpot)
TRACKING_PREFIXES = ("utm_", "mc_", "mtm_", "pk_", "hsa_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL = 8192


def is_tracking(name: str) -> bool:
    """Whether a query parameter's name (raw, as in the URL) is a tracking parameter."""
    key = unquote_plus(name).strip().lower()
    return key in TRACKING or key.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """The URL in the one form used to recognise a listing (see the module's docstring)."""
    url = url.strip()[:MAX_URL]
    try:
        parts = urlsplit(url)
        query = "&".join(
            piece for piece in parts.query.split("&")
            if piece and not is_tracking(piece.split("=", 1)[0])
        )
        host = (parts.hostname or "").rstrip(".")
        if ":" in host:  # an IPv6 literal keeps its brackets
            host = f"[{host}]"
        scheme = parts.scheme.lower()
        port = parts.port
        netloc = host if port is None or _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
        cleaned = urlunsplit((scheme, netloc, parts.path or ("/" if netloc else ""), query, ""))
        return canonicalize_url(cleaned, keep_fragments=False)  # also turns "?q" into "?q="
    except (ValueError, UnicodeError):  # e.g. 'http://[::1' or a port over 65535
        return url
