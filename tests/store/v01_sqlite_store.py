"""WildTrace 0.1's SQLite store, kept verbatim (imports made absolute) to make databases "by the previous version"."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson

from wildtrace.errors import DataError
from wildtrace.scan.result import ScanResult

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS listings (
    listing_id TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    version INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (listing_id, content_sha256)
);
CREATE INDEX IF NOT EXISTS listings_version ON listings (listing_id, version);
CREATE TABLE IF NOT EXISTS scan_results (
    listing_id TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    model TEXT NOT NULL,
    scanned_at TEXT NOT NULL,
    verdict TEXT NOT NULL,
    wildlife_score REAL NOT NULL,
    risk_score REAL NOT NULL,
    result TEXT NOT NULL,
    PRIMARY KEY (listing_id, content_sha256, model),
    FOREIGN KEY (listing_id, content_sha256) REFERENCES listings (listing_id, content_sha256)
);
CREATE INDEX IF NOT EXISTS results_risk ON scan_results (risk_score DESC);
"""


class SQLiteStore:
    def __init__(self, path: Path):
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(path)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.executescript(_SCHEMA)
            found = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        except (OSError, sqlite3.DatabaseError) as exc:
            raise DataError(f"cannot open database {path}: {exc}") from exc
        if found is None:
            with self.db:
                self.db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        elif int(found[0]) > SCHEMA_VERSION:
            raise DataError(f"database {path} has schema version {found[0]}, newer than this WildTrace ({SCHEMA_VERSION})")

    def save(self, results: list[ScanResult]) -> None:
        with self.db:
            for r in results:
                seen = r.scanned_at
                cur = self.db.execute(
                    "UPDATE listings SET last_seen = ? WHERE listing_id = ? AND content_sha256 = ?",
                    (seen, r.id, r.input_sha256))
                if cur.rowcount == 0:
                    (version,) = self.db.execute(
                        "SELECT COALESCE(MAX(version), 0) + 1 FROM listings WHERE listing_id = ?", (r.id,)).fetchone()
                    self.db.execute("INSERT INTO listings VALUES (?, ?, ?, ?, ?, ?)",
                                    (r.id, r.input_sha256, version, seen, seen, orjson.dumps(r.listing).decode()))
                model = f"{r.model['name']} {r.model['version']} {r.model.get('data_sha256', '')}".strip()
                self.db.execute(
                    "INSERT OR REPLACE INTO scan_results VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (r.id, r.input_sha256, model, seen, r.verdict, r.wildlife_score, r.risk_score,
                     orjson.dumps(r.to_dict()).decode()))

    def versions(self, listing_id: str) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT version, content_sha256, first_seen, last_seen, record FROM listings "
            "WHERE listing_id = ? ORDER BY version", (listing_id,)).fetchall()
        return [{"version": v, "content_sha256": h, "first_seen": f, "last_seen": last, "record": orjson.loads(rec)}
                for v, h, f, last, rec in rows]

    def latest_result(self, listing_id: str) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT s.result FROM scan_results s JOIN listings l USING (listing_id, content_sha256) "
            "WHERE s.listing_id = ? ORDER BY l.version DESC, s.scanned_at DESC LIMIT 1", (listing_id,)).fetchone()
        return orjson.loads(row[0]) if row else None

    def count_listings(self) -> int:
        return int(self.db.execute("SELECT COUNT(DISTINCT listing_id) FROM listings").fetchone()[0])

    def close(self) -> None:
        self.db.close()
