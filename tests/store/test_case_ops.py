"""Case operations in the store, on every backend: rename, close and reopen, notes, the timeline
from the audit log, counts, and a delete that keeps the rows but hides the case everywhere."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from wildtrace import Scanner, Settings, cases
from wildtrace.errors import Invalid, NotFound
from wildtrace.store import cases as case_rows
from wildtrace.store.schema import case_listings, case_notes
from wildtrace.store.schema import cases as case_table
from wildtrace.store.sql import SQLStore


@pytest.fixture
def store(db_url: str) -> SQLStore:
    st = SQLStore(db_url)
    scanner = Scanner(Settings())
    st.save(list(scanner.scan([{"id": "a1", "title": "Rhino horn bangle", "seller": "s1"}])))  # type: ignore[arg-type]
    return st


def test_rename_close_reopen_notes_and_timeline(store: SQLStore) -> None:
    eng = store.engine
    cid = int(cases.create(store, "Pangolin scales", "ana")["id"])
    assert cases.add_listings(store, cid, ["a1"], "ana") == 1
    cases.add_sellers(store, cid, ["web:s1"], "ana")
    renamed = case_rows.rename(eng, cid, "  Pangolin scales, Q3 ", "ana")
    assert renamed["title"] == "Pangolin scales, Q3" and renamed["name"] == f"case-{cid}", renamed
    with pytest.raises(Invalid):
        case_rows.rename(eng, cid, "   ", "ana")
    assert case_rows.set_status(eng, cid, "closed", "ana")["status"] == "closed"
    with pytest.raises(Invalid, match="closed"):
        cases.add_sellers(store, cid, ["web:s2"], "ana")
    note = case_rows.add_note(eng, cid, "handed to the police", "ana")  # notes still welcome
    assert note["author"] == "ana" and note["created_at"], note
    with pytest.raises(Invalid):
        case_rows.add_note(eng, cid, " ", "ana")
    assert case_rows.set_status(eng, cid, "open", "ana")["status"] == "open"
    case_rows.set_status(eng, cid, "open", "ana")  # no change: no event
    with pytest.raises(Invalid):
        case_rows.set_status(eng, cid, "archived", "ana")
    assert [n["body"] for n in case_rows.notes(eng, cid)] == ["handed to the police"]
    actions = [e["action"] for e in case_rows.timeline(eng, cid)]
    assert actions == ["case.create", "case.add_listing", "case.add_seller", "case.rename", "case.close",
                       "case.note", "case.reopen"], actions
    rename_event = case_rows.timeline(eng, cid)[3]
    assert rename_event["before"] == {"title": "Pangolin scales"}, rename_event
    assert case_rows.counts(eng)[cid] == {"listings": 1, "sellers": 1, "notes": 1}


def test_a_deleted_case_is_gone_but_its_rows_stay(store: SQLStore) -> None:
    eng = store.engine
    cid = int(cases.create(store, "To delete", "ana", name="op-gone")["id"])
    cases.add_listings(store, cid, ["a1"], "ana")
    case_rows.add_note(eng, cid, "a note", "ana")
    case_rows.delete(eng, cid, "root")
    for lookup in (lambda: case_rows.get_case(eng, cid), lambda: case_rows.case_id(eng, "op-gone"),
                   lambda: case_rows.case_id(eng, cid), lambda: cases.add_listings(store, cid, ["a1"], "ana"),
                   lambda: case_rows.add_note(eng, cid, "late", "ana"), lambda: case_rows.delete(eng, cid, "root")):
        with pytest.raises(NotFound):
            lookup()
    assert cid not in {c["id"] for c in case_rows.list_cases(eng)}
    assert cid not in {c["id"] for c in case_rows.readable_cases(eng, "ana", "analyst")}
    assert cid not in {c["id"] for c in case_rows.readable_cases(eng, "root", "admin")}
    with eng.connect() as conn:  # nothing was erased
        assert conn.execute(sa.select(case_table.c.deleted_at).where(case_table.c.id == cid)).scalar()
        assert conn.execute(sa.select(sa.func.count()).select_from(case_listings)
                            .where(case_listings.c.case_id == cid)).scalar() == 1
        assert conn.execute(sa.select(sa.func.count()).select_from(case_notes)
                            .where(case_notes.c.case_id == cid)).scalar() == 1
    last = case_rows.timeline(eng, cid)[-1]
    assert last["action"] == "case.delete" and last["actor"] == "root", last


def test_case_rows_are_the_shown_fields_of_case_results(store: SQLStore) -> None:
    """``case_rows`` (the case page) picks the same risk, verdict, title and url out of each
    listing's result as ``case_results`` parses whole: hostile and odd text too, new versions
    after the case took one, and a rescan by another model."""
    scanner = Scanner(Settings())
    odd = [{"id": "t1", "title": "<script>alert(1)</script> 犀角 \"quoted\" \\ back", "url": "javascript:alert(1)"},
           {"id": "t2", "title": 12345, "url": 5},
           {"id": "t3", "text": "no title, no url: ivory bangle"},
           {"id": "t4", "title": "", "url": "https://shop.example/p?id=1&x=\u2028"},
           {"id": "t5", "title": "tab\tand \ud7ff \U0001F600", "url": None}]
    scanned = list(scanner.scan(odd))
    assert all(hasattr(r, "listing") for r in scanned), scanned  # none rejected
    store.save(scanned)  # type: ignore[arg-type]
    cid = int(cases.create(store, "Odd listings", "ana")["id"])
    cases.add_listings(store, cid, ["a1", "t5", "t1", "t2", "t3", "t4"], "ana")
    store.save(list(scanner.scan([{"id": "t1", "title": "a newer version, not in the case"}])))  # type: ignore[arg-type]
    rescan = list(scanner.scan([{"id": "t3", "text": "no title, no url: ivory bangle"}]))
    rescan[0].model = {**rescan[0].model, "version": "test-2"}
    rescan[0].risk_score = 0.123
    rescan[0].scanned_at = "2099-01-01T00:00:00Z"  # the newest result of the version
    store.save(rescan)  # type: ignore[arg-type]

    def shown(r: dict) -> dict:  # type: ignore[type-arg]
        listing = r.get("listing") or {}
        return {"id": r["id"], "risk_score": r["risk_score"], "verdict": r["verdict"],
                "listing": {"title": listing.get("title"), "url": listing.get("url")}}

    want = [shown(r) for r in case_rows.case_results(store.engine, cid)]
    got = case_rows.case_rows(store.engine, cid)
    assert got == want
    assert sorted(r["id"] for r in got) == ["a1", "t1", "t2", "t3", "t4", "t5"]
    by_id = {r["id"]: r for r in got}
    assert by_id["t3"]["risk_score"] == 0.123 and by_id["t1"]["listing"]["title"].startswith("<script>")
    assert by_id["t2"]["listing"] == {"title": "12345", "url": "5"} and by_id["t3"]["listing"]["url"] is None
