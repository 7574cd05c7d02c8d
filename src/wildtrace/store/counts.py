"""Dashboard counts kept beside the queue, so the dashboard never scans a million rows.

``queue_counts`` holds, per verdict, how many queue rows have each value of each dimension:

- ``all`` (value ``""``): every row;
- ``label``: the newest label (``""`` = unlabelled);
- ``week``, ``platform``: the row's value (``""`` = none);
- ``species``, ``product``, ``appendix``: each member of the ``|a|b|`` list, or ``""`` when
  the list is empty (so a listing with two species counts once under each).

``queue_day_counts`` holds the same counts per day the rows were posted on (``day_of``), so the
dashboard over a date range sums a few thousand of them (``in_range``) instead of grouping the
100,000+ queue rows posted in a quarter of a million-listing store.

Every write to ``queue`` (``SQLStore.save``, ``decisions.add_labels``) works out the change of
its rows (minus the old row's keys, plus the new row's keys, each under the row's day) and
applies it to both tables in the same transaction, in sorted key order (no deadlocks between
concurrent PostgreSQL writers). ``recount`` is the full GROUP BY over ``queue``: the migrations
back-fill from it (``rebuild``, ``rebuild_days``) and the tests check that the kept counts
always equal it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from wildtrace.store.schema import queue, queue_counts, queue_day_counts

Key = tuple[str, str, str]  # (verdict, dim, value)
DayKey = tuple[str, str, str, str]  # (day, verdict, dim, value): what a change is made of

#: queue column -> dimension; list columns hold ``|a|b|`` members.
SCALAR_DIMS = {"label": "label", "week": "week", "platform": "platform"}
LIST_DIMS = {"species": "species", "products": "product", "appendices": "appendix"}
#: The queue columns a row's keys depend on (``posted_at``: its day).
COUNTED_COLUMNS = ("verdict", *SCALAR_DIMS, *LIST_DIMS)
COLUMNS = (*COUNTED_COLUMNS, "posted_at")


def _members(joined: str) -> list[str]:
    return [p for p in joined.split("|") if p] or [""]


def keys(row: Mapping[str, Any]) -> list[Key]:
    """The count keys one queue row adds to (``row`` has the ``COLUMNS``)."""
    verdict = str(row["verdict"])
    out: list[Key] = [(verdict, "all", "")]
    for column, dim in SCALAR_DIMS.items():
        out.append((verdict, dim, str(row.get(column) or "")))
    for column, dim in LIST_DIMS.items():
        out.extend((verdict, dim, part) for part in _members(str(row.get(column) or "")))
    return out


def day_of(posted_at: str) -> str:
    """The day a row with this ``posted_at`` is counted under: its first 10 characters, so a date
    range compared on days selects what ``queue.where`` selects comparing ``posted_at`` (``>=
    from``, ``< to + U+FFFF``). A date followed by a character at or above U+FFFF sorts after
    ``to + U+FFFF`` there: it gets that suffix here too (hostile text; real dates never)."""
    text = str(posted_at or "")
    return text[:10] + "\uffff" if len(text) > 10 and text[10] >= "\uffff" else text[:10]


def change(delta: Counter[DayKey], old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> None:
    """Add to ``delta`` the effect of a queue row going from ``old`` to ``new`` (None = absent);
    a row is ``COLUMNS`` of the queue."""
    if old is not None:
        day = day_of(str(old.get("posted_at") or ""))
        for key in keys(old):
            delta[(day, *key)] -= 1
    if new is not None:
        day = day_of(str(new.get("posted_at") or ""))
        for key in keys(new):
            delta[(day, *key)] += 1


def totals(delta: Mapping[DayKey, int]) -> dict[Key, int]:
    """A change (or per-day counts) summed over the days: the ``queue_counts`` keys, zeros left out."""
    out: Counter[Key] = Counter()
    for (_day, *key), n in delta.items():
        out[(key[0], key[1], key[2])] += n
    return {k: n for k, n in out.items() if n}


def _upsert(conn: sa.Connection, table: sa.Table, items: list[tuple[tuple[str, ...], int]]) -> None:
    if not items:
        return
    names = [c.name for c in table.primary_key.columns]
    stmt = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(table)
    conn.execute(stmt.on_conflict_do_update(index_elements=names, set_={"n": table.c.n + stmt.excluded.n}),
                 [{**dict(zip(names, k, strict=True)), "n": n} for k, n in items])


def apply(conn: sa.Connection, delta: Counter[DayKey]) -> None:
    """Apply a change to ``queue_counts`` and ``queue_day_counts`` inside the caller's transaction."""
    _upsert(conn, queue_counts, sorted(totals(delta).items()))
    _upsert(conn, queue_day_counts, sorted((k, n) for k, n in delta.items() if n))


