"""Saved searches: each user's named searches of the workbench's search page (``saved_searches``).

A saved search is the search page's URL query string under a name. It belongs to its owner:
listing, opening and deleting read only the owner's rows, so to anyone else another user's
saved search is not there (``NotFound``). Saving under a name the owner has used replaces that
search's query (one row per owner and name).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from wildtrace import clock
from wildtrace.errors import Invalid, NotFound
from wildtrace.store.schema import saved_searches
from wildtrace.store.sql import upsert

MAX_NAME = 200
MAX_QUERY = 2_000
#: the most saved searches one user keeps (a menu, not a store of queries)
MAX_PER_OWNER = 200


def _row(r: Any) -> dict[str, Any]:
    return {"id": int(r.id), "owner": r.owner, "name": r.name, "query": r.query, "created_at": r.created_at}


def save(engine: sa.Engine, owner: str, name: str, query: str) -> dict[str, Any]:
    """Save ``query`` (a URL query string) as ``owner``'s search ``name``; returns the row."""
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME:
        raise Invalid(f"a saved search needs a name of 1 to {MAX_NAME} characters")
    if len(query) > MAX_QUERY:
        raise Invalid(f"a saved search's query is at most {MAX_QUERY:,} characters")
    c = saved_searches.c
    with engine.begin() as conn:
        exists = conn.execute(sa.select(c.id).where(c.owner == owner, c.name == name)).scalar()
        if exists is None:
            held = conn.execute(sa.select(sa.func.count()).select_from(saved_searches)
                                .where(c.owner == owner)).scalar() or 0
            if held >= MAX_PER_OWNER:
                raise Invalid(f"you have {MAX_PER_OWNER} saved searches: delete one first")
        stmt = upsert(conn, saved_searches).values(owner=owner, name=name, query=query, created_at=clock.stamp())
        conn.execute(stmt.on_conflict_do_update(index_elements=["owner", "name"],
                                                set_={"query": stmt.excluded.query,
                                                      "created_at": stmt.excluded.created_at}))
        row = conn.execute(sa.select(saved_searches).where(c.owner == owner, c.name == name)).one()
    return _row(row)


def list_for(engine: sa.Engine, owner: str) -> list[dict[str, Any]]:
    """``owner``'s saved searches, by name."""
    c = saved_searches.c
    with engine.connect() as conn:
        rows = conn.execute(sa.select(saved_searches).where(c.owner == owner).order_by(c.name, c.id)).all()
    return [_row(r) for r in rows]


def get(engine: sa.Engine, owner: str, search_id: int) -> dict[str, Any]:
    """``owner``'s saved search ``search_id``; ``NotFound`` when it is not theirs or not there."""
    c = saved_searches.c
    with engine.connect() as conn:
        row = conn.execute(sa.select(saved_searches).where(c.id == search_id, c.owner == owner)).first()
    if row is None:
        raise NotFound(f"no saved search {search_id}")
    return _row(row)


def delete(engine: sa.Engine, owner: str, search_id: int) -> None:
    """Delete ``owner``'s saved search ``search_id``; ``NotFound`` when it is not theirs or not there."""
    c = saved_searches.c
    with engine.begin() as conn:
        gone = conn.execute(sa.delete(saved_searches).where(c.id == search_id, c.owner == owner)).rowcount
    if not gone:
        raise NotFound(f"no saved search {search_id}")
