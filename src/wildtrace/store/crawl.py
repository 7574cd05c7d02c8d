"""Crawl state for the marketplace monitor: ``crawl_state`` (one row per source and URL key),
``crawl_runs`` (one per pass over a source) and ``crawl_frontier`` (what a pass has to fetch).

- ``start_run`` opens a pass, or resumes the source's unfinished one (a killed process leaves it
  ``running``); ``add_to_frontier`` queues URLs once per pass; ``keep_response`` keeps a fetched
  listing page until ``done`` (and ``note_outcome`` what it gave), and ``remember`` an image's
  fetch, so a resumed pass re-requests only ``pending`` URLs, processes ``fetched`` ones from the
  kept response and fetches nothing twice; ``finish_run`` closes it
  with its counts and errors;
- ``record`` notes each fetch (below); ``unseen_listings`` are the source's listings a finished
  pass did not reach (to re-check: gone or merely unlinked); ``mark_gone``; ``duplicate_of`` finds
  a listing already seen with the same extracted content under another URL or source;
- ``status`` is the last pass of every source, for ``monitor status`` and the Sources page.

Each fetch is ``record``ed: when the URL was first and last seen, when its content last
changed (by SHA-256), the last HTTP status, and the ETag / Last-Modified validators for the
next conditional request (``validators``). A failed fetch or a 304 keeps the content hash,
so a page is "changed" only when new content differs from the last content seen.
"""

from __future__ import annotations

import secrets
from typing import Any

import orjson
import sqlalchemy as sa

from wildtrace import clock
from wildtrace.store import db
from wildtrace.store.schema import crawl_frontier, crawl_runs, crawl_state
from wildtrace.store.sql import upsert

#: What ``record`` says about a fetch
NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"


def _row(row: Any) -> dict[str, Any]:
    """A result row as a plain dict (string keys: SQLAlchemy's quoted names are not str to orjson)."""
    return {str(k): v for k, v in row._mapping.items()}


def record(engine: sa.Engine, source: str, url_key: str, *, canonical_url: str, content_sha256: str = "",
           status: int | None = None, etag: str | None = None, last_modified: str | None = None,
           at: str | None = None, kind: str | None = None, listing_id: str | None = None,
           run_id: str | None = None, duplicate_of: str | None = None) -> str:
    """Record one fetch of ``url_key`` (``content_sha256`` "" when no content came: an error or
    a 304; for a listing page, the hash of its extracted fields); returns ``new``, ``changed`` or
    ``unchanged``. A listing fetched again is no longer gone."""
    seen = at or clock.stamp()
    extra: dict[str, Any] = {k: v for k, v in (("kind", kind), ("listing_id", listing_id), ("last_run", run_id))
                             if v is not None}
    if kind == "listing":
        extra.update(listing_sha256=content_sha256 or None, duplicate_of=duplicate_of, gone_at=None)

    def work(conn: sa.Connection) -> str:
        first = {"source": source, "url_key": url_key, "canonical_url": canonical_url,
                 "content_sha256": content_sha256, "first_seen": seen, "last_seen": seen, "last_changed": seen,
                 "last_status": status, "etag": etag, "last_modified": last_modified, **extra}
        inserted = conn.execute(upsert(conn, crawl_state).values(**first).on_conflict_do_nothing()
                                .returning(crawl_state.c.source)).first()
        if inserted is not None:
            return NEW
        key = (crawl_state.c.source == source) & (crawl_state.c.url_key == url_key)
        old = conn.execute(sa.select(crawl_state).where(key).with_for_update()).one()
        changed = bool(content_sha256) and content_sha256 != old.content_sha256
        values: dict[str, Any] = {"canonical_url": canonical_url, "last_seen": max(seen, old.last_seen),
                                  "last_status": status, **extra}
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
    return _row(row) if row is not None else None


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
        return [_row(r) for r in rows]


# ---------------------------------------------------------------- runs and the frontier

