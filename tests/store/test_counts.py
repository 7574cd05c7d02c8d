"""The dashboard counts (queue_counts, and queue_day_counts per posted day) always equal a full
recount of the queue, on each backend; a date range summed from the days counts what counting the
queue rows posted in it counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import orjson
import pytest
import sqlalchemy as sa

from wildtrace import Scanner
from wildtrace.store import counts, db
from wildtrace.store import queue as q
from wildtrace.store.labels import add_labels
from wildtrace.store.schema import queue, queue_day_counts
from wildtrace.store.sql import SQLStore, model_key

#: (posted_from, posted_to) of the dashboard ranges checked: edges on the listings' own days
RANGES = [("2026-11-02", "2026-11-03"), ("2026-11-03", "2026-11-03"), ("", "2026-11-02"), ("2026-10-20", ""),
          ("2026-11-04", "2026-12-31"), ("20261102", "2026-11-03"), ("2026-01-01", "2026-12-31")]


@pytest.fixture
def store(db_url: str) -> Iterator[SQLStore]:
    s = SQLStore(db_url)
    yield s
    s.close()


def naive(engine: sa.Engine) -> dict[counts.Key, int]:
    """Counted row by row in Python, independently of counts.recount's GROUP BY."""
    out: Counter[counts.Key] = Counter()
    with engine.connect() as conn:
        for r in conn.execute(sa.text("SELECT verdict, label, week, platform, species, products, "
                                      "appendices FROM queue")):
            out[(r.verdict, "all", "")] += 1
            out[(r.verdict, "label", r.label)] += 1
            out[(r.verdict, "week", r.week)] += 1
            out[(r.verdict, "platform", r.platform)] += 1
            for dim, joined in (("species", r.species), ("product", r.products), ("appendix", r.appendices)):
                for part in [p for p in joined.split("|") if p] or [""]:
                    out[(r.verdict, dim, part)] += 1
    return dict(out)


def assert_exact(engine: sa.Engine) -> dict[counts.Key, int]:
    with engine.connect() as conn:
        kept, full = counts.stored(conn), counts.recount(conn)
    assert kept == full == naive(engine)
    for verdict in {k[0] for k in full} | {"wildlife_offer"}:
        assert q.stats(engine, verdict) == counts.summary(full, verdict)
    assert_days_exact(engine)
    return kept


def assert_days_exact(engine: sa.Engine) -> None:
    """The kept per-day counts equal a rebuild from the queue, and every range of ``RANGES``
    summed from them equals a recount of the queue rows posted in it (each verdict too)."""
    d = queue_day_counts.c
    with engine.connect() as conn:
        kept = {tuple(r[:4]): r[4] for r in conn.execute(sa.select(d.day, d.verdict, d.dim, d.value, d.n)) if r[4]}
        counts.rebuild_days(conn)
        rebuilt = {tuple(r[:4]): r[4] for r in conn.execute(sa.select(d.day, d.verdict, d.dim, d.value, d.n))}
        conn.rollback()  # the rebuild was only for comparing
        assert kept == rebuilt
        assert counts.totals(kept) == counts.recount(conn)
        for start, end in RANGES:
            f = q.Filters(posted_from=start, posted_to=end)
            days = q.where(f, d.day)
            assert counts.in_range(conn, days) == counts.recount(conn, q.where(f)), f
            for verdict in ("wildlife_offer", "not_wildlife"):
                assert counts.in_range(conn, days, only=verdict) == counts.recount(conn, q.where(f), only=verdict)


def test_counts_follow_inserts_rescans_new_versions_and_labels(store: SQLStore, scanner: Scanner) -> None:
    eng = store.engine
    assert assert_exact(eng) == {}
    assert q.stats(eng)["listings"] == 0
    first = [
        {"id": "A", "title": "Rhino horn cup for sale, WhatsApp me", "platform": "wechat", "posted_at": "2026-11-02"},
        {"id": "B", "title": "出售 犀角 杯 老货 保真", "seller": "老张", "platform": "taobao"},
        {"id": "C", "title": "Plush toy tiger", "platform": "ebay", "posted_at": "2026-10-20"},
        {"id": "D", "title": "Pangolin scales and ivory bangle, DM", "platform": "wechat",
         "posted_at": "2026-11-03"},
        {"id": "E", "title": "Live African grey parrot chicks, CITES papers", "posted_at": "bad date"},
    ]
    store.save(list(scanner.scan(first)))
    kept = assert_exact(eng)
    assert sum(n for (_, dim, _), n in kept.items() if dim == "all") == 5
    assert any(dim == "species" and value for (_, dim, value) in kept), "the scans found species"
    s = q.stats(eng)
    assert s["listings"] == 5 and s["flagged"] >= 2 and s["labelled"] == 0

    store.save(list(scanner.scan(first)))  # the same content again: nothing moves
    assert counts.stored(eng.connect()) == kept
    assert_exact(eng)

    # new versions: A stops being an offer, C becomes one, D changes platform
    v2 = [{"id": "A", "title": "Plush toy rhino, cotton", "platform": "wechat"},
          {"id": "C", "title": "Tiger bone wine and tiger skin for sale", "platform": "ebay"},
          {"id": "D", "title": "Pangolin scales and ivory bangle, DM", "platform": "line"}]
    store.save(list(scanner.scan(v2)))
    assert_exact(eng)

    add_labels(eng, ["A", "B"], "wildlife_offer", "ana")
    assert_exact(eng)
    add_labels(eng, ["A"], "not_wildlife", "ana")  # a newer label replaces the count of the old
    add_labels(eng, ["C", "D", "E"], "unsure", "bo")
    assert q.stats(eng)["labelled"] == 5
    assert_exact(eng)

    # a labelled listing gets a new version (the label stays) and an older content comes back
    store.save(list(scanner.scan([{"id": "B", "title": "Plush panda, new", "seller": "老张"},
                                  {"id": "A", "title": "Rhino horn cup for sale, WhatsApp me",
                                   "platform": "wechat", "posted_at": "2026-11-02"}])))
    assert_exact(eng)
    # a re-scan of the newest content by another model updates the row in place
    rescan = list(scanner.scan([{"id": "C", "title": "Tiger bone wine and tiger skin for sale",
                                 "platform": "ebay"}]))
    rescan[0].model = {**rescan[0].model, "version": "test-2"}
    rescan[0].verdict = "not_wildlife"
    store.save(rescan)
    with eng.connect() as conn:
        assert conn.execute(sa.text("SELECT verdict FROM queue WHERE listing_id='C'")).scalar() == "not_wildlife"
    assert_exact(eng)

    # a failed label batch (unknown listing) changes nothing, counts included
    with pytest.raises(Exception, match="no listing"):
        add_labels(eng, ["A", "missing"], "depiction_or_faux", "ana")
    assert_exact(eng)


