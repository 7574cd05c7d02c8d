"""Every setting in one declarative table: options read from ``WILDTRACE_*`` variables, and every
file WildTrace keeps under its data folder.

Settings are passed in (``Settings.from_env()`` at the edge, explicit values in tests); nothing
else reads the environment. ``docs/settings.md`` documents each row of ``OPTIONS`` and ``FILES``
(``tests/test_settings.py`` fails when one is missing there).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from platformdirs import user_data_dir

if TYPE_CHECKING:
    from wildtrace.scan.listing import RecordLimits

from wildtrace.errors import ConfigError

#: The reference data that ships inside the package (read-only).
PACKAGE_DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class Option:
    """A setting read from the environment variable ``env``."""

    name: str
    env: str
    parse: Callable[[str], Any]
    doc: str


@dataclass(frozen=True)
class DataFile:
    """A file or folder under the data folder: the one place its name is written."""

    name: str
    file: str
    doc: str


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise ValueError("must be a positive whole number")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 65535:
        raise ValueError("must be a port number from 1 to 65535")
    return value


OPTIONS: tuple[Option, ...] = (
    Option("data_dir", "WILDTRACE_DATA_DIR", Path,
           "Folder for everything WildTrace writes (default: the user data folder, e.g. ~/.local/share/wildtrace)."),
    Option("db", "WILDTRACE_DB", str,
           "The database of listings, results, labels, cases, users, seller judgements, the local lexicon, "
           "built networks and crawl state: a SQLite path or a "
           "postgresql://USER@HOST:PORT/DB URL (default: DATA_DIR/wildtrace.sqlite)."),
    Option("trade_db", "WILDTRACE_TRADE_DB", Path,
           "The DuckDB file of `wildtrace trade` and the workbench's trade API (default: DATA_DIR/trade.duckdb)."),
    Option("max_field_chars", "WILDTRACE_MAX_FIELD_CHARS", _positive_int,
           "Largest accepted text field of a listing, in characters; a longer one rejects the record (100,000)."),
    Option("max_record_bytes", "WILDTRACE_MAX_RECORD_BYTES", _positive_int,
           "Largest accepted input line or record, in bytes (2,000,000)."),
    Option("max_depth", "WILDTRACE_MAX_DEPTH", _positive_int,
           "Deepest nesting of lists and objects accepted inside one record; deeper rejects the record (20)."),
    Option("max_fields", "WILDTRACE_MAX_FIELDS", _positive_int,
           "Most fields one record may have; more rejects the record (500)."),
    Option("max_int_digits", "WILDTRACE_MAX_INT_DIGITS", _positive_int,
           "Most digits of any integer in a record, id included; more rejects the record (18, which fits 64 bits)."),
    Option("host", "WILDTRACE_HOST", str, "Address `wildtrace serve` listens on (127.0.0.1)."),
    Option("port", "WILDTRACE_PORT", _port, "Port of `wildtrace serve` (8150)."),
    Option("session_hours", "WILDTRACE_SESSION_HOURS", float, "How long a workbench login lasts, in hours (12)."),
    Option("max_body_bytes", "WILDTRACE_MAX_BODY_BYTES", _positive_int,
           "Largest request body the workbench accepts, in bytes (8 MiB)."),
    Option("progress_every", "WILDTRACE_PROGRESS_EVERY", float,
           "Seconds between the plain progress lines long jobs write to stderr when it is not a terminal (10); "
           "a terminal gets a live bar instead."),
    Option("species_plus_max_bytes", "WILDTRACE_SPECIES_PLUS_MAX_BYTES", _positive_int,
           "Largest Species+ export `wildtrace data import-cites` reads, in bytes once decompressed (256 MiB; "
           "the whole real export is about a tenth of that)."),
    Option("species_plus_max_rows", "WILDTRACE_SPECIES_PLUS_MAX_ROWS", _positive_int,
           "Most rows (or API taxon concepts) a Species+ import reads (500,000)."),
    Option("species_plus_max_field_chars", "WILDTRACE_SPECIES_PLUS_MAX_FIELD_CHARS", _positive_int,
           "Longest cell of a Species+ export, in characters; a row with a longer one is rejected (20,000)."),
    Option("evidence_key", "WILDTRACE_EVIDENCE_KEY", Path,
           "The private key (`wildtrace evidence keygen`) `wildtrace capture` signs custody entries with, when "
           "--key is not given; kept outside every evidence folder. Unset: captures are marked unsigned."),
    Option("evidence_public_key", "WILDTRACE_EVIDENCE_PUBLIC_KEY", Path,
           "The public key `evidence verify` and `case add --evidence-dir` check every custody entry against, "
           "when --public-key is not given."),
    Option("monitor_contact", "WILDTRACE_MONITOR_CONTACT", str,
           "How a site's operator reaches whoever runs `wildtrace monitor` (an e-mail or URL): it is put in the "
           "monitor's User-Agent (`monitor run --contact` overrides it); unset, the User-Agent says so and each run warns."),
    Option("tsa_url", "WILDTRACE_TSA_URL", str,
           "An RFC 3161 timestamp authority (http(s) URL) that seals of evidence folders are stamped by; unset: "
           "no timestamp is asked, and the seal records that none was."),
    Option("tsa_ca_file", "WILDTRACE_TSA_CA_FILE", Path,
           "PEM certificates of the timestamp authority (its root and chain) `evidence verify` checks a seal's "
           "timestamp against; unset: the timestamp's signature and hash are checked, its chain is not."),
    Option("trusted_proxies", "WILDTRACE_TRUSTED_PROXIES", str,
           "Comma-separated addresses or CIDR networks of reverse proxies whose X-Forwarded-For the workbench "
           "believes (the right-most address that is not one of them); none by default: the socket's address."),
    Option("text_model", "WILDTRACE_TEXT_MODEL", str,
           "The text model the scan combines with its rules: `none` (the rules alone, the default: the model "
           "inside the package was trained on self-written listings and does not beat the rules on real text), "
           "`shipped` (that model), `workbench` (the model an analyst accepted in the workbench, else the rules "
           "alone), or a model folder written by `wildtrace train` on your analysts' labels."),
)

FILES: tuple[DataFile, ...] = (
    DataFile("db_path", "wildtrace.sqlite", "The default SQLite database (when WILDTRACE_DB is not set)."),
    DataFile("trade_db_path", "trade.duckdb", "The default trade database (when WILDTRACE_TRADE_DB is not set)."),
    DataFile("cites_checklist", "cites_checklist.jsonl", "Taxa imported by `wildtrace data import-cites`."),
    DataFile("local_lexicon", "local_lexicon.jsonl",
             "The local lexicon's change log as kept before it moved into the database; imported once, never changed."),
    DataFile("judgements", "judgements.jsonl",
             "Seller judgements as kept before they moved into the database; imported once, never changed."),
    DataFile("legacy_cases_dir", "cases",
             "Case folders written before cases moved into the database; imported on first use, never changed."),
    DataFile("demo_db", "demo-workbench.sqlite", "The database of `wildtrace serve --demo`."),
    DataFile("monitor_images_dir", "monitor-images",
             "Images of monitored listings, kept once by content (`<sha256[:2]>/<sha256>.<ext>`); never changed once "
             "written."),
    DataFile("evidence_dir", "evidence",
             "Captures started from the workbench, one folder per case (`case-ID`), and the monitor's, one folder "
             "per source (`monitor-NAME`); never changed once written."),
    DataFile("patrol_dir", "patrol",
             "Patrol runs (`wildtrace patrol run` and `patrol demo`), one folder per run: risk maps, plan, GPX, "
             "evaluation and a manifest; the workbench's Patrols page reads them. Never changed once written."),
    DataFile("refdata_cache_dir", "cache",
             "The reference data compiled for a fast start (`taxa/cache.py`), one file per version of the data "
             "and imported checklists; rebuilt when stale or damaged, safe to delete."),
)


class _InDataDir:
    """``settings.NAME``: the path of the ``FILES`` entry NAME under the data folder."""

    def __init__(self, name: str):
        self.name = name

    def __get__(self, obj: Settings, owner: type) -> Path:
        return obj.file(self.name)


def _default_data_dir() -> Path:
    return Path(user_data_dir("wildtrace", appauthor=False))


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=_default_data_dir)
    db: str | None = None
    trade_db: Path | None = None
    max_field_chars: int = 100_000
    max_record_bytes: int = 2_000_000
    max_depth: int = 20
    max_fields: int = 500
    max_int_digits: int = 18
    host: str = "127.0.0.1"
    port: int = 8150
    session_hours: float = 12.0
    max_body_bytes: int = 8 * 1024 * 1024
    text_model: str = "none"
    progress_every: float = 10.0
    species_plus_max_bytes: int = 256 * 1024 * 1024
    species_plus_max_rows: int = 500_000
    species_plus_max_field_chars: int = 20_000
    evidence_key: Path | None = None
    evidence_public_key: Path | None = None
    monitor_contact: str | None = None
    tsa_url: str | None = None
    tsa_ca_file: Path | None = None
    trusted_proxies: str | None = None

    def file(self, name: str) -> Path:
        """The path of a ``FILES`` entry under the data folder."""
        for f in FILES:
            if f.name == name:
                return self.data_dir / f.file
        raise KeyError(name)

    @property
    def record_limits(self) -> RecordLimits:
        """The limits one input record is held to (fields, nesting, integers)."""
        from wildtrace.scan.listing import RecordLimits

        return RecordLimits(max_field_chars=self.max_field_chars, max_depth=self.max_depth,
                            max_fields=self.max_fields, max_int_digits=self.max_int_digits)

    @property
    def db_target(self) -> str | Path:
        """The database to open: a URL as given (``postgresql://…``), else a SQLite path."""
        return self.db if self.db and "://" in self.db else self.db_path

    @property
    def db_path(self) -> Path:
        """The SQLite database used when no URL is given."""
        return Path(self.db) if self.db and "://" not in self.db else self.file("db_path")

    @property
    def trade_db_target(self) -> Path:
        return self.trade_db or self.file("trade_db_path")

    cites_checklist_path = _InDataDir("cites_checklist")
    local_lexicon = _InDataDir("local_lexicon")
    judgements = _InDataDir("judgements")
    legacy_cases_dir = _InDataDir("legacy_cases_dir")
    demo_db = _InDataDir("demo_db")
    evidence_dir = _InDataDir("evidence_dir")
    monitor_images_dir = _InDataDir("monitor_images_dir")
    refdata_cache_dir = _InDataDir("refdata_cache_dir")
    patrol_dir = _InDataDir("patrol_dir")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        kwargs: dict[str, Any] = {}
        for opt in OPTIONS:
            if env.get(opt.env):
                try:
                    kwargs[opt.name] = opt.parse(env[opt.env])
                except ValueError as exc:
                    raise ConfigError(f"{opt.env}={env[opt.env]!r}: {exc}") from exc
        return cls(**kwargs)


assert {o.name for o in OPTIONS} == {f.name for f in fields(Settings)}, "every Settings field is an OPTIONS row"
