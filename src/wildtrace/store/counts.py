"""Dashboard counts kept beside the queue, so the dashboard never scans a million rows.

``queue_counts`` holds, per verdict, how many queue rows have each value of each dimension:

- ``all`` (value ``""``): every row;
- ``label``: the newest label (``""`` = unlabelled);
- ``week``, ``platform``: the row's value (``""`` = none);
- ``species``, ``product``, ``appendix``: each member of the ``|a|b|`` list, or ``""`` when
  the list is empty (so a listing with two species counts once under each).

Every write to ``queue`` (``SQLStore.save``, ``decisions.add_labels``) works out the change of
its rows (minus the old row's keys, plus the new row's keys) and applies it in the same
transaction, in sorted key order (no deadlocks between concurrent PostgreSQL writers).
``recount`` is the full GROUP BY over ``queue``: the migration back-fills from it and the tests
check that the kept counts always equal it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from wildtrace.store.schema import queue, queue_counts

Key = tuple[str, str, str]  # (verdict, dim, value)

#: queue column -> dimension; list columns hold ``|a|b|`` members.
SCALAR_DIMS = {"label": "label", "week": "week", "platform": "platform"}
LIST_DIMS = {"species": "species", "products": "product", "appendices": "appendix"}
#: The queue columns a row's keys depend on.
COLUMNS = ("verdict", *SCALAR_DIMS, *LIST_DIMS)


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


def change(delta: Counter[Key], old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> None:
    """Add to ``delta`` the effect of a queue row going from ``old`` to ``new`` (None = absent)."""
    if old is not None:
        for key in keys(old):
            delta[key] -= 1
    if new is not None:
        for key in keys(new):
            delta[key] += 1


def apply(conn: sa.Connection, delta: Counter[Key]) -> None:
    """Apply a change to ``queue_counts`` inside the caller's transaction."""
    items = sorted((k, n) for k, n in delta.items() if n)
    if not items:
        return
    stmt = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(queue_counts)
    conn.execute(stmt.on_conflict_do_update(index_elements=["verdict", "dim", "value"],
                                            set_={"n": queue_counts.c.n + stmt.excluded.n}),
                 [{"verdict": v, "dim": d, "value": val, "n": n} for (v, d, val), n in items])


def add_rows(conn: sa.Connection, rows: Iterable[Mapping[str, Any]]) -> None:
    """Count rows just inserted into ``queue`` by a bulk load (benchmarks, back-fills)."""
    delta: Counter[Key] = Counter()
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
        cols = [c[n] for n in COLUMNS]
        for *values, n in conn.execute(sa.select(*cols, sa.func.count()).where(*conds).group_by(*cols)):
            for key in keys(dict(zip(COLUMNS, values, strict=True))):
                out[key] += n
        return {k: n for k, n in out.items() if n}
    # every verdict the kept counts know (they are exact): lets PostgreSQL read queue_dated alone
    verdicts = sorted({v for (v, d, _), n in stored(conn).items() if d == "all" and n})
    for verdict, label, n in conn.execute(sa.select(c.verdict, c.label, sa.func.count())
                                          .where(*conds, c.verdict.in_(verdicts))
                                          .group_by(c.verdict, c.label)):
        out[(verdict, "all", "")] += n
        out[(verdict, "label", label or "")] += n
    rest = [n for n in COLUMNS if n not in ("verdict", "label")]
    cols = [c[n] for n in rest]
    for *values, n in conn.execute(sa.select(*cols, sa.func.count()).where(*conds, c.verdict == only)
                                   .group_by(*cols)):
        for key in keys({"verdict": only, "label": "", **dict(zip(rest, values, strict=True))}):
            if key[1] not in ("all", "label"):
                out[key] += n
    return {k: n for k, n in out.items() if n}


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
