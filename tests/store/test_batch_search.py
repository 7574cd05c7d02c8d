"""A batch search answers what each of its terms answers alone, and the ways ``_tagged`` reads
common tags (SQLite's tag-index test in the walk, PostgreSQL's walk of at most ``WALK_ROWS``
rows and its fallback) find the same rows as the plain query, on SQLite and PostgreSQL.

The demo store is small: every tag is rare there, so the thresholds are lowered to send the
same queries down each path (``q.FEW``: no tag is rare; ``WALK_ROWS``: the walk gives up;
``MANY``: every tag is "many values"; ``BATCH_HITS``: counts truncate)."""

from __future__ import annotations

from typing import Any

import pytest

import wildtrace.search as ws
from wildtrace.search import Searcher, Term
from wildtrace.store import queue as q
from wildtrace.store import search as ss
from wildtrace.store.sql import SQLStore

TERMS = ["ivory", "象牙", "marfil", "ivoire", "งาช้าง", "pangolin", "Manis", "犀角", "rhino horn", "tiger bone",
         "parrot", "hornbill", "lace", "gecko", "ivory", "IVORY",
         # hostile: FTS5 syntax, SQL, LIKE wildcards, quotes, markup, short CJK and Thai, identifiers
         '"ivory"', "ivory OR tiger", "ivory*", "NEAR(ivory tiger)", "'; DROP TABLE queue; --", "%", "_", "\\",
         'a"b', "象", "犀", "งา", "鳞", "-ivory", "species:ivory", "^ivory", "{ivory}", "(", "*", "AND", "NOT",
         "%ivory%", "ivo_ry", "<script>alert(1)</script>", "0812-3456-7890", "+62 812 3456 7890", "hk_horn_88",
         "https://example.com/x", "x" * 500]
#: (q.FEW, WALK_ROWS, MANY): the default paths, common tags walked, the walk giving up, many values
#: (walks of 2, 8 and 20 rows stop inside the demo's ~40 listings, some finding enough)
PATHS = [(q.FEW, ss.WALK_ROWS, ss.MANY), (0, ss.WALK_ROWS, ss.MANY), (0, 2, ss.MANY), (0, 8, ss.MANY),
         (0, 20, ss.MANY), (0, ss.WALK_ROWS, 0)]


def alone(s: Searcher, store: SQLStore, t: Term, first: int) -> dict[str, Any]:
    """One term searched by itself, as a batch row."""
    meaning, found = s.search(store.engine, t.term, limit=first, cap=ws.BATCH_HITS)
    return {"term": t.term, "label": t.label, "total": found.total, "truncated": found.truncated,
            "meaning": s.describe(meaning),
            "items": [{**h.row, "hit": h.kind, "matched": h.matched} for h in found.hits]}


def found(s: Searcher, store: SQLStore, text: str, f: q.Filters, offset: int, cap: int) -> dict[str, Any]:
    _, got = s.search(store.engine, text, f, offset=offset, limit=5, cap=cap)
    return {"total": got.total, "truncated": got.truncated, "facets": got.facets,
            "hits": [(h.row, h.kind, h.matched, h.spans, h.fields) for h in got.hits]}


def paths(monkeypatch: pytest.MonkeyPatch, few: int, walk: int, many: int) -> None:
    monkeypatch.setattr(q, "FEW", few)
    monkeypatch.setattr(ss, "WALK_ROWS", walk)
    monkeypatch.setattr(ss, "MANY", many)


@pytest.mark.parametrize("cap", [200, 2])
def test_batch_answers_each_term_alone(demo: tuple[SQLStore, Searcher], monkeypatch: pytest.MonkeyPatch,
                                       cap: int) -> None:
    store, s = demo
    monkeypatch.setattr(ws, "BATCH_HITS", cap)
    terms = [Term(t, f"label {k}") for k, t in enumerate(TERMS)]
    for k, (few, walk, many) in enumerate(PATHS):
        paths(monkeypatch, few, walk, many)
        for first in (0, 5, 50) if k == 0 else (50,):  # 50: past what the short walks find
            got = s.batch(store.engine, terms, first=first)
            want = [alone(s, store, t, first) for t in terms]
            assert got == want, (few, walk, many, first)
    assert any(row["total"] for row in got), "the demo store has hits"
    if cap == 2:
        assert any(row["truncated"] for row in got), "a kind reached the cap"


def test_every_path_finds_the_same_rows(demo: tuple[SQLStore, Searcher], monkeypatch: pytest.MonkeyPatch) -> None:
    store, s = demo
    filters = [q.Filters(), q.Filters(platform="facebook"), q.Filters(verdict="wildlife_offer", label="unlabelled"),
               q.Filters(posted_from="2020-01-01", posted_to="2030-12-31"), q.Filters(species="Loxodonta africana"),
               q.Filters(seller="nobody")]
    queries = ["ivory", "象牙", "pangolin", "犀角", "tiger bone", "parrot", "hornbill", "bear bile", "black coral"]
    seen: list[dict[str, Any]] = []
    for few, walk, many in PATHS:
        paths(monkeypatch, few, walk, many)
        seen.append({f"{t} {f} {o} {cap}": found(s, store, t, f, o, cap)
                     for t in queries for f in filters for o in (0, 3) for cap in (2, 3, ss.MAX_HITS)})
    assert all(x == seen[0] for x in seen[1:])
    assert sum(v["total"] for v in seen[0].values()) > 0
