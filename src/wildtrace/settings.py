"""Configuration, read once from ``WILDTRACE_*`` environment variables.

Settings are passed in (``Settings.from_env()`` at the edge, explicit values in
tests); nothing below reads the environment on its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_data_dir

#: The reference data that ships inside the package (read-only).
PACKAGE_DATA = Path(__file__).resolve().parent / "data"

#: Largest accepted text field, in characters. Longer fields reject the record.
DEFAULT_MAX_FIELD_CHARS = 100_000
#: Largest accepted input line / record, in bytes.
DEFAULT_MAX_RECORD_BYTES = 2_000_000


def _default_data_dir() -> Path:
    return Path(user_data_dir("wildtrace", appauthor=False))


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=_default_data_dir)
    db: str | None = None
    max_field_chars: int = DEFAULT_MAX_FIELD_CHARS
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES

    @property
    def db_target(self) -> str | Path:
        """The database to open: a URL as given (``postgresql://…``), else a SQLite path."""
        return self.db if self.db and "://" in self.db else self.db_path

    @property
    def db_path(self) -> Path:
        """The SQLite database used when no ``--db`` is given."""
        return Path(self.db) if self.db else self.data_dir / "wildtrace.sqlite"

    @property
    def cites_checklist_path(self) -> Path:
        """Where ``wildtrace data import-cites`` writes the imported checklist."""
        return self.data_dir / "cites_checklist.jsonl"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        kwargs: dict[str, object] = {}
        if env.get("WILDTRACE_DATA_DIR"):
            kwargs["data_dir"] = Path(env["WILDTRACE_DATA_DIR"])
        if env.get("WILDTRACE_DB"):
            kwargs["db"] = env["WILDTRACE_DB"]
        if env.get("WILDTRACE_MAX_FIELD_CHARS"):
            kwargs["max_field_chars"] = int(env["WILDTRACE_MAX_FIELD_CHARS"])
        if env.get("WILDTRACE_MAX_RECORD_BYTES"):
            kwargs["max_record_bytes"] = int(env["WILDTRACE_MAX_RECORD_BYTES"])
        return cls(**kwargs)  # type: ignore[arg-type]
