"""Cases: the one case model. Listings (the version added), seller accounts and captures
grouped for one investigation, made in the workbench, the API or ``wildtrace case``.

A case has a unique ``name`` (letters, digits, ``.``, ``_``, ``-``; the workbench names its
cases ``case-<id>``) and an integer ``id``. Nothing in a case is edited: adding the same item
twice is a no-op, and every addition is written to the audit log.

A case is ``open`` or ``closed`` (a closed case takes no new listings, sellers or captures until it
is reopened; notes are still welcome). Notes are append-only. A deleted case (admins) keeps its
rows with ``deleted_at`` set, and is gone from every list and lookup; its audit trail stays.

Members: a case may be restricted to named users (``case_members``). A case with members is
read and changed only by its members and admins (``can_read``/``can_write``); a case without
members is open to every role as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import orjson
import sqlalchemy as sa

from wildtrace.errors import Invalid, NotFound
from wildtrace.store import db
from wildtrace.store.audit import audit, audit_entries, now
from wildtrace.store.schema import (
    audit_log,
    case_captures,
    case_listings,
    case_members,
    case_notes,
    case_sellers,
    cases,
    listings,
    queue,
    scan_results,
    users,
)

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
STATUSES = ("open", "closed")
#: a case that was not deleted
LIVE = cases.c.deleted_at.is_(None)


def _title(title: str) -> str:
    title = title.strip()
    if not title or len(title) > 500:
        raise Invalid("a case needs a title of 1 to 500 characters")
    return title


def create_case(engine: sa.Engine, title: str, author: str, *, name: str | None = None) -> dict[str, Any]:
    if name is not None and not NAME.match(name):
        raise Invalid(f"case name {name!r}: use letters, digits, '.', '_' and '-' (up to 100)")
    title = _title(title.strip() or (name or ""))
    if not author.strip():
        raise Invalid("an author is needed")

    def work(conn: sa.Connection) -> dict[str, Any]:
        if name is not None and conn.execute(sa.select(cases.c.id).where(cases.c.name == name)).first():
            raise Invalid(f"case {name!r} already exists")
        record = {"title": title, "status": "open", "created_by": author, "created_at": now()}
        case_id = conn.execute(cases.insert().values(**record).returning(cases.c.id)).scalar_one()
        given = name or f"case-{case_id}"
        conn.execute(cases.update().where(cases.c.id == case_id).values(name=given))
        audit(conn, author, "case.create", f"case:{case_id}", None, {**record, "name": given})
        return {"id": case_id, "name": given, **record, "listings": []}

    return db.write(engine, work)


def case_id(engine: sa.Engine, ref: str | int) -> int:
    """The id of the case named ``ref``, else of the case with that id."""
    with engine.connect() as conn:  # a name first: a case named "2" is not case id 2
        found = conn.execute(sa.select(cases.c.id).where(cases.c.name == str(ref), LIVE)).scalar()
        if found is None and (isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit() and len(ref) < 19)):
            found = conn.execute(sa.select(cases.c.id).where(cases.c.id == int(ref), LIVE)).scalar()
    if found is None:
        raise NotFound(f"no case {ref!r} (create it with `wildtrace case create` or in the workbench)")
    return int(found)


def _require(conn: sa.Connection, cid: int) -> str:
    """The status of case ``cid``; NotFound for no case or a deleted one."""
    status = conn.execute(sa.select(cases.c.status).where(cases.c.id == cid, LIVE)).scalar()
    if status is None:
        raise NotFound(f"no case {cid}")
    return str(status)


#: (member key, extra row values, audit detail) for one item being added to a case
Member = tuple[str, dict[str, Any], dict[str, Any]]


def _add(engine: sa.Engine, cid: int, table: sa.Table, key: str, items: Iterable[Any], author: str,
         action: str, member: Callable[[sa.Connection, Any], Member]) -> int:
    """Insert each item not yet in the case, audited, in one transaction; returns how many were new."""
    wanted = list(items)

    def work(conn: sa.Connection) -> int:
        added = 0
        if _require(conn, cid) == "closed":
            raise Invalid(f"case {cid} is closed; reopen it to add to it")
        for item in wanted:
            value, row, detail = member(conn, item)
            exists = conn.execute(sa.select(table.c.case_id).where(table.c.case_id == cid,
                                                                   table.c[key] == value)).first()
            if exists is None:
                conn.execute(table.insert().values(case_id=cid, **{key: value}, **row, added_by=author,
                                                   added_at=now()))
                audit(conn, author, action, f"case:{cid}", None, detail)
                added += 1
        return added

    return db.write(engine, work)


def add_listings(engine: sa.Engine, cid: int, listing_ids: Iterable[str], author: str) -> int:
    """Add listings already in the store (their newest version); returns how many were new."""
    def member(conn: sa.Connection, listing_id: str) -> Member:
        sha = conn.execute(sa.select(queue.c.content_sha256).where(queue.c.listing_id == listing_id)).scalar()
        if sha is None:
            raise NotFound(f"no listing {listing_id!r}")
        return listing_id, {"content_sha256": sha}, {"listing_id": listing_id, "content_sha256": sha}

    return _add(engine, cid, case_listings, "listing_id", dict.fromkeys(listing_ids), author,
                "case.add_listing", member)


def add_sellers(engine: sa.Engine, cid: int, sellers: Iterable[str], author: str) -> int:
    """Add seller accounts (``platform:seller``); returns how many were new."""
    return _add(engine, cid, case_sellers, "seller", dict.fromkeys(sellers), author, "case.add_seller",
                lambda conn, seller: (seller, {}, {"seller": seller}))


def add_captures(engine: sa.Engine, cid: int, entries: Iterable[dict[str, Any]], author: str) -> int:
    """Add custody-log entries of captures (each with ``capture_id`` and ``evidence_dir``)."""
    def member(conn: sa.Connection, entry: dict[str, Any]) -> Member:
        capture = str(entry["capture_id"])
        return (capture, {"evidence_dir": str(entry["evidence_dir"]), "entry": orjson.dumps(entry).decode()},
                {"capture_id": capture, "entry_hash": entry.get("entry_hash")})

    return _add(engine, cid, case_captures, "capture_id", entries, author, "case.add_capture", member)


def get_case(engine: sa.Engine, cid: int) -> dict[str, Any]:
    """The case row with its listings, sellers and captures (each with who added it and when)."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(cases).where(cases.c.id == cid, LIVE)).first()
        if row is None:
            raise NotFound(f"no case {cid}")
        members = conn.execute(sa.select(case_listings.c.listing_id, case_listings.c.content_sha256,
                                         case_listings.c.added_by, case_listings.c.added_at)
                               .where(case_listings.c.case_id == cid)
                               .order_by(case_listings.c.added_at, case_listings.c.listing_id)).all()
        sellers = conn.execute(sa.select(case_sellers.c.seller, case_sellers.c.added_by, case_sellers.c.added_at)
                               .where(case_sellers.c.case_id == cid).order_by(case_sellers.c.added_at)).all()
        captures = conn.execute(sa.select(case_captures.c.entry).where(case_captures.c.case_id == cid)
                                .order_by(case_captures.c.added_at, case_captures.c.capture_id)).all()
    return {**dict(row._mapping), "listings": [dict(m._mapping) for m in members],
            "sellers": [dict(s._mapping) for s in sellers],
            "captures": [orjson.loads(c.entry) for c in captures]}


