"""Crawl state for the marketplace monitor: the ``crawl_state`` table, one row per
(source, url key).

Each fetch is ``record``ed: when the URL was first and last seen, when its content last
changed (by SHA-256), the last HTTP status, and the ETag / Last-Modified validators for the
next conditional request (``validators``). A failed fetch or a 304 keeps the content hash,
so a page is "changed" only when new content differs from the last content seen.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from wildtrace import clock
from wildtrace.store import db
from wildtrace.store.schema import crawl_state
from wildtrace.store.sql import upsert

#: What ``record`` says about a fetch
NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"


def record(engine: sa.Engine, source: str, url_key: str, *, canonical_url: str, content_sha256: str = "",
           status: int | None = None, etag: str | None = None, last_modified: str | None = None,
           at: str | None = None) -> str:
    """Record one fetch of ``url_key`` (``content_sha256`` "" when no content came: an error or
    a 304); returns ``new``, ``changed`` or ``unchanged``."""
    seen = at or clock.stamp()

    def work(conn: sa.Connection) -> str:
        first = {"source": source, "url_key": url_key, "canonical_url": canonical_url,
                 "content_sha256": content_sha256, "first_seen": seen, "last_seen": seen, "last_changed": seen,
                 "last_status": status, "etag": etag, "last_modified": last_modified}
        inserted = conn.execute(upsert(conn, crawl_state).values(**first).on_conflict_do_nothing()
                                .returning(crawl_state.c.source)).first()
        if inserted is not None:
            return NEW
        key = (crawl_state.c.source == source) & (crawl_state.c.url_key == url_key)
        old = conn.execute(sa.select(crawl_state).where(key).with_for_update()).one()
        changed = bool(content_sha256) and content_sha256 != old.content_sha256
        values: dict[str, Any] = {"canonical_url": canonical_url, "last_seen": max(seen, old.last_seen),
                                  "last_status": status}
        if content_sha256:
            values["content_sha256"] = content_sha256
        if changed:
            values["last_changed"] = seen
        if etag is not None:
            values["etag"] = etag
        if last_modified is not None:
            values["last_modified"] = last_modified
        conn.execute(crawl_state.update().where(key).values(**values))
        return CHANGED if changed else UNCHANGED

    return db.write(engine, work)


def get(engine: sa.Engine, source: str, url_key: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(crawl_state).where(crawl_state.c.source == source,
                                                        crawl_state.c.url_key == url_key)).first()
    return dict(row._mapping) if row is not None else None


def validators(engine: sa.Engine, source: str, url_key: str) -> dict[str, str]:
    """Headers for a conditional request (``If-None-Match``, ``If-Modified-Since``); {} when none."""
    row = get(engine, source, url_key)
    out = {}
    if row and row["etag"]:
        out["If-None-Match"] = row["etag"]
    if row and row["last_modified"]:
        out["If-Modified-Since"] = row["last_modified"]
    return out


def due(engine: sa.Engine, source: str, seen_before: str, *, limit: int = 1000) -> list[dict[str, Any]]:
    """URLs of ``source`` last seen before ``seen_before`` (ISO time), least recently seen first."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(crawl_state).where(crawl_state.c.source == source,
                                                         crawl_state.c.last_seen < seen_before)
                            .order_by(crawl_state.c.last_seen, crawl_state.c.url_key).limit(limit))
        return [dict(r._mapping) for r in rows]