def start_run(engine: sa.Engine, source: str, source_sha256: str) -> tuple[str, bool]:
    """``(run_id, resumed)``: the source's unfinished pass (a killed process left it running), or
    a new one."""
    def work(conn: sa.Connection) -> tuple[str, bool]:
        open_run = conn.execute(sa.select(crawl_runs.c.run_id).where(
            crawl_runs.c.source == source, crawl_runs.c.finished_at.is_(None))
            .order_by(crawl_runs.c.started_at.desc()).limit(1)).scalar()
        if open_run is not None:
            conn.execute(crawl_runs.update().where(crawl_runs.c.run_id == open_run).values(state="running"))
            return str(open_run), True
        now = clock.now()
        run_id = f"{source}-{now:%Y%m%dT%H%M%S}Z-{secrets.token_hex(3)}"
        conn.execute(crawl_runs.insert().values(run_id=run_id, source=source, source_sha256=source_sha256,
                                                started_at=clock.iso(now, "microseconds"), state="running"))
        return run_id, False

    return db.write(engine, work)


def run_started(engine: sa.Engine, run_id: str) -> str:
    """When a pass began (ISO time, microseconds)."""
    with engine.connect() as conn:
        return str(conn.execute(sa.select(crawl_runs.c.started_at).where(crawl_runs.c.run_id == run_id)).scalar())


def save_run(engine: sa.Engine, run_id: str, counts: dict[str, int], errors: list[dict[str, Any]],
             *, state: str | None = None, finished: bool = False) -> None:
    """Store a pass's counts and last errors; ``finished`` closes it (``state``: finished,
    interrupted or failed). An interrupted pass stays open, so the next one resumes it."""
    values: dict[str, Any] = {"counts": orjson.dumps(counts).decode(), "errors": orjson.dumps(errors[-50:]).decode()}
    if state is not None:
        values["state"] = state
    if finished:
        values["finished_at"] = clock.stamp()
    db.write(engine, lambda conn: conn.execute(crawl_runs.update().where(crawl_runs.c.run_id == run_id)
                                               .values(**values)))


def run_counts(engine: sa.Engine, run_id: str) -> dict[str, int]:
    """The counts a pass stored (a resumed pass goes on from them)."""
    with engine.connect() as conn:
        raw = conn.execute(sa.select(crawl_runs.c.counts).where(crawl_runs.c.run_id == run_id)).scalar()
    return dict(orjson.loads(raw)) if raw else {}


def run_errors(engine: sa.Engine, run_id: str) -> list[dict[str, Any]]:
    """The last errors a pass stored (a resumed pass goes on from them)."""
    with engine.connect() as conn:
        raw = conn.execute(sa.select(crawl_runs.c.errors).where(crawl_runs.c.run_id == run_id)).scalar()
    return list(orjson.loads(raw)) if raw else []


def prune(engine: sa.Engine, source: str, keep: str) -> int:
    """Delete the frontiers of the source's finished passes other than ``keep`` (their runs'
    counts and errors stay); returns the rows deleted."""
    def work(conn: sa.Connection) -> int:
        old = sa.select(crawl_runs.c.run_id).where(crawl_runs.c.source == source, crawl_runs.c.run_id != keep,
                                                   crawl_runs.c.finished_at.is_not(None))
        return int(conn.execute(crawl_frontier.delete().where(crawl_frontier.c.run_id.in_(old))).rowcount or 0)

    return db.write(engine, work)


def add_to_frontier(engine: sa.Engine, run_id: str, items: list[tuple[str, str, str, int]]) -> list[str]:
    """Queue ``(url_key, url, kind, depth)`` items in a pass; returns the keys that were new to it
    (a URL is queued once per pass, however many pages link it)."""
    if not items:
        return []
    now = clock.stamp()

    def work(conn: sa.Connection) -> list[str]:
        added = []
        for key, url, kind, depth in dict((i[0], i) for i in items).values():
            row = conn.execute(upsert(conn, crawl_frontier).values(
                run_id=run_id, url_key=key, url=url, kind=kind, depth=depth, state="pending", added_at=now)
                .on_conflict_do_nothing().returning(crawl_frontier.c.url_key)).first()
            if row is not None:
                added.append(key)
        return added

    return db.write(engine, work)


