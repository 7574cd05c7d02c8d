"""Both reports side by side everywhere: every (term, unit) series, top list, flow and chart of
``volumes``, the HTML report and ``wildtrace trade flows`` give the exporter-reported and the
importer-reported quantity as two numbers and never their sum.

Fixtures are hand-written rows (invented numbers) in the exact shapes of a comparative
tabulation download and of a CITES Trade Database shipment download: scales of African
pangolins to Asia, where importers report far more than exporters (the real pattern: 6,674 kg
exporter-reported against 32,055 kg importer-reported since 2010 in a public extract).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from wildtrace.cli import cli, load_commands
from wildtrace.trade import charts
from wildtrace.trade.load import load_paths
from wildtrace.trade.report import html_report, report
from wildtrace.trade.schema import connect
from wildtrace.trade.selection import Selection
from wildtrace.trade.volumes import series, volumes

COMPTAB = """Year,App.,Taxon,Class,Order,Family,Genus,Importer,Exporter,Origin,Importer reported quantity,Exporter reported quantity,Term,Unit,Purpose,Source
2012,II,Manis gigantea,Mammalia,Pholidota,Manidae,Manis,VN,UG,,,70,scales,kg,T,W
2013,II,Manis gigantea,Mammalia,Pholidota,Manidae,Manis,VN,UG,,70,70,scales,kg,T,W
2014,II,Manis gigantea,Mammalia,Pholidota,Manidae,Manis,CN,UG,,3198,3211,scales,kg,T,W
2014,II,Manis gigantea,Mammalia,Pholidota,Manidae,Manis,MY,UG,,,99,scales,kg,T,W
2016,I,Manis gigantea,Mammalia,Pholidota,Manidae,Manis,CN,UG,,4000,1000,scales,kg,T,W
2017,I,Manis tricuspis,Mammalia,Pholidota,Manidae,Manis,HK,BI,,"14,226.7",,scales,kg,T,W
2017,I,Manis tricuspis,Mammalia,Pholidota,Manidae,Manis,CN,CG,,6500,,scales,kg,T,W
2015,II,Manis tricuspis,Mammalia,Pholidota,Manidae,Manis,US,CG,,,3,skins,,T,W
2015,II,Manis tricuspis,Mammalia,Pholidota,Manidae,Manis,US,CG,,250,,scales,g,T,W
2016,II,Manis tricuspis,Mammalia,Pholidota,Manidae,Manis,US,CG,,5,5,skins,,T,W
"""

SHIPMENTS = """Id,Year,Appendix,Taxon,Class,Order,Family,Genus,Term,Quantity,Unit,Importer,Exporter,Origin,Purpose,Source,Reporter.type,Import.permit.RandomID,Export.permit.RandomID,Origin.permit.RandomID
7100001,2014,II,Manis gigantea,Mammalia,Pholidota,Manidae,Manis,scales,3211,kg,CN,UG,,T,W,E,,a1b2c3d4e5,
7100002,2014,II,Manis gigantea,Mammalia,Pholidota,Manidae,Manis,scales,3198,kg,CN,UG,,T,W,I,f6e5d4c3b2,a1b2c3d4e5,
7100003,2016,I,Manis gigantea,Mammalia,Pholidota,Manidae,Manis,scales,1000,kg,CN,UG,,T,W,E,,b2c3d4e5f6,
7100004,2016,I,Manis gigantea,Mammalia,Pholidota,Manidae,Manis,scales,4000,kg,CN,UG,,T,W,I,c3d4e5f6a7,,
7100005,2017,I,Manis tricuspis,Mammalia,Pholidota,Manidae,Manis,scales,14226.7,kg,HK,BI,,T,W,I,d4e5f6a7b8,,
7100006,2016,II,Manis tricuspis,Mammalia,Pholidota,Manidae,Manis,skins,5,,US,CG,,T,W,E,,e5f6a7b8c9,
7100007,2016,II,Manis tricuspis,Mammalia,Pholidota,Manidae,Manis,skins,5,,US,CG,,T,W,I,a7b8c9d0e1,e5f6a7b8c9,
"""


def _db(folder: Path, name: str, text: str) -> duckdb.DuckDBPyConnection:
    (folder / name).write_text(text)
    con = connect(folder / f"{name}.duckdb")
    [res] = load_paths(con, [folder / name])
    assert res.status == "loaded" and res.rows_rejected == 0, res
    return con


@pytest.fixture(scope="module")
def comptab(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    return _db(tmp_path_factory.mktemp("ct"), "comptab.csv", COMPTAB)


@pytest.fixture(scope="module")
def shipments(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    return _db(tmp_path_factory.mktemp("bulk"), "trade_db_1.csv", SHIPMENTS)


def _sums(con: duckdb.DuckDBPyConnection, where: str = "true") -> dict[tuple[str, str | None], tuple[float, float]]:
    """Each (term, unit)'s exporter- and importer-reported totals, counted independently."""
    out = con.execute(f"""SELECT term, unit, coalesce(sum(quantity) FILTER (WHERE reporter_type = 'E'), 0),
        coalesce(sum(quantity) FILTER (WHERE reporter_type = 'I'), 0) FROM records WHERE {where} GROUP BY ALL""").fetchall()
    return {(t, u): (e, i) for t, u, e, i in out}