def case_results(engine: sa.Engine, cid: int) -> list[dict[str, Any]]:
    """The scan result of each listing in the case, for the version that was added."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(case_listings.c.listing_id, scan_results.c.result)
            .join(scan_results, (scan_results.c.listing_id == case_listings.c.listing_id)
                  & (scan_results.c.content_sha256 == case_listings.c.content_sha256))
            .join(listings, (listings.c.listing_id == scan_results.c.listing_id)
                  & (listings.c.content_sha256 == scan_results.c.content_sha256))
            .where(case_listings.c.case_id == cid)
            .order_by(case_listings.c.added_at, case_listings.c.listing_id, scan_results.c.scanned_at.desc())).all()
    out: dict[str, dict[str, Any]] = {}
    for listing_id, result in rows:  # the newest result of the added version comes first
        out.setdefault(listing_id, orjson.loads(result))
    return list(out.values())


#: What ``case_rows`` reads of each result (JSON paths): the case page's columns.
_SHOWN = (("risk_score",), ("verdict",), ("listing", "title"), ("listing", "url"))


def case_rows(engine: sa.Engine, cid: int) -> list[dict[str, Any]]:
    """What the case page lists of each listing in the case, from the same result as
    ``case_results``: ``id``, ``risk_score``, ``verdict`` and ``listing`` (its ``title`` and
    ``url``). SQLite picks them out of the stored JSON itself (one ``json_extract`` a row):
    parsing 500 whole results in Python took ~10 ms and made the collector sweep every few
    views. PostgreSQL parses JSON slower than Python does (4 paths a row: 45 ms, against 18 ms for
    the whole results), so there the results are read whole and cut down here."""
    if engine.dialect.name == "postgresql":
        return [_shown(r.get("id"), [r.get(p[0]) if len(p) == 1 else (r.get("listing") or {}).get(p[1])
                                     for p in _SHOWN]) for r in case_results(engine, cid)]
    s = scan_results.c
    shown = sa.func.json_extract(s.result, *("$." + ".".join(p) for p in _SHOWN))
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(case_listings.c.listing_id, shown)
            .join(scan_results, (s.listing_id == case_listings.c.listing_id)
                  & (s.content_sha256 == case_listings.c.content_sha256))
            .join(listings, (listings.c.listing_id == s.listing_id) & (listings.c.content_sha256 == s.content_sha256))
            .where(case_listings.c.case_id == cid)
            .order_by(case_listings.c.added_at, case_listings.c.listing_id, s.scanned_at.desc())).all()
    out: dict[str, dict[str, Any]] = {}
    for listing_id, values in rows:  # the newest result of the added version comes first
        if listing_id not in out:
            out[listing_id] = _shown(listing_id, orjson.loads(values))
    return list(out.values())


def _shown(listing_id: Any, values: list[Any]) -> dict[str, Any]:
    risk, verdict, title, url = values
    return {"id": listing_id, "risk_score": risk, "verdict": verdict, "listing": {"title": title, "url": url}}


def list_cases(engine: sa.Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.select(cases).where(LIVE).order_by(cases.c.id.desc()))]


def members(engine: sa.Engine, cid: int) -> list[dict[str, Any]]:
    """The case's members (user, added_by, added_at); none: the case is open to every role."""
    m = case_members.c
    with engine.connect() as conn:
        rows = conn.execute(sa.select(m.user_name, m.added_by, m.added_at).where(m.case_id == cid)
                            .order_by(m.user_name)).all()
    return [{"user": r.user_name, "added_by": r.added_by, "added_at": r.added_at} for r in rows]