def done(engine: sa.Engine, run_id: str, url_key: str, state: str = "done", reason: str | None = None,
         counts: dict[str, int] | None = None, errors: list[dict[str, Any]] | None = None) -> None:
    """Mark a queued URL finished (``done``), ``failed`` or ``refused`` (with why): never fetched again
    in this pass; a kept response is let go. With ``counts`` (and ``errors``), the pass's counts are
    stored in the same transaction, so a killed pass keeps counts that match its frontier."""
    def work(conn: sa.Connection) -> None:
        conn.execute(crawl_frontier.update().where(crawl_frontier.c.run_id == run_id,
                                                   crawl_frontier.c.url_key == url_key)
                     .values(state=state, done_at=clock.stamp(), reason=reason, response=None))
        if counts is not None:
            values = {"counts": orjson.dumps(counts).decode()}
            if errors is not None:
                values["errors"] = orjson.dumps(errors[-50:]).decode()
            conn.execute(crawl_runs.update().where(crawl_runs.c.run_id == run_id).values(**values))

    db.write(engine, work)


def keep_response(engine: sa.Engine, run_id: str, url_key: str, response: bytes) -> None:
    """A listing page was fetched: keep its response (``fetched``) until ``done``, so a killed pass
    processes it again from here instead of fetching it again."""
    db.write(engine, lambda conn: conn.execute(
        crawl_frontier.update().where(crawl_frontier.c.run_id == run_id, crawl_frontier.c.url_key == url_key)
        .values(state="fetched", response=response)))


def note_outcome(engine: sa.Engine, run_id: str, url_key: str, outcome: dict[str, Any]) -> None:
    """What a fetched page gave (the listing stored, a capture still to take)."""
    db.write(engine, lambda conn: conn.execute(
        crawl_frontier.update().where(crawl_frontier.c.run_id == run_id, crawl_frontier.c.url_key == url_key)
        .values(outcome=orjson.dumps(outcome).decode())))


def kept(engine: sa.Engine, run_id: str, url_key: str) -> tuple[bytes | None, dict[str, Any] | None]:
    """The response and outcome a pass kept for ``url_key`` (None, None when none)."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(crawl_frontier.c.response, crawl_frontier.c.outcome).where(
            crawl_frontier.c.run_id == run_id, crawl_frontier.c.url_key == url_key)).first()
    if row is None:
        return None, None
    return row.response, (orjson.loads(row.outcome) if row.outcome else None)


def remembered(engine: sa.Engine, run_id: str, url_key: str) -> dict[str, Any] | None:
    """The outcome of a fetch already ``done`` in this pass (an image a killed pass fetched), or None."""
    with engine.connect() as conn:
        raw = conn.execute(sa.select(crawl_frontier.c.outcome).where(
            crawl_frontier.c.run_id == run_id, crawl_frontier.c.url_key == url_key,
            crawl_frontier.c.state == "done")).scalar()
    return orjson.loads(raw) if raw else None


def remember(engine: sa.Engine, run_id: str, url_key: str, url: str, kind: str, outcome: dict[str, Any]) -> None:
    """Record a fetch made outside the frontier (an image) with what it gave, ``done``."""
    row = {"run_id": run_id, "url_key": url_key, "url": url, "kind": kind, "depth": 0, "state": "done",
           "added_at": clock.stamp(), "done_at": clock.stamp(), "outcome": orjson.dumps(outcome).decode()}
    db.write(engine, lambda conn: conn.execute(upsert(conn, crawl_frontier).values(**row).on_conflict_do_nothing()))


def pending(engine: sa.Engine, run_id: str) -> list[dict[str, Any]]:
    """The URLs a pass queued and has not finished yet (``pending``, or ``fetched`` with the response
    kept), in the order they were queued."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(*[c for c in crawl_frontier.c if c.name != "response"]).where(
            crawl_frontier.c.run_id == run_id, crawl_frontier.c.state.in_(("pending", "fetched")))
                            .order_by(crawl_frontier.c.added_at, crawl_frontier.c.depth, crawl_frontier.c.url_key))
        return [_row(r) for r in rows]


def frontier_size(engine: sa.Engine, run_id: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(crawl_frontier)
                                .where(crawl_frontier.c.run_id == run_id)).scalar_one())


