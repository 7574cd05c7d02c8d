"""Sources as data: one YAML file per marketplace source, read into a :class:`Source`.

Only ``name``, ``start_urls`` and ``allow`` are required; everything else has a polite default.
A page with schema.org data (JSON-LD, microdata, RDFa or OpenGraph) needs no extraction rules.

```yaml
name: example-grid                  # letters, digits, - and _ (it names the source in the store)
platform: example                   # the listings' platform (default: the name)
kind: marketplace                   # marketplace (default), social, web or news: how the scan reads
                                    # offers (every marketplace listing is an offer by its form)
start_urls:                         # list, search or feed pages; {term} is replaced by each search term
  - https://market.example/search?q={term}
terms: {languages: [en, zh, vi], limit: 10}   # the project's own search terms (or a list of words)
allow: ['/item/\\d+']                # regexes of listing-page URLs (required)
follow: ['/search\\?.*page=\\d+']    # regexes of list pages to follow (pagination)
next: 'a[rel=next]'                 # or a CSS selector of the next-page link
deny: ['/login']                    # regexes never fetched
allowed_domains: [market.example]   # default: the hosts of start_urls
listing_key: '/item/(\\d+)'          # a regex whose group is the listing's stable key (default:
                                    # the schema.org sku/productID, else the canonical URL)
extract: {price: 'css:.price::text', seller: 'xpath://a[@class="seller"]/text()'}
rate: {delay: 2.0, concurrency: 1, autothrottle: true}
schedule: {every: 6h}
javascript: false                   # or {scroll: 20, wait: 1.0}: rendered in Chromium, scrolled
cookies_file: cookies.json          # per-source cookies (JSON object or Netscape cookies.txt)
headers_file: headers.yaml          # per-source request headers (a mapping)
capture: {min_risk: 0.5}            # new or changed listings at or above this risk are captured
images: {download: true, max_bytes: 5000000, max_per_listing: 8}
max_pages: 5000
robots: true                        # obey robots.txt (the default; false is logged on every run)
allow_origins: []                   # origins (scheme://host:port) let through the address guard
                                    # although private: your own test site, never a listing's link
```

Paths in ``cookies_file`` and ``headers_file`` are relative to the source file. Every mistake is
a :class:`~wildtrace.errors.ConfigError` naming the file and the field.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import yaml

from wildtrace.errors import ConfigError
from wildtrace.scan.listing import SOURCE_KINDS

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
KNOWN = {"name", "platform", "kind", "start_urls", "terms", "allow", "follow", "next", "deny", "allowed_domains",
         "listing_key", "extract", "rate", "schedule", "javascript", "cookies_file", "headers_file",
         "capture", "images", "max_pages", "robots", "allow_origins", "description"}
MAX_SOURCE_BYTES = 1_000_000


@dataclass(frozen=True)
class Rate:
    delay: float = 2.0  # seconds between requests to one host
    concurrency: int = 1  # requests in flight per host
    autothrottle: bool = True


@dataclass(frozen=True)
class Javascript:
    scroll: int = 10  # scrolls to the bottom, at most, while new content keeps coming
    wait: float = 1.0  # seconds after each scroll


@dataclass(frozen=True)
class Images:
    download: bool = True
    max_bytes: int = 5_000_000
    max_per_listing: int = 8


@dataclass(frozen=True)
class Source:
    name: str
    start_urls: tuple[str, ...]
    allow: tuple[re.Pattern[str], ...]
    path: Path | None = None
    sha256: str = ""  # of the file as read: a run records which version of the source it ran
    platform: str = ""
    kind: str = "marketplace"  # the listings' source_kind (wildtrace.scan.sourcekind)
    follow: tuple[re.Pattern[str], ...] = ()
    next_selector: str | None = None
    deny: tuple[re.Pattern[str], ...] = ()
    allowed_domains: tuple[str, ...] = ()
    listing_key: re.Pattern[str] | None = None
    extract: dict[str, str] = field(default_factory=dict)
    rate: Rate = Rate()
    every_s: float | None = None  # the schedule: seconds between runs
    javascript: Javascript | None = None
    cookies: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    capture_min_risk: float = 0.5
    images: Images = Images()
    max_pages: int = 5000
    robots: bool = True
    allow_origins: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()  # the search terms the start URLs were built from

    def is_listing(self, url: str) -> bool:
        return any(p.search(url) for p in self.allow) and not self.is_denied(url)

    def is_followed(self, url: str) -> bool:
        return any(p.search(url) for p in self.follow) and not self.is_denied(url)

    def is_denied(self, url: str) -> bool:
        return any(p.search(url) for p in self.deny)

    def in_domains(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in self.allowed_domains)


def _fail(where: str, why: str) -> ConfigError:
    return ConfigError(f"{where}: {why}")


def _regexes(value: Any, where: str, key: str, *, required: bool = False) -> tuple[re.Pattern[str], ...]:
    if value is None:
        if required:
            raise _fail(where, f"'{key}' is required: a list of regexes of listing-page URLs")
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) and v for v in items):
        raise _fail(where, f"'{key}' must be a regex or a list of regexes")
    if required and not items:
        raise _fail(where, f"'{key}' must name at least one regex")
    out = []
    for text in items:
        try:
            out.append(re.compile(text))
        except re.error as exc:
            raise _fail(where, f"'{key}': {text!r} is not a regex ({exc})") from exc
    return tuple(out)


def _number(value: Any, where: str, key: str, *, low: float, high: float, integer: bool = False) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float) or (integer and not isinstance(value, int)):
        raise _fail(where, f"'{key}' must be a{'n integer' if integer else ' number'}")
    if not low <= value <= high:
        raise _fail(where, f"'{key}' must be from {low:g} to {high:g}")
    return value


def _mapping(value: Any, where: str, key: str, known: Iterable[str]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(where, f"'{key}' must be a mapping")
    unknown = sorted(set(map(str, value)) - set(known))
    if unknown:
        raise _fail(where, f"'{key}': unknown field(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    return value


def _bool(value: Any, where: str, key: str, default: bool) -> bool:
    """A YAML true/false ("false" in quotes is a mistake, not true)."""
    if value is None:
        return default
    if not isinstance(value, bool):
        raise _fail(where, f"'{key}' must be true or false (unquoted), not {value!r}")
    return value


def duration(text: Any, where: str = "schedule") -> float:
    """Seconds in ``30s``, ``15m``, ``6h``, ``1d`` (or a number of seconds); at least 60."""
    match = _DURATION.match(str(text))
    if match is None:
        raise _fail(where, f"'every': {text!r} is not a duration such as 30m, 6h or 1d")
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds < 60:
        raise _fail(where, "'every' must be at least a minute")
    return seconds


def _url(text: Any, where: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise _fail(where, "'start_urls' must be a list of http(s) URLs")
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _fail(where, f"'start_urls': {text!r} is not an http(s) URL with a host")
    return text.strip()


def _read_pairs(path: Path, where: str, key: str) -> dict[str, str]:
    """A mapping of strings from a JSON or YAML object, or a Netscape cookies.txt (name, value)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise _fail(where, f"'{key}': cannot read {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise _fail(where, f"'{key}': {path} is not UTF-8 text") from exc
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    if lines and all(ln.count("\t") >= 6 for ln in lines):  # Netscape cookies.txt
        return {ln.split("\t")[5]: ln.split("\t")[6] for ln in lines}
    try:
        data = yaml.safe_load(text)  # JSON is YAML too
    except yaml.YAMLError as exc:
        raise _fail(where, f"'{key}': {path} is neither a mapping nor a cookies.txt ({exc})") from exc
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str | int | float)
                                             for k, v in data.items()):
        raise _fail(where, f"'{key}': {path} must hold a mapping of names to values")
    bad = [k for k, v in data.items() if "\n" in str(v) or "\r" in str(v) or "\n" in k or "\r" in k]
    if bad:
        raise _fail(where, f"'{key}': {path}: {bad[0]!r} holds a line break")
    return {k: str(v) for k, v in data.items()}


