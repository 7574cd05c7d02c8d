"""Short CJK and Thai queries from the gram index (revision 0014, store/grams.py) give exactly
what a LIKE scan of every row gave, on SQLite and PostgreSQL: every one- and two-character gram
of the demo listings and of real-shaped Chinese and Thai listings, Latin short and long queries,
and after the queue rows change (the triggers keep the index) and after an upgrade from 0013."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from wildtrace import Scanner
from wildtrace.demosite import catalogue
from wildtrace.scan.result import ScanResult
from wildtrace.store import db, grams
from wildtrace.store import queue as q
from wildtrace.store.schema import queue
from wildtrace.store.sql import SQLStore
from wildtrace.web.demo import load_demo

from .conftest import stored_at_0001

EXTRA = [  # real-shaped listings in the scripts the index serves, and a few that look like them
    {"id": "x1", "title": "出售象牙手镯 老货 保真", "text": "微信 wx_ivory88 象牙", "seller": "老张"},
    {"id": "x2", "title": "ขายงาช้างแท้ 100%", "text": "ติดต่อ LINE: ngachang", "seller": "ร้านงา"},
    {"id": "x3", "title": "象", "seller": "牙"},  # one character per field: pairs never span fields
    {"id": "x4", "title": "象牙色 dress, ivory colour", "text": "カワイイ 상아 ลูกไม้"},
    {"id": "x5", "title": "plain english listing", "text": "no scripts to index here"},
]
LATIN = ("a", "ab", "iv", "Iv", "ivory", "%", "_", "\\", "x", "象a", "a象", "象 ", "1")


@pytest.fixture
def store(db_url: str, scanner: Scanner) -> Iterator[SQLStore]:
    s = SQLStore(db_url)
    load_demo(s, scanner)
    s.save(list(scanner.scan(EXTRA)))
    yield s
    s.close()


def like_scan(engine: sa.Engine, text: str, limit: int = 500) -> list[str]:
    """What ``q.search`` gave before revision 0014 for a short query: LIKE (ILIKE on
    PostgreSQL) over every row, highest risk first."""
    c = queue.c
    text = text.strip()  # as q.search reads a query
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    like = c.search_text.ilike if engine.dialect.name == "postgresql" else c.search_text.like
    with engine.connect() as conn:
        return list(conn.execute(sa.select(c.listing_id).where(like(pattern, escape="\\"))
                                 .order_by(c.risk_score.desc(), c.listing_id.desc()).limit(limit)).scalars())


def found(engine: sa.Engine, text: str) -> list[str]:
    return [r["listing_id"] for r in q.search(engine, text, limit=500)]


def every_gram(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        texts = conn.execute(sa.select(queue.c.search_text)).scalars().all()
    out: set[str] = set()
    for text in texts:
        out |= grams.grams(text)
    return sorted(out)


def test_grams() -> None:
    assert grams.grams("卖象牙 ok งา") == {"卖", "象", "牙", "卖象", "象牙", "ง", "า", "งา"}
    assert grams.servable("象牙") and grams.servable("งา") and grams.servable("象")
    assert not any(grams.servable(t) for t in ("", "ab", "象a", "象牙手", "象 "))


def test_every_short_query_equals_the_like_scan(store: SQLStore) -> None:
    engine = store.engine
    queries = every_gram(engine)
    assert {"象牙", "งา", "象", "상아", "カワ"} <= set(queries)
    assert len(queries) > 150, len(queries)
    for text in [*queries, *LATIN, "鳥", "ช้า"]:
        assert found(engine, text) == like_scan(engine, text), text
    assert set(found(engine, "象牙")) >= {"x1", "x4", "d04"}
    assert "x3" not in found(engine, "象牙"), "a pair across two fields is not in the text"


def test_the_index_follows_queue_writes(store: SQLStore, scanner: Scanner) -> None:
    engine = store.engine
    before = found(engine, "象牙")
    store.save(list(scanner.scan([{"id": "x1", "title": "plain again", "text": "nothing"}])))  # a new version
    assert found(engine, "象牙") == like_scan(engine, "象牙") == [i for i in before if i != "x1"]
    with engine.begin() as conn:  # any write to the queue row keeps the index
        conn.execute(sa.update(queue).where(queue.c.listing_id == "x5").values(search_text="穿山甲 鳞片"))
        conn.execute(sa.delete(queue).where(queue.c.listing_id == "x4"))
    assert found(engine, "鳞片") == like_scan(engine, "鳞片") == ["x5"]
    assert "x4" not in found(engine, "象牙")
    for text in every_gram(engine):
        assert found(engine, text) == like_scan(engine, text), text


def test_upgrade_from_0013_fills_the_index(db_url: str, scanner: Scanner) -> None:
    engine = db.make_engine(db_url)
    demo = [r for r in scanner.scan([*catalogue.records(), *EXTRA]) if isinstance(r, ScanResult)]
    stored_at_0001(engine, demo)  # (today's save writes tables 0013 lacked)
    db.migrate(engine, "0013")
    db.migrate(engine)
    assert db.current_revision(engine) == db.head_revision()
    for text in every_gram(engine):
        assert found(engine, text) == like_scan(engine, text), text
    engine.dispose()


@pytest.mark.parametrize("limit", [1, 3, 500])
def test_the_walk_and_the_sorted_hits_find_the_same_rows(store: SQLStore, monkeypatch: pytest.MonkeyPatch,
                                                         limit: int) -> None:
    """An indexed search reads its hits either by walking the queue in risk order or by sorting
    every hit (``q._common`` picks by how many there are): both give the same rows, in order."""
    engine = store.engine
    texts = ["象牙", "象", "งา", "ivory", "rhino", "horn", "象牙手", "ขายงา", "WhatsApp", "pangolin scales"]
    filters = [q.Filters(), q.Filters(platform="wechat"), q.Filters(verdict="wildlife_offer")]

    def run(walk: bool) -> dict[tuple[str, q.Filters], list[str]]:
        monkeypatch.setattr(q, "_common", lambda engine, hits, limit: walk)
        return {(t, f): [r["listing_id"] for r in q.search(engine, t, f, limit=limit)] for t in texts for f in filters}

    sorted_hits, walked = run(False), run(True)
    for key, ids in sorted_hits.items():
        assert walked[key] == ids, key
    assert limit > 3 or any(len(v) == limit for v in sorted_hits.values())  # some were cut at the limit
    for t in ("象牙", "象", "งา"):
        assert sorted_hits[(t, q.Filters())] == like_scan(engine, t, limit)


def test_many_hits_for_a_short_page_walk(store: SQLStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """``_common``: walking when the hits exceed sqrt(limit * rows) (and ``FEW_HITS``)."""
    engine = store.engine
    monkeypatch.setattr(q, "FEW_HITS", 0)
    hits = q._gram_hits(engine, "象")
    with engine.connect() as conn:
        n = conn.execute(sa.select(sa.func.count()).select_from(hits.subquery())).scalar_one()
        rows = conn.execute(sa.select(sa.func.count()).select_from(queue)).scalar_one()
    assert n > 1
    for limit in (1, 2, 10, 100, 10_000):
        assert q._common(engine, hits, limit) == (n > math.isqrt(limit * rows)), limit
