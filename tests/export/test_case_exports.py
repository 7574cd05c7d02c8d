"""End to end: scan -> capture --from-scan -> case create/add/show -> every export."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import networkx as nx
import orjson
import pytest
from click.testing import CliRunner
from followthemoney import model

from wildtrace.cli import cli, load_commands
from wildtrace.errors import NotFound

HOSTILE = "<script>alert('x')</script> =cmd|' /C calc'!A0"


def _listings(base: str) -> list[dict[str, str]]:
    return [
        {"id": "L1", "title": "Raw rhino horn pieces, genuine", "text": "WhatsApp +84 912 345 678",
         "seller": "hornking88", "platform": "fb", "location": "Hanoi, VN", "url": f"{base}/listing/L1"},
        {"id": "L2", "title": "Sừng tê giác thật", "text": "Zalo không chín một hai ba bốn năm sáu bảy tám",
         "seller": "horn_vn", "platform": "zalo", "location": "Hà Nội, VN", "url": f"{base}/listing/L2"},
        {"id": "L3", "title": f"Vảy tê tê loại 1 giá tốt {HOSTILE}", "text": "wx: hk_horn_88",
         "seller": "horn_vn", "platform": "zalo", "url": f"{base}/listing/L3"},
        {"id": "L4", "title": "出售 犀角 杯 老货", "text": "加微信 wx: hk_horn_88 btc 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
         "seller": "laozhang", "platform": "wechat", "url": f"{base}/gone"},
        {"id": "L5", "title": "Ceramic vase, blue", "text": "nice vase", "seller": "potter", "platform": "fb",
         "url": f"{base}/listing/L5"},
    ]


@pytest.fixture(scope="module")
def case_setup(tmp_path_factory: pytest.TempPathFactory, market_url: str) -> dict[str, Path]:
    load_commands()
    tmp = tmp_path_factory.mktemp("case")
    runner = CliRunner()
    listings = tmp / "listings.jsonl"
    listings.write_bytes(b"".join(orjson.dumps(x) + b"\n" for x in _listings(market_url)))
    env = {"WILDTRACE_DATA_DIR": str(tmp / "data")}
    r = runner.invoke(cli, ["scan", str(listings), "-o", str(tmp / "results.jsonl")], env=env)
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["capture", "--from-scan", str(tmp / "results.jsonl"), "--min-risk", "0.3",
                            "--evidence-dir", str(tmp / "ev"), "--operator", "analyst-1", "--timeout", "3",
                            "--no-screenshot", "--allow-private"], env=env)
    assert r.exit_code == 3, r.output  # /gone is a failed capture; the rest went on
    lines = [orjson.loads(x) for x in r.stdout.splitlines() if x.startswith("{")]
    assert sorted(x["listing_id"] for x in lines) == ["L1", "L2", "L3", "L4"]
    assert [x["status"] for x in lines if x["listing_id"] == "L4"] == ["failed"]
    cases = ["--db", str(tmp / "cases.sqlite")]
    for args in (["case", "create", "op-horn", "--title", "Rhino horn network", "--author", "lead", *cases],
                 ["case", "add", "op-horn", "--results", str(tmp / "results.jsonl"), "--min-risk", "0.3",
                  "--author", "lead", *cases],
                 ["case", "add", "op-horn", "--evidence-dir", str(tmp / "ev"), "--seller", "fb:hornking88",
                  "--author", "lead", *cases]):
        r = runner.invoke(cli, args, env=env)
        assert r.exit_code == 0, (args, r.output)
    r = runner.invoke(cli, ["case", "show", "op-horn", "--json", *cases], env=env)
    shown = orjson.loads(r.stdout)
    assert shown["listings"] == 4 and shown["captures"] == 4 and shown["failed_captures"] == 1, shown
    out = {}
    for fmt, name in (("ftm", "entities.ftm.json"), ("gexf", "net.gexf"), ("graphml", "net.graphml"),
                      ("csv", "csv"), ("html", "report.html"), ("pdf", "report.pdf"),
                      ("takedown", "takedown.json")):
        r = runner.invoke(cli, ["case", "export", "op-horn", "--format", fmt, "-o", str(tmp / name), *cases],
                          env=env)
        assert r.exit_code == 0, (fmt, r.output)
        out[fmt] = tmp / name
    out["ev"] = tmp / "ev"
    return out


def test_ftm_entities_validate(case_setup: dict[str, Path]) -> None:
    entities = [orjson.loads(x) for x in case_setup["ftm"].read_bytes().splitlines()]
    ids = {e["id"] for e in entities}
    assert len(ids) == len(entities)
    for e in entities:
        schema = model.get(e["schema"])
        assert schema is not None, e
        schema.validate(e)  # raises InvalidData on a bad property value
        proxy = model.get_proxy(e, cleaned=False)
        for prop, values in e["properties"].items():
            assert len(proxy.get(prop)) == len(values), (e, prop)
            if schema.get(prop).type.name == "entity":
                assert all(v in ids for v in values), (e, prop)
    by_schema: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    for e in entities:
        by_schema.setdefault(e["schema"], []).append(e)
    accounts = {e["properties"]["username"][0]: e for e in by_schema["UserAccount"]}
    assert accounts["hornking88"]["properties"]["phone"] == ["+84912345678"]
    assert accounts["horn_vn"]["properties"]["phone"] == ["+84912345678"]
    assert [w["properties"]["publicKey"] for w in by_schema["CryptoWallet"]] == [["1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"]]
    docs = by_schema["Document"]
    assert len(docs) == 4 and all(any("SHA-256" in n for n in d["properties"]["notes"]) for d in docs)


def test_gexf_graphml_csv(case_setup: dict[str, Path]) -> None:
    for key in ("gexf", "graphml"):
        g = nx.read_gexf(case_setup[key]) if key == "gexf" else nx.read_graphml(case_setup[key])
        assert g.has_edge("fb:hornking88", "zalo:horn_vn"), key
        assert g.has_edge("zalo:horn_vn", "wechat:laozhang"), key
    with open(case_setup["csv"] / "nodes.csv", encoding="utf-8") as fh:
        nodes = list(csv.DictReader(fh))
    with open(case_setup["csv"] / "edges.csv", encoding="utf-8") as fh:
        edges = list(csv.DictReader(fh))
    assert {n["Entity ID"] for n in nodes} == {"fb:hornking88", "zalo:horn_vn", "wechat:laozhang"}
    assert {n["Key Player Rank"] for n in nodes if n["Entity ID"] == "zalo:horn_vn"} == {"1"}
    assert len(edges) == 2 and all(e["Evidence"] for e in edges)


def test_reports_cite_hashes_and_times_and_escape(case_setup: dict[str, Path]) -> None:
    html = case_setup["html"].read_text(encoding="utf-8")
    entries = [orjson.loads(x) for x in (case_setup["ev"] / "custody.jsonl").read_bytes().splitlines()]
    for e in entries:
        assert e["captured_at"] in html
        if e["status"] == "captured":
            assert e["payload_sha256"] in html and e["files"][0]["sha256"] in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    pdf = case_setup["pdf"].read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 2000


def test_takedown_per_platform(case_setup: dict[str, Path]) -> None:
    data = orjson.loads(case_setup["takedown"].read_bytes())
    assert set(data) == {"fb", "zalo", "wechat"}
    row = data["fb"][0]
    assert row["url"].endswith("/listing/L1") and row["reasons"] and row["policy_category"]
    assert row["evidence"] and len(row["evidence"][0]["payload_sha256"]) == 64
    assert data["wechat"][0]["evidence"] == []  # its capture failed


def test_legacy_case_folder_is_imported_once_and_names_never_become_paths(tmp_path: Path) -> None:
    """A case folder written before cases moved into the database is imported on first use, unchanged."""
    from wildtrace import cases
    from wildtrace.scan.scanner import Scanner
    from wildtrace.settings import Settings
    from wildtrace.store.sql import SQLStore

    settings = Settings(data_dir=tmp_path / "data")
    (result,) = Scanner(settings).scan([{"id": "L1", "title": "Rhino horn for sale", "seller": "hk",
                                         "platform": "fb"}])
    folder = settings.legacy_cases_dir / "op-old"
    folder.mkdir(parents=True)
    events = [{"event": "create", "name": "op-old", "title": "Old horn case", "author": "lead", "at": "2026-01-01"},
              {"event": "add_listing", "result": result.to_dict(), "author": "lead", "at": "2026-01-01"},  # type: ignore[union-attr]
              {"event": "add_seller", "seller": "fb:hk", "author": "lead", "at": "2026-01-01"}]
    (folder / "case.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    before = (folder / "case.jsonl").read_bytes()
    store = SQLStore(tmp_path / "w.sqlite")
    try:
        first = cases.load(store, "op-old", legacy_dir=settings.legacy_cases_dir)
        again = cases.load(store, "op-old", legacy_dir=settings.legacy_cases_dir)
        assert (first.id, first.title, first.sellers, [r["id"] for r in first.results]) == \
            (again.id, "Old horn case", ["fb:hk"], ["L1"])
        assert (folder / "case.jsonl").read_bytes() == before, "the old folder is left as it was"
        (tmp_path / "data" / "evil").mkdir()
        (tmp_path / "data" / "evil" / "case.jsonl").write_text(json.dumps(events[0]) + "\n")
        with pytest.raises(NotFound):
            cases.load(store, "../evil", legacy_dir=settings.legacy_cases_dir)
    finally:
        store.close()
