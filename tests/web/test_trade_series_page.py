"""The trade report page shows every (term, unit) series with both reports: a real server on
loopback over a DuckDB loaded from hand-written comparative-tabulation rows (invented numbers,
the real shape) where importers report far more pangolin scales than exporters."""

from __future__ import annotations

import re
from pathlib import Path

from wildtrace.trade.load import load_paths
from wildtrace.trade.schema import connect

from .test_trade_api import _running

HEAD = ("Year,App.,Taxon,Class,Order,Family,Genus,Importer,Exporter,Origin,Importer reported quantity,"
        "Exporter reported quantity,Term,Unit,Purpose,Source\n")
ROWS = ("2014,II,Manis gigantea,Mammalia,Pholidota,Manidae,Manis,CN,UG,,3198,3211,scales,kg,T,W\n"
        "2016,I,Manis gigantea,Mammalia,Pholidota,Manidae,Manis,CN,UG,,4000,1000,scales,kg,T,W\n"
        '2017,I,Manis tricuspis,Mammalia,Pholidota,Manidae,Manis,HK,BI,,"14,226.7",,scales,kg,T,W\n'
        "2015,II,Manis tricuspis,Mammalia,Pholidota,Manidae,Manis,US,CG,,250,,scales,g,T,W\n")


def test_the_report_page_tables_every_series_with_both_reports(tmp_path: Path) -> None:
    (tmp_path / "comptab.csv").write_text(HEAD + ROWS)
    con = connect(tmp_path / "t.duckdb")
    [res] = load_paths(con, [tmp_path / "comptab.csv"])
    assert res.rows_rejected == 0
    con.close()
    with _running(tmp_path / "srv", tmp_path / "t.duckdb") as server:
        client, _ = server.login("viewer")
        r = client.get("/trade/report")
        assert r.status_code == 200, r.text[:300]
        text = r.text
        table = re.search(r'<table class="trade-table series">.*?</table>', text, flags=re.S)
        assert table, text[:500]
        cells = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", table.group(0)))
        # kg: 4,211 exporter-reported (2 records) and 21,424.7 importer-reported (3): never 25,635.7
        assert "scales (SCA) kg 4,211 2 21,424.7 3 2014–2017" in cells
        assert "scales (SCA) g 0 0 250 1 2015–2015" in cells
        assert "25,635.7" not in text
        assert "Charted: the 10 (term, unit) series with the most records" in text
        assert "Top flows (exporter → importer), scales (SCA), kg" in text
        # the flows table: Burundi's exports are in the importer's report only
        flows = re.search(r"Table: scales \(SCA\), kg, top flows.*?</table>", text, flags=re.S)
        assert flows and "Burundi (BI) → Hong Kong (HK)" in flows.group(0)
        client.close()