def test_every_series_has_both_reports_and_none_is_left_out(comptab: duckdb.DuckDBPyConnection) -> None:
    v = volumes(comptab, Selection(), units=1)
    got = {(s["term"], s["unit"]): (s["q_e"], s["q_i"]) for s in v["series"]}
    assert got == _sums(comptab)  # every (term, unit), charted or not, kg never joined to g or a count
    assert got[("SCA", "KIL")] == (70 + 70 + 3211 + 99 + 1000, 70 + 3198 + 4000 + 14226.7 + 6500)
    assert [(u["term"], u["unit"]) for u in v["by_unit"]] == [("SCA", "KIL")]  # the most records
    assert "most records" in v["top_rule"]
    sca = v["by_unit"][0]
    years = {r["year"]: (r["q_e"], r["q_i"]) for r in sca["by_year"]}
    assert years[2017] == (0, 14226.7 + 6500) and years[2014] == (3211 + 99, 3198)


def test_top_lists_and_flows_rank_by_the_larger_report_and_show_both(comptab: duckdb.DuckDBPyConnection) -> None:
    sca = volumes(comptab, Selection(term="SCA", unit="KIL"))["by_unit"][0]
    assert [(r["party"], r["q_e"], r["q_i"]) for r in sca["top_importers"]] == [
        ("HK", 0, 14226.7), ("CN", 4211, 13698), ("VN", 140, 70), ("MY", 99, 0)]
    flows = {(r["exporter"], r["importer"]): (r["q_e"], r["q_i"]) for r in sca["top_flows"]}
    assert flows[("BI", "HK")] == (0, 14226.7)  # only the importer reported it: it still ranks first
    assert next(iter(flows)) == ("BI", "HK")
    assert flows[("UG", "CN")] == (4211, 7198)
    for part in ("top_exporters", "top_importers", "top_flows", "by_year"):
        for r in sca[part]:
            assert set(r) >= {"q_e", "q_i"} and "quantity" not in r


def test_charts_draw_each_report_and_never_their_sum(comptab: duckdb.DuckDBPyConnection) -> None:
    v = volumes(comptab, Selection())
    for u in v["by_unit"]:
        drawn = charts.volume_charts(u, v["sides"])
        assert set(drawn) == {"by_year", "top_exporters", "top_importers", "top_flows"}
        for part in ("top_exporters", "top_importers", "top_flows"):
            for r in u[part]:
                svg = drawn[part]
                for side, key in (("exporter-reported", "q_e"), ("importer-reported", "q_i")):
                    assert f"{side}: {float(r[key]):,.6g}" in svg, (part, r)
                if r["q_e"] and r["q_i"]:
                    assert f": {float(r['q_e'] + r['q_i']):,.6g} " not in svg
    sca = next(u for u in v["by_unit"] if u["term"] == "SCA" and u["unit"] == "KIL")
    line = charts.volume_charts(sca, v["sides"])["by_year"]
    assert "importer-reported, 2017: 20,726.7 kg" in line and "exporter-reported, 2014: 3,310 kg" in line


def test_the_html_report_tables_every_series_and_charts_the_top(comptab: duckdb.DuckDBPyConnection) -> None:
    rep = report(comptab)
    assert {(s["term"], s["unit"]) for s in rep["volumes"]["series"]} == set(_sums(comptab))
    text = html_report(rep)
    assert "<script" not in text
    table = re.search(r"<table class='series'>.*?</table>", text, flags=re.S)
    assert table
    rows = table.group(0)
    # the larger figure (importer-reported) is in the table beside the smaller one, never their sum
    assert "<td>scales (SCA)</td><td>kg</td><td>4,450</td><td>5</td><td>27,994.7</td><td>5</td>" in rows
    assert "32,444.7" not in text
    assert "<td>scales (SCA)</td><td>g</td><td>0</td><td>0</td><td>250</td><td>1</td>" in rows
    assert "Charted: the 10 (term, unit) series with the most records" in text
    assert "Top flows (exporter \u2192 importer), scales (SCA), kg" in text
    assert "Burundi (BI) \u2192 Hong Kong (HK)" in text


def test_shipment_records_keep_the_two_reports_apart(shipments: duckdb.DuckDBPyConnection) -> None:
    every = series(shipments, Selection(year_from=2014))
    got = {(s["term"], s["unit"]): (s["q_e"], s["q_i"], s["records_e"], s["records_i"]) for s in every}
    assert got == {("SCA", "KIL"): (4211, 21424.7, 2, 3), ("SKI", None): (5, 5, 1, 1)}
    # one shipment reported twice (5 skins by each side) is 5 and 5, never 10
    ski = next(s for s in every if s["term"] == "SKI")
    assert ski["by_year"] == [{"year": 2016, "q_e": 5, "q_i": 5, "records": 2}]


def test_cli_flows_prints_both_reports(comptab: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    db = tmp_path / "flows.duckdb"
    con = connect(db)
    (tmp_path / "comptab.csv").write_text(COMPTAB)
    load_paths(con, [tmp_path / "comptab.csv"])
    con.close()
    load_commands()
    runner = CliRunner()
    r = runner.invoke(cli, ["trade", "flows", "--db", str(db), "--term", "SCA", "--unit", "KIL", "--year-from", "2014"])
    assert r.exit_code == 0, r.output
    assert "scales (SCA) in kg: exporter-reported 4,310; importer-reported 27,924.7" in r.output
    assert "importer Hong Kong (HK): exporter-reported 0; importer-reported 14,226.7" in r.output
    assert "flow Uganda (UG) \u2192 China (CN): exporter-reported 4,211; importer-reported 7,198" in r.output
    assert "2017: exporter-reported 0; importer-reported 20,726.7" in r.output
    r = runner.invoke(cli, ["trade", "flows", "--db", str(db), "--json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert len(res["series"]) == 3 and res["sides"] == {"E": "exporter-reported", "I": "importer-reported"}
