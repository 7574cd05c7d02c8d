"""Demo data for the workbench: the bundled synthetic listings and a demo login."""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from wildtrace import manifest
from wildtrace.pipeline import Sinks, ingest
from wildtrace.scan.readers import read_listings
from wildtrace.scan.scanner import Scanner
from wildtrace.store import accounts as auth
from wildtrace.store.sql import SQLStore

DEMO_FILE = manifest.path("demo_listings")
DEMO_USER = "demo"


def load_demo(store: SQLStore, scanner: Scanner) -> int:
    """Scan and store the demo listings (idempotent: the same content is not stored twice)."""
    with open(DEMO_FILE, "rb") as fh:
        items = read_listings(fh, fmt="jsonl", max_field_chars=scanner.settings.max_field_chars,
                              max_record_bytes=scanner.settings.max_record_bytes)
        summary = ingest(items, scanner, Sinks(save=store.save))
    return summary.scanned


def demo_login(engine: sa.Engine) -> tuple[str, str]:
    """A fresh random password for the ``demo`` analyst (created if missing)."""
    password = secrets.token_urlsafe(9)
    auth.reset_user(engine, DEMO_USER, "analyst", password, actor="demo")
    return DEMO_USER, password