def test_migration_0003_backfills_the_counts(db_url: str, scanner: Scanner) -> None:
    engine = db.make_engine(db_url)
    db.migrate(engine, "0002")
    results = list(scanner.scan([
        {"id": "A", "title": "Rhino horn for sale, WhatsApp me", "posted_at": "2026-11-02"},
        {"id": "B", "title": "出售 犀角 杯 老货 保真", "platform": "taobao"},
        {"id": "C", "title": "Plush toy tiger"},
    ]))
    from wildtrace.store.derive import queue_row

    with engine.begin() as conn:
        for r in results:
            conn.execute(sa.text("INSERT INTO listings VALUES (:i, :h, 1, :t, :t, :rec)"),
                         {"i": r.id, "h": r.input_sha256, "t": r.scanned_at, "rec": orjson.dumps(r.listing).decode()})
            conn.execute(sa.text("INSERT INTO scan_results VALUES (:i, :h, :m, :t, :v, :w, :s, :res)"),
                         {"i": r.id, "h": r.input_sha256, "m": model_key(r.model), "t": r.scanned_at,
                          "v": r.verdict, "w": r.wildlife_score, "s": r.risk_score,
                          "res": orjson.dumps(r.to_dict()).decode()})
            row = {k: v for k, v in queue_row(1, r.to_dict()).items() if k != "first_seen"}  # revision 0018
            conn.execute(sa.text(f"INSERT INTO queue ({', '.join(row)}, label) "
                                 f"VALUES ({', '.join(':' + k for k in row)}, :label)"),
                         {**row, "label": "unsure" if r.id == "B" else ""})
    engine.dispose()
    store = SQLStore(db_url)
    assert db.current_revision(store.engine) == db.head_revision()
    kept = assert_exact(store.engine)
    assert sum(n for (_, dim, _), n in kept.items() if dim == "all") == 3
    assert q.stats(store.engine, "wildlife_offer")["labelled"] == 1
    store.save(list(scanner.scan([{"id": "D", "title": "Ivory bangle"}])))
    assert_exact(store.engine)
    store.close()


def test_day_counts_of_hostile_posted_dates_select_what_the_queue_range_selects(store: SQLStore,
                                                                                 scanner: Scanner) -> None:
    """A posted date is any text: a date with a time, a character past U+FFFF or U+FFFF itself right
    after it (it sorts after the range's end on ``posted_at``), a short or empty one."""
    posted = ["2026-11-03", "2026-11-03T23:59:59Z", "2026-11-03\U0001F600 night", "2026-11-03\uffff",
              "2026-11-03\ufffe", "2026-11-0", "2026-11-02 09:00", "bad date", "", "2026-11-04", "2026-11-03 "]
    records = [{"id": f"P{k}", "title": "Rhino horn cup for sale" if k % 2 else "Plush toy tiger",
                "platform": "wechat", "posted_at": p} for k, p in enumerate(posted)]
    store.save(list(scanner.scan(records)))
    assert_exact(store.engine)
    f = q.Filters(posted_from="2026-11-03", posted_to="2026-11-03")
    with store.engine.connect() as conn:
        got = conn.execute(sa.select(queue.c.listing_id).where(*q.where(f))).scalars()
        assert sorted(got) == ["P0", "P1", "P10", "P4"]  # the U+FFFF and emoji ones sort after the end
    assert q.dashboard(store.engine, "wildlife_offer", posted_from=f.posted_from, posted_to=f.posted_to)["listings"] == 4
    add_labels(store.engine, ["P2", "P3"], "unsure", "ana")
    assert_exact(store.engine)