def add_member(engine: sa.Engine, cid: int, user: str, author: str) -> list[dict[str, Any]]:
    """Restrict the case to its members, adding ``user`` (an existing user); returns the members."""
    def work(conn: sa.Connection) -> None:
        _require(conn, cid)
        if conn.execute(sa.select(users.c.name).where(users.c.name == user)).first() is None:
            raise NotFound(f"no user {user!r}")
        m = case_members.c
        if conn.execute(sa.select(m.case_id).where(m.case_id == cid, m.user_name == user)).first() is None:
            conn.execute(case_members.insert().values(case_id=cid, user_name=user, added_by=author, added_at=now()))
            audit(conn, author, "case.add_member", f"case:{cid}", None, {"user": user})

    db.write(engine, work)
    return members(engine, cid)


def remove_member(engine: sa.Engine, cid: int, user: str, author: str) -> list[dict[str, Any]]:
    """Remove a member (the last one removed opens the case to every role again)."""
    def work(conn: sa.Connection) -> None:
        _require(conn, cid)
        m = case_members.c
        if conn.execute(case_members.delete().where(m.case_id == cid, m.user_name == user)).rowcount:
            audit(conn, author, "case.remove_member", f"case:{cid}", {"user": user}, None)

    db.write(engine, work)
    return members(engine, cid)


def can_read(engine: sa.Engine, cid: int, user: str, role: str) -> bool:
    """Admins read every case; others a case without members, or one they are a member of."""
    if role == "admin":
        return True
    m = case_members.c
    with engine.connect() as conn:
        names = {r.user_name for r in conn.execute(sa.select(m.user_name).where(m.case_id == cid))}
    return not names or user in names


def can_write(engine: sa.Engine, cid: int, user: str, role: str) -> bool:
    """Admins change every case; analysts a case they may read (viewers none)."""
    return role == "admin" or (role == "analyst" and can_read(engine, cid, user, role))


def readable_cases(engine: sa.Engine, user: str, role: str) -> list[dict[str, Any]]:
    """``list_cases`` without the member-only cases ``user`` is not a member of (admins: all)."""
    if role == "admin":
        return list_cases(engine)
    m = case_members.c
    hidden = sa.select(m.case_id).where(m.case_id == cases.c.id)
    mine = sa.select(m.case_id).where(m.case_id == cases.c.id, m.user_name == user)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.select(cases).where(LIVE, ~hidden.exists() | mine.exists()).order_by(cases.c.id.desc()))]


