"""Listing identifiers are stored with each listing version and looked up by key: search finds
every listing that carries a phone, handle or wallet, the seller page reads them, and revision
0011 back-fills the listings stored before it (both backends)."""

from __future__ import annotations

import orjson
import sqlalchemy as sa

from wildtrace import Scanner
from wildtrace.search import Searcher
from wildtrace.store import db, entities
from wildtrace.store.derive import queue_row
from wildtrace.store.sql import SQLStore, model_key

LISTINGS = [
    {"id": "A", "title": "Rhino horn for sale", "text": "WhatsApp +84 912 345 678", "seller": "s1"},
    {"id": "B", "title": "出售 犀角 杯", "text": "加微信 wx: hk_horn_88, 电话 +84 912-345-678", "seller": "s2",
     "platform": "wechat"},
    {"id": "C", "title": "Ivory bangle", "seller_contact": "LINE id: hk_horn_88x", "seller": "s3"},
    {"id": "D", "title": "Plush toy tiger", "seller": "s4"},
]


def _ids(searcher: Searcher, engine: sa.Engine, query: str) -> list[str]:
    _, found = searcher.search(engine, query)
    return sorted(h.row["listing_id"] for h in found.hits if h.kind == "identifier")


def test_identifiers_stored_at_save_and_searched(db_url: str, scanner: Scanner) -> None:
    store = SQLStore(db_url)
    try:
        store.save(list(scanner.scan(LISTINGS)))  # type: ignore[arg-type]
        searcher = Searcher(scanner.detector)
        for query in ("+84 912 345 678", "0912345678", "912 345 678"):
            assert _ids(searcher, store.engine, query) == ["A", "B"], query
        assert _ids(searcher, store.engine, "hk_horn_88") == ["B"], "exact: not the longer hk_horn_88x"
        assert _ids(searcher, store.engine, "HK_HORN_88X") == ["C"]
        rows = entities.seller_listings(store.engine, "s2")
        found = entities.identifiers_of(store.engine, [(r["listing_id"], r["content_sha256"]) for r in rows])
        assert {(e["kind"], e["value"]) for e in found} >= {("wechat", "hk_horn_88"), ("phone", "+84912345678")}
        # a new version of B without the handle: B no longer carries it
        store.save(list(scanner.scan([{**LISTINGS[1], "text": "私聊"}])))  # type: ignore[arg-type]
        assert _ids(searcher, store.engine, "hk_horn_88") == []
    finally:
        store.close()


def test_revision_0011_backfills_listings_stored_before_it(db_url: str, scanner: Scanner) -> None:
    engine = db.make_engine(db_url)
    db.migrate(engine, "0010")
    with engine.begin() as conn:
        for r in scanner.scan(LISTINGS):
            conn.execute(sa.text("INSERT INTO listings VALUES (:i, :h, 1, :t, :t, :rec)"),
                         {"i": r.id, "h": r.input_sha256, "t": r.scanned_at,  # type: ignore[union-attr]
                          "rec": orjson.dumps(r.listing).decode()})  # type: ignore[union-attr]
            conn.execute(sa.text("INSERT INTO scan_results VALUES (:i, :h, :m, :t, :v, :w, :s, :res)"),
                         {"i": r.id, "h": r.input_sha256, "m": model_key(r.model), "t": r.scanned_at,  # type: ignore[union-attr]
                          "v": r.verdict, "w": r.wildlife_score, "s": r.risk_score,  # type: ignore[union-attr]
                          "res": orjson.dumps(r.to_dict()).decode()})
            row = {k: v for k, v in queue_row(1, r.to_dict()).items() if k != "first_seen"}  # revision 0018
            conn.execute(sa.text(f"INSERT INTO queue ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})"),
                         row)
    db.migrate(engine)
    searcher = Searcher(scanner.detector)
    assert _ids(searcher, engine, "+84 912 345 678") == ["A", "B"]
    assert _ids(searcher, engine, "hk_horn_88") == ["B"]
    engine.dispose()
