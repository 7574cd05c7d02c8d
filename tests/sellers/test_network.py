from __future__ import annotations

from pathlib import Path

import pytest

from wildtrace.errors import ConfigError
from wildtrace.sellers.judgements import JudgementStore
from wildtrace.sellers.network import NetworkBuilder, account_id


def _r(id: str, seller: str, platform: str, text: str, **listing: str) -> dict:  # type: ignore[type-arg]
    return {"id": id, "risk_score": 0.8, "lang": "vi",
            "listing": {"seller": seller, "platform": platform, "text": text, "url": f"http://m/{id}", **listing}}


LONG = "Bán vảy tê tê loại một hàng thật giá tốt ship toàn quốc nhận COD liên hệ ngay"

RESULTS = [
    _r("1", "hornking88", "fb", "Zalo 0987 654 321"),
    _r("2", "horn_vn", "zalo", "gọi không chín tám bảy sáu năm bốn ba hai một"),  # same phone, spelled out
    _r("3", "horn_vn", "zalo", "wx: hk_horn_88"),
    _r("4", "laozhang", "wechat", "加微信 hk_horn_88"),  # shares WeChat with horn_vn
    _r("5", "bird_lady", "shopee", LONG + " chim"),
    _r("6", "bird_lady2", "lazada", LONG + " chim"),  # near-duplicate text only
    _r("7", "loner", "fb", "nothing to see here"),
]


def _build(tmp_path: Path, judgements=None):  # type: ignore[no-untyped-def]
    builder = NetworkBuilder()
    for r in RESULTS:
        builder.add_result(r)
    return builder.build(judgements)


def test_accounts_linked_by_identifiers_and_text(tmp_path: Path) -> None:
    net = _build(tmp_path)
    g = net.graph
    assert g.has_edge("fb:hornking88", "zalo:horn_vn")
    ev = g.edges["fb:hornking88", "zalo:horn_vn"]["evidence"]
    assert {"type": "identifier", "value": "phone:+84987654321"} in ev
    assert g.has_edge("zalo:horn_vn", "wechat:laozhang")
    assert [e["type"] for e in g.edges["shopee:bird_lady", "lazada:bird_lady2"]["evidence"]] == ["text"]
    assert g.degree("fb:loner") == 0
    ent = net.entities()
    assert ent["fb:hornking88"] == ent["zalo:horn_vn"] == ent["wechat:laozhang"]
    assert ent["shopee:bird_lady"] != ent["lazada:bird_lady2"]  # text similarity alone does not merge


def test_metrics_components_betweenness_key_player(tmp_path: Path) -> None:
    net = _build(tmp_path)
    m = net.metrics()
    assert [c["size"] for c in m["components"]] == [3, 2]
    assert m["degree"]["zalo:horn_vn"] == 2
    assert m["betweenness"]["zalo:horn_vn"] == pytest.approx(max(m["betweenness"].values()))
    assert m["key_players"][0]["account"] == "zalo:horn_vn"
    d = net.to_dict()
    assert d["summary"]["entities"] == 4 and d["provenance"]["input_sha256"]
    node = next(n for n in d["nodes"] if n["id"] == "zalo:horn_vn")
    assert node["key_player_rank"] == 1 and len(node["listings"]) == 2


def test_judgements_are_separate_and_reversible(tmp_path: Path) -> None:
    store = JudgementStore(tmp_path / "w.sqlite")
    diff = store.judge("zalo:horn_vn", "wechat:laozhang", "different", author="analyst-a", note="checked")
    same = store.judge("shopee:bird_lady", "lazada:bird_lady2", "same", author="analyst-b")
    net = _build(tmp_path, store.current())
    assert not net.graph.has_edge("zalo:horn_vn", "wechat:laozhang")
    assert net.full.edges["zalo:horn_vn", "wechat:laozhang"]["judgement"] == "different"
    ent = net.entities()
    assert ent["zalo:horn_vn"] != ent["wechat:laozhang"]
    assert ent["shopee:bird_lady"] == ent["lazada:bird_lady2"]
    # reverse both: one by retraction, one by a newer judgement
    store.retract(diff.id, author="analyst-a", note="mistake")
    store.judge("shopee:bird_lady", "lazada:bird_lady2", "unsure", author="analyst-c")
    net2 = _build(tmp_path, store.current())
    ent2 = net2.entities()
    assert ent2["zalo:horn_vn"] == ent2["wechat:laozhang"]
    assert ent2["shopee:bird_lady"] != ent2["lazada:bird_lady2"]
    history = store.history()
    assert [j.judgement for j in history] == ["different", "same", "retract", "unsure"]
    assert history[1] == same and history[2].retracts == diff.id  # nothing rewritten
    # source records untouched
    assert RESULTS[2]["listing"]["text"] == "wx: hk_horn_88"


def test_bad_judgements_are_refused(tmp_path: Path) -> None:
    store = JudgementStore(tmp_path / "w.sqlite")
    with pytest.raises(ConfigError):
        store.judge("a", "b", "maybe", author="x")
    with pytest.raises(ConfigError):
        store.judge("a", "b", "same", author=" ")


def test_account_ids() -> None:
    assert account_id({"platform": "FB", "seller": " x "}) == "fb:x"
    assert account_id({"id": "9"}) == "unknown:?listing-9"


def test_image_links(tmp_path: Path) -> None:
    builder = NetworkBuilder()
    builder.add_result(_r("a", "s1", "fb", "x"), image_phashes=[0xF0F0F0F0F0F0F0F0])
    builder.add_result(_r("b", "s2", "ig", "y"), image_phashes=[0xF0F0F0F0F0F0F0F1])
    builder.add_result(_r("c", "s3", "ig", "z"), image_phashes=[0x0F0F0F0F0F0F0F0F])
    g = builder.build().graph
    assert g.edges["fb:s1", "ig:s2"]["evidence"] == [{"type": "image", "distance": 1}]
    assert g.degree("ig:s3") == 0


def test_a_judgement_is_retracted_by_a_unique_prefix_of_its_id(tmp_path: Path) -> None:
    store = JudgementStore(tmp_path / "w.sqlite")
    j = store.judge("zalo:horn_vn", "wechat:laozhang", "same", author="a")
    r = store.retract(j.id[:8], author="a", note="reseller's phone")
    assert r.retracts == j.id  # the full id is recorded, not the prefix
    with pytest.raises(ConfigError, match="no judgement"):
        store.retract("abc", author="a")  # under 6 characters: never a prefix
