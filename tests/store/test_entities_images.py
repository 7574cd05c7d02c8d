"""store/entities.py (network links by account, judgements on accounts) and store/images.py
(near-duplicate band lookup, first owned image) on both backends."""

from __future__ import annotations

from typing import Any

from wildtrace.store import entities, images, judgements, network
from wildtrace.store.sql import SQLStore


def _net(edges: list[tuple[str, str, float]]) -> dict[str, Any]:
    names = sorted({x for a, b, _ in edges for x in (a, b)})
    return {"nodes": [{"id": n, "platform": n.split(":")[0], "seller": n.split(":")[1]} for n in names],
            "edges": [{"a": a, "b": b, "weight": w, "evidence": [{"type": "identifier", "value": "x"}]}
                      for a, b, w in edges],
            "summary": {"accounts": len(names), "links": len(edges)}}


def test_network_links_follow_the_newest_build(db_url: str) -> None:
    engine = SQLStore(db_url).engine
    assert entities.network_links(engine) is None
    network.save(engine, _net([("fb:a", "zalo:b", 1.0), ("fb:a", "line:c", 3.0), ("fb:a", "fb:a2", 2.0)]), {})
    first = entities.network_links(engine)
    assert first is not None and entities.network_links(engine) is first, "parsed once per build"
    assert [(e["other"], e["account"]) for e in first.links({"fb:a"})] == \
        [("line:c", "fb:a"), ("fb:a2", "fb:a"), ("zalo:b", "fb:a")]
    both = first.links({"fb:a", "fb:a2"})
    assert [e["other"] for e in both].count("fb:a2") + [e["other"] for e in both].count("fb:a") == 1, both
    network.save(engine, _net([("zalo:b", "line:c", 1.0)]), {})
    newer = entities.network_links(engine)
    assert newer is not None and newer.id != first.id and newer.links({"fb:a"}) == []
    assert [e["seller"] for e in newer.links({"zalo:b"})] == ["c"]
    engine.dispose()


def test_judgements_on_accounts_in_force_and_retracted(db_url: str) -> None:
    engine = SQLStore(db_url).engine
    rows = [("j1", "fb:a", "zalo:b", "same", None), ("j2", "fb:x", "fb:y", "same", None),
            ("j3", "zalo:b", "fb:a", "different", None), ("j4", "fb:a", "zalo:b", "retract", "j3"),
            ("j5", "fb:a", "line:c", "unsure", None)]
    for jid, a, b, what, retracts in rows:
        judgements.append(engine, {"id": jid, "a": a, "b": b, "judgement": what, "author": "ana",
                                   "at": f"2026-01-0{jid[1]}T00:00:00Z", "note": "", "retracts": retracts})
    got = {r["id"]: r for r in entities.judgements_on(engine, ["fb:a"])}
    assert sorted(got) == ["j1", "j3", "j4", "j5"]
    assert got["j3"]["retracted"] and not got["j3"]["in_force"]
    assert got["j1"]["in_force"] and got["j5"]["in_force"] and not got["j4"]["in_force"]
    assert entities.judgements_on(engine, []) == []
    engine.dispose()


def test_near_and_first_owned(db_url: str) -> None:
    engine = SQLStore(db_url).engine
    base = 0x0123_4567_89AB_CDEF
    far = base ^ ((1 << 64) - 1)

    def row(listing: str, ref: str, n: int, phash: int | None) -> dict[str, Any]:
        return {"listing_id": listing, "ref": ref, "source": "listing", "n": n, "phash": phash,
                "sha256": None if phash is None else f"{listing}{ref}", "provenance": "{}", "seen_at": "t"}

    near4 = base ^ 0b1111  # four bits in one band: the other bands still agree
    spread = base ^ (1 | 1 << 13 | 1 << 26 | 1 << 38 | 1 << 51)  # five bits, one per band: never a match
    assert images.add(engine, [row("L1", "a.png", 2, base), row("L2", "b.png", 0, near4), row("L3", "c.png", 1, far),
                               row("L4", "d.png", 0, spread), row("L5", "bad.png", 0, None)]) == 5
    assert images.add(engine, [row("L1", "a.png", 2, far)]) == 0, "a stored image is kept"
    found = images.near(engine, base, exclude="L1")
    assert [(f["listing_id"], f["distance"]) for f in found] == [("L2", 4)], found
    assert images.first_owned(engine, ["L1", "L2", "L5", "nope"]) == {"L1": 2, "L2": 0}
    images.set_ocr(engine, "L1", "a.png", "RHINO", "tesseract 5", "t1")
    images.set_ocr(engine, "L1", "a.png", "other", "tesseract 5", "t2")
    assert images.of_listing(engine, "L1")["a.png"]["ocr_text"] == "RHINO", "the first reading stays"
    engine.dispose()


def test_captured_agrees_with_captures_of(db_url: str) -> None:
    """``captured`` (which of a batch's listings have a case capture, one query) names exactly the
    listings whose ``captures_of`` is not empty; a listing id that only appears elsewhere in an
    entry, or with LIKE's wildcards, is not one of them."""
    from wildtrace.store import cases

    store = SQLStore(db_url)
    engine = store.engine
    case = cases.create_case(engine, "Horn case", "ana")
    entries = [{"capture_id": "c1", "evidence_dir": "/e", "listing_id": "L-1", "entry_hash": "h1"},
               {"capture_id": "c2", "evidence_dir": "/e", "listing_id": "L-1", "entry_hash": "h2"},
               {"capture_id": "c3", "evidence_dir": "/e", "listing_id": "L_%2", "note": "L-3", "entry_hash": "h3"}]
    cases.add_captures(engine, int(case["id"]), entries, "ana")
    ids = ["L-1", "L_%2", "L-3", "Lx%2", "L-4"]
    assert images.captured(engine, ids) == {i for i in ids if images.captures_of(engine, i)} == {"L-1", "L_%2"}
    assert images.captured(engine, []) == set()
    store.close()