def unseen_listings(engine: sa.Engine, source: str, run_id: str) -> list[dict[str, Any]]:
    """The source's listing URLs (not gone, not duplicates) that pass ``run_id`` did not fetch."""
    c = crawl_state.c
    with engine.connect() as conn:
        rows = conn.execute(sa.select(crawl_state).where(
            c.source == source, c.kind == "listing", c.gone_at.is_(None), c.duplicate_of.is_(None),
            sa.or_(c.last_run.is_(None), c.last_run != run_id)).order_by(c.url_key))
        return [_row(r) for r in rows]


def mark_gone(engine: sa.Engine, source: str, url_key: str, *, status: int | None, run_id: str) -> None:
    """The listing at ``url_key`` is gone (its page answered 404 or 410)."""
    db.write(engine, lambda conn: conn.execute(crawl_state.update().where(
        crawl_state.c.source == source, crawl_state.c.url_key == url_key)
        .values(gone_at=clock.stamp(), last_status=status, last_run=run_id)))


def captured(engine: sa.Engine, source: str, url_key: str, capture_id: str) -> None:
    """The monitor captured the page at ``url_key`` as ``capture_id`` (in its evidence folder)."""
    db.write(engine, lambda conn: conn.execute(crawl_state.update().where(
        crawl_state.c.source == source, crawl_state.c.url_key == url_key).values(last_capture=capture_id)))


def for_listing(engine: sa.Engine, listing_id: str) -> list[dict[str, Any]]:
    """Every URL the monitor saw a listing at (its own, and those found to duplicate it): source,
    URL, first and last seen, last change, gone, last capture."""
    c = crawl_state.c
    with engine.connect() as conn:
        rows = conn.execute(sa.select(crawl_state).where(
            sa.or_(c.listing_id == listing_id, c.duplicate_of == listing_id)).order_by(c.first_seen, c.url_key))
        return [_row(r) for r in rows]


def duplicate_of(engine: sa.Engine, listing_sha256: str, listing_id: str) -> str | None:
    """The listing already seen (any source) whose extracted content hashes to ``listing_sha256``
    under another id, or None."""
    c = crawl_state.c
    with engine.connect() as conn:
        return conn.execute(sa.select(c.listing_id).where(
            c.listing_sha256 == listing_sha256, c.listing_id != listing_id, c.duplicate_of.is_(None))
            .order_by(c.first_seen).limit(1)).scalar()


def status(engine: sa.Engine) -> list[dict[str, Any]]:
    """The last pass of every source (counts and errors decoded), with its number of passes and of
    listings seen, live and gone; sources by name."""
    r, c = crawl_runs.c, crawl_state.c
    with engine.connect() as conn:
        last = sa.select(r.source, sa.func.max(r.started_at).label("started_at"),
                         sa.func.count().label("passes")).group_by(r.source).subquery()
        rows = conn.execute(sa.select(crawl_runs, last.c.passes).join(
            last, (r.source == last.c.source) & (r.started_at == last.c.started_at)).order_by(r.source)).all()
        listings = {row.source: (row.live, row.gone) for row in conn.execute(
            sa.select(c.source, sa.func.count().filter(c.gone_at.is_(None)).label("live"),
                      sa.func.count().filter(c.gone_at.is_not(None)).label("gone"))
            .where(c.kind == "listing", c.duplicate_of.is_(None)).group_by(c.source))}
    out = []
    for row in rows:
        item = _row(row)
        item["counts"], item["errors"] = orjson.loads(item["counts"]), orjson.loads(item["errors"])
        item["listings_live"], item["listings_gone"] = listings.get(item["source"], (0, 0))
        out.append(item)
    return out


def runs(engine: sa.Engine, source: str, limit: int = 20) -> list[dict[str, Any]]:
    """A source's passes, newest first (counts and errors decoded)."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(crawl_runs).where(crawl_runs.c.source == source)
                            .order_by(crawl_runs.c.started_at.desc()).limit(limit))
        out = [_row(x) for x in rows]
    for item in out:
        item["counts"], item["errors"] = orjson.loads(item["counts"]), orjson.loads(item["errors"])
    return out