def _terms(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list) and all(isinstance(t, str) and t.strip() for t in value):
        return tuple(dict.fromkeys(t.strip() for t in value))
    spec = _mapping(value, where, "terms", ("languages", "limit"))
    languages = spec.get("languages") or ["en"]
    if not isinstance(languages, list) or not all(isinstance(x, str) for x in languages):
        raise _fail(where, "'terms.languages' must be a list of language codes (en, fr, zh, ...)")
    limit = _number(spec.get("limit", 10), where, "terms.limit", low=1, high=500, integer=True)
    from wildtrace.monitor.terms import search_terms

    try:
        return tuple(search_terms(languages, limit))
    except ValueError as exc:
        raise _fail(where, f"'terms': {exc}") from exc


def parse(data: Any, where: str, base: Path | None = None, sha256: str = "") -> Source:
    """A :class:`Source` from the YAML's data; ``where`` names it in errors, ``base`` is the folder
    relative paths start from."""
    if not isinstance(data, dict):
        raise _fail(where, "a source file must be a mapping with at least name, start_urls and allow")
    unknown = sorted(set(map(str, data)) - KNOWN)
    if unknown:
        raise _fail(where, f"unknown field(s) {', '.join(unknown)} (known: {', '.join(sorted(KNOWN))})")
    name = data.get("name")
    if not isinstance(name, str) or not NAME.match(name):
        raise _fail(where, "'name' is required: 1-64 letters, digits, - or _")
    starts = data.get("start_urls")
    if isinstance(starts, str):
        starts = [starts]
    if not isinstance(starts, list) or not starts:
        raise _fail(where, "'start_urls' is required: a list of http(s) URLs")
    terms = _terms(data.get("terms"), where)
    urls: list[str] = []
    for text in starts:
        url = _url(text, where)
        if "{term}" in url:
            if not terms:
                raise _fail(where, f"'start_urls': {url} has {{term}} but the source gives no 'terms'")
            urls += [url.replace("{term}", quote(t, safe="")) for t in terms]
        else:
            urls.append(url)
    domains = data.get("allowed_domains")
    if domains is None:
        domains = sorted({(urlsplit(u).hostname or "").lower() for u in urls})
    if not isinstance(domains, list) or not all(isinstance(d, str) and d for d in domains):
        raise _fail(where, "'allowed_domains' must be a list of host names")
    key = _regexes(data.get("listing_key"), where, "listing_key")
    if key and key[0].groups < 1:
        raise _fail(where, "'listing_key' must have a group: the part of the URL that is the listing's key")
    extract = data.get("extract") or {}
    if not isinstance(extract, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in extract.items()):
        raise _fail(where, "'extract' must map field names to selectors (css:..., xpath:...)")
    if extract:
        from wildtrace.monitor.extract import check_rules

        wrong = check_rules(extract)
        if wrong:
            raise _fail(where, f"'extract': {wrong[0]}")
    rate_d = _mapping(data.get("rate"), where, "rate", ("delay", "concurrency", "autothrottle"))
    rate = Rate(delay=float(_number(rate_d.get("delay", Rate.delay), where, "rate.delay", low=0, high=3600)),
                concurrency=_number(rate_d.get("concurrency", 1), where, "rate.concurrency", low=1, high=16,
                                    integer=True),
                autothrottle=_bool(rate_d.get("autothrottle"), where, "rate.autothrottle", True))
    schedule = _mapping(data.get("schedule"), where, "schedule", ("every",))
    every = duration(schedule["every"], where) if "every" in schedule else None
    js_value = data.get("javascript", False)
    js: Javascript | None = None
    if js_value is True:
        js = Javascript()
    elif isinstance(js_value, dict):
        spec = _mapping(js_value, where, "javascript", ("scroll", "wait"))
        js = Javascript(scroll=_number(spec.get("scroll", 10), where, "javascript.scroll", low=0, high=500,
                                       integer=True),
                        wait=float(_number(spec.get("wait", 1.0), where, "javascript.wait", low=0, high=60)))
    elif js_value not in (False, None):
        raise _fail(where, "'javascript' must be true, false or {scroll: N, wait: SECONDS}")
    folder = base or Path(".")
    cookies = _read_pairs(folder / str(data["cookies_file"]), where, "cookies_file") \
        if data.get("cookies_file") else {}
    headers = _read_pairs(folder / str(data["headers_file"]), where, "headers_file") \
        if data.get("headers_file") else {}
    capture = _mapping(data.get("capture"), where, "capture", ("min_risk",))
    images_d = _mapping(data.get("images"), where, "images", ("download", "max_bytes", "max_per_listing"))
    images = Images(download=_bool(images_d.get("download"), where, "images.download", True),
                    max_bytes=_number(images_d.get("max_bytes", Images.max_bytes), where, "images.max_bytes",
                                      low=1, high=100_000_000, integer=True),
                    max_per_listing=_number(images_d.get("max_per_listing", Images.max_per_listing), where,
                                            "images.max_per_listing", low=0, high=100, integer=True))
    origins = data.get("allow_origins") or []
    if not isinstance(origins, list) or not all(isinstance(o, str) for o in origins):
        raise _fail(where, "'allow_origins' must be a list of scheme://host:port")
    nxt = data.get("next")
    if nxt is not None and (not isinstance(nxt, str) or not nxt.strip()):
        raise _fail(where, "'next' must be a CSS selector of the next-page link")
    platform = data.get("platform", name)
    if not isinstance(platform, str) or not platform.strip():
        raise _fail(where, "'platform' must be a name")
    kind = data.get("kind", "marketplace")
    if kind not in SOURCE_KINDS:
        raise _fail(where, f"'kind' must be one of {', '.join(SOURCE_KINDS)}")
    return Source(
        name=name, start_urls=tuple(dict.fromkeys(urls)), allow=_regexes(data.get("allow"), where, "allow",
                                                                           required=True),
        path=None if base is None else Path(where), sha256=sha256, platform=platform.strip(), kind=kind,
        follow=_regexes(data.get("follow"), where, "follow"), next_selector=nxt,
        deny=_regexes(data.get("deny"), where, "deny"), allowed_domains=tuple(d.lower() for d in domains),
        listing_key=key[0] if key else None, extract=dict(extract), rate=rate, every_s=every, javascript=js,
        cookies=cookies, headers=headers,
        capture_min_risk=float(_number(capture.get("min_risk", 0.5), where, "capture.min_risk", low=0, high=1)),
        images=images, max_pages=_number(data.get("max_pages", 5000), where, "max_pages", low=1,
                                         high=10_000_000, integer=True),
        robots=_bool(data.get("robots"), where, "robots", True), allow_origins=tuple(origins), terms=terms)


def load(path: str | Path) -> Source:
    """Read one source file; any mistake is a one-line ConfigError naming the file."""
    path = Path(path)
    where = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read the source file: {exc.strerror or exc}") from exc
    if len(raw) > MAX_SOURCE_BYTES:
        raise ConfigError(f"{where}: a source file over {MAX_SOURCE_BYTES:,} bytes is not a source file")
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{where}: not UTF-8 text") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(f"{where}: not valid YAML{at}: {getattr(exc, 'problem', None) or exc}") from exc
    return parse(data, where, path.parent, hashlib.sha256(raw).hexdigest())


def load_all(paths: Iterable[str | Path]) -> list[Source]:
    """Several source files; two with one name is a ConfigError (the name keys the store)."""
    sources = [load(p) for p in paths]
    seen: dict[str, str] = {}
    for s in sources:
        if s.name in seen:
            raise ConfigError(f"{s.path}: source name {s.name!r} is also the name of {seen[s.name]}")
        seen[s.name] = str(s.path)
    if not sources:
        raise ConfigError("no source files given")
    return sources