def add_rows(conn: sa.Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Count rows just inserted into ``queue`` by a bulk load (benchmarks, back-fills)."""
    delta: Counter[DayKey] = Counter()
    for row in rows:
        change(delta, None, row)
    apply(conn, delta)


def stored(conn: sa.Connection) -> dict[Key, int]:
    """The kept counts (zero rows left out)."""
    c = queue_counts.c
    return {(v, d, val): int(n) for v, d, val, n in conn.execute(
        sa.select(c.verdict, c.dim, c.value, c.n).where(c.n != 0))}


def recount(conn: sa.Connection, where: Iterable[sa.ColumnElement[bool]] = (), *,
            only: str | None = None) -> dict[Key, int]:
    """The counts from a GROUP BY over the ``queue`` rows matching ``where`` (all of them by
    default: slow on big tables, for tests and back-fills; the dashboard's date range passes a
    range on the indexed ``posted_at``). With ``only`` (a verdict), the per-value dimensions are
    counted for that verdict alone (what ``summary(..., only)`` reads), ``all`` and ``label`` for
    every verdict."""
    c = queue.c
    conds = list(where)
    out: Counter[Key] = Counter()
    if only is None:
        cols = [c[n] for n in COUNTED_COLUMNS]
        for *values, n in conn.execute(sa.select(*cols, sa.func.count()).where(*conds).group_by(*cols)):
            for key in keys(dict(zip(COUNTED_COLUMNS, values, strict=True))):
                out[key] += n
        return {k: n for k, n in out.items() if n}
    # every verdict the kept counts know (they are exact): lets PostgreSQL read queue_dated alone
    verdicts = sorted({v for (v, d, _), n in stored(conn).items() if d == "all" and n})
    for verdict, label, n in conn.execute(sa.select(c.verdict, c.label, sa.func.count())
                                          .where(*conds, c.verdict.in_(verdicts))
                                          .group_by(c.verdict, c.label)):
        out[(verdict, "all", "")] += n
        out[(verdict, "label", label or "")] += n
    rest = [n for n in COUNTED_COLUMNS if n not in ("verdict", "label")]
    cols = [c[n] for n in rest]
    for *values, n in conn.execute(sa.select(*cols, sa.func.count()).where(*conds, c.verdict == only)
                                   .group_by(*cols)):
        for key in keys({"verdict": only, "label": "", **dict(zip(rest, values, strict=True))}):
            if key[1] not in ("all", "label"):
                out[key] += n
    return {k: n for k, n in out.items() if n}


def in_range(conn: sa.Connection, days: Iterable[sa.ColumnElement[bool]], *,
             only: str | None = None) -> dict[Key, int]:
    """The kept counts of the days ``days`` selects (conditions on ``queue_day_counts.c.day``),
    summed: what ``recount`` counts over the rows posted on them. With ``only`` (a verdict), as
    ``recount`` does: the per-value dimensions of that verdict, ``all`` and ``label`` of every one."""
    c = queue_day_counts.c
    conds = [*days, c.n != 0]
    if only is not None:
        conds.append(sa.or_(c.verdict == only, c.dim.in_(("all", "label"))))
    stmt = (sa.select(c.verdict, c.dim, c.value, sa.func.sum(c.n)).where(*conds)
            .group_by(c.verdict, c.dim, c.value))
    return {(v, d, val): int(n) for v, d, val, n in conn.execute(stmt) if n}


def rebuild_days(conn: sa.Connection) -> None:
    """Replace the per-day counts with a full recount (migration back-fill, repair)."""
    c = queue.c
    cols = [c[n] for n in COUNTED_COLUMNS]
    head = sa.func.substr(c.posted_at, 1, 11)  # what ``day_of`` reads of a posted date
    delta: Counter[DayKey] = Counter()
    for *values, posted, n in conn.execute(sa.select(*cols, head, sa.func.count()).group_by(*cols, head)):
        day = day_of(str(posted or ""))
        for key in keys(dict(zip(COUNTED_COLUMNS, values, strict=True))):
            delta[(day, *key)] += n
    conn.execute(queue_day_counts.delete())
    rows = [{"day": d, "verdict": v, "dim": dim, "value": val, "n": n}
            for (d, v, dim, val), n in sorted(delta.items()) if n]
    for start in range(0, len(rows), 5000):
        conn.execute(queue_day_counts.insert(), rows[start:start + 5000])


#: queue filters that ``count`` answers from the kept counts, and their dimension
COUNTED = {"label": "label", "platform": "platform", "species": "species", "product": "product",
           "appendix": "appendix"}


def count(conn: sa.Connection, active: Mapping[str, str]) -> int | None:
    """How many queue rows match the queue filters ``active`` (name -> value, the non-empty
    ones), when they are at most a verdict and one of ``COUNTED``; None otherwise. Matches
    what ``queue.where`` selects: a list member as LIKE compares it (ASCII case folded on
    SQLite), ``label`` as ``unlabelled``, ``labelled`` or a label name."""
    rest = {k: v for k, v in active.items() if k != "verdict"}
    if len(rest) > 1 or any(k not in COUNTED for k in rest):
        return None
    c = queue_counts.c
    conds = [c.n != 0]
    if active.get("verdict"):
        conds.append(c.verdict == active["verdict"])
    if not rest:
        conds += [c.dim == "all"]
    for name, value in rest.items():
        conds.append(c.dim == COUNTED[name])
        if name == "label" and value in ("unlabelled", "labelled"):
            conds.append(c.value == "" if value == "unlabelled" else c.value != "")
        elif name in LIST_DIMS.values():
            member = value.replace("|", "/")
            sqlite = conn.dialect.name == "sqlite"
            conds.append(sa.func.lower(c.value) == sa.func.lower(member) if sqlite else c.value == member)
        else:
            conds.append(c.value == value)
    return int(conn.execute(sa.select(sa.func.coalesce(sa.func.sum(c.n), 0)).where(*conds)).scalar_one())


def members(conn: sa.Connection, dim: str, values: Iterable[str]) -> int:
    """Rows holding each of ``values`` in ``dim`` (species, product, ...), summed: an upper bound
    of the rows holding any of them (a planning figure: few rows start from an index)."""
    c = queue_counts.c
    wanted = sorted({v.replace("|", "/") for v in values})
    if not wanted:
        return 0
    return int(conn.execute(sa.select(sa.func.coalesce(sa.func.sum(c.n), 0))
                            .where(c.dim == dim, c.value.in_(wanted))).scalar_one())


def rebuild(conn: sa.Connection) -> None:
    """Replace the kept counts with a full recount (migration back-fill, repair)."""
    counted = recount(conn)
    conn.execute(queue_counts.delete())
    rows = [{"verdict": v, "dim": d, "value": val, "n": n} for (v, d, val), n in sorted(counted.items())]
    for start in range(0, len(rows), 1000):
        conn.execute(queue_counts.insert(), rows[start:start + 1000])


def summary(counts: Mapping[Key, int], verdict: str, *, top: int = 15) -> dict[str, Any]:
    """The dashboard's figures from counts: totals, and flagged (``verdict``) listings per
    week (all weeks, in order) and by platform, species, product and appendix (the ``top``
    most frequent, ties by name). An empty value shows as ``(none)``."""
    by: dict[str, Counter[str]] = {dim: Counter() for dim in ("week", "platform", "species", "product",
                                                               "appendix")}
    total = flagged = labelled = 0
    for (v, dim, value), n in counts.items():
        if n == 0:
            continue
        if dim == "all":
            total += n
            flagged += n if v == verdict else 0
        elif dim == "label":
            labelled += n if value else 0
        elif v == verdict and dim in by:
            by[dim][value or "(none)"] += n

    def ranked(counter: Counter[str]) -> list[tuple[str, int]]:
        return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:top]

    return {"listings": total, "flagged": flagged, "labelled": labelled, "verdict": verdict,
            "by_week": sorted(by["week"].items()), "by_platform": ranked(by["platform"]),
            "by_species": ranked(by["species"]), "by_product": ranked(by["product"]),
            "by_appendix": ranked(by["appendix"])}