def _change(engine: sa.Engine, cid: int, author: str, action: str, field: str, value: str) -> dict[str, Any]:
    """Set one column of a live case, audited with its value before and after; no change, no entry."""
    def work(conn: sa.Connection) -> None:
        _require(conn, cid)
        before = conn.execute(sa.select(cases.c[field]).where(cases.c.id == cid)).scalar()
        if before != value:
            conn.execute(cases.update().where(cases.c.id == cid).values({field: value}))
            audit(conn, author, action, f"case:{cid}", {field: before}, {field: value})

    db.write(engine, work)
    return get_case(engine, cid)


def rename(engine: sa.Engine, cid: int, title: str, author: str) -> dict[str, Any]:
    """A new title for the case (its ``name`` stays: scripts and the CLI use it)."""
    return _change(engine, cid, author, "case.rename", "title", _title(title))


def set_status(engine: sa.Engine, cid: int, status: str, author: str) -> dict[str, Any]:
    """Close (``closed``) or reopen (``open``) the case."""
    if status not in STATUSES:
        raise Invalid(f"a case is {' or '.join(STATUSES)}, not {status!r}")
    return _change(engine, cid, author, "case.close" if status == "closed" else "case.reopen", "status", status)


def delete(engine: sa.Engine, cid: int, author: str) -> None:
    """Delete the case: it leaves every list and lookup; its rows and audit trail are kept."""
    def work(conn: sa.Connection) -> None:
        _require(conn, cid)
        when = now()
        conn.execute(cases.update().where(cases.c.id == cid).values(deleted_at=when))
        audit(conn, author, "case.delete", f"case:{cid}", None, {"deleted_at": when})

    db.write(engine, work)


def add_note(engine: sa.Engine, cid: int, body: str, author: str) -> dict[str, Any]:
    """Append a note (1 to 10,000 characters) to the case, audited."""
    text = body.strip()
    if not text or len(text) > 10_000:
        raise Invalid("a note needs 1 to 10,000 characters")

    def work(conn: sa.Connection) -> dict[str, Any]:
        _require(conn, cid)
        record = {"case_id": cid, "body": text, "author": author, "created_at": now()}
        note_id = conn.execute(case_notes.insert().values(**record).returning(case_notes.c.id)).scalar_one()
        audit(conn, author, "case.note", f"case:{cid}", None, {"note_id": note_id})
        return {"id": note_id, **record}

    return db.write(engine, work)


def notes(engine: sa.Engine, cid: int) -> list[dict[str, Any]]:
    """The case's notes, oldest first."""
    n = case_notes.c
    with engine.connect() as conn:
        rows = conn.execute(sa.select(n.id, n.body, n.author, n.created_at).where(n.case_id == cid)
                            .order_by(n.id)).all()
    return [dict(r._mapping) for r in rows]


def timeline(engine: sa.Engine, cid: int, *, limit: int = 500) -> list[dict[str, Any]]:
    """The case's events from the audit log (``case.*`` on ``case:ID``), oldest first."""
    return list(reversed(audit_entries(engine, limit=limit, target=f"case:{cid}")))


def counts(engine: sa.Engine) -> dict[int, dict[str, int]]:
    """For every case id: how many listings, sellers, captures and notes it holds."""
    out: dict[int, dict[str, int]] = {}
    with engine.connect() as conn:
        for key, table in (("listings", case_listings), ("sellers", case_sellers),
                           ("captures", case_captures), ("notes", case_notes)):
            stmt = sa.select(table.c.case_id, sa.func.count()).group_by(table.c.case_id)
            for case_id, n in conn.execute(stmt):
                out.setdefault(int(case_id), {})[key] = int(n)
    return out


def record_verification(engine: sa.Engine, cid: int, author: str, result: dict[str, Any]) -> None:
    """Record the outcome of verifying the case's evidence (``case.verify`` in its audit trail)."""
    def work(conn: sa.Connection) -> None:
        _require(conn, cid)
        audit(conn, author, "case.verify", f"case:{cid}", None, result)

    db.write(engine, work)


def last_verification(engine: sa.Engine, cid: int) -> dict[str, Any] | None:
    """The last ``record_verification`` of the case, or None."""
    a = audit_log.c
    with engine.connect() as conn:
        found = conn.execute(sa.select(a.after).where(a.target == f"case:{cid}", a.action == "case.verify")
                             .order_by(a.id.desc()).limit(1)).scalar()
    return orjson.loads(found) if found else None
